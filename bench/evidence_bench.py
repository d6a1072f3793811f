"""Cost of the evidence archive on the link bench: audit the same site with and without capture (alternating),
then an unchanged incremental re-audit, and report pages/s, the WACZ's size against the bytes received, and the
re-audit's added size.

    python bench/evidence_bench.py BASE_URL WORK_DIR [ROUNDS]      (BASE_URL: the bench site, e.g. from serve.sh)
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
import zipfile
import zlib
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

HERE = Path(__file__).resolve().parent
SITEAUDIT = [sys.executable, "-m", "siteaudit"]


def config(work: Path, name: str, warc: bool) -> Path:
    text = (HERE / "links.toml").read_text(encoding="utf-8")
    path = work / f"{name}.toml"
    path.write_text(text + f"\n[evidence]\nwarc = {'true' if warc else 'false'}\n", encoding="utf-8")
    return path


def audit(base: str, cfg: Path, out: Path, store: Path) -> tuple[float, int, float]:
    """(wall seconds, pages, CPU seconds of the audit's processes)."""
    cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    subprocess.run([*SITEAUDIT, "audit", base, "--config", str(cfg), "--checks", "links", "--format", "json",
                    "--out", str(out), "--store", str(store)], capture_output=True, text=True, timeout=3600)
    seconds = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    pages = json.loads((out / "findings.json").read_text(encoding="utf-8"))["pages"]
    return seconds, pages, after.ru_utime + after.ru_stime - cpu.ru_utime - cpu.ru_stime


def received(wacz: Path) -> tuple[int, int]:
    """Bytes of the responses as received (headers and bodies) and the same bytes gzip-compressed (level 6)."""
    raw = packed = 0
    with zipfile.ZipFile(wacz) as archive:
        for name in archive.namelist():
            if name.startswith("archive/"):
                with archive.open(name) as stream:
                    for record in ArchiveIterator(stream):
                        if record.rec_type == "response":
                            data = record.http_headers.to_bytes() + record.raw_stream.read()
                            raw += len(data)
                            packed += len(zlib.compress(data, 6))
    return raw, packed


def main() -> None:
    base, work = sys.argv[1], Path(sys.argv[2])
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    work.mkdir(parents=True, exist_ok=True)
    rows: dict[str, list[tuple[float, int, float]]] = {"off": [], "on": []}
    for n in range(rounds):
        for mode in ("off", "on") if n % 2 == 0 else ("on", "off"):
            run = work / f"{mode}{n}"
            rows[mode].append(audit(base, config(work, mode, mode == "on"), run / "out", run / "store.sqlite3"))
            print(mode, n, rows[mode][-1], flush=True)
    first = work / "on0"
    again = audit(base, config(work, "on", True), first / "again", first / "store.sqlite3")
    wacz1, wacz2 = first / "out" / "evidence.wacz", first / "again" / "evidence.wacz"
    raw, packed = received(wacz1)
    rate = {m: sum(r[1] for r in runs) / sum(r[0] for r in runs) for m, runs in rows.items()}
    cpu = {m: sum(r[2] for r in runs) / len(runs) for m, runs in rows.items()}
    print(json.dumps({
        "pages": rows["on"][0][1],
        "pages_per_s_without": round(rate["off"], 1), "pages_per_s_with": round(rate["on"], 1),
        "throughput_cost": f"{(1 - rate['on'] / rate['off']) * 100:.1f}%",
        "cpu_s_without": round(cpu["off"], 1), "cpu_s_with": round(cpu["on"], 1),
        "runs": rows,
        "received_bytes": raw, "received_gzip_bytes": packed, "wacz_bytes": wacz1.stat().st_size,
        "wacz_vs_gzip_received": round(wacz1.stat().st_size / packed, 3),
        "reaudit_seconds": round(again[0], 1), "reaudit_wacz_bytes": wacz2.stat().st_size,
        "reaudit_vs_first": f"{wacz2.stat().st_size / wacz1.stat().st_size * 100:.1f}%",
    }, indent=1))


if __name__ == "__main__":
    main()
