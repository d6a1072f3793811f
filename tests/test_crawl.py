"""The crawl backbone: what lands in the store when real sites on 127.0.0.1 are crawled."""

from __future__ import annotations

import json
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from conftest import judged_clean, run_cli, write_config
from siteaudit.demo.server import send


def pages(db: sqlite3.Connection, run_id: int) -> dict[str, sqlite3.Row]:
    db.row_factory = sqlite3.Row
    return {r["url"]: r for r in db.execute("SELECT * FROM pages WHERE run_id=?", (run_id,))}


def latest_run(store: Path) -> tuple[sqlite3.Connection, int]:
    db = sqlite3.connect(store)
    db.row_factory = sqlite3.Row
    return db, db.execute("SELECT MAX(id) FROM runs").fetchone()[0]


def test_every_demo_page_is_found_exactly_once(demo_run):
    assert demo_run["result"].returncode == 1, demo_run["result"].stderr  # the demo has defects
    db, run_id, base, root = demo_run["db"], demo_run["run_id"], demo_run["base"], demo_run["root"]
    rows = db.execute("SELECT url, COUNT(*) AS n FROM pages WHERE run_id=? GROUP BY url", (run_id,)).fetchall()
    assert all(r["n"] == 1 for r in rows)
    fetched = {r["url"]: r for r in db.execute("SELECT * FROM pages WHERE run_id=?", (run_id,))}
    html_files = {"/" + p.relative_to(root).as_posix() for p in root.rglob("*.html")}
    for path in html_files - {"/private/internal.html"}:
        assert fetched[base + path]["status"] == 200, path
    # found only through sitemap.xml (named in robots.txt)
    assert fetched[base + "/news/orphan.html"]["found_on"] == base + "/sitemap.xml"


def test_page_records_carry_title_depth_and_referrer(demo_run):
    db, run_id, base = demo_run["db"], demo_run["run_id"], demo_run["base"]
    p = db.execute("SELECT * FROM pages WHERE run_id=? AND url=?", (run_id, base + "/about/contact.html")).fetchone()
    assert p["title"] == "聯絡資訊－台灣自來水公司第一區管理處（示範）"
    assert p["h1"] == "聯絡資訊"
    assert p["content_type"].startswith("text/html")
    assert p["depth"] >= 1 and p["found_on"].startswith(base)
    assert p["size"] > 1000 and p["response_time"] >= 0 and p["charset"] == "utf-8"
    links = db.execute("SELECT * FROM links WHERE page_id=?", (p["id"],)).fetchall()
    dead = [link for link in links if link["raw"] == "http://dead-host.example.invalid/"]
    assert dead and dead[0]["text"] == "舊版網站（已停用）" and dead[0]["scope"] == "external"
    assert {link["element"] for link in links} >= {"a", "img", "form"}


def test_redirects_are_followed_and_recorded(demo_run):
    db, run_id, base = demo_run["db"], demo_run["run_id"], demo_run["base"]
    got = pages(db, run_id)
    old = got[base + "/old-services"]
    assert old["status"] == 301 and old["redirect_to"] == base + "/services/index.html"
    assert old["final_url"] == base + "/services/index.html"
    assert json.loads(old["redirect_chain"]) == [[base + "/old-services", 301], [base + "/services/index.html", 200]]
    loop = json.loads(got[base + "/loop-a"]["redirect_chain"])
    assert loop[-1][1] == "loop"


def test_robots_txt_is_honoured(demo_run):
    db, run_id, base, server = demo_run["db"], demo_run["run_id"], demo_run["base"], demo_run["server"]
    row = pages(db, run_id)[base + "/private/internal.html"]
    assert row["error"] == "robots" and row["status"] is None
    assert not any(path.startswith("/private/") for _, path in server.requests)


def test_big5_page_title_is_decoded(demo_run):
    db, run_id, base = demo_run["db"], demo_run["run_id"], demo_run["base"]
    row = pages(db, run_id)[base + "/big5.html"]
    assert row["title"] == "舊版公告－台灣自來水公司第一區管理處（示範）"
    assert row["charset"].replace("-", "").lower() in ("big5", "cp950", "big5hkscs")


def test_documents_are_checked_not_crawled_keeping_only_the_head(demo_run):
    db, run_id, base = demo_run["db"], demo_run["run_id"], demo_run["base"]
    row = db.execute("SELECT * FROM resources WHERE run_id=? AND url=?",
                     (run_id, base + "/services/files/apply-form.odt")).fetchone()
    assert row["kind"] == "document" and row["status"] == 200 and row["method"] == "GET"
    assert row["head"][:4] == b"PK\x03\x04" and row["head"][30:38] == b"mimetype"


def calendar_route(handler):
    from urllib.parse import parse_qs, urlsplit

    month = int(parse_qs(urlsplit(handler.path).query).get("m", ["1"])[0])
    send(handler, 200, f'<html><head><title>月曆 {month}</title></head><body><a href="/cal?m={month + 1}">下個月</a>'
                       f'<a href="/cal?m={month - 1}">上個月</a></body></html>'.encode())


def test_calendar_and_query_string_traps_are_capped(serve, tmp_path):
    (tmp_path / "index.html").write_text(
        '<html><head><title>首頁</title></head><body><a href="/cal?m=1">月曆</a>'
        + "".join(f'<a href="/item?id={i}">項目{i}</a>' for i in range(40)) + "</body></html>", encoding="utf-8")
    items = lambda h: send(h, 200, b"<html><head><title>item</title></head><body>ok</body></html>")  # noqa: E731
    server = serve(tmp_path, {"/cal": calendar_route, "/item": items})
    store = tmp_path / "s.sqlite3"
    cfg = write_config(tmp_path / "c.toml", server.base, store,
                       crawl={"max_growing_chain": 5, "max_query_strings_per_path": 10, "max_depth": 100,
                              "sitemaps": False})
    result = run_cli("audit", "--config", str(cfg), "--out", str(tmp_path / "out"), "--checks", "links")
    assert result.returncode in (0, 1), result.stderr
    db, run_id = latest_run(store)
    cal = db.execute("SELECT url, error FROM pages WHERE run_id=? AND url LIKE '%/cal?%'", (run_id,)).fetchall()
    fetched = [r for r in cal if r["error"] is None]
    assert 5 <= len(fetched) <= 2 * 5 + 1  # five steps each way from m=1
    assert any(r["error"] == "trap:growing-parameter" for r in cal)
    item = db.execute("SELECT url, error FROM pages WHERE run_id=? AND url LIKE '%/item?%'", (run_id,)).fetchall()
    assert sum(1 for r in item if r["error"] is None) <= 10
    assert sum(1 for r in item if r["error"] == "trap:query-cap") >= 29
    assert sum(1 for method, path in server.requests if path.startswith("/item")) <= 10


def test_oversize_page_and_document_are_cut_at_the_limit(serve, tmp_path):
    big_page = "<html><head><title>大頁面</title></head><body>" + "<p>水</p>" * 400_000 + "</body></html>"
    (tmp_path / "big.html").write_text(big_page, encoding="utf-8")
    (tmp_path / "huge.pdf").write_bytes(b"%PDF-1.4\n" + b"0" * 3_000_000)
    (tmp_path / "index.html").write_text('<html><head><title>首頁</title></head><body><a href="big.html">大</a>'
                                         '<a href="huge.pdf">檔</a></body></html>', encoding="utf-8")
    server = serve(tmp_path)
    store = tmp_path / "s.sqlite3"
    cfg = write_config(tmp_path / "c.toml", server.base, store,
                       crawl={"max_page_bytes": 200_000, "sniff_bytes": 4096, "sitemaps": False})
    result = run_cli("audit", "--config", str(cfg), "--checks", "links", "--out", str(tmp_path / "out"))
    assert result.returncode in (0, 1), result.stderr
    db, run_id = latest_run(store)
    page = pages(db, run_id)[server.base + "/big.html"]
    assert page["truncated"] == 1 and 200_000 <= page["size"] < 200_000 + 70_000
    assert page["title"] == "大頁面"
    doc = db.execute("SELECT * FROM resources WHERE run_id=? AND url LIKE '%huge.pdf'", (run_id,)).fetchone()
    assert doc["truncated"] == 1 and len(doc["head"]) == 4096 and doc["head"].startswith(b"%PDF-")
    assert doc["size"] < 200_000


def test_429_with_retry_after_is_retried(serve, tmp_path):
    calls: list[float] = []

    def flaky(handler):
        calls.append(time.monotonic())
        if len(calls) == 1:
            send(handler, 429, b"slow down", {"Retry-After": "1"})
        else:
            send(handler, 200, b"<html><head><title>OK</title></head><body>ok</body></html>")

    (tmp_path / "index.html").write_text('<html><body><a href="/busy">忙碌</a></body></html>', encoding="utf-8")
    server = serve(tmp_path, {"/busy": flaky})
    store = tmp_path / "s.sqlite3"
    cfg = write_config(tmp_path / "c.toml", server.base, store, crawl={"sitemaps": False})
    result = run_cli("audit", "--config", str(cfg), "--checks", "links", "--out", str(tmp_path / "out"))
    judged_clean(result)
    db, run_id = latest_run(store)
    assert pages(db, run_id)[server.base + "/busy"]["status"] == 200
    assert len(calls) == 2 and calls[1] - calls[0] >= 0.95


def tree_site(serve, tmp_path, delay: float):
    def node(handler):
        from urllib.parse import urlsplit

        n = int(urlsplit(handler.path).path.rsplit("/", 1)[-1])
        time.sleep(delay)
        kids = "".join(f'<a href="/n/{k}">節點{k}</a>' for k in (2 * n + 1, 2 * n + 2) if k < 120)
        send(handler, 200, f"<html><head><title>節點{n}</title></head><body>{kids}</body></html>".encode())

    (tmp_path / "index.html").write_text('<html><body><a href="/n/0">根</a></body></html>', encoding="utf-8")
    routes = {f"/n/{i}": node for i in range(120)}
    return serve(tmp_path, routes)


def test_killed_crawl_resumes_to_the_same_page_set(serve, tmp_path):
    server = tree_site(serve, tmp_path, delay=0.03)
    full_store, cut_store = tmp_path / "full.sqlite3", tmp_path / "cut.sqlite3"
    crawl = {"concurrency": 2, "concurrency_per_host": 2, "sitemaps": False}
    full_cfg = write_config(tmp_path / "full.toml", server.base, full_store, crawl=crawl)
    judged_clean(run_cli("audit", "--config", str(full_cfg), "--checks", "links", "--out", str(tmp_path / "o1")))
    db, run_id = latest_run(full_store)
    expected = set(pages(db, run_id))
    assert len(expected) == 121  # the home page and 120 nodes

    cut_cfg = write_config(tmp_path / "cut.toml", server.base, cut_store, crawl=crawl)
    proc = subprocess.Popen([sys.executable, "-m", "siteaudit", "audit", "--config", str(cut_cfg), "--checks",
                             "links", "--out", str(tmp_path / "o2")], cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    stored = 0
    while time.monotonic() < deadline and stored < 20:
        time.sleep(0.2)
        if cut_store.exists():
            try:
                stored = sqlite3.connect(cut_store).execute("SELECT COUNT(*) FROM pages").fetchone()[0]
            except sqlite3.OperationalError:
                stored = 0
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    db, run_id = latest_run(cut_store)
    assert db.execute("SELECT status FROM runs WHERE id=?", (run_id,)).fetchone()[0] == "running"
    partial = set(pages(db, run_id))
    assert 20 <= len(partial) < len(expected)
    db.close()

    resumed = run_cli("audit", "--config", str(cut_cfg), "--resume", "--checks", "links", "--out", str(tmp_path / "o3"))
    judged_clean(resumed)
    db, run_id2 = latest_run(cut_store)
    assert run_id2 == run_id
    assert set(pages(db, run_id)) == expected
    assert db.execute("SELECT status FROM runs WHERE id=?", (run_id,)).fetchone()[0] == "complete"


def test_two_workers_fetch_and_read_the_same_pages_and_resources_as_one(demo_run, tmp_path):
    store = tmp_path / "two.sqlite3"
    cfg = write_config(tmp_path / "two.toml", demo_run["base"], store, crawl={"workers": 2}, site={
        "name": "demo", "exclude": [r"^https?://(?!127\.0\.0\.1[:/]|[^/]*\.invalid[:/])"]})
    result = run_cli("audit", "--config", str(cfg), "--checks", "links", "--out", str(tmp_path / "out"))
    assert result.returncode == 1, result.stderr
    db, run_id = latest_run(store)
    one = demo_run["db"]
    for table in ("pages", "resources"):
        def rows(conn, rid, table=table):
            return {(r[0], r[1]) for r in conn.execute(f"SELECT url, status FROM {table} WHERE run_id=?", (rid,))}
        assert rows(db, run_id) == rows(one, demo_run["run_id"]), table

    def read(conn, rid):  # what the page reader process read of each page: the same as the crawler itself
        links = conn.execute("SELECT p.url, l.url, l.scope, l.text, l.row_text FROM links l JOIN pages p ON "
                             "p.id = l.page_id WHERE l.run_id=?", (rid,))
        texts = conn.execute("SELECT url, title, h1, meta, anchors FROM pages WHERE run_id=?", (rid,))
        return sorted(map(tuple, links), key=repr), sorted(map(tuple, texts), key=repr)
    assert read(db, run_id) == read(one, demo_run["run_id"])
    assert (tmp_path / "out" / "crawl-resources.log").exists()


def test_broken_gzip_and_binary_served_as_html_do_not_stop_the_crawl(serve, tmp_path):
    (tmp_path / "index.html").write_text(
        '<html><head><title>首頁</title></head><body><a href="/gz">壓縮</a><a href="/fake">假網頁</a>'
        '<a href="/ok.html">正常</a></body></html>', encoding="utf-8")
    (tmp_path / "ok.html").write_text("<html><head><title>正常</title></head><body>ok</body></html>", encoding="utf-8")
    routes = {
        "/gz": lambda h: send(h, 200, b"\x1f\x8b\x08\x00garbage-not-gzip", {"Content-Encoding": "gzip"}),
        "/fake": lambda h: send(h, 200, b"%PDF-1.4\n%binary\x00\x01", content_type="text/html"),
    }
    server = serve(tmp_path, routes)
    store = tmp_path / "s.sqlite3"
    cfg = write_config(tmp_path / "c.toml", server.base, store, crawl={"sitemaps": False})
    result = run_cli("audit", "--config", str(cfg), "--checks", "links", "--out", str(tmp_path / "out"))
    assert result.returncode in (0, 1) and "Traceback" not in result.stderr
    db, run_id = latest_run(store)
    got = pages(db, run_id)
    assert got[server.base + "/ok.html"]["status"] == 200
    assert got[server.base + "/gz"]["error"] == "encoding"
    fake = db.execute("SELECT * FROM resources WHERE run_id=? AND url=?", (run_id, server.base + "/fake")).fetchone()
    assert fake["head"].startswith(b"%PDF-") and "not HTML" in fake["error_detail"]


def test_a_store_from_an_earlier_schema_is_upgraded_in_place_without_losing_data(tmp_path):
    from siteaudit.core import store as store_mod

    later = ("row_text TEXT", "row_label TEXT", r"verdict TEXT,\s+-- JSON: the run's", "plan TEXT", "body_hash TEXT",
             "revalidated TEXT", "carried_from INTEGER", "hreflang TEXT")
    old_schema = re.sub(rf"\n\s*({'|'.join(later)})[^\n]*", "", store_mod.SCHEMA)
    old_schema = re.sub(r",(\s*(--[^\n]*)?\n\))", r"\1", old_schema)  # a comma left before the table's end
    assert "row_label" not in old_schema and "the run's judged status" not in old_schema
    db = sqlite3.connect(tmp_path / "s.sqlite3")
    db.executescript(old_schema)
    db.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    db.execute("INSERT INTO runs (site, started, status, config, config_hash, versions, summary) "
               "VALUES ('s', 1.0, 'complete', '{}', 'h', '{}', '{\"links\": {\"status\": \"pass\"}}')")
    db.execute("INSERT INTO links (run_id, page_id, element, attribute, text, scope) "
               "VALUES (1, 1, 'a', 'href', '97年度', 'page')")
    db.commit()
    db.close()
    upgraded = store_mod.Store(tmp_path / "s.sqlite3")
    try:
        row = upgraded.db.execute("SELECT text, row_text, row_label, hreflang FROM links").fetchone()
        assert tuple(row) == ("97年度", None, None, None)
        run = upgraded.run(1)
        assert run is not None and run["summary"] == {"links": {"status": "pass"}} and run["verdict"] is None
        version = upgraded.db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0]
        assert version == str(store_mod.SCHEMA_VERSION) == "7"
        assert run["plan"] == {}  # stored before incremental runs: the next run is a full one
        columns = {r[1] for r in upgraded.db.execute("PRAGMA table_info(pages)")}
        assert {"body_hash", "revalidated", "carried_from"} <= columns
    finally:
        upgraded.close()


def test_links_after_the_closing_html_tag_are_followed_as_a_browser_reads_them(serve, tmp_path):
    """A CMS template or injected script that writes content after </body></html>: a browser moves it into the
    body and shows its links, so the crawl records and follows every one of them."""
    trailing = "".join(f'<p><a href="/after/{i}.html" id="a{i}">後{i}</a></p>' for i in range(300))
    (tmp_path / "index.html").write_text(
        '<!DOCTYPE html><html lang="zh-Hant"><head><title>首頁</title></head><body><p>正文</p></body></html>\n'
        + trailing, encoding="utf-8")
    (tmp_path / "after").mkdir()
    for i in range(300):
        (tmp_path / "after" / f"{i}.html").write_text(f"<html><head><title>後{i}</title></head><body>ok</body></html>",
                                                      encoding="utf-8")
    server = serve(tmp_path)
    store = tmp_path / "s.sqlite3"
    cfg = write_config(tmp_path / "c.toml", server.base, store, crawl={"sitemaps": False})
    result = run_cli("audit", "--config", str(cfg), "--out", str(tmp_path / "out"), "--checks", "links")
    assert result.returncode in (0, 1), result.stderr
    db, run_id = latest_run(store)
    home = db.execute("SELECT id, anchors FROM pages WHERE run_id=? AND url=?", (run_id, server.base + "/")).fetchone()
    found = db.execute("SELECT COUNT(*) FROM links WHERE run_id=? AND url LIKE '%/after/%'", (run_id,)).fetchone()[0]
    assert found == 300
    fetched = [u for u in pages(db, run_id) if "/after/" in u]
    assert len(fetched) == 300
    assert "a299" in home["anchors"]
