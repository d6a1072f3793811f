"""Site search is judged only on a real answer: a form that cannot search (empty action, only script-driven
buttons) is "could not be tried", with the reason, never a "no results" page and never a pass."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

from conftest import run_cli, write_config
from siteaudit.demo.server import send


def _page(title: str, body: str) -> str:
    return f'<html lang="zh-Hant"><head><title>{title}</title></head><body><h1>{title}</h1>{body}</body></html>'


def _audit(tmp_path, server):
    cfg = write_config(tmp_path / "c.toml", server.base, tmp_path / "s.sqlite3", crawl={"sitemaps": False},
                       extra=f'[checks.essentials]\nhttps_url = "{server.base}/"\n')
    run_cli("audit", "--config", str(cfg), "--checks", "essentials", "--out", str(tmp_path / "out"))
    return json.loads((tmp_path / "out" / "findings.json").read_text(encoding="utf-8"))


def test_a_form_that_cannot_search_is_not_tried_and_not_read_as_no_results(tmp_path, serve):
    form = ('<form action="" method="get" role="search"><input name="q" title="關鍵字">'
            '<button type="button" onclick="siteSearch(this.form)">搜尋</button></form>')
    (tmp_path / "index.html").write_text(_page("首頁", form), encoding="utf-8")
    doc = _audit(tmp_path, serve(tmp_path))
    rules = {f["rule"]: f for f in doc["findings"]}
    assert not {"search-no-results", "search-no-help", "search-broken"} & set(rules), sorted(rules)
    untried = rules["search-untried"]
    assert "action" in untried["evidence"]["reason_en"] and "script" in untried["evidence"]["reason_en"]
    assert "action 為空" in untried["message"] and untried["message_en"].startswith("Site search could not be tried")
    summary = doc["summary"]["essentials"]
    assert summary["search"]["tried"] is False and summary["status"] != "pass"
    item = next(i for i in doc["inspection"] if i["id"] == "essentials")
    assert item["status"] != "pass"


def test_a_search_answered_on_its_own_page_with_results_is_judged(tmp_path, serve):
    form = '<form action="/" method="get" role="search"><input name="q" title="關鍵字"><button>搜尋</button></form>'

    def home(handler):
        q = parse_qs(urlsplit(handler.path).query).get("q", [""])[0]
        found = (f"<ul><li><a href='/w.html'>{q}價</a></li></ul>" if "水" in q
                 else "<p>查無資料，建議改用其他關鍵字。</p>") if q else ""
        send(handler, 200, _page("首頁", form + found).encode())

    server = serve(tmp_path, {"/": home})
    doc = _audit(tmp_path, server)
    rules = {f["rule"] for f in doc["findings"]}
    assert not {"search-untried", "search-no-results", "search-no-help", "search-broken"} & rules, sorted(rules)
    assert doc["summary"]["essentials"]["search"]["tried"] is True
