"""`siteaudit demo` into the fleet's kind of store: a postgresql:// URL is a database, not a file name."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import run_cli
from services import fresh_pg_schema
from siteaudit.core.store import Store
from siteaudit.demo import demo_config


def test_a_demo_store_url_is_the_postgresql_store_and_a_path_is_an_sqlite_file(tmp_path):
    url = "postgresql://siteaudit@db.example:5432/siteaudit"
    assert demo_config("http://127.0.0.1:1", url).store_path() == url
    assert str(demo_config("http://127.0.0.1:1", str(tmp_path / "s.sqlite3")).store_path()) == \
        str(tmp_path / "s.sqlite3")


def test_the_demo_audits_into_postgresql_when_given_a_database_url(tmp_path):
    with fresh_pg_schema() as url:
        result = run_cli("demo", "--out", str(tmp_path / "out"), "--store", url, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        doc = json.loads((tmp_path / "out" / "findings.json").read_text(encoding="utf-8"))
        with Store(url, create=False) as store:
            run = store.latest_run("demo", status="complete")
            assert run is not None and run["id"] == doc["run"]["id"]
            assert store.count_pages(run["id"]) == doc["pages"] >= 40
            assert len(store.findings(run["id"])) == len(doc["findings"])
    assert not list(Path(tmp_path).glob("postgresql*")) and not (tmp_path / "postgresql:").exists()
