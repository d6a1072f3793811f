"""Fault matrix: the tool audited against hostile sites on 127.0.0.1.

One row per fault. Each row starts its hostile routes, runs the CLI and checks the exit code, that the outputs
were written (when the site could be crawled), the finding or store record the fault must produce, and, where
the fault is about memory or hanging, the audit's peak memory and wall time.
"""

from __future__ import annotations

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
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from conftest import write_config
from siteaudit.core.fetchpolicy import address_class, refusal, site_classes
from siteaudit.demo.server import redirect, send

HTML = "text/html; charset=utf-8"


def page(title: str, body: str = "") -> bytes:
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
    body = page("短少", '<a href="/after-loss.html">後續</a>')
    handler.send_response(200)
    handler.send_header("Content-Type", HTML)
    handler.send_header("Content-Length", str(len(body) + 5000))
    handler.end_headers()
    handler.wfile.write(body)
    handler.wfile.flush()
    handler.close_connection = True


def reset_mid_body(handler: Any) -> None:
    """Half a body, then a TCP reset."""
    body = page("重設", "x" * 2000)
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
    first = page("分塊", "ok")
    handler.wfile.write(b"%x\r\n%s\r\nzz-not-a-size\r\n" % (len(first), first))
    handler.wfile.flush()
    handler.close_connection = True


def calendar(handler: Any) -> None:
    """A calendar whose every day links the next one."""
    from datetime import date, timedelta
    from urllib.parse import parse_qs, urlsplit

    day = date.fromisoformat(parse_qs(urlsplit(handler.path).query)["d"][0])
    send(handler, 200, page(f"行事曆 {day}", f'<a href="/cal?d={day + timedelta(days=1)}">下一天</a>'))


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
class Case:
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
    assert "<th>在期限內</th><td>—</td>" in report


def expect_resume_reads_sitemap(ctx: dict[str, Any], doc: dict[str, Any]) -> None:
    got = rows(ctx)
    assert got[ctx["base"] + "/orphan.html"]["status"] == 200
    assert got[ctx["base"] + "/orphan.html"]["found_on"].endswith("/sitemap.xml")


SEARCH_HOME = '<form action="/search" role="search"><input name="q"></form><a href="/ok.html">正常</a>'
NETWORK = "[checks.essentials]\nnetwork = true\n"

CASES = [
    Case("redirect-to-file-scheme",
         '<a href="/go-file">內部</a><a href="http://localhost:{port}/ext-file">外部</a>',
         lambda base: {"/go-file": redirect("file:///etc/passwd", 302), "/ext-file": redirect("file:///etc/passwd")},
         expect=expect_file_redirects),
    Case("redirect-to-dev-zero", '<a href="/zero">零</a>', lambda base: {"/zero": redirect("file:///dev/zero", 302)},
         expect=expect_dev_zero, max_seconds=40, max_rss_mb=600),
    Case("redirect-to-javascript", '<a href="/go-js">腳本</a>', lambda base: {"/go-js": redirect("javascript:x", 302)},
         expect=expect_javascript),
    Case("internal-addresses-refused",
         '<a href="/go-metadata">中繼資料</a><a href="http://10.0.0.1/">內網</a><a href="/ok.html">正常</a>',
         lambda base: {"/go-metadata": redirect("http://169.254.169.254/latest/meta-data/", 302)},
         expect=expect_internal_addresses),
    Case("search-results-endless", SEARCH_HOME, lambda base: {"/search": endless},
         checks="essentials", crawl={"max_page_bytes": 2_000_000}, extra=NETWORK,
         expect=expect_search_bounded("larger than"), max_seconds=60, max_rss_mb=600),
    Case("search-results-trickled", SEARCH_HOME, lambda base: {"/search": trickle},
         checks="essentials", crawl={"download_timeout": 2}, extra=NETWORK,
         expect=expect_search_bounded("within 2 s"), max_seconds=45),
    Case("robots-5xx-disallows-all", '<a href="/ok.html">正常</a>',
         lambda base: {"/robots.txt": lambda h: send(h, 500, b"oops")}, exit_codes=(3,), outputs=False,
         crawl={"retries": 0}, expect=expect_robots_5xx),
    Case("robots-4xx-allows-all", '<a href="/ok.html">正常</a>',
         lambda base: {"/robots.txt": lambda h: send(h, 404, b"none")}, expect=expect_robots_4xx),
    Case("sitemap-bomb", '<a href="/a.html">甲</a>',
         lambda base: {"/robots.txt": robots(f"User-agent: *\nSitemap: {base}/sm/0.xml\n"),
                       **{f"/sm/{n}.xml": sitemap_bomb for n in range(2000)}},
         crawl={"sitemaps": True, "max_sitemaps": 10, "max_sitemap_depth": 3}, expect=expect_sitemap_cut,
         max_seconds=40),
    Case("body-cut-short", '<a href="/short">短</a>', lambda base: {"/short": short_body},
         crawl={"retries": 0}, expect=expect_short_body),
    Case("connection-reset-mid-body", '<a href="/reset">重設</a>', lambda base: {"/reset": reset_mid_body},
         crawl={"retries": 0}, expect=expect_truncated("/reset")),
    Case("broken-chunked-body", '<a href="/chunked">分塊</a>', lambda base: {"/chunked": broken_chunked},
         crawl={"retries": 0}, expect=expect_truncated("/chunked")),
    Case("html-deeper-than-255", "<div>" * 400 + '<a href="/deep.html">深處</a>' + "</div>" * 400,
         lambda base: {"/deep.html": lambda h: send(h, 200, page("深處", "<div>" * 3000 + "底" + "</div>" * 3000))},
         expect=expect_deep_link),
    Case("calendar-trap-default-limits", '<a href="/cal?d=2026-11-26">行事曆</a>',
         lambda base: {"/cal": calendar}, expect=expect_calendar_cut, max_seconds=60),
    Case("freshness-without-dates", '<a href="/ok.html">正常</a>',
         lambda base: {"/": lambda h: send(h, 200, page("首頁", '<a href="/ok.html">正常</a>')),
                       "/ok.html": lambda h: send(h, 200, page("正常", "ok"))},
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


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_fault(case: Case, serve, tmp_path: Path) -> None:
    server = serve(tmp_path, {})
    base = server.base
    server.routes.update(case.routes(base))
    (tmp_path / "index.html").write_text(page("首頁", case.home.replace("{port}", str(server.port))).decode(),
                                         encoding="utf-8")
    (tmp_path / "ok.html").write_text(page("正常", "ok").decode(), encoding="utf-8")
    for name in ("a.html", "after-loss.html"):
        (tmp_path / name).write_text(page(name, "ok").decode(), encoding="utf-8")
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
    (tmp_path / "index.html").write_text(page("首頁", '<a href="/ok.html">正常</a>').decode(), encoding="utf-8")
    for name in ("ok.html", "orphan.html"):
        (tmp_path / name).write_text(page(name, "ok").decode(), encoding="utf-8")
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
