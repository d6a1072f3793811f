"""The nightly incremental re-audit: every page is requested again with the last run's validators, unchanged pages
are carried over, and the browser loads only pages whose HTML or CSS/JS changed; a full run when reuse is not
safe. Real HTTP on loopback, real Chromium."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from conftest import NOW, as_of, run_cli, write_config
from siteaudit.core.store import Store
from siteaudit.demo.server import SiteServer, send, set_file_times

LATER = NOW + timedelta(hours=1)  # when a file of the fixture site is edited
PAGE = ('<!doctype html><html lang="zh-Hant"><head><meta charset="utf-8"><title>{title}</title>{css}</head>'
        '<body><header><a href="#main" accesskey="C" title="中央內容區塊">:::</a></header><main id="main">'
        '<h1>{title}</h1>{body}<nav><a href="index.html">首頁</a> <a href="a.html">甲</a> <a href="b.html">乙</a> '
        '<a href="c.html">丙</a> <a href="gone.html">說明</a> <a href="static.html">固定頁</a> <a href="report.pdf">年報（PDF，1KB）</a></nav></main>'
        '</body></html>')
STATIC = PAGE.format(title="固定頁", css="", body="<p>由程式產生，不理會條件式請求。</p>").encode()


def page(title: str, css: str = "site.css", body: str = "<p>內容</p>") -> str:
    link = f'<link rel="stylesheet" href="{css}">' if css else ""
    return PAGE.format(title=title, css=link, body=body)


def build_site(root: Path) -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / "index.html").write_text(page("首頁"), encoding="utf-8")
    (root / "a.html").write_text(page("甲"), encoding="utf-8")
    (root / "b.html").write_text(page("乙"), encoding="utf-8")
    (root / "c.html").write_text(page("丙", css="other.css"), encoding="utf-8")
    (root / "gone.html").write_text(page("說明", css=""), encoding="utf-8")
    (root / "report.pdf").write_bytes(b"%PDF-1.4\n% fixture\n%%EOF\n")
    (root / "site.css").write_text("body { color: #222; }\n", encoding="utf-8")
    (root / "other.css").write_text("body { color: #333; }\n", encoding="utf-8")
    set_file_times(root, NOW)


def static_route(handler: Any) -> None:
    """A generated page that ignores If-Modified-Since and sends no validators: always 200, the same body."""
    send(handler, 200, STATIC)


class Site:
    """The fixture site, its config and store, and the audits run against it."""

    def __init__(self, root: Path, server: SiteServer, extra: str = "") -> None:
        self.root, self.server = root, server
        self.store = root.parent / "store.sqlite3"
        self.config = write_config(root.parent / "site.toml", server.base, self.store, crawl={"sitemaps": False},
                                   extra=as_of("accessibility") + extra)
        self.runs = 0

    def audit(self, *args: str) -> dict[str, Any]:
        """One audit (links and accessibility); its findings.json, stderr and the GETs the server saw."""
        self.runs += 1
        out = self.root.parent / f"out{self.runs}"
        before = len(self.server.requests)
        result = run_cli("audit", "--config", str(self.config), "--checks", "links,accessibility", "--out", str(out),
                         *args)
        findings = json.loads((out / "findings.json").read_text(encoding="utf-8"))
        gets = Counter(path.split("?")[0] for method, path in self.server.requests[before:] if method == "GET")
        return {"result": result, "findings": findings, "gets": gets, "out": out,
                "ids": {f["id"] for f in findings["findings"]}, "a11y": findings["summary"]["accessibility"]}

    def edit(self, name: str, text: str) -> None:
        (self.root / name).write_text(text, encoding="utf-8")
        set_file_times(self.root / name, LATER)

    def tested_in(self, run_id: int) -> dict[str, int]:
        """Page path -> the run whose browser produced its accessibility result, for run `run_id`."""
        with Store(self.store, create=False) as store:
            return {url.rsplit("/", 1)[1]: row["tested_run"]
                    for url, row in store.a11y_tests(run_id).items()}

    def revalidated(self, run_id: int) -> dict[str, str | None]:
        db = sqlite3.connect(self.store)
        try:
            return {url.rsplit("/", 1)[1]: how for url, how in db.execute(
                "SELECT url, revalidated FROM pages WHERE run_id=? AND is_html=1 UNION ALL "
                "SELECT url, revalidated FROM resources WHERE run_id=? AND kind='document'", (run_id, run_id))}
        finally:
            db.close()


@pytest.fixture
def site(tmp_path: Path, serve: Any) -> Site:
    root = tmp_path / "www"
    build_site(root)
    return Site(root, serve(root, {"/static.html": static_route}))


PAGES = {"", "index.html", "a.html", "b.html", "c.html", "gone.html", "static.html"}


def browser_loads(gets: Counter[str]) -> set[str]:
    """Pages the browser loaded: the crawl GETs each page once, the browser a second time (and its CSS)."""
    return {p.lstrip("/") for p, n in gets.items() if n > 1 and p.lstrip("/") in PAGES}


def test_an_unchanged_site_is_carried_over_without_a_browser_load_and_gives_the_same_findings(site: Site):
    first = site.audit()
    assert first["result"].returncode in (0, 1), first["result"].stderr
    assert "full run: no earlier run of this site" in first["result"].stderr
    assert first["a11y"]["pages_tested"] == 7 and first["a11y"]["pages_tested_fresh"] == 7
    assert "siteaudit: accessibility: 1/7 pages tested in the browser (14%), about" in first["result"].stderr
    assert "siteaudit: accessibility: 7/7 pages tested in the browser (100%)\n" in first["result"].stderr

    second = site.audit()
    assert "incremental run against run 1" in second["result"].stderr
    assert "pages tested in the browser" not in second["result"].stderr
    assert second["ids"] == first["ids"]
    assert set(site.revalidated(2).values()) <= {"not-modified", "same-body"}
    assert site.revalidated(2)["static.html"] == "same-body"  # the server ignores conditional requests
    assert site.revalidated(2)["a.html"] == "not-modified"
    assert not browser_loads(second["gets"]) and not any(p.endswith(".css") for p in second["gets"])
    assert {p.lstrip("/") for p in second["gets"]} >= {"a.html", "b.html", "c.html", "gone.html"}  # still asked
    assert second["a11y"]["pages_tested_fresh"] == 0 and second["a11y"]["pages_reused"] == 7
    assert second["a11y"]["reused_from"][0]["run"] == 1
    assert set(site.tested_in(2).values()) == {1}
    run = second["findings"]["run"]
    assert run["plan"]["mode"] == "incremental" and run["plan"]["base_run"] == 1
    assert site.revalidated(2)["report.pdf"] == "not-modified"  # a document is revalidated too
    assert run["reuse"] | {"carried_from": None} == {"pages_fetched": 0, "pages_not_modified": 6, "pages_same_body": 1,
                                                   "documents_not_modified": 1, "carried_from": None}
    report = (second["out"] / "report.html").read_text(encoding="utf-8")
    assert "增量稽核：與第 1 次" in report and "6 頁未變更沿用" not in report and "7 頁未變更沿用" in report
    assert "沿用結果：第 1 次" in report and "頁面資料 0 頁本次下載解析，7 頁未變更，沿用第 1 次的解析結果" in report
    assert second["findings"]["summary"]["links"]["page_data"] == {"pages_parsed": 0, "pages_carried": 7,
                                                                   "carried_from": [{"run": 1, "pages": 7}]}
    assert "page_data" not in first["findings"]["summary"]["links"]  # a full run: everything parsed now


def test_an_edited_page_alone_is_retested_and_a_removed_page_reported_broken(site: Site):
    first = site.audit()
    site.edit("b.html", page("乙", body='<p>新內容</p><img src="x.png">'))
    (site.root / "gone.html").unlink()
    second = site.audit()
    assert browser_loads(second["gets"]) == {"b.html"}
    assert site.revalidated(2)["b.html"] is None and site.revalidated(2)["a.html"] == "not-modified"
    tested = site.tested_in(2)
    assert tested["b.html"] == 2 and all(run == 1 for name, run in tested.items() if name != "b.html")
    assert "gone.html" not in tested
    new = [f for f in second["findings"]["findings"] if f["id"] not in first["ids"]]
    assert any(f["rule"] == "axe-image-alt" and f["url"].endswith("/b.html") for f in new), new
    assert any(f["check"] == "links" and f["url"].endswith("/gone.html") for f in new), new
    assert all(f["url"].endswith(("/b.html", "/gone.html", "/x.png")) for f in new), new
    assert second["a11y"]["pages_tested_fresh"] == 1 and second["a11y"]["pages_reused"] == 5


def test_a_changed_stylesheet_retests_the_pages_that_load_it(site: Site):
    site.audit()
    site.edit("site.css", "body { color: #999; background: #fff; }\n")
    second = site.audit()
    tested = site.tested_in(2)
    assert {name for name, run in tested.items() if run == 2} == {"", "index.html", "a.html", "b.html"}
    assert browser_loads(second["gets"]) == {"", "index.html", "a.html", "b.html"}
    assert second["a11y"]["retested_because"] == {"changed": 4}


def test_full_reparses_and_retests_everything(site: Site):
    site.audit()
    second = site.audit("--full")
    assert "full run: --full" in second["result"].stderr
    assert set(site.revalidated(2).values()) == {None}
    assert browser_loads(second["gets"]) == PAGES
    assert set(site.tested_in(2).values()) == {2}
    assert second["a11y"]["pages_reused"] == 0


def test_a_result_past_max_age_is_retested(tmp_path: Path, serve: Any):
    root = tmp_path / "www"
    build_site(root)
    site = Site(root, serve(root, {"/static.html": static_route}), extra="[incremental]\nmax_age_days = 0\n")
    site.audit()
    second = site.audit()
    assert "incremental run" in second["result"].stderr  # pages are still carried over
    assert set(site.revalidated(2).values()) <= {"not-modified", "same-body"}
    assert set(site.tested_in(2).values()) == {2}
    assert second["a11y"]["retested_because"] == {"expired": 7} and second["a11y"]["max_age_days"] == 0
    report = (second["out"] / "report.html").read_text(encoding="utf-8")
    assert "重新檢測：結果超過 0 天 7 頁（結果最長沿用 0 天）" in report


def test_an_incomplete_last_run_or_another_config_gives_a_full_run_and_says_why(site: Site):
    site.audit()
    with Store(site.store, create=False) as store:
        store.finish_run(1, "interrupted", error="killed")
    second = site.audit()
    assert "full run: the last run (1) is interrupted, not complete" in second["result"].stderr
    assert set(site.revalidated(2).values()) == {None}
    site.config.write_text(site.config.read_text(encoding="utf-8").replace("[crawl]", "[crawl]\nmax_depth = 9"),
                           encoding="utf-8")
    third = site.audit()
    assert "full run: the config changed since the last run (2)" in third["result"].stderr
    fourth = site.audit()
    assert "incremental run against run 3" in fourth["result"].stderr
    listed = run_cli("runs", "--store", str(site.store)).stdout.splitlines()
    assert "incremental<3" in listed[0] and " full " in listed[1]
