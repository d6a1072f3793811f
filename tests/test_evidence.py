"""The run's web archive: every exchange of the crawl in WARC records (bytes as received), packaged as evidence.wacz.
Real HTTP on loopback, the CLI as a user runs it."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import zipfile
import zlib
from pathlib import Path
from typing import Any

import pytest
from warcio.archiveiterator import ArchiveIterator

from conftest import NOW, as_of, run_cli, write_config
from siteaudit.core.browser import chromedriver_service, chromium_options, find_browser
from siteaudit.core.replay import Archive, make_server
from siteaudit.core.wacz import datapackage_of, earlier_captures, keep_last, package
from siteaudit.core.warc import Exchange, WarcFile
from siteaudit.demo.server import SiteServer, redirect, send, set_file_times
from siteaudit.reports.captures import REPLAY_ORIGIN

HOME = ('<!doctype html><html lang="zh-Hant"><head><meta charset="utf-8"><title>首頁</title></head><body><h1>首頁</h1>'
        '<a href="a.html">甲</a> <a href="hop1">轉址</a> <a href="packed.html">壓縮頁</a> <a href="big.html">大頁</a> '
        '<a href="report.pdf">年報（PDF，1KB）</a> <a href="http://no-such-host.invalid/page">外站</a> '
        '<a href="search?q=%E6%B0%B4&amp;page=2">查詢</a> <a href="file:///etc/passwd">本機檔案</a> '
        '<a href="ftp://127.0.0.1/x">FTP</a></body></html>')
PACKED = ('<!doctype html><html lang="zh-Hant"><head><meta charset="utf-8"><title>壓縮傳送的頁面</title></head>'
          '<body><h1>壓縮</h1><p>' + "自來水" * 200 + '</p></body></html>').encode()
BIG = ('<!doctype html><html><head><meta charset="utf-8"><title>大頁</title></head><body>'
       + "<p>很長的內容</p>" * 40000 + "</body></html>").encode()


def gzip_route(handler: Any) -> None:
    send(handler, 200, gzip.compress(PACKED), {"Content-Encoding": "gzip", "Vary": "Accept-Encoding"})


def build(root: Path) -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / "index.html").write_text(HOME, encoding="utf-8")
    (root / "a.html").write_text('<!doctype html><html><head><title>甲</title></head><body><h1>甲</h1></body></html>',
                                 encoding="utf-8")
    (root / "big.html").write_bytes(BIG)
    (root / "search").write_text("<!doctype html><html><head><title>查詢</title></head><body>結果</body></html>",
                                 encoding="utf-8")
    (root / "report.pdf").write_bytes(b"%PDF-1.4\n% fixture\n%%EOF\n")


def records(wacz: Path) -> list[dict[str, Any]]:
    """Every record of every WARC in a WACZ: type, URI, WARC and HTTP headers, the payload as stored."""
    out = []
    with zipfile.ZipFile(wacz) as archive:
        for name in archive.namelist():
            if not name.startswith("archive/"):
                continue
            for record in ArchiveIterator(io.BytesIO(archive.read(name))):
                http = record.http_headers
                out.append({"type": record.rec_type, "uri": record.rec_headers.get_header("WARC-Target-URI"),
                            "warc": dict(record.rec_headers.headers), "file": name,
                            "status": http.get_statuscode() if http and record.rec_type != "request" else None,
                            "line": http.protocol + " " + http.statusline if http else None,
                            "http": list(http.headers) if http else [],
                            "payload": record.raw_stream.read()})
    return out


def png_pixels(png: bytes) -> set[tuple[int, int, int]]:
    """The RGB colours of an 8-bit RGB or RGBA PNG, decoded (IDAT inflated, scanline filters undone)."""
    data, at = b"", 8
    width, _height, depth, kind = int.from_bytes(png[16:20], "big"), 0, png[24], png[25]
    while at < len(png):
        size = int.from_bytes(png[at:at + 4], "big")
        if png[at + 4:at + 8] == b"IDAT":
            data += png[at + 8:at + 8 + size]
        at += 12 + size
    assert depth == 8 and kind in (2, 6)
    bpp = 3 if kind == 2 else 4
    raw, stride, prior, colours = zlib.decompress(data), width * bpp, bytearray(width * bpp), set()
    for row in range(len(raw) // (stride + 1)):
        kind_of_filter, line = raw[row * (stride + 1)], bytearray(raw[row * (stride + 1) + 1:(row + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prior[i], prior[i - bpp] if i >= bpp else 0
            p = a + b - c
            pred = {0: 0, 1: a, 2: b, 3: (a + b) // 2,
                    4: a if abs(p - a) <= abs(p - b) and abs(p - a) <= abs(p - c) else b if abs(p - b) <= abs(p - c)
                    else c}[kind_of_filter]
            line[i] = (line[i] + pred) & 0xFF
        colours |= {tuple(line[i:i + 3]) for i in range(0, stride, bpp)}
        prior = line
    return colours


def header(rec: dict[str, Any], name: str) -> str | None:
    return next((v for k, v in rec["http"] if k.lower() == name.lower()), None)


@pytest.fixture(scope="module")
def captured(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One audit of the fixture site with the page size cap set low: its output folder, store and records."""
    work = tmp_path_factory.mktemp("evidence")
    build(work / "site")
    routes = {"/packed.html": gzip_route, "/hop1": redirect("/hop2", 302), "/hop2": redirect("/a.html", 301)}
    with SiteServer(work / "site", routes) as server:
        cfg = write_config(work / "c.toml", server.base, work / "s.sqlite3",
                           crawl={"sitemaps": False, "max_page_bytes": 4096})
        result = run_cli("audit", "--config", str(cfg), "--checks", "links,metadata,essentials", "--out",
                         str(work / "out"))
    assert (work / "out" / "evidence.wacz").is_file(), result.stderr
    return {"work": work, "base": server.base, "result": result, "wacz": work / "out" / "evidence.wacz",
            "records": records(work / "out" / "evidence.wacz")}


def responses(captured: dict[str, Any], url: str) -> list[dict[str, Any]]:
    return [r for r in captured["records"] if r["type"] == "response" and r["uri"] == url]


def test_the_warc_passes_warcios_own_check_and_every_fetched_url_has_a_record(captured):
    extracted = captured["work"] / "warcs"
    with zipfile.ZipFile(captured["wacz"]) as archive:
        names = [n for n in archive.namelist() if n.startswith("archive/")]
        archive.extractall(extracted, names)
    check = subprocess.run([sys.executable, "-c", "from warcio.cli import main; main()", "check", "-v",
                            *(str(extracted / n) for n in names)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "digest pass" in check.stdout and "fail" not in check.stdout.lower()
    db = sqlite3.connect(captured["work"] / "s.sqlite3")
    judged = {u for (u,) in db.execute("SELECT url FROM pages WHERE error IS NULL OR error NOT IN ('policy')")}
    judged |= {u for (u,) in db.execute("SELECT url FROM resources WHERE error IS NULL OR error NOT IN ('policy')")}
    archived = {r["uri"] for r in captured["records"] if r["type"] in ("response", "metadata")}
    assert judged and judged <= archived, judged - archived
    info = [r for r in captured["records"] if r["type"] == "warcinfo"]
    assert info and b"software: siteaudit/" in info[0]["payload"] and b"config-hash: " in info[0]["payload"]
    assert all(r["uri"].startswith(("http://", "https://")) for r in captured["records"] if r["type"] != "warcinfo")
    assert not any(b"/etc/passwd" in r["payload"] for r in captured["records"] if r["type"] != "response")


def test_each_response_has_its_request_with_the_full_request_line(captured):
    by_id = {r["warc"]["WARC-Record-ID"]: r for r in captured["records"]}
    requests = [r for r in captured["records"] if r["type"] == "request"]
    assert requests and all(by_id[r["warc"]["WARC-Concurrent-To"]]["uri"] == r["uri"] for r in requests)
    search = next(r for r in requests if "/search?" in r["uri"])
    assert search["line"].startswith("GET /search?q=%E6%B0%B4&page=2 HTTP/1.1")
    assert header(search, "Host") == captured["base"].split("//")[1]
    assert header(search, "User-Agent").startswith("siteaudit/")


def test_a_gzip_response_keeps_its_encoding_and_decodes_to_the_body_the_checks_read(captured):
    [packed] = responses(captured, captured["base"] + "/packed.html")
    assert header(packed, "Content-Encoding") == "gzip"
    assert packed["payload"][:2] == b"\x1f\x8b"
    assert gzip.decompress(packed["payload"]) == PACKED
    db = sqlite3.connect(captured["work"] / "s.sqlite3")
    [(title,)] = db.execute("SELECT title FROM pages WHERE url = ?", (captured["base"] + "/packed.html",))
    assert title == "壓縮傳送的頁面"


def test_a_redirect_chain_is_recorded_hop_by_hop(captured):
    base = captured["base"]
    [first] = responses(captured, base + "/hop1")
    [second] = responses(captured, base + "/hop2")
    [last] = responses(captured, base + "/a.html")
    assert (first["status"], header(first, "Location")) == ("302", "/hop2")
    assert (second["status"], header(second, "Location")) == ("301", "/a.html")
    assert last["status"] == "200" and b"<h1>" in last["payload"]


def test_a_dns_failure_is_a_metadata_record_naming_the_error(captured):
    [failed] = [r for r in captured["records"] if r["uri"] == "http://no-such-host.invalid/page"]
    assert failed["type"] == "metadata" and failed["warc"]["Content-Type"] == "application/warc-fields"
    assert b"fetch-error: dns" in failed["payload"] and failed["warc"]["WARC-Date"].startswith("20")


def test_a_body_cut_at_the_page_cap_is_marked_truncated(captured):
    [big] = responses(captured, captured["base"] + "/big.html")
    assert big["warc"].get("WARC-Truncated") == "length"
    assert 4096 <= len(big["payload"]) < len(BIG)
    assert BIG.startswith(big["payload"])


def test_robots_txt_is_archived(captured):
    assert responses(captured, captured["base"] + "/robots.txt")


def test_credentials_are_never_written(tmp_path):
    warc = WarcFile(tmp_path / "t.warc.gz", {"software": "test"})
    warc.put(Exchange(url="http://user:s3cret-pw@127.0.0.1:9/private", method="GET",
                      request_headers=[("Authorization", "Basic c2VjcmV0"), ("Cookie", "session=s3cret-cookie")],
                      status=200, response_headers=[("Set-Cookie", "session=s3cret-cookie2; HttpOnly"),
                                                    ("Content-Type", "text/html")],
                      body=b"<p>ok</p>", when=1_790_000_000.0))
    warc.close()
    raw = gzip.decompress((tmp_path / "t.warc.gz").read_bytes())
    assert b"s3cret" not in raw and b"c2VjcmV0" not in raw
    assert b"WARC-Target-URI: http://user:***@127.0.0.1:9/private" in raw
    assert b"Authorization: [not archived]" in raw and b"Set-Cookie: [not archived]" in raw


def test_the_cap_on_evidence_bytes_is_reported_and_each_crawl_process_writes_its_own_warc(tmp_path):
    build(tmp_path / "site")
    with SiteServer(tmp_path / "site", {"/packed.html": gzip_route}) as server:
        cfg = write_config(tmp_path / "c.toml", server.base, tmp_path / "s.sqlite3",
                           crawl={"sitemaps": False, "workers": 2},
                           extra="[evidence]\nmax_bytes = 6000\n")
        result = run_cli("audit", "--config", str(cfg), "--checks", "links", "--out", str(tmp_path / "out"))
    wacz = tmp_path / "out" / "evidence.wacz"
    assert wacz.is_file(), result.stderr
    assert "evidence.max_bytes (6000 bytes) was reached at" in result.stderr
    with zipfile.ZipFile(wacz) as archive:
        names = [n for n in archive.namelist() if n.startswith("archive/")]
        ours = json.loads(archive.read("datapackage.json"))["siteaudit"]
    assert sorted(n.split("/")[1].split("-")[0] for n in names) == ["pages", "resources"]
    assert ours["complete"] is False and ours["dropped"] > 0
    assert sum(zipfile.ZipFile(wacz).getinfo(n).file_size for n in names) <= 6000


STATIC = ("<!doctype html><html><head><title>固定</title></head><body>" + "<p>每次產生，沒有驗證碼</p>" * 60
          + "</body></html>").encode()   # over MIN_REVISIT_BODY: its second answer is a revisit


def static_route(handler: Any) -> None:
    send(handler, 200, STATIC)


def verify(target: Path) -> subprocess.CompletedProcess[str]:
    return run_cli("evidence", "verify", str(target))


def flip_a_byte(path: Path, at: float = 0.5) -> None:
    data = bytearray(path.read_bytes())
    data[int(len(data) * at)] ^= 0x01
    path.write_bytes(bytes(data))


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A full audit, then an incremental one of the unchanged site: both output folders and the archive."""
    work = tmp_path_factory.mktemp("incremental")
    build(work / "site")
    set_file_times(work / "site", NOW)
    (work / "site" / "index.html").write_text(HOME.replace("</body>", '<a href="static">固定</a></body>'),
                                              encoding="utf-8")
    set_file_times(work / "site", NOW)
    with SiteServer(work / "site", {"/static": static_route}) as server:
        cfg = write_config(work / "c.toml", server.base, work / "s.sqlite3", crawl={"sitemaps": False})
        outs = []
        for n in (1, 2):
            result = run_cli("audit", "--config", str(cfg), "--checks", "links", "--out", str(work / f"out{n}"))
            assert (work / f"out{n}" / "evidence.wacz").is_file(), result.stderr
            outs.append(work / f"out{n}")
    return {"work": work, "base": server.base, "outs": outs, "archive": work / "evidence" / "fixture",
            "second": records(outs[1] / "evidence.wacz")}


def test_an_unchanged_re_audit_writes_revisits_referring_to_the_first_capture(two_runs):
    base = two_runs["base"]
    revisits = {r["uri"]: r for r in two_runs["second"] if r["type"] == "revisit"}
    first = {r["uri"]: r for r in records(two_runs["outs"][0] / "evidence.wacz") if r["type"] == "response"}
    home = revisits[base + "/"]
    assert home["status"] == "304"
    assert home["warc"]["WARC-Profile"].endswith("/revisit/server-not-modified")
    assert home["warc"]["WARC-Refers-To"] == first[base + "/"]["warc"]["WARC-Record-ID"]
    assert home["warc"]["WARC-Refers-To-Date"] == first[base + "/"]["warc"]["WARC-Date"]
    static = revisits[base + "/static"]
    assert static["status"] == "200" and static["payload"] == b""
    assert static["warc"]["WARC-Profile"].endswith("/revisit/identical-payload-digest")
    assert static["warc"]["WARC-Payload-Digest"] == first[base + "/static"]["warc"]["WARC-Payload-Digest"]
    with zipfile.ZipFile(two_runs["outs"][1] / "evidence.wacz") as archive:
        ours = json.loads(archive.read("datapackage.json"))["siteaudit"]
    assert [r["path"] for r in ours["references"]] == ["run-1.wacz"]


def test_verify_passes_on_both_runs(two_runs):
    for out in two_runs["outs"]:
        result = verify(out)
        assert result.returncode == 0, result.stderr
        assert " verified: " in result.stdout
    assert "earlier WACZs referred to: run-1.wacz" in verify(two_runs["outs"][1]).stdout


def test_verify_fails_when_a_byte_of_the_later_wacz_changes(two_runs, tmp_path):
    copy = tmp_path / "evidence.wacz"
    copy.write_bytes((two_runs["outs"][1] / "evidence.wacz").read_bytes())
    flip_a_byte(copy)
    result = verify(tmp_path)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert all(line.startswith("siteaudit: evidence: ") for line in result.stderr.splitlines()), result.stderr


def test_verify_fails_on_both_runs_when_a_byte_of_the_earlier_wacz_changes(two_runs):
    earlier = two_runs["archive"] / "run-1.wacz"
    kept = earlier.read_bytes()
    try:
        flip_a_byte(earlier, 0.3)
        for out in two_runs["outs"]:
            result = verify(out)
            assert result.returncode != 0, result.stdout
            assert "Traceback" not in result.stderr
        assert "run-1.wacz" in result.stderr  # the later run names the earlier WACZ that no longer matches
    finally:
        earlier.write_bytes(kept)


def test_verify_fails_when_an_earlier_wacz_referred_to_is_missing(two_runs, tmp_path):
    alone = tmp_path / "alone"
    alone.mkdir()
    (alone / "evidence.wacz").write_bytes((two_runs["outs"][1] / "evidence.wacz").read_bytes())
    earlier = two_runs["archive"] / "run-1.wacz"
    moved = tmp_path / "run-1.wacz"
    earlier.rename(moved)
    try:
        result = verify(alone)
        assert result.returncode != 0 and "refers to run-1.wacz, which is not in" in result.stderr
        assert run_cli("evidence", "verify", str(alone), "--archive", str(tmp_path)).returncode == 0
    finally:
        moved.rename(earlier)


def test_verify_of_a_missing_file_is_one_line_and_exit_2(tmp_path):
    result = verify(tmp_path / "nothing")
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "no such WACZ file" in result.stderr


def test_each_finding_points_at_its_capture_and_the_cover_shows_the_wacz_hash(captured):
    out = captured["wacz"].parent
    doc = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    dns = next(f for f in doc["findings"] if f["url"] == "http://no-such-host.invalid/page")
    assert dns["capture"]["url"] == dns["url"] and dns["capture"]["record"] == "metadata"
    stamps = {r["uri"]: r["warc"]["WARC-Date"] for r in captured["records"] if r["type"] in ("response", "metadata")}
    assert dns["capture"]["timestamp"] == stamps[dns["url"]]
    assert all(f["capture"] for f in doc["findings"] if f["url"])
    digest = hashlib.sha256(captured["wacz"].read_bytes()).hexdigest()
    html = (out / "report.html").read_text(encoding="utf-8")
    assert f'<code class="hash">{digest}</code>' in html and "查看當時頁面" in html
    assert doc["run"]["plan"]["evidence"]["sha256"] == digest


def test_the_english_report_names_the_evidence_archive_in_english(captured):
    out = captured["wacz"].parent
    result = run_cli("report", "--store", str(captured["work"] / "s.sqlite3"), "--lang", "en", "--out",
                     str(captured["work"] / "en"))
    assert result.returncode in (0, 1), result.stderr
    html = (captured["work"] / "en" / "report.html").read_text(encoding="utf-8")
    cover = html.split('id="evidence">')[1].split("</td>")[0]
    assert "WARC records" in cover and not re.search(r"[\u4e00-\u9fff]", cover)
    assert "View as captured" in html and (captured["work"] / "en" / "evidence.wacz").is_file()
    assert out != captured["work"] / "en"


def test_no_evidence_when_switched_off(tmp_path):
    build(tmp_path / "site")
    with SiteServer(tmp_path / "site") as server:
        cfg = write_config(tmp_path / "c.toml", server.base, tmp_path / "s.sqlite3", crawl={"sitemaps": False},
                           extra="[evidence]\nwarc = false\n")
        result = run_cli("audit", "--config", str(cfg), "--checks", "links", "--out", str(tmp_path / "out"))
    assert (tmp_path / "out" / "findings.json").is_file(), result.stderr
    assert not (tmp_path / "out" / "evidence.wacz").exists() and not (tmp_path / "evidence").exists()
    assert "未封存（evidence.warc = false）" in (tmp_path / "out" / "report.html").read_text(encoding="utf-8")


def test_a_findings_capture_replays_offline_in_chromium_as_it_was_served(captured, tmp_path):
    from selenium import webdriver

    doc = json.loads((captured["wacz"].parent / "findings.json").read_text(encoding="utf-8"))
    packed = captured["base"] + "/packed.html"
    finding = next(f for f in doc["findings"] if f["url"] == packed and f["capture"])
    assert finding["capture"]["record"] == "response" and finding["capture"]["replay"].startswith(REPLAY_ORIGIN)
    server = subprocess.Popen([sys.executable, "-m", "siteaudit", "evidence", "serve", str(captured["wacz"].parent),
                               "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = server.stdout.readline()
        origin = re.search(r"http://127\.0\.0\.1:\d+", line)[0]
        paths = find_browser()
        driver = webdriver.Chrome(service=chromedriver_service(paths, str(tmp_path)),
                                  options=chromium_options(paths))
        try:
            driver.get(finding["capture"]["replay"].replace(REPLAY_ORIGIN, origin))
            assert driver.title == "壓縮傳送的頁面"
            assert driver.find_element("tag name", "h1").text == "壓縮" and "自來水自來水" in driver.page_source
            shot = tmp_path / "replay.png"
            assert driver.save_screenshot(str(shot)) and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
            driver.get(f"{origin}/replay/20000101000000/{captured['base']}/hop1")   # a redirect hop, replayed
            assert driver.find_element("tag name", "h1").text == "甲"
        finally:
            driver.quit()
    finally:
        server.terminate()
        server.wait(10)


def package_run_files(folder: Path, run: int, body: bytes, earlier: Path | None = None) -> Path:
    """A run's WARC file of one page, packaged as run-N.wacz in `folder` (revisits against `earlier`)."""
    staging = folder / f"run-{run}"
    warc = WarcFile(staging / "pages-1.warc.gz", {"software": "test"}, 0,
                    earlier_captures(earlier) if earlier else None)
    warc.put(Exchange(url="http://127.0.0.1:9/", method="GET", request_headers=[], status=200,
                      response_headers=[("Content-Type", "text/html")], body=body, when=1_790_000_000.0 + run))
    warc.close()
    package(staging, folder / f"run-{run}.wacz", [{"url": "http://127.0.0.1:9/", "title": "t"}], {"run": run})
    return folder / f"run-{run}.wacz"


def test_retention_keeps_the_last_runs_and_the_earlier_ones_they_refer_to(tmp_path):
    same = b"<p>same</p>" * 200
    first = package_run_files(tmp_path, 1, same)
    second = package_run_files(tmp_path, 2, b"<p>changed</p>")
    third = package_run_files(tmp_path, 3, same, earlier=first)   # a revisit of run 1's capture
    assert [r["path"] for r in datapackage_of(third)["siteaudit"]["references"]] == ["run-1.wacz"]
    assert keep_last(tmp_path, 1) == [second]
    assert first.is_file() and third.is_file() and not second.exists()
    assert verify(tmp_path / "run-3.wacz").returncode == 0


def test_an_archive_folder_that_cannot_be_written_is_a_config_error_before_any_crawl(tmp_path):
    (tmp_path / "blocked").write_text("a file, not a folder", encoding="utf-8")
    cfg = write_config(tmp_path / "c.toml", "http://127.0.0.1:9", tmp_path / "s.sqlite3",
                       extra=f'[evidence]\ndir = "{tmp_path / "blocked"}"\n')
    result = run_cli("audit", "--config", str(cfg), "--checks", "links", "--out", str(tmp_path / "out"))
    assert result.returncode == 2 and result.stderr.startswith("siteaudit: config error: evidence.dir: cannot write")
    assert len(result.stderr.strip().splitlines()) == 1
    assert sqlite3.connect(tmp_path / "s.sqlite3").execute("SELECT COUNT(*) FROM runs").fetchone() == (0,)


def test_a_crawl_killed_and_resumed_keeps_what_was_archived_and_adds_the_rest(tmp_path):
    """SIGKILL mid-crawl: the archive keeps the killed process's records up to its last whole batch, the resumed
    crawl adds a file of its own, and the WACZ verifies."""
    root = tmp_path / "site"
    root.mkdir()
    links = "".join(f'<a href="p{i}.html">{i}</a> ' for i in range(60))
    (root / "index.html").write_text(f"<!doctype html><html><head><title>首頁</title></head><body>{links}</body></html>",
                                     encoding="utf-8")
    for i in range(60):
        (root / f"p{i}.html").write_text(f"<!doctype html><html><head><title>{i}</title></head><body>{i}</body></html>",
                                         encoding="utf-8")

    def slow(handler: Any) -> None:
        time.sleep(0.25)
        send(handler, 200, b"<!doctype html><html><head><title>slow</title></head><body>slow</body></html>")

    with SiteServer(root, {f"/p{i}.html": slow for i in range(30, 60)}) as server:
        store = tmp_path / "s.sqlite3"
        cfg = write_config(tmp_path / "c.toml", server.base, store,
                           crawl={"sitemaps": False, "concurrency": 2, "concurrency_per_host": 2})
        proc = subprocess.Popen([sys.executable, "-m", "siteaudit", "audit", "--config", str(cfg), "--checks", "links",
                                 "--out", str(tmp_path / "o1")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not any((tmp_path / "evidence" / "fixture").glob("run-1/pages-*.json")):
            time.sleep(0.2)
        time.sleep(0.5)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        resumed = run_cli("audit", "--config", str(cfg), "--resume", "--checks", "links", "--out", str(tmp_path / "o2"))
    assert (tmp_path / "o2" / "evidence.wacz").is_file(), resumed.stderr
    assert "was left by a crawl process that stopped without closing it" in resumed.stderr
    with zipfile.ZipFile(tmp_path / "o2" / "evidence.wacz") as archive:
        assert len([n for n in archive.namelist() if n.startswith("archive/pages-")]) == 2
    archived = {r["uri"] for r in records(tmp_path / "o2" / "evidence.wacz") if r["type"] == "response"}
    assert server.base + "/" in archived and server.base + "/p59.html" in archived
    assert verify(tmp_path / "o2").returncode == 0


def test_replay_answers_a_revisit_with_the_earlier_response_and_a_failure_with_its_error(two_runs, captured):
    base = two_runs["base"]
    assert {(r["type"], r["status"]) for r in two_runs["second"] if r["uri"] == base + "/a.html"} == {
        ("revisit", "304"), ("request", None)}
    server = make_server(Archive(two_runs["outs"][1] / "evidence.wacz"), 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    origin = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        with urllib.request.urlopen(f"{origin}/replay/20990101000000/{base}/static", timeout=10) as answer:
            assert answer.status == 200 and answer.read() == STATIC
            assert answer.headers["Content-Security-Policy"].startswith("default-src 'self'")  # nothing live
        with urllib.request.urlopen(f"{origin}/replay/20990101000000/{base}/a.html", timeout=10) as answer:
            first = [r for r in records(two_runs["outs"][0] / "evidence.wacz")
                     if r["type"] == "response" and r["uri"] == base + "/a.html"][0]
            assert answer.status == 200 and answer.read() == first["payload"]   # the 304 replays run 1's page
    finally:
        server.shutdown()
        server.server_close()
    failed = make_server(Archive(captured["wacz"]), 0)
    threading.Thread(target=failed.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{failed.server_address[1]}/replay/20990101000000/http://no-such-host.invalid/page"
        with pytest.raises(urllib.error.HTTPError) as error:
            urllib.request.urlopen(url, timeout=10)
        assert error.value.code == 502 and b"dns" in error.value.read()
    finally:
        failed.shutdown()
        failed.server_close()


def test_the_checks_own_requests_are_archived_and_a_finding_points_at_the_crawls_record(captured):
    checks = [r for r in captured["records"] if r["file"].startswith("archive/checks-")]
    assert {r["type"] for r in checks} >= {"warcinfo", "request"} and any(r["type"] in ("response", "metadata")
                                                                         for r in checks)
    doc = json.loads((captured["wacz"].parent / "findings.json").read_text(encoding="utf-8"))
    home = [f for f in doc["findings"] if f["url"] == captured["base"] + "/" and f["capture"]]
    crawled = [r for r in captured["records"] if r["type"] == "response" and r["uri"] == captured["base"] + "/"
               and r["file"].startswith("archive/pages-")]
    assert home and crawled and all(f["capture"]["timestamp"] == crawled[-1]["warc"]["WARC-Date"] for f in home)


def test_a_site_whose_host_is_not_found_still_leaves_the_evidence_of_it(tmp_path):
    cfg = write_config(tmp_path / "c.toml", "http://no-such-site.invalid", tmp_path / "s.sqlite3",
                       crawl={"sitemaps": False})
    result = run_cli("audit", "--config", str(cfg), "--checks", "links", "--out", str(tmp_path / "out"))
    assert result.returncode == 3, result.stderr
    [failed] = [r for r in records(tmp_path / "out" / "evidence.wacz") if r["uri"] == "http://no-such-site.invalid/"]
    assert failed["type"] == "metadata" and b"fetch-error: dns" in failed["payload"]
    assert verify(tmp_path / "out").returncode == 0


@pytest.fixture(scope="module")
def judged(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """An accessibility audit of two pages, the home page with an image without alt text and a button without a
    name: its output folder, base URL, result and records."""
    work = tmp_path_factory.mktemp("judged")
    root = work / "site"
    root.mkdir()
    (root / "index.html").write_text('<!doctype html><html lang="zh-Hant"><head><meta charset="utf-8"><title>首頁'
                                     '</title></head><body><main><h1>首頁</h1><img src="x.png"><a href="a.html">甲</a>'
                                     '<p>繳費說明</p><button id="pay" style="width:120px;height:40px;background:#c00">'
                                     '</button></main></body></html>', encoding="utf-8")
    (root / "a.html").write_text('<!doctype html><html lang="zh-Hant"><head><meta charset="utf-8"><title>甲</title>'
                                 '</head><body><main><h1>甲</h1></main></body></html>', encoding="utf-8")
    with SiteServer(root) as server:
        cfg = write_config(work / "c.toml", server.base, work / "s.sqlite3", crawl={"sitemaps": False},
                           extra=as_of("accessibility") + "\n[evidence]\nscreenshots = 50\n")
        result = run_cli("audit", "--config", str(cfg), "--checks", "accessibility", "--out", str(work / "out"))
    return {"out": work / "out", "base": server.base, "result": result,
            "records": records(work / "out" / "evidence.wacz")}


def test_the_accessibility_result_of_each_page_is_a_metadata_record_beside_its_response(judged):
    archived, base = judged["records"], judged["base"]
    responses = {r["uri"]: r["warc"]["WARC-Record-ID"] for r in archived if r["type"] == "response"}
    found = {r["uri"]: r for r in archived if r["type"] == "metadata"
             and r["warc"].get("Content-Type") == "application/json"}
    assert set(found) == {base + "/", base + "/a.html"}, judged["result"].stderr
    for url, record in found.items():
        assert record["warc"]["WARC-Concurrent-To"] == responses[url]
        payload = json.loads(record["payload"])
        assert payload["check"] == "accessibility" and payload["tested_run"] == 1 and payload["result"]
    assert "image-alt" in found[base + "/"]["payload"].decode()
    assert verify(judged["out"]).returncode == 0


def test_an_accessibility_findings_element_is_a_bounded_screenshot_referring_to_the_pages_capture(judged):
    archived, base = judged["records"], judged["base"]
    doc = json.loads((judged["out"] / "findings.json").read_text(encoding="utf-8"))
    button = next(f for f in doc["findings"] if f["check"] == "accessibility" and "#pay" in
                  (f["evidence"].get("selector") or ""))
    shot = button["capture"]["screenshot"]
    assert shot["uri"] == "urn:siteaudit:element-screenshot:" + button["id"] and shot["page"] == base + "/"
    record = next(r for r in archived if r["type"] == "resource" and r["uri"] == shot["uri"])
    home = next(r for r in archived if r["type"] == "response" and r["uri"] == base + "/")
    assert record["warc"]["WARC-Refers-To"] == home["warc"]["WARC-Record-ID"]
    assert record["warc"]["WARC-Refers-To-Target-URI"] == base + "/"
    image = record["payload"]
    assert record["warc"]["Content-Type"] == "image/png" and image[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(image) <= 256 * 1024
    width, height = int.from_bytes(image[16:20], "big"), int.from_bytes(image[20:24], "big")
    assert (width, height) == (shot["width"], shot["height"]) and 120 <= width <= 120 + 16 and 40 <= height <= 56
    assert (204, 0, 0) in png_pixels(image), "the red button is in the picture"
    report = (judged["out"] / "report.html").read_text(encoding="utf-8")
    assert f'href="{shot["replay"]}"' in report and "元件截圖" in report
    assert verify(judged["out"]).returncode == 0
    archive = Archive(judged["out"] / "evidence.wacz")
    answer = archive.resource(shot["uri"])
    assert answer.status == 200 and answer.body == image and ("Content-Type", "image/png") in answer.headers


def test_no_screenshots_when_switched_off_and_the_run_says_nothing_of_them(tmp_path):
    root = tmp_path / "site"
    root.mkdir()
    (root / "index.html").write_text('<!doctype html><html lang="zh-Hant"><head><meta charset="utf-8"><title>首頁'
                                     '</title></head><body><main><h1>首頁</h1><button style="width:90px;height:30px">'
                                     '</button></main></body></html>', encoding="utf-8")
    with SiteServer(root) as server:
        cfg = write_config(tmp_path / "c.toml", server.base, tmp_path / "s.sqlite3", crawl={"sitemaps": False},
                           extra=as_of("accessibility") + "\n[evidence]\nscreenshots = 0\n")
        result = run_cli("audit", "--config", str(cfg), "--checks", "accessibility", "--out", str(tmp_path / "out"))
    archived = records(tmp_path / "out" / "evidence.wacz")
    assert any(r["type"] == "metadata" for r in archived), result.stderr
    assert not any(r["type"] == "resource" for r in archived) and "screenshot" not in result.stderr
