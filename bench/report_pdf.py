"""How long printing a large run's report takes, how much memory the browser needs and how big the PDF gets
(not a timed test).

Builds a stored run of FINDINGS findings with long URLs in a temporary store (bench/report_render.py's run:
per-page metadata findings with a handful of causes and broken links each on its own URL, found on several
pages), writes report.html and findings.csv as `siteaudit report --pdf` does, then prints report.pdf the same
way, sampling the memory of every browser process. Prints the outputs' time, the print's time, the peak RSS
of the largest browser process and of all of them, and the PDF's size and pages, or why there is none.
`--unfolded` prints the whole screen report.html instead of the folded print version (the memory cap and the
deadline then stop the browser).

    .venv/bin/python bench/report_pdf.py [--findings 10000] [--pages 5000] [--url-length 200] [--unfolded]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
from pathlib import Path

from pypdf import PdfReader
from report_render import build

from siteaudit.core.browser import PrintError, find_browser, process_tree
from siteaudit.core.store import Store
from siteaudit.reports.render import print_pdf, print_report, report_templates, write_outputs
from siteaudit.verdict.judge import judge


def rss_kib(pid: int) -> int:
    """Resident set size of `pid` in KiB (0 once it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def sample(stop: threading.Event, peaks: dict[str, int]) -> None:
    """Every 0.1 s: the largest single RSS and the total RSS of this process's children (the browser)."""
    me = os.getpid()
    while not stop.wait(0.1):
        sizes = [rss_kib(p) for p in process_tree(me) if p != me]
        peaks["one"] = max(peaks["one"], max(sizes, default=0))
        peaks["all"] = max(peaks["all"], sum(sizes))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--findings", type=int, default=10_000)
    parser.add_argument("--pages", type=int, default=5000)
    parser.add_argument("--url-length", type=int, default=200, help="characters in each page and link URL")
    parser.add_argument("--broken-share", type=float, default=0.5, help="share of the findings that are broken links")
    parser.add_argument("--link-pages", type=int, default=20, help="pages each broken link is found on")
    parser.add_argument("--unfolded", action="store_true", help="print the whole report.html (before folding)")
    parser.add_argument("--out", type=Path, help="keep the outputs in this folder (default: a temporary one)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="siteaudit-bench-") as tmp:
        store = Store(Path(tmp) / "s.sqlite3")
        run_id = build(store, args.pages, args.findings, args.url_length, args.broken_share, args.link_pages)
        out = args.out or Path(tmp) / "out"
        started = time.perf_counter()
        verdict = judge(store, run_id)
        write_outputs(store, run_id, out, verdict, formats=("html", "csv"))
        outputs = time.perf_counter() - started
        peaks, stop = {"one": 0, "all": 0}, threading.Event()
        watcher = threading.Thread(target=sample, args=(stop, peaks), daemon=True)
        watcher.start()
        pdf = out / "report.pdf"
        started = time.perf_counter()
        try:
            if args.unfolded:
                print_pdf(out / "report.html", pdf, find_browser(), *report_templates(store.run(run_id) or {}))
            else:
                print_report(store, run_id, verdict, pdf, find_browser())
            result = f"{pdf.stat().st_size / 1e6:.2f} MB, {len(PdfReader(pdf).pages)} pages"
        except PrintError as exc:
            result = f"no PDF: {exc}"
        printed = time.perf_counter() - started
        stop.set()
        watcher.join()
        store.close()
        print(f"findings {args.findings} ({args.broken_share:.0%} broken links on {args.link_pages} pages each, "
              f"URLs of {args.url_length} characters{', unfolded' if args.unfolded else ''}): report.html and "
              f"findings.csv in {outputs:.1f} s; print {printed:.1f} s, {result}; browser peak RSS "
              f"{peaks['one'] / 1024:.0f} MB in one process, {peaks['all'] / 1024:.0f} MB in all")


if __name__ == "__main__":
    main()
