"""Faults in what siteaudit writes: a report too large to print, a full disk, output paths that cannot be
written, and control characters in names printed on the console.

Each test pins the one-line answer (exit code and message), that nothing is left half-written, and that what
could be written was.
"""

from __future__ import annotations

import os
import resource
import sqlite3
import subprocess
import sys
import threading
import time
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from conftest import judged_clean, run_cli, write_config
from services import REDIS_URL
from siteaudit.core.browser import PrintError, find_browser, process_tree
from siteaudit.core.store import Store
from siteaudit.reports.render import PRINT_ROWS, print_pdf

BASE = "https://www.example.gov.tw"


# -- a report too large to print ----------------------------------------------------------------------------
def long_url(path: str, length: int = 180) -> str:
    url = f"{BASE}{path}?q="
    return url + "x" * (length - len(url))


def stored_run(path: Path, broken: int, per_page: int, pages: int = 400) -> int:
    """A complete run with `broken` broken links, each on its own long URL and found on 8 pages, and
    `per_page` findings about the pages themselves (two causes)."""
    store = Store(path)
    run_id = store.create_run("big", {"site": {"agency": "台灣自來水公司第一區管理處", "start_urls": [BASE + "/"]}},
                              "cfg", {"siteaudit": "test"})
    urls = [long_url(f"/news/{i}.html") for i in range(pages)]
    store.begin()
    for i, url in enumerate(urls):
        store.insert_page(run_id, {"url": url, "status": 200, "is_html": 1, "title": f"頁 {i}", "depth": 1,
                                   "content_type": "text/html", "fetched": 1}, [])
    store.commit()
    findings = [{"check": "links", "rule": "broken-link", "severity": "error", "url": long_url(f"/old/{i}.pdf"),
                 "pages": [urls[(i + k) % pages] for k in range(8)], "message": "連結失效：HTTP 404",
                 "evidence": {"status": 404, "referrers": [{"page": urls[i % pages], "text": f"附件 {i}"}]}}
                for i in range(broken)]
    findings += [{"check": "metadata", "rule": "missing-field", "severity": "error", "url": urls[i % pages],
                  "pages": [urls[i % pages]], "message": f"缺少必要的詮釋資料欄位：DC.{('Date', 'Subject')[i % 2]}",
                  "evidence": {}} for i in range(per_page)]
    store.replace_findings(run_id, findings)
    store.finish_run(run_id, "complete", {"links": {"status": "fail", "broken": broken},
                                          "metadata": {"status": "fail", "pass_rate": 0.0, "html_pages": pages}})
    store.close()
    return run_id


def pdf_text(path: Path) -> list[str]:
    # Chromium's text layer maps some CJK glyphs to their compatibility forms (⾴ for 頁): compare as NFKC.
    return [unicodedata.normalize("NFKC", page.extract_text()) for page in PdfReader(path).pages]


@pytest.mark.parametrize("lang, folded_line, pages_line", [
    ("zh", "其餘 {n} 筆見 findings.csv", "其餘 3 頁見 findings.csv"),
    ("en", "{n} more in findings.csv", "3 more pages in findings.csv")])
def test_thousands_of_findings_print_a_few_pages_folded_into_findings_csv(tmp_path, lang, folded_line, pages_line):
    broken = 3000
    run_id = stored_run(tmp_path / "s.sqlite3", broken=broken, per_page=400)
    out = tmp_path / "out"
    started = time.monotonic()
    result = run_cli("report", str(run_id), "--store", str(tmp_path / "s.sqlite3"), "--out", str(out),
                     "--format", "json", "--pdf", "--lang", lang)
    assert result.returncode == 0, result.stderr
    assert time.monotonic() - started < 60
    texts = pdf_text(out / "report.pdf")
    assert len(texts) <= 25, len(texts)  # unfolded, 3,000 rows of long URLs took hundreds of pages
    whole = "\n".join(" ".join(t.split()) for t in texts)
    assert folded_line.format(n=broken - PRINT_ROWS) in whole
    assert pages_line in whole   # a row found on 8 pages lists 5 of them
    assert (out / "findings.csv").exists() and (out / "report.html").exists()  # where the rest is


def descendants() -> set[int]:
    me = os.getpid()
    return {p for p in process_tree(me) if p != me}


class Watched:
    """Every process this test process starts while the block runs (sampled every 50 ms)."""

    def __init__(self) -> None:
        self.seen: set[int] = set()
        self.stop = threading.Event()

    def __enter__(self) -> Watched:
        self.before = descendants()
        self.thread = threading.Thread(target=self.watch, daemon=True)
        self.thread.start()
        return self

    def watch(self) -> None:
        while not self.stop.wait(0.05):
            self.seen |= descendants() - self.before

    def __exit__(self, *exc: Any) -> None:
        self.stop.set()
        self.thread.join()

    def left(self) -> list[int]:
        """Processes seen that still exist in any state, zombies included (none was reaped then)."""
        return [p for p in self.seen if Path(f"/proc/{p}").exists()]


HOG = ("<html><body><p>圖表</p><script>var keep = [];"
       "for (var i = 0; i < 1e9; i++) { keep.push({n: i, s: 'row ' + i}); }</script></body></html>")
SPIN = "<html><body><p>轉圈</p><script>while (true) {}</script></body></html>"


@pytest.fixture
def old_pdf(tmp_path: Path) -> Iterator[Path]:
    """A report.pdf left by an earlier print: it must not pass for the report that could not be printed."""
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(b"%PDF-1.4 an earlier report")
    yield pdf


def test_a_print_over_the_memory_cap_stops_the_browser_and_leaves_no_pdf(tmp_path, old_pdf):
    page = tmp_path / "hog.html"
    page.write_text(HOG, encoding="utf-8")
    with Watched() as watched, pytest.raises(PrintError, match="over its 512 MB memory cap"):
        print_pdf(page, old_pdf, find_browser(), timeout=60, memory_mb=512)
    assert watched.seen and watched.left() == []   # every browser process killed and reaped
    assert not old_pdf.exists() and not list(tmp_path.glob("*.tmp"))


def test_a_print_past_its_deadline_is_killed_and_reaped(tmp_path, old_pdf):
    page = tmp_path / "spin.html"
    page.write_text(SPIN, encoding="utf-8")
    started = time.monotonic()
    with Watched() as watched, pytest.raises(PrintError, match="no PDF within 3 s"):
        print_pdf(page, old_pdf, find_browser(), timeout=3)
    assert time.monotonic() - started < 20
    assert watched.seen and watched.left() == []
    assert not old_pdf.exists()


def test_a_report_that_cannot_be_printed_in_time_is_one_line_exit_2_and_the_other_outputs_stay(tmp_path):
    run_id = stored_run(tmp_path / "s.sqlite3", broken=50, per_page=10)
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.pdf").write_bytes(b"%PDF-1.4 an earlier report")
    result = run_cli("report", str(run_id), "--store", str(tmp_path / "s.sqlite3"), "--out", str(out),
                     "--format", "html", "--pdf", "--pdf-timeout", "0.01")  # no browser starts and prints in 10 ms
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "too large to print" in lines[0] and "no PDF within 0.01 s" in lines[0], lines
    assert "Traceback" not in result.stderr
    assert not (out / "report.pdf").exists() and not list(out.glob("*.tmp"))
    assert (out / "report.html").stat().st_size > 10_000 and (out / "findings.csv").exists()


# -- output paths that cannot be written ---------------------------------------------------------------------
SITE_PAGE = ("<!doctype html><html lang='zh-Hant'><head><meta charset='utf-8'><title>首頁</title></head>"
             "<body><h1>首頁</h1><a href='/a.html'>甲</a></body></html>")


def small_site(tmp: Path, serve) -> Any:
    root = tmp / "site"
    root.mkdir()
    (root / "index.html").write_text(SITE_PAGE, encoding="utf-8")
    (root / "a.html").write_text(SITE_PAGE, encoding="utf-8")
    return serve(root)


def runs_in(store: Path) -> int:
    if not store.exists():
        return 0
    db = sqlite3.connect(store)
    try:
        return db.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
    finally:
        db.close()


@pytest.mark.parametrize("taken, named", [
    ("findings.json/", "findings.json is a folder"),
    ("report.html/", "report.html is a folder"),
    ("crawl.log/", "crawl.log is a folder"),
    ("findings.csv.tmp/", "findings.csv.tmp is a folder"),
    ("", "is a file, not a folder"),
])
def test_an_output_path_that_cannot_be_written_is_refused_before_anything_is_crawled(tmp_path, serve, taken, named):
    server = small_site(tmp_path, serve)
    out = tmp_path / "out"
    if taken:
        (out / taken).mkdir(parents=True)
    else:
        out.write_text("not a folder", encoding="utf-8")
    cfg = write_config(tmp_path / "c.toml", server.base, tmp_path / "s.sqlite3", crawl={"sitemaps": False})
    result = run_cli("audit", "--config", str(cfg), "--checks", "links", "--out", str(out))
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("siteaudit: config error: --out:") and named in lines[0], lines
    assert server.requests == [] and runs_in(tmp_path / "s.sqlite3") == 0   # nothing crawled, no run


def test_report_checks_every_output_path_before_writing_any(tmp_path):
    run_id = stored_run(tmp_path / "s.sqlite3", broken=3, per_page=2)
    out = tmp_path / "out"
    (out / "report.pdf").mkdir(parents=True)
    result = run_cli("report", str(run_id), "--store", str(tmp_path / "s.sqlite3"), "--out", str(out), "--pdf")
    assert result.returncode == 2 and "report.pdf is a folder" in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert sorted(p.name for p in out.iterdir()) == ["report.pdf"]   # nothing written beside it


# -- control characters in names printed on the console -------------------------------------------------------
HOSTILE_NAME = "水\x1b]0;pwned\x07\x1b[2J\u202eexe.fdp\r\nforged line\x9b31m"
RAW = ("\x1b", "\x07", "\u202e", "\r", "\x9b")
# The Redis database of these tests: the test Redis, but not the fleet tests' database (15); the fleet's keys in
# it are removed afterwards.
REDIS_DB = REDIS_URL.rsplit("/", 1)[0] + "/13"


def test_control_characters_become_visible_escapes_on_the_console():
    from siteaudit.core.console import safe

    assert safe(HOSTILE_NAME) == ("水\\x1b]0;pwned\\x07\\x1b[2J\\u202eexe.fdp\\r\\nforged line\\x9b31m")
    assert safe("台水\u2066x\u2069\u200f\x7f\t") == "台水\\u2066x\\u2069\\u200f\\x7f\\t"
    assert safe("第一區管理處 https://例.tw/a?b=1") == "第一區管理處 https://例.tw/a?b=1"   # text as it is


def test_runs_prints_a_hostile_site_name_neutralised(tmp_path):
    store = Store(tmp_path / "s.sqlite3")
    run_id = store.create_run(HOSTILE_NAME, {"site": {"name": HOSTILE_NAME}}, "cfg", {"siteaudit": "test"})
    store.finish_run(run_id, "complete", {})
    store.close()
    result = run_cli("runs", "--store", str(tmp_path / "s.sqlite3"))
    assert result.returncode == 0, result.stderr
    assert not any(c in result.stdout for c in RAW), repr(result.stdout)
    lines = result.stdout.splitlines()
    assert len(lines) == 1 and "水\\x1b]0;pwned\\x07\\x1b[2J\\u202eexe.fdp\\r\\nforged line" in lines[0]


@pytest.fixture
def broker() -> Iterator[str]:
    import redis

    from siteaudit.fleet.state import PREFIX

    client = redis.Redis.from_url(REDIS_DB)
    yield REDIS_DB
    for key in client.scan_iter(PREFIX + "*"):
        client.delete(key)
    client.close()


def test_fleet_status_prints_hostile_site_names_and_errors_neutralised(broker):
    from siteaudit.fleet.state import FleetState, connect

    FleetState(connect(broker)).record(HOSTILE_NAME, state="failed", run_id=7, error="crawl: \x1b[31mred\x1b[0m")
    result = run_cli("fleet", "status", "--broker", broker)
    assert result.returncode == 0, result.stderr
    assert not any(c in result.stdout for c in RAW), repr(result.stdout)
    lines = result.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith("水\\x1b]0;pwned") and "failed" in lines[0]
    assert lines[0].endswith("run 7 crawl: \\x1b[31mred\\x1b[0m")


# -- a full disk during the run ------------------------------------------------------------------------------
def wide_site(root: Path, pages: int = 300) -> None:
    """`pages` pages, each linking the next thirty: enough links to fill a small disk with the store."""
    root.mkdir()
    for i in range(pages):
        links = "".join(f'<a href="/p{j}.html">第 {j} 頁</a> ' for j in range(i + 1, min(pages, i + 31)))
        (root / f"p{i}.html").write_text(f"<html lang='zh-Hant'><head><title>第 {i} 頁</title></head><body>"
                                         f"<h1>第 {i} 頁</h1>{links}</body></html>", encoding="utf-8")
    (root / "index.html").write_text("<html lang='zh-Hant'><head><title>首頁</title></head><body>" + "".join(
        f'<a href="/p{j}.html">{j}</a>' for j in range(0, pages, 10)) + "</body></html>", encoding="utf-8")


class SmallDisk:
    """Where the store and the outputs go, and a way to fill it up and to free it: a 1 MiB tmpfs (as root,
    where mounting is allowed), or any folder with the audit's files limited to 1 MiB each (RLIMIT_FSIZE:
    writes past it fail with EFBIG, as a full disk's fail with ENOSPC)."""

    def __init__(self, kind: str, path: Path) -> None:
        self.kind, self.path, self.full = kind, path, True
        path.mkdir()
        if kind == "tmpfs":
            mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(path)],
                                     capture_output=True, text=True)
            if mounted.returncode != 0:
                pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")

    def free(self) -> None:
        if self.kind == "tmpfs":
            subprocess.run(["mount", "-o", "remount,size=64m", str(self.path)], check=True)
        self.full = False

    def limit(self) -> None:
        """preexec_fn of the audit: with `fsize`, every file it writes stops at 1 MiB while the disk is 'full'."""
        if self.kind == "fsize" and self.full:
            resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, 1 << 20))

    def close(self) -> None:
        if self.kind == "tmpfs":
            subprocess.run(["umount", "-l", str(self.path)], capture_output=True)


@pytest.fixture(params=["tmpfs", "fsize"])
def small_disk(request, tmp_path: Path) -> Iterator[SmallDisk]:
    disk = SmallDisk(request.param, tmp_path / "disk")
    yield disk
    disk.close()


def test_a_full_disk_stops_the_audit_in_one_line_and_the_run_resumes(tmp_path, serve, small_disk):
    wide_site(tmp_path / "site")
    server = serve(tmp_path / "site")
    store = small_disk.path / "s.sqlite3"
    cfg = write_config(tmp_path / "c.toml", server.base, store, crawl={"sitemaps": False})
    args = [sys.executable, "-m", "siteaudit", "audit", "--config", str(cfg), "--checks", "links",
            "--out", str(small_disk.path / "out")]
    full = subprocess.run(args, capture_output=True, text=True, timeout=180, preexec_fn=small_disk.limit)
    assert full.returncode == 2, full.stderr
    lines = full.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("siteaudit: cannot write:") and "--resume" in lines[0], lines
    assert "Traceback" not in full.stderr and "Logging error" not in full.stderr
    db = sqlite3.connect(store)
    assert db.execute("SELECT status FROM runs").fetchall() in ([("interrupted",)], [("running",)])  # not complete
    db.close()
    small_disk.free()
    resumed = subprocess.run([*args, "--resume"], capture_output=True, text=True, timeout=180)
    judged_clean(resumed)
    db = sqlite3.connect(store)
    assert db.execute("SELECT status FROM runs").fetchall() == [("complete",)]
    assert db.execute("SELECT COUNT(*) FROM pages WHERE is_html = 1").fetchone()[0] == 301   # every page
    db.close()
