"""Time siteaudit's accessibility stage (browser start-up included) on K pages of the bench site.

Uses the same page choice as the shared bench's axe_cli.py (pick_pages), the check's default workers,
and samples the summed PSS of every browser process it starts. Writes a JSON result.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


class CpuSampler(threading.Thread):
    """CPU seconds of a process and all its descendants: each process's last reading (utime + stime), read
    every 0.1 s, summed at the end (a process that exits loses at most its last 0.1 s)."""

    def __init__(self, root: int) -> None:
        super().__init__(daemon=True)
        self.root = root
        self.seen: dict[tuple[int, str], float] = {}
        self.stop = threading.Event()

    def run(self) -> None:
        from siteaudit.core.browser import process_tree

        tick = os.sysconf("SC_CLK_TCK")
        while not self.stop.is_set():
            for pid in process_tree(self.root):
                try:
                    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                self.seen[(pid, fields[19])] = (int(fields[11]) + int(fields[12])) / tick
            self.stop.wait(0.1)

    @property
    def seconds(self) -> float:
        return sum(self.seen.values())


def stage(base: str, urls: list[str], out: str, chromium: str) -> None:
    """The measured work, in its own process: the check's default options, browser start-up included."""
    from siteaudit.checks.accessibility import CHECK
    from siteaudit.core.browser import find_browser

    t0 = time.perf_counter()
    paths = find_browser(chromium)
    results, not_tested, version = CHECK.test_pages([base + u for u in urls], paths, dict(CHECK.options))
    wall = time.perf_counter() - t0
    violations = {url[len(base):] or "/": sorted({v["id"] for v in r.get("violations", [])})
                  for url, r in results.items()}
    Path(out).write_text(json.dumps({"wall": wall, "version": version, "not_tested": len(not_tested),
                                     "browser": paths.chromium,
                                     "violations": violations, "workers": CHECK.options["workers"] or os.cpu_count()}))


def main() -> int:
    if sys.argv[1:2] == ["--child"]:
        base, out, chromium = sys.argv[2], sys.argv[3], sys.argv[4]
        stage(base, json.loads(sys.stdin.read()), out, chromium)
        return 0
    ap = argparse.ArgumentParser()
    ap.add_argument("--site", required=True)
    ap.add_argument("--base", default="http://127.0.0.1:8088")
    ap.add_argument("--k", type=int, default=200)
    ap.add_argument("--shared-bench", default=str(ROOT.parent / "shared" / "bench"))
    ap.add_argument("--out", required=True)
    ap.add_argument("--chromium", default="", help="browser binary (default: the check's own choice)")
    a = ap.parse_args()
    sys.path.insert(0, a.shared_bench)
    import subprocess
    import tempfile

    from axe_probe_common import MemSampler, pick_pages

    urls, issues = pick_pages(a.site, a.k)
    tmp = tempfile.mktemp(suffix=".json")
    t0 = time.perf_counter()
    child = subprocess.Popen([sys.executable, __file__, "--child", a.base, tmp, a.chromium], stdin=subprocess.PIPE, text=True)
    sampler = MemSampler(child.pid)  # sampled from this process, so the stage's own threads are undisturbed
    sampler.start()
    cpu = CpuSampler(child.pid)
    cpu.start()
    child.communicate(json.dumps(urls), timeout=3600)
    total = time.perf_counter() - t0
    sampler.stop.set()
    sampler.join(timeout=2)
    cpu.stop.set()
    cpu.join(timeout=2)
    got = json.loads(Path(tmp).read_text())
    os.unlink(tmp)
    detected = expected = 0
    for path, ids in got["violations"].items():
        want = issues.get(path, set())
        expected += len(want)
        detected += len(want & set(ids))
    pages = len(got["violations"])
    wall = total  # process start, imports and browser start-up included, as the CLI's wall time
    res = {
        "runner": f"siteaudit accessibility stage ({got['workers']} browsers, {got['browser']})",
        "axe_core_version": got["version"], "pages": pages, "not_tested": got["not_tested"],
        "total_s": round(wall, 2), "stage_s": round(got["wall"], 2), "pages_per_s": round(pages / wall, 2),
        "s_per_page_mean": round(wall / max(1, pages), 3),
        "cpu_s_all_processes": round(cpu.seconds, 1), "cpu_ms_per_page": round(cpu.seconds * 1000 / max(1, pages)),
        "peak_pss_mb_all_processes": round(sampler.peak_kb / 1024, 1),
        "injected_detected": f"{detected}/{expected}",
    }
    Path(a.out).write_text(json.dumps(res, indent=1), encoding="utf-8")
    print(json.dumps(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
