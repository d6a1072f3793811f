"""Never a silent false pass: a store that is not siteaudit's (or is a newer siteaudit's) is refused untouched,
and the nightly probe does not call an error page, a shrunken page or a redirect off the site 正常."""

from __future__ import annotations

import hashlib
import re
import sqlite3
from pathlib import Path
from typing import Any

import psycopg
import pytest

from conftest import run_cli, write_config
from services import fresh_pg_schema
from siteaudit.core.config import Config, ConfigError, from_dict
from siteaudit.core.store import SCHEMA_VERSION, Store, StoreError
from siteaudit.demo.server import redirect, send
from siteaudit.schedules.uptime import UptimeRun, run_uptime


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def other_program_db(path: Path) -> Path:
    """An SQLite file written by another program, with a `pages` table of its own."""
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE pages (id INTEGER PRIMARY KEY, slug TEXT NOT NULL, body TEXT)")
    db.execute("INSERT INTO pages (slug, body) VALUES ('home', '<p>hello</p>')")
    db.commit()
    db.close()
    return path


def assert_one_line_exit_2(result, *wanted: str) -> None:
    assert result.returncode == 2, result.stdout + result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr, result.stderr
    for text in wanted:
        assert text in result.stderr, result.stderr


@pytest.mark.parametrize("command", ["runs", "report", "audit", "uptime-log"])
def test_another_programs_sqlite_file_is_refused_and_left_byte_for_byte_unchanged(tmp_path, command):
    other = other_program_db(tmp_path / "other.db")
    before = digest(other)
    cfg = write_config(tmp_path / "c.toml", "http://127.0.0.1:9", tmp_path / "unused.sqlite3")
    args = {"runs": ["runs"], "report": ["report", "latest", "--out", str(tmp_path / "out")],
            "audit": ["audit", "--config", str(cfg), "--out", str(tmp_path / "out")],
            "uptime-log": ["uptime-log", "--config", str(cfg), "--month", "2026-11", "--out", str(tmp_path / "f.html")]}
    result = run_cli(*args[command], "--store", str(other))
    assert_one_line_exit_2(result, "not a siteaudit store", str(other))
    assert digest(other) == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("other.db")) == ["other.db"]
    assert not (tmp_path / "unused.sqlite3").exists()


def test_a_file_that_is_not_sqlite_at_all_is_one_line_and_exit_2(tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("值班紀錄：一切正常。" * 40, encoding="utf-8")
    before = digest(notes)
    result = run_cli("runs", "--store", str(notes))
    assert_one_line_exit_2(result, str(notes), "not an SQLite database")
    assert digest(notes) == before


def test_an_empty_file_or_a_new_path_still_becomes_a_store(tmp_path):
    empty = tmp_path / "empty.sqlite3"
    empty.touch()
    result = run_cli("runs", "--store", str(empty))
    assert result.returncode == 0 and result.stderr == "", result.stderr
    for path in (empty, tmp_path / "new" / "s.sqlite3"):
        with Store(path) as store:
            assert store.schema_version() == SCHEMA_VERSION
            assert store.runs() == []




def raw_sql(location: str, *statements: str) -> list[tuple]:
    """Run statements on the database itself (not through the store); the last one's rows."""
    if location.startswith("postgresql"):
        with psycopg.connect(location, autocommit=True) as conn:
            rows: list[tuple] = []
            for sql in statements:
                cur = conn.execute(sql)
                rows = cur.fetchall() if cur.description else []
            return rows
    db = sqlite3.connect(location)
    try:
        rows = []
        for sql in statements:
            rows = db.execute(sql).fetchall()
        db.commit()
        return rows
    finally:
        db.close()


def columns(location: str, table: str) -> set[str]:
    if location.startswith("postgresql"):
        return {r[0] for r in raw_sql(location, "SELECT column_name FROM information_schema.columns WHERE "
                                                f"table_schema = current_schema() AND table_name = '{table}'")}
    return {r[1] for r in raw_sql(location, f"PRAGMA table_info({table})")}


def test_a_store_written_by_a_newer_siteaudit_is_refused_and_never_altered_on_both_backends(location):
    with Store(location) as store:
        store.create_run("s", {}, "h", {})
    newer = SCHEMA_VERSION + 3
    # A newer siteaudit's store: a higher version, and (as far as this version can tell) a column it dropped.
    raw_sql(location, f"UPDATE meta SET value = '{newer}' WHERE key = 'schema_version'",
            "ALTER TABLE resources DROP COLUMN revalidated")
    before = digest(Path(location)) if not location.startswith("postgresql") else ""
    with pytest.raises(StoreError, match=rf"written by a newer siteaudit \(schema {newer}\)"):
        Store(location)
    result = run_cli("runs", "--store", location)
    assert_one_line_exit_2(result, f"written by a newer siteaudit (schema {newer})")
    assert raw_sql(location, "SELECT value FROM meta WHERE key = 'schema_version'") == [(str(newer),)]
    assert "revalidated" not in columns(location, "resources")
    if before:
        assert digest(Path(location)) == before


def test_another_programs_postgresql_schema_is_refused_and_left_as_it_was():
    with fresh_pg_schema() as url:
        raw_sql(url, "CREATE TABLE pages (id BIGINT PRIMARY KEY, slug TEXT NOT NULL)",
                "INSERT INTO pages VALUES (1, 'home')")
        with pytest.raises(StoreError, match="not a siteaudit store"):
            Store(url)
        result = run_cli("runs", "--store", url)
        assert_one_line_exit_2(result, "not a siteaudit store")
        tables = raw_sql(url, "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()")
        assert tables == [("pages",)] and columns(url, "pages") == {"id", "slug"}


# -- the nightly probe: an error page, a shrunken page or a redirect off the site is 異常 -------------------------

AGENCY = "第一區管理處"


def gov_page(title: str, heading: str = "", body: str = "", filler: int = 0) -> bytes:
    """A page of the agency's site: its name in the header, the title and heading given, `filler` bytes of news."""
    news = "".join(f"<li>{AGENCY}公告第{i}則</li>" for i in range(filler // 40))
    return (f'<html lang="zh-Hant"><head><meta charset="utf-8"><title>{title}</title></head><body>'
            f'<header><a href="/">{AGENCY}</a></header>{f"<h1>{heading}</h1>" if heading else ""}{body}'
            f"<ul>{news}</ul></body></html>").encode()


def answer(body: bytes, status: int = 200):
    return lambda handler: send(handler, status, body)


def uptime_config(tmp_path: Path, base: str, urls: list[str], uptime: dict[str, Any] | None = None,
                  agency: str = AGENCY) -> Config:
    return from_dict({"site": {"name": "s", "agency": agency, "start_urls": [base + "/"]},
                      "uptime": {"urls": urls, "tries": 1, **(uptime or {})},
                      "store": {"path": str(tmp_path / "s.sqlite3")}})


def probe_site(cfg: Config) -> UptimeRun:
    with Store(cfg.store_path()) as store:
        return run_uptime(cfg, store, sleep=lambda s: None, measure=False)


ERROR_PAGES = {
    "/system-error": gov_page(f"系統錯誤 - {AGENCY}"),
    "/maintenance": gov_page(AGENCY, "網站維護中，請稍後再試"),
    "/not-found": gov_page(f"{AGENCY}-首頁", "404 Not Found"),
    "/unavailable": gov_page("503 Service Unavailable"),
    "/runtime-error": gov_page(f"Runtime Error - {AGENCY}"),
    "/error-code": gov_page(f"{AGENCY}", "Error404：找不到網頁"),
}


@pytest.mark.parametrize("path", sorted(ERROR_PAGES))
def test_a_200_error_page_naming_the_agency_is_abnormal_with_its_title_or_heading_as_the_reason(
        serve, tmp_path, path):
    server = serve(tmp_path, {path: answer(ERROR_PAGES[path])})
    run = probe_site(uptime_config(tmp_path, server.base, [server.base + path]))
    result = run.results[0]
    assert not run.normal and result.status == 200 and result.detail["keyword_found"]
    assert "錯誤頁" in result.reason and "error page" in result.reason, result.reason


NORMAL_TITLES = [
    (f"{AGENCY}-首頁", ""), (f"民國104年度預算書 - {AGENCY}", "104年度預算"), (f"經水字第11350404號函 - {AGENCY}", ""),
    ("錯誤更正申請表", "水費帳單錯誤更正"), ("常見錯誤態樣", ""), ("第503次主管會報紀錄", "第404號公告"),
    ("Terrorism preparedness drill", "ISO 50001 能源管理"), ("Errata", ""), ("自來水管線汰換工程", "停水公告"),
]


def test_ordinary_government_page_titles_are_not_taken_for_error_pages(serve, tmp_path):
    routes = {f"/p{i}": answer(gov_page(title, heading)) for i, (title, heading) in enumerate(NORMAL_TITLES)}
    server = serve(tmp_path, routes)
    run = probe_site(uptime_config(tmp_path, server.base, [server.base + path for path in routes]))
    assert [r.reason for r in run.results] == [""] * len(NORMAL_TITLES) and run.normal


def test_a_page_far_smaller_than_its_usual_size_is_abnormal_once_there_is_a_history(serve, tmp_path):
    home = tmp_path / "index.html"
    home.write_bytes(gov_page(f"{AGENCY}-首頁", filler=40_000))
    server = serve(tmp_path)
    cfg = uptime_config(tmp_path, server.base, [server.base + "/"])
    assert probe_site(cfg).normal and probe_site(cfg).normal
    home.write_bytes(gov_page(f"{AGENCY}-首頁", body="<p>資料載入中</p>"))
    assert probe_site(cfg).normal  # two earlier probes: too few to know the page's usual size
    home.write_bytes(gov_page(f"{AGENCY}-首頁", filler=40_000))
    assert probe_site(cfg).normal
    home.write_bytes(gov_page(f"{AGENCY}-首頁", body="<p>資料載入中</p>"))
    run = probe_site(cfg)
    assert not run.normal and "頁面過小" in run.results[0].reason and "far smaller than usual" in run.results[0].reason
    assert run.results[0].detail["usual_bytes"] > 40_000
    assert probe_site(uptime_config(tmp_path, server.base, [server.base + "/"], {"min_size_ratio": 0})).normal


def test_a_small_page_that_was_always_small_stays_normal(serve, tmp_path):
    (tmp_path / "index.html").write_bytes(gov_page(f"{AGENCY}-首頁"))
    server = serve(tmp_path)
    cfg = uptime_config(tmp_path, server.base, [server.base + "/"])
    assert all(probe_site(cfg).normal for _ in range(5))


def test_a_redirect_off_the_sites_hosts_is_abnormal_unless_the_config_allows_that_host(serve, tmp_path):
    (tmp_path / "index.html").write_bytes(gov_page(f"{AGENCY}-首頁"))
    other = serve(tmp_path, host="localhost")
    site = serve(tmp_path, {"/away": redirect(other.base + "/"), "/moved": redirect("/")})
    cfg = write_config(tmp_path / "c.toml", site.base, tmp_path / "s.sqlite3", site={"agency": AGENCY},
                       extra=f'[uptime]\nurls = ["{site.base}/away", "{site.base}/moved"]\ntries = 1\n')
    result = run_cli("uptime", "--config", str(cfg))
    assert result.returncode == 1 and "結果: 異常" in result.stdout, result.stdout + result.stderr
    away, moved = result.stdout.splitlines()[:2]
    assert away.startswith("異常") and f"localhost:{other.port}" in away and "redirected off the site" in away
    assert moved.startswith("正常")  # a redirect within the site is fine
    with cfg.open("a", encoding="utf-8") as f:
        f.write(f'allowed_redirect_hosts = ["LOCALHOST:{other.port}"]\n')
    result = run_cli("uptime", "--config", str(cfg))
    assert result.returncode == 0 and "結果: 正常" in result.stdout, result.stdout + result.stderr


def test_uptime_without_a_keyword_warns_in_one_line_and_still_probes(serve, tmp_path):
    (tmp_path / "index.html").write_bytes(gov_page("首頁"))
    server = serve(tmp_path)
    cfg = write_config(tmp_path / "c.toml", server.base, tmp_path / "s.sqlite3", extra="[uptime]\ntries = 1\n")
    result = run_cli("uptime", "--config", str(cfg))
    assert result.returncode == 0 and "結果: 正常" in result.stdout
    warning = result.stderr.strip().splitlines()
    assert len(warning) == 1 and "warning" in warning[0] and "uptime.keyword" in warning[0] \
        and "site.agency" in warning[0], result.stderr
    with_agency = write_config(tmp_path / "a.toml", server.base, tmp_path / "s.sqlite3", site={"agency": "首頁"},
                               extra="[uptime]\ntries = 1\n")
    assert run_cli("uptime", "--config", str(with_agency)).stderr == ""


@pytest.mark.parametrize(("uptime", "key"), [
    ({"min_size_ratio": 1.5}, "uptime.min_size_ratio"), ({"min_size_ratio": -0.1}, "uptime.min_size_ratio"),
    ({"min_size_ratio": "20%"}, "uptime.min_size_ratio"),
    ({"allowed_redirect_hosts": ["www.example.gov.tw/path"]}, "uptime.allowed_redirect_hosts"),
    ({"allowed_redirect_hosts": "www.example.gov.tw"}, "uptime.allowed_redirect_hosts"),
])
def test_a_bad_uptime_threshold_or_redirect_host_is_a_config_error_naming_the_key(uptime, key):
    with pytest.raises(ConfigError, match=re.escape(key)) as caught:
        from_dict({"site": {"start_urls": ["https://www.example.gov.tw/"]}, "uptime": uptime})
    assert "unknown key" not in str(caught.value)
