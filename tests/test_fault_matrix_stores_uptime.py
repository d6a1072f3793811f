"""Never a silent false pass: a store that is not siteaudit's (or is a newer siteaudit's) is refused untouched,
and the nightly probe does not call an error page, a shrunken page or a redirect off the site 正常."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from conftest import run_cli, write_config
from services import fresh_pg_schema
from siteaudit.core.store import SCHEMA_VERSION, Store, StoreError


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


@pytest.fixture(params=["sqlite", "postgresql"])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield str(tmp_path / "s.sqlite3")
    else:
        with fresh_pg_schema() as url:
            yield url


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


# -- the nightly probe ----------------------------------------------------------------------------------------

def gov_page(title: str) -> bytes:
    return f'<html lang="zh-Hant"><head><meta charset="utf-8"><title>{title}</title></head><body></body></html>'.encode()


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
