"""The store's API on both backends: SQLite (the default) and PostgreSQL (store.url), same schema, same answers."""

from __future__ import annotations

import sqlite3

import psycopg
import pytest

from conftest import run_cli, write_config
from fleetsites import build_site, findings_file
from services import fresh_pg_schema
from siteaudit.core.store import SCHEMA_VERSION, Store, StoreError


def page(url: str, **extra: object) -> dict[str, object]:
    return {"url": url, "status": 200, "verdict": "ok", "content_type": "text/html", "is_html": True, "size": 100,
            "title": "首頁", "meta": {"keywords": ["水"]}, "depth": 0, "fetched": 1.5, **extra}


def link(url: str, scope: str = "page") -> dict[str, object]:
    return {"element": "a", "attribute": "href", "text": "連結", "raw": url, "url": url, "scope": scope}


def test_a_run_is_created_finished_judged_and_listed_the_same_on_both_backends(location):
    with Store(location) as store:
        first = store.create_run("水利署", {"site": {"name": "水利署"}}, "abc", {"siteaudit": "0.1"})
        store.finish_run(first, "complete", {"links": {"status": "pass"}})
        store.save_verdict(first, {"status": "pass", "items": [{"id": "links", "status": "pass"}]})
        second = store.create_run("水利署", {}, "abc", {})
        assert second > first
        assert store.run(first)["verdict"]["items"][0]["id"] == "links"
        assert store.run(first)["summary"] == {"links": {"status": "pass"}}
        assert store.latest_run("水利署")["id"] == second
        assert store.latest_run("水利署", status="complete")["id"] == first
        assert store.previous_complete_run("水利署", second)["id"] == first
        assert [r["id"] for r in store.complete_runs("水利署", second, 5)] == [first]
        assert [r["id"] for r in store.runs()] == [second, first]
        assert store.run(second)["verdict"] is None
        assert isinstance(store.run(first)["started"], float)


def test_crawl_writes_in_one_batch_are_read_back_by_the_checks_queries(location):
    with Store(location) as store:
        run = store.create_run("s", {}, "h", {})
        store.begin()
        store.insert_page(run, page("http://h/"), [link("http://h/a"), link("http://h/doc.pdf", "document"),
                                                   link("http://h/b")])
        store.insert_page(run, page("http://h/a", depth=1, found_on="http://h/"), [link("http://h/")])
        store.insert_page(run, page("http://h/old", status=301, is_html=False, redirect_to="http://h/a"), [])
        store.insert_resource(run, {"url": "http://h/doc.pdf", "kind": "document", "status": 200,
                                    "verdict": "ok", "head": b"%PDF-1.4\x00\x01", "size": 9, "title": None})
        store.commit()
        store.finalize_redirects(run)
        assert store.count_pages(run) == 2
        assert store.scheduled_pages(run) == 3
        assert store.fetched_urls(run) == {"http://h/", "http://h/a", "http://h/old", "http://h/doc.pdf"}
        assert [r["url"] for r in store.pages(run, html_only=True)] == ["http://h/", "http://h/a"]
        assert bytes(next(store.resources(run, "document"))["head"]) == b"%PDF-1.4\x00\x01"
        frontier = {(url, scope) for url, scope, _, _ in store.frontier(run)}
        assert ("http://h/b", "page") in frontier and ("http://h/a", "page") in frontier
        targets = store.targets(run)
        assert targets["http://h/old"].final_url == "http://h/a"
        assert targets["http://h/old"].redirect_chain == [["http://h/old", 301], ["http://h/a", 200]]
        assert targets["http://h/"].is_html and targets["http://h/doc.pdf"].kind == "document"
        assert sorted(store.link_tuples(run, ("url", "scope"))) == sorted([
            ("http://h/a", "page", "http://h/"), ("http://h/doc.pdf", "document", "http://h/"),
            ("http://h/b", "page", "http://h/"), ("http://h/", "page", "http://h/a")])
        groups = {g[0]: g for g in store.link_groups(run, ("url",))}
        assert groups["http://h/"][1:] == (["http://h/a"], 1)
        assert dict(store.page_outcome(run, "http://h/"))["status"] == 200
        assert store.fetched_page(run, "http://x/", "http://h/a")["url"] == "http://h/a"
        assert store.integrity_problems() == []


def test_a_page_written_again_keeps_its_first_id_and_links(location):
    with Store(location) as store:
        run = store.create_run("s", {}, "h", {})
        ids = []
        for title, target in (("舊", "http://h/a"), ("新", "http://h/b")):
            store.begin()
            ids.append(store.insert_page(run, page("http://h/", title=title), [link(target)]))
            store.commit()
        assert ids[0] == ids[1]
        assert [r["title"] for r in store.pages(run)] == ["舊"]
        assert [t[0] for t in store.link_tuples(run, ("url",))] == ["http://h/a"]


def test_findings_are_replaced_as_a_whole_and_keep_their_order(location):
    finding = {"check": "links", "rule": "broken-link", "severity": "error", "url": "http://h/x",
               "pages": ["http://h/"], "message": "連結失效：HTTP 404 100%", "evidence": {"status": 404}}
    with Store(location) as store:
        run = store.create_run("s", {}, "h", {})
        store.replace_findings(run, [finding, {**finding, "url": "http://h/y"}])
        store.replace_findings(run, [finding])
        assert store.findings(run) == [finding]


def test_the_availability_log_appends_probes_alerts_and_notes(location):
    with Store(location) as store:
        store.add_probes([{"site": "s", "batch": "b1", "started": 100.0, "url": "http://h/", "attempt": 1,
                           "ok": False, "status": 503, "reason": "status", "detail": {"ms": 12}}])
        store.add_alert("s", "b1", "mail", False, "SMTP refused")
        store.add_note("s", "2026-11-26", "王小明", "21:10 恢復")
        assert store.probes("s", 0, 200)[0]["detail"] == {"ms": 12}
        assert store.alerts("s", "b1")[0]["ok"] is False
        assert store.notes("s", "2026-11-01", "2026-11-30")[0]["note"] == "21:10 恢復"
        store.add_manual_check("s", "2026-11-27", "20:00", True, "陳大文", "人工確認正常")
        [manual] = store.manual_checks("s", "2026-11-01", "2026-11-30")
        assert (manual["day"], manual["checked_at"], manual["ok"], manual["checked_by"]) == \
            ("2026-11-27", "20:00", True, "陳大文")
        assert store.manual_checks("s", "2026-12-01", "2026-12-31") == []


def test_an_older_store_is_upgraded_in_place_on_both_backends(location):
    # A schema 2 store: its version in `meta` (there since schema 1), runs without a verdict.
    meta = "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)"
    version = "INSERT INTO meta (key, value) VALUES ('schema_version', '2')"
    old_runs = ("CREATE TABLE runs (id {id}, site TEXT NOT NULL, started {real} NOT NULL, finished {real}, "
                "status TEXT NOT NULL, error TEXT, config TEXT NOT NULL, config_hash TEXT NOT NULL, "
                "versions TEXT NOT NULL, summary TEXT)")
    insert = "INSERT INTO runs (site, started, status, config, config_hash, versions) " \
             "VALUES ('old', 1.0, 'complete', '{}', 'h', '{}')"
    if location.startswith("postgresql"):
        with psycopg.connect(location, autocommit=True) as conn:
            conn.execute(old_runs.format(id="BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
                                         real="DOUBLE PRECISION"))
            for sql in (meta, version, insert):
                conn.execute(sql)
    else:
        db = sqlite3.connect(location)
        db.execute(old_runs.format(id="INTEGER PRIMARY KEY", real="REAL"))
        for sql in (meta, version, insert):
            db.execute(sql)
        db.commit()
        db.close()
    with Store(location) as store:
        assert store.schema_version() == SCHEMA_VERSION
        run = store.latest_run("old")
        assert run["verdict"] is None and run["status"] == "complete"
        store.save_verdict(run["id"], {"status": "pass"})
        assert store.run(run["id"])["verdict"] == {"status": "pass"}
        store.add_manual_check("old", "2026-11-27", "20:00", False, "陳大文", "")  # a table added since
        assert store.manual_checks("old", "2026-11-27", "2026-11-27")[0]["ok"] is False


def test_a_store_with_the_old_link_url_index_loses_it_and_gets_the_run_index_on_both_backends(location):
    with Store(location) as store:  # a schema 6 store: the index every store had before, its version marker
        store.begin()
        store.db.execute("DROP INDEX links_run")
        store.db.execute("CREATE INDEX links_run_url ON links(run_id, url)")
        store.db.execute("UPDATE meta SET value = '6' WHERE key = 'schema_version'")
        store.commit()
    with Store(location) as store:
        if location.startswith("postgresql"):
            names = {r[0] for r in store.db.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'links'")}
        else:
            names = {r[0] for r in store.db.execute("SELECT name FROM sqlite_master WHERE tbl_name = 'links' "
                                                    "AND type = 'index'")}
        assert "links_run_url" not in names
        assert {"links_run", "links_page"} <= names
        assert store.schema_version() == SCHEMA_VERSION == 7


def test_an_unreachable_database_is_one_store_error_naming_it_without_the_password():
    with pytest.raises(StoreError) as caught:
        Store("postgresql://auditor:secret@127.0.0.1:9/nowhere")
    message = str(caught.value)
    assert "127.0.0.1:9/nowhere" in message and "secret" not in message and "\n" not in message


def test_audit_into_an_unreachable_database_is_one_line_and_exit_2(tmp_path):
    cfg = write_config(tmp_path / "c.toml", "http://127.0.0.1:9", tmp_path / "unused.sqlite3")
    result = run_cli("audit", "--config", str(cfg), "--store", "postgresql://postgres@127.0.0.1:9/test")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "cannot reach the database postgresql://postgres@127.0.0.1:9/test" \
        in result.stderr


def test_an_audit_into_postgresql_finds_what_the_same_audit_into_sqlite_finds(tmp_path, serve):
    server = serve(build_site(tmp_path / "site", "甲"))
    cfg = write_config(tmp_path / "c.toml", server.base, tmp_path / "s.sqlite3", crawl={"sitemaps": False})
    checks = "links,documents,metadata"
    lite = run_cli("audit", "--config", str(cfg), "--checks", checks, "--out", str(tmp_path / "lite"))
    with fresh_pg_schema() as url:
        pg = run_cli("audit", "--config", str(cfg), "--checks", checks, "--out", str(tmp_path / "pg"),
                     "--store", url)
        with Store(url, create=False) as store:
            run = store.latest_run("fixture")
            assert run["status"] == "complete" and run["verdict"]["items"]
            assert store.integrity_problems() == []
    assert lite.returncode == pg.returncode == 1, pg.stderr
    assert findings_file(tmp_path / "pg") == findings_file(tmp_path / "lite")
    assert ("links", "broken-link", "/missing.html") in findings_file(tmp_path / "pg")


def test_a_run_has_one_live_owner_and_a_dead_owners_claim_is_taken_over(location):
    with Store(location) as store:
        run = store.create_run("s", {}, "h", {})
        assert store.claim_run(run, "host:1", lambda owner: True) is None
        assert store.claim_run(run, "host:2", lambda owner: owner == "host:1") == "host:1"  # alive: refused
        assert store.claim_run(run, "host:2", lambda owner: False) is None                  # dead: taken over
        store.release_run(run, "host:2")
        assert store.claim_run(run, "host:3", lambda owner: True) is None                   # released


def test_an_unchanged_page_and_its_browser_result_are_carried_between_runs_on_both_backends(location):
    with Store(location) as store:
        first = store.create_run("s", {}, "h", {})
        store.set_plan(first, {"mode": "full", "reason": "no-run"})
        store.begin()
        store.insert_page(first, page("http://h/", etag='"v1"', body_hash="abc"),
                          [link("http://h/site.css", "asset") | {"element": "link", "rel": "stylesheet"}])
        store.insert_resource(first, {"url": "http://h/site.css", "kind": "asset", "method": "HEAD", "status": 200,
                                      "verdict": "ok", "etag": '"c1"', "content_length": 20})
        store.commit()
        assert store.revalidation_index(first) == {"http://h/": ('"v1"', None, "abc")}
        assert store.template_assets(first) == {"http://h/": ['http://h/site.css "c1"||20|200']}
        store.add_a11y_tests(first, [{"url": "http://h/", "fingerprint": "f", "tested_run": first, "tested_at": 9.0,
                                      "result": {"violations": [{"id": "image-alt"}]}}])

        second = store.create_run("s", {}, "h", {})
        store.set_plan(second, {"mode": "incremental", "base_run": first})
        carried, links = store.stored_page(first, "http://h/")
        store.begin()
        store.insert_page(second, carried | {"revalidated": "not-modified", "carried_from": first}, links)
        store.commit()
        store.add_a11y_tests(second, [{"url": "http://h/", "fingerprint": "f", "tested_run": first, "tested_at": 9.0}])
        store.add_a11y_tests(second, [{"url": "http://h/", "fingerprint": "f", "tested_run": first, "tested_at": 9.0}])
        assert store.run(second)["plan"]["base_run"] == first
        assert store.reuse_counts(second) == {"pages_fetched": 0, "pages_not_modified": 1, "pages_same_body": 0,
                                              "documents_not_modified": 0, "carried_from": {first: 1}}
        assert store.a11y_tests(second) == {"http://h/": {"fingerprint": "f", "tested_run": first, "tested_at": 9.0}}
        assert store.a11y_results(second) == {"http://h/": {"violations": [{"id": "image-alt"}]}}
        assert [r["url"] for r in store.pages(second)] == ["http://h/"] and store.integrity_problems() == []


def test_an_accessibility_batch_is_held_by_one_lease_at_a_time_and_taken_over_when_it_lapses(location):
    with Store(location) as store:
        run = store.create_run("s", {}, "h", {})
        store.add_a11y_batches(run, "old", [{"http://h/": "f0"}])
        store.add_a11y_batches(run, "st", [{"http://h/": "f0", "http://h/a": "f1"}, {"http://h/b": "f2"}])
        store.add_a11y_batches(run, "st", [{"http://h/": "f0", "http://h/a": "f1"}, {"http://h/b": "f2"}])
        assert [b["state"] for b in store.a11y_batches(run)] == ["dropped", "open", "open"]
        assert store.claim_a11y_batch(run, "st", 0, "w1:1", 60)
        assert not store.claim_a11y_batch(run, "st", 0, "w2:2", 60)  # held
        assert store.renew_a11y_batch(run, "st", 0, "w1:1", 60)
        assert store.claim_a11y_batch(run, "st", 1, "w1:1", -1)      # a lease already lapsed
        assert store.claim_a11y_batch(run, "st", 1, "w2:2", 60)      # taken over
        assert not store.renew_a11y_batch(run, "st", 1, "w1:1", 60)
        store.add_a11y_tests(run, [{"url": "http://h/", "fingerprint": "f0", "tested_run": run, "tested_at": 1.0,
                                    "result": {"violations": []}}])
        store.finish_a11y_batch(run, "st", 0, "w1:1", {"http://h/a": "TimeoutException"})
        assert not store.claim_a11y_batch(run, "st", 0, "w2:2", 60)  # done
        store.count_a11y_delivery(run, "st", 0)
        first, second = store.a11y_batches(run, "st")
        assert (first["state"], first["tested_by"], first["deliveries"]) == ("done", "w1:1", 1)
        assert first["not_tested"] == {"http://h/a": "TimeoutException"}
        assert (second["owner"], second["claims"]) == ("w2:2", 2)
        assert store.integrity_problems() == []
        store.finish_a11y_batch(run, "st", 1, "w2:2", {})
        assert store.integrity_problems() == [f"a11y_batches: http://h/b of run {run} has no result"]
