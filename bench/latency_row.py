"""One Markdown row of bench/run_latency.sh: wall time against the politeness limit.

    python3 latency_row.py TOOL N PAGES T0 T1 LATENCY CONC RC RUN_DIR
"""

from __future__ import annotations

import sys
from pathlib import Path


def pages_served(access_log: Path) -> int:
    """Distinct page URLs nginx answered 200 to a GET (the shared bench's own way of counting pages)."""
    seen: set[str] = set()
    for line in access_log.read_text(encoding="utf-8", errors="replace").splitlines():
        parts = line.split('"')  # $msec $request_method "$request_uri" $status ...
        if len(parts) < 3:
            continue
        method = parts[0].split()[-1:]
        status = parts[2].split()[:1]
        if method == ["GET"] and status == ["200"]:
            path = parts[1].split("?")[0]
            if path == "/" or path.endswith(".html"):
                seen.add(path)
    return len(seen)


def main(argv: list[str]) -> str:
    tool, n, pages, t0, t1, latency, conc, rc, run_dir = argv
    wall = float(t1) - float(t0)
    limit = int(pages) * float(latency) / float(conc)
    relayed_file = Path(run_dir) / "relayed.txt"
    relayed = int(relayed_file.read_text()) if relayed_file.exists() else 0
    request_limit = relayed * float(latency) / float(conc)
    served = pages_served(Path(run_dir) / "access.log")
    ratio = f"{wall / request_limit:.2f}" if request_limit else "-"
    return (f"| {n} | {tool} | {wall:.1f} | {served}/{pages} | {limit:.1f} | {wall / limit:.2f} | {relayed} | "
            f"{request_limit:.1f} | {ratio} | {rc} |")


if __name__ == "__main__":
    print(main(sys.argv[1:]))
