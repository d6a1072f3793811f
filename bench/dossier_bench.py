"""How long `siteaudit dossier` takes and how big the pack gets for a year of nightly runs of a large site
(not a timed test).

In a temporary SQLite store: 364 earlier complete runs of the year (one a night, each with its stored verdict, as
an audit keeps it), then the latest full run of PAGES pages and FINDINGS findings (bench/report_render.py's run),
and a 20:00 probe every night. Then the pack is built as the command builds it (report and its PDF, the monthly
forms, the public page, the index and its PDF, the manifest). Prints the time of the trend's read, the whole
build, and the pack's size and file count.

    .venv/bin/python bench/dossier_bench.py [--pages 10000] [--findings 10000] [--runs 365]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import tempfile
import time
from pathlib import Path

from report_render import build as build_run

from siteaudit.core import config as config_mod
from siteaudit.core.browser import find_browser
from siteaudit.core.dates import TAIPEI
from siteaudit.core.store import Store
from siteaudit.reports import dossier
from siteaudit.verdict.judge import judge

ITEMS = ("links", "metadata", "accessibility", "disclosure", "freshness", "documents", "essentials", "uptime",
         "publication-plan", "publication-catalogue", "publication-update-rule", "publication-results",
         "accessibility-mark", "disclosure-years")


def verdict(night: int) -> dict:
    items = [{"id": i, "zh": i, "en": i, "target_zh": "", "target_en": "", "measured_zh": "量測值" * 10,
              "measured_en": "measured " * 10, "status": "fail" if night % 7 == 0 else "pass", "regulation": "",
              "figure": float(night % 100), "evidence_urls": [f"https://www.example.gov.tw/{i}/{night}"]}
             for i in ITEMS]
    return {"status": "fail", "items": items, "checks": {}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=10_000)
    parser.add_argument("--findings", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=365)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="siteaudit-dossier-bench-") as tmp:
        db = Path(tmp) / "s.sqlite3"
        first = dt.datetime(2026, 1, 1, 2, 30, tzinfo=TAIPEI)
        with Store(db) as store:
            for night in range(args.runs - 1):
                os.environ["SITEAUDIT_NOW"] = (first + dt.timedelta(days=night)).isoformat()
                run_id = store.create_run("bench", {}, "bench", {})
                store.set_plan(run_id, {"mode": "incremental"})
                store.finish_run(run_id, "complete", {})
                store.save_verdict(run_id, verdict(night))
            store.add_probes([{"site": "bench", "batch": f"b{n}", "url": "https://www.example.gov.tw/",
                               "started": (first + dt.timedelta(days=n, hours=17, minutes=30)).timestamp(),
                               "attempt": 1, "ok": n % 50 != 0, "status": 200, "reason": "", "detail": {}}
                              for n in range(args.runs - 1)])
            os.environ["SITEAUDIT_NOW"] = (first + dt.timedelta(days=args.runs - 1)).isoformat()
            full = build_run(store, args.pages, args.findings, broken_share=0.5, link_pages=20)
            store.save_verdict(full, judge(store, full).stored())
        cfg = config_mod.from_dict({"site": {"name": "bench", "agency": "台灣自來水公司第一區管理處",
                                             "start_urls": ["https://www.example.gov.tw/"]},
                                    "publish": {"identifier": "313221200K", "theme": "770", "cake": "C21",
                                                "service": "E41"}})
        now = dt.datetime(2026, 12, 31, 12, 0, tzinfo=TAIPEI)
        with Store(db, create=False) as store:
            t0 = time.perf_counter()
            runs = store.runs_between("bench", *dossier.year_span(2026))
            trends = dossier.trends(runs)
            read = time.perf_counter() - t0
            t0 = time.perf_counter()
            out = Path(tmp) / "pack"
            files = dossier.build(store, cfg, "bench", 2026, lambda r: judge(store, r), out, find_browser(), now)
            took = time.perf_counter() - t0
        size = sum(p.stat().st_size for p in files)
        print(f"{len(runs)} runs of the year, trend of {len(trends)} items read in {read:.2f} s")
        print(f"pack of {args.pages} pages / {args.findings} findings: {took:.1f} s, {len(files)} files, "
              f"{size / 1e6:.1f} MB")
        for p in sorted(files, key=lambda p: -p.stat().st_size)[:6]:
            print(f"  {p.stat().st_size / 1e6:8.2f} MB  {p.relative_to(out)}")


if __name__ == "__main__":
    main()
