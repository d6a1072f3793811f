"""How big report.html gets and how fast Chromium opens it for a large run (not a timed test).

Builds a stored run of PAGES pages and FINDINGS findings in a temporary store (per-page metadata findings
with a handful of causes, plus broken links each on its own URL), renders report.html as `siteaudit report`
does, and loads it in headless Chromium. Prints the size, the render time and Chromium's load time.

    .venv/bin/python bench/report_render.py [--pages 5000] [--findings 5000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from selenium import webdriver

from siteaudit.core.browser import chromedriver_service, chromium_options, find_browser
from siteaudit.core.store import Store
from siteaudit.reports.render import write_outputs
from siteaudit.verdict.judge import judge

BASE = "https://www.example.gov.tw"
CAUSES = [("metadata", "unlisted-code", "warning", "分類代碼不在（未完整的）代碼表中：Category.Theme"),
          ("metadata", "unlisted-code", "warning", "分類代碼不在（未完整的）代碼表中：Category.Service"),
          ("metadata", "blank-optional-field", "notice", "詮釋資料欄位空白（允許）：DC.Relation"),
          ("metadata", "missing-field", "error", "缺少必要的詮釋資料欄位：DC.Date")]


def long_url(url: str, length: int) -> str:
    """`url` with a query string that makes it `length` characters long (as a CMS's list pages often are)."""
    pad = length - len(url) - len("?q=")
    return f"{url}?q={'x' * pad}" if pad > 0 else url


def build(store: Store, pages: int, findings: int, url_length: int = 0, broken_share: float = 0.1,
          link_pages: int = 3) -> int:
    """A complete run of `pages` pages and `findings` findings: `broken_share` of them broken links, each found
    on `link_pages` pages, the rest per page; with `url_length`, every URL that long."""
    run_id = store.create_run("bench", {"site": {"agency": "台灣自來水公司第一區管理處", "start_urls": [BASE + "/"]}},
                              "bench", {"siteaudit": "bench"})
    urls = [long_url(f"{BASE}/news/{i}.html", url_length) for i in range(pages)]
    store.begin()
    for i, url in enumerate(urls):
        store.insert_page(run_id, {"url": url, "status": 200, "is_html": 1, "title": f"頁面 {i}", "depth": 1,
                                   "content_type": "text/html", "fetched": 1}, [])
    store.commit()
    rows = []
    broken = int(findings * broken_share)
    for i in range(broken):
        rows.append({"check": "links", "rule": "broken-link", "severity": "error",
                     "url": long_url(f"{BASE}/old/{i}.pdf", url_length),
                     "pages": [urls[(i + k) % pages] for k in range(link_pages)], "message": "連結失效：HTTP 404",
                     "evidence": {"status": 404, "referrers": [{"page": urls[i % pages], "text": f"附件 {i}"}]}})
    for i in range(findings - broken):
        check, rule, severity, message = CAUSES[i % len(CAUSES)]
        url = urls[i % pages]
        rows.append({"check": check, "rule": rule, "severity": severity, "url": url, "pages": [url],
                     "message": message, "evidence": {"fields": [{"field": message.rsplit("：", 1)[-1]}]}})
    store.replace_findings(run_id, rows)
    store.finish_run(run_id, "complete", {"links": {"status": "fail", "links": pages * 40, "broken": broken},
                                          "metadata": {"status": "fail", "pass_rate": 12.5, "html_pages": pages}})
    return run_id


def load_seconds(html: Path) -> float:
    """Seconds from navigation start to the load event of `html` in headless Chromium."""
    paths = find_browser()
    with tempfile.TemporaryDirectory() as profile:
        driver = webdriver.Chrome(service=chromedriver_service(paths, profile), options=chromium_options(paths))
        try:
            driver.get(html.as_uri())
            ms = driver.execute_script("const t = performance.getEntriesByType('navigation')[0];"
                                       "return t.loadEventEnd - t.startTime;")
        finally:
            driver.quit()
    return ms / 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=5000)
    parser.add_argument("--findings", type=int, default=5000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="siteaudit-bench-") as tmp:
        store = Store(Path(tmp) / "s.sqlite3")
        run_id = build(store, args.pages, args.findings)
        t0 = time.perf_counter()
        verdict = judge(store, run_id)
        write_outputs(store, run_id, Path(tmp), verdict, formats=("html",))
        rendered = time.perf_counter() - t0
        html = Path(tmp) / "report.html"
        size = html.stat().st_size
        print(f"pages {args.pages}, findings {args.findings}: report.html {size / 1e6:.2f} MB "
              f"(limit 5 MB), rendered in {rendered:.1f} s, Chromium load {load_seconds(html):.2f} s (limit 2 s)")
        store.close()


if __name__ == "__main__":
    main()
