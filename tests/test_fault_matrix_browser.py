"""The fault matrix, in the browser: pages and servers that could make the accessibility check pass without
testing. Real headless Chromium and real HTTP on 127.0.0.1.

- A page that calls alert(), confirm() or prompt() while it loads, or while axe runs, is tested like any other:
  the dialog is accepted as a person clicking OK would, and it is a finding of its own.
- A page that hangs the browser is cut at its time budget, the browser is killed (nothing left running) and
  restarted, the other pages are tested, and the inspection item is 未完成, naming the page, never 通過.
- A server that answers 304 to conditional requests never sees one from the browser (its cache is off), so axe
  never tests an empty document.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from lxml import html as lxml_html

from conftest import as_of, audit_fixture, run_cli, write_config
from siteaudit.core.browser import find_browser
from siteaudit.demo.server import redirect, send
from siteaudit.demo.site import PNG_1PX

# A page with its skip link and accesskey anchor, and one without them (the template missing both).
PAGE = """<!DOCTYPE html><html lang="zh-Hant"><head><title>{title}</title>{head}</head><body>
<header><a href="#main">跳到主要內容區塊</a> <a href="#main" accesskey="C" title="中央內容區塊"
style="display:inline-block;min-width:24px;min-height:24px">:::</a></header>
<main id="main"><h1>{title}</h1>{body}</main></body></html>"""
BARE = """<!DOCTYPE html><html lang="zh-Hant"><head><title>{title}</title>{head}</head><body>
<main><h1>{title}</h1>{body}</main></body></html>"""
MARK = ('<p><a href="https://accessibility.moda.gov.tw/Applications/Detail?category=20250301120000">'
        '<img src="/pic.png" width="88" height="31" alt="通過AA無障礙網頁檢測"></a></p>')
ALERT_TEXT = '歡迎光臨 <b onmouseover="x">本處網站</b> & "公告"'


def page(title: str, body: str = "<p>內容</p>", head: str = "", bare: bool = False) -> str:
    return (BARE if bare else PAGE).format(title=title, body=body, head=head)


def write_site(root: Path, pages: dict[str, str]) -> None:
    """`pages` plus an index linking to every one of them, and the picture they show."""
    (root / "pic.png").write_bytes(PNG_1PX)
    for name, html in pages.items():
        (root / name).write_text(html, encoding="utf-8")
    links = "".join(f'<li><a href="/{n}" style="display:inline-block;min-height:24px">{n}</a></li>' for n in pages)
    (root / "index.html").write_text(page("首頁", f"<ul>{links}</ul>{MARK}"), encoding="utf-8")


def item(doc: dict[str, Any], item_id: str) -> dict[str, Any]:
    return next(i for i in doc["inspection"] if i["id"] == item_id)


def rules_on(doc: dict[str, Any], name: str) -> set[str]:
    """The accessibility rules whose findings list page `name`."""
    return {f["rule"] for f in doc["findings"] if f["check"] == "accessibility"
            and any(p.endswith("/" + name) for p in f["pages"])}


def session_processes(sid: int) -> list[str]:
    """Live processes of session `sid` (the audit's: chromedriver and every browser process it started)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            name = (entry / "comm").read_text().strip()
        except (OSError, IndexError):
            continue
        if fields[0] not in ("Z", "X") and int(fields[3]) == sid:
            found.append(f"{entry.name} {name}")
    return found


def timed_audit(root: Path, base: str, extra: str, site: dict[str, Any] | None = None
                ) -> tuple[subprocess.CompletedProcess[str], dict[str, Any], float, list[str]]:
    """Audit with the accessibility check in a session of its own: the CLI's result, findings.json, the wall
    time, and the processes of that session still alive once the audit has exited (then killed)."""
    cfg = write_config(root / "c.toml", base, root / "s.sqlite3", crawl={"sitemaps": False}, site=site,
                       extra=extra)
    started = time.monotonic()
    cli = subprocess.Popen([sys.executable, "-m", "siteaudit", "audit", "--config", str(cfg), "--checks",
                            "accessibility", "--out", str(root / "out")], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = cli.communicate(timeout=300)
        wall = time.monotonic() - started
        left = session_processes(cli.pid)
    finally:
        try:
            os.killpg(cli.pid, signal.SIGKILL)  # whatever the audit left running, as a process group
        except OSError:
            pass
        cli.wait()
    result = subprocess.CompletedProcess(cli.args, cli.returncode, out, err)
    findings = root / "out" / "findings.json"
    assert findings.exists(), err
    return result, json.loads(findings.read_text(encoding="utf-8")), wall, left


@pytest.fixture(autouse=True)
def browser_installed() -> None:
    assert not find_browser().missing, "chromium and chromedriver must be installed (scripts/setup.sh)"


# -- JavaScript dialogs ---------------------------------------------------------------------------------------
def test_pages_that_alert_or_confirm_on_load_are_tested_and_the_dialog_is_a_finding(tmp_path, serve):
    alert = json.dumps(ALERT_TEXT)
    write_site(tmp_path, {
        "alert.html": page("公告", '<img src="/pic.png" width="10" height="10">',
                           f"<script>alert({alert});</script>", bare=True),
        "confirm.html": page("確認", '<p style="color:#ccc;background:#fff">淺灰色的字</p>',
                             "<script>if (!confirm('確定要進入本網站？')) document.title = '';</script>", bare=True),
    })
    server = serve(tmp_path)
    result, doc = audit_fixture(tmp_path, server.base, "accessibility",
                                extra=as_of("accessibility") + "workers = 1\npage_timeout = 20\n")
    summary = doc["summary"]["accessibility"]
    assert (summary["pages_tested"], summary["pages_not_tested"]) == (3, 0), summary
    assert "page-not-tested" not in {f["rule"] for f in doc["findings"]}
    # their own violations are found: the confirm was answered OK, so the page kept its title
    assert {"axe-image-alt", "js-dialog-on-load"} <= rules_on(doc, "alert.html")
    assert {"axe-color-contrast", "js-dialog-on-load"} <= rules_on(doc, "confirm.html")
    assert "axe-document-title" not in rules_on(doc, "confirm.html")
    dialogs = {f["evidence"]["dialog"]: f for f in doc["findings"] if f["rule"] == "js-dialog-on-load"}
    assert dialogs["alert"]["evidence"]["text"] == ALERT_TEXT and dialogs["alert"]["severity"] == "warning"
    assert dialogs["confirm"]["evidence"]["text"] == "確定要進入本網站？"
    assert dialogs["alert"]["evidence"]["wcag"] == ["2.2.4"]
    # the template checks counted over the tested pages see them again
    for rule in ("missing-skip-link", "missing-accesskey"):
        pages = next(f["pages"] for f in doc["findings"] if f["rule"] == rule)
        assert sorted(p.rsplit("/", 1)[-1] for p in pages) == ["alert.html", "confirm.html"]
    assert item(doc, "accessibility")["status"] == "fail" and result.returncode == 1
    # the dialog's text is the page's: escaped in the report
    report = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "本處網站" in report and '<b onmouseover="x">' not in report and "&lt;b onmouseover=" in report
    english = run_cli("report", "latest", "--store", str(tmp_path / "s.sqlite3"), "--out", str(tmp_path / "en"),
                      "--lang", "en", "--format", "html")
    assert english.returncode == 0, english.stderr
    rows = lxml_html.fromstring((tmp_path / "en" / "report.html").read_bytes()).xpath(
        "//div[@id='accessibility-js-dialog-on-load']//tr/td[3]")
    assert sorted(r.text_content() for r in rows) == [
        f"The page raises a JavaScript dialog (alert, confirm, prompt) nobody asked for: alert()「{ALERT_TEXT}」",
        "The page raises a JavaScript dialog (alert, confirm, prompt) nobody asked for: confirm()「確定要進入本網站？」"]


def test_dialogs_raised_again_and_again_while_axe_runs_are_accepted_and_the_page_tested(tmp_path, serve):
    from siteaudit.checks.browser import Browser

    many = "".join(f'<p><a href="/p{i}.html">第 {i} 則公告</a> <img src="/pic.png" alt=""></p>' for i in range(400))
    nagging = ("<script>window.addEventListener('load', function () {"
               " setInterval(function () { alert('提醒'); }, 20);"
               " setTimeout(function () { prompt('請輸入姓名', '訪客'); }, 5); });</script>")
    (tmp_path / "pic.png").write_bytes(PNG_1PX)
    (tmp_path / "nag.html").write_text(page("公告", many + '<img src="/pic.png">', nagging), encoding="utf-8")
    (tmp_path / "plain.html").write_text(page("一般", '<img src="/pic.png">'), encoding="utf-8")
    server = serve(tmp_path)
    browser = Browser(find_browser(), timeout=60)
    try:
        nagged = browser.audit(f"{server.base}/nag.html")
        plain = browser.audit(f"{server.base}/plain.html")  # the same browser goes on
    finally:
        browser.stop()
    assert "image-alt" in {v["id"] for v in nagged["violations"]}
    assert nagged["dialog_count"] >= 3
    assert {"type": "prompt", "message": "請輸入姓名"} in nagged["dialogs"] and len(nagged["dialogs"]) <= 10
    assert "image-alt" in {v["id"] for v in plain["violations"]} and "dialogs" not in plain


def test_a_dialog_the_last_page_raises_as_the_next_one_loads_is_not_the_next_pages(tmp_path, serve):
    from siteaudit.checks.browser import Browser

    ticking = "<script>window.addEventListener('load', function () { setInterval(function () { alert('滴答'); }, 5); });</script>"
    (tmp_path / "tick.html").write_text(page("計時", head=ticking), encoding="utf-8")
    (tmp_path / "plain.html").write_text(page("一般"), encoding="utf-8")
    server = serve(tmp_path)
    browser = Browser(find_browser(), timeout=30)
    try:
        for _ in range(3):  # the alert that holds the tab as the next page loads: the browser starts again
            ticked = browser.audit(f"{server.base}/tick.html")
            plain = browser.audit(f"{server.base}/plain.html")
            assert "dialogs" not in plain and plain["violations"] == []
            assert {d["message"] for d in ticked.get("dialogs", [])} <= {"滴答"}
    finally:
        browser.stop()


# -- a page that hangs the browser ----------------------------------------------------------------------------
BUDGET = 6  # seconds a page may take; a restarted browser's first page keeps a margin under load


def test_a_page_that_hangs_the_browser_is_cut_at_its_budget_and_the_item_is_incomplete(tmp_path, serve):
    huge = "<div>" + "<span>字</span>" * 150_000 + "</div>"
    write_site(tmp_path, {
        "busy.html": page("忙碌", head="<script>window.addEventListener('load', function () {"
                                       " setTimeout(function () { while (true) {} }, 0); });</script>"),
        "huge.html": page("巨大", huge),
        "p1.html": page("一"),
        "p2.html": page("二"),
    })
    server = serve(tmp_path)
    result, doc, wall, left = timed_audit(tmp_path, server.base, as_of("accessibility")
                                          + f"workers = 1\npage_timeout = {BUDGET}\n")
    summary = doc["summary"]["accessibility"]
    untested = {u["url"].rsplit("/", 1)[-1]: u["reason"] for u in summary["not_tested"]}
    assert untested == {"busy.html": f"timeout after {BUDGET} s", "huge.html": f"timeout after {BUDGET} s"}
    # the pages after them were tested, one browser at a time: by a restarted browser
    assert summary["pages_tested"] == 3 and summary["pages_not_tested"] == 2
    assert not [f for f in doc["findings"] if f["severity"] == "error"]
    # two pages at their budget, the crawl, three browser starts and the reports (about 13 s here); before,
    # the busy page alone held the audit for minutes
    assert wall < 2 * BUDGET * 2 + 30, wall
    assert left == [], left
    testing = item(doc, "accessibility")
    assert testing["status"] == "incomplete"
    assert "2 頁未能檢測" in testing["measured_zh"] and f"/busy.html（逾時，{BUDGET} 秒內未完成）" in testing["measured_zh"]
    assert f"/huge.html (timeout after {BUDGET} s)" in testing["measured_en"]
    assert doc["status"] == "incomplete" and result.returncode == 1
    last = result.stdout.strip().splitlines()[-1]
    assert "incomplete" in last and "accessibility incomplete: 2 pages not tested" in last
    report = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert f"/busy.html（逾時，{BUDGET} 秒內未完成）" in report and "未完成" in report


def test_a_waived_violation_leaves_an_untested_page_undecided(tmp_path, serve):
    write_site(tmp_path, {
        "busy.html": page("忙碌", '<img src="/pic.png">', "<script>window.addEventListener('load', function () {"
                                                          " setTimeout(function () { while (true) {} }, 0); });</script>"),
        "alt.html": page("圖片", '<img src="/pic.png">'),
    })
    (tmp_path / "waivers.toml").write_text(
        '[[waiver]]\ncheck = "accessibility"\nrule = "axe-image-alt"\nurl_pattern = ".*"\nreason = "已排入改版"\n'
        'accepted_by = "資訊小組"\nexpires = 2099-12-31\n', encoding="utf-8")
    server = serve(tmp_path)
    result, doc, _, left = timed_audit(tmp_path, server.base, as_of("accessibility")
                                       + f"workers = 1\npage_timeout = {BUDGET}\n",
                                       site={"waivers": str(tmp_path / "waivers.toml")})
    assert left == []
    assert [u["url"].rsplit("/", 1)[-1] for u in doc["summary"]["accessibility"]["not_tested"]] == ["busy.html"]
    assert item(doc, "accessibility")["status"] == "incomplete"  # not 通過: the waiver tested nothing
    assert doc["status"] == "incomplete" and result.returncode == 1


# -- a server answering 304 -----------------------------------------------------------------------------------
def test_the_browser_never_sends_conditional_requests_so_a_304_server_cannot_empty_a_page(tmp_path, serve):
    from siteaudit.checks.accessibility import CHECK

    conditional: list[str] = []
    html = page("網頁", '<p class="x">內容</p>', '<link rel="stylesheet" href="/s.css">').encode()

    def validated(body: bytes, ctype: str) -> Any:
        """200 with validators and no-cache (revalidate every time); 304 to any conditional request."""
        def route(handler: Any) -> None:
            if handler.headers.get("If-None-Match") or handler.headers.get("If-Modified-Since"):
                conditional.append(handler.path)
                send(handler, 304, b"", {"ETag": '"v1"'})
                return
            send(handler, 200, body, {"ETag": '"v1"', "Cache-Control": "no-cache",
                                      "Last-Modified": "Mon, 02 Nov 2026 08:00:00 GMT"}, content_type=ctype)
        return route

    server = serve(tmp_path, {"/p.html": validated(html, "text/html; charset=utf-8"),
                              "/s.css": validated(b".x { color: #333; }", "text/css"),
                              "/again.html": redirect("/p.html", 302)})
    opts = {**CHECK.options, "workers": 1, "page_timeout": 20}
    # the same page reached by two URLs, one browser: the second load finds it in the cache
    results, not_tested, _ = CHECK.test_pages([f"{server.base}/p.html", f"{server.base}/again.html"],
                                              find_browser(), opts)
    assert not_tested == {}
    assert conditional == []
    for result in results.values():
        assert not {"html-has-lang", "document-title"} & {v["id"] for v in result["violations"]}
