"""The fleet on loopback: real RabbitMQ and Redis (each as the broker; Redis keeps the fleet's state), real
PostgreSQL, real worker processes, fixture sites on their own ports and loopback addresses."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from conftest import run_cli, write_config
from fleetsites import build_site, finding_keys, findings_file
from services import AMQP_URL, REDIS_URL, fresh_pg_schema, purge_amqp_queues
from siteaudit.core.browser import process_tree, running
from siteaudit.core.names import folder_name
from siteaudit.core.results import Status
from siteaudit.core.store import Store
from siteaudit.demo.server import SiteServer, send
from siteaudit.fleet.state import FleetState

CHECKS = "links,documents,metadata"


BROKERS = {"amqp": AMQP_URL, "redis": REDIS_URL}
BOTH_BROKERS = pytest.mark.parametrize("fleet", ["amqp", "redis"], indirect=True)
SITE_STATES = ("complete", "failed", "uncrawlable")


@pytest.fixture
def fleet(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """Empty queues on the broker (RabbitMQ unless the test says redis) and an empty fleet state in Redis, a fresh
    PostgreSQL schema, and a way to start worker processes."""
    broker = BROKERS[getattr(request, "param", "amqp")]
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    if broker == AMQP_URL:
        purge_amqp_queues()
    workers: list[subprocess.Popen[bytes]] = []

    def start_worker(name: str, visibility_timeout: int = 10, out: Path | None = None) -> subprocess.Popen[bytes]:
        log = open(tmp_path / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen([sys.executable, "-m", "siteaudit", "worker", "--broker", broker, "--state", REDIS_URL,
                                 "--name", name, "--out", str(out or tmp_path / name), "--visibility-timeout",
                                 str(visibility_timeout), "--loglevel", "WARNING"], stdout=log, stderr=log,
                                start_new_session=True)
        workers.append(proc)
        return proc

    with fresh_pg_schema() as url:
        yield {"store": url, "start_worker": start_worker, "state": FleetState(client), "tmp": tmp_path,
               "broker": broker}
        for proc in workers:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(20)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
    client.flushdb()
    if broker == AMQP_URL:
        purge_amqp_queues()


def site_config(tmp: Path, server: SiteServer, name: str, store_url: str, crawl: dict | None = None,
                broker: str = AMQP_URL, start: str = "/", file: str | None = None) -> Path:
    path = tmp / f"{file or name}.toml"
    return write_config(path, server.base, tmp / "unused.sqlite3", crawl={"sitemaps": False, **(crawl or {})},
                        site={"name": name, "start_urls": [server.base + start]},
                        extra=f'url = "{store_url}"\n[fleet]\nbroker = "{broker}"\nstate = "{REDIS_URL}"\n'
                        'lock_seconds = 10\n')


def fix_store_section(path: Path) -> Path:
    """write_config writes store.path; a fleet config has store.url only."""
    text = path.read_text(encoding="utf-8")
    path.write_text("\n".join(line for line in text.splitlines() if not line.startswith("path =")) + "\n",
                    encoding="utf-8")
    return path


def wait_for(state: FleetState, sites: list[str], timeout: float = 240,
             during: Callable[[], None] | None = None) -> dict[str, dict[str, Any]]:
    deadline = time.time() + timeout
    while time.time() < deadline:
        states = state.sites()
        if all(states.get(s, {}).get("state") in SITE_STATES for s in sites) and \
                not any(state.pending(s) for s in sites):
            return states
        if during:
            during()
        time.sleep(0.5)
    raise AssertionError(f"fleet did not finish: {state.sites()}")


def single_machine(tmp: Path, config: Path, name: str, checks: str = CHECKS) -> list[tuple[str, str, str]]:
    """The same site audited by `siteaudit audit` into an SQLite store."""
    out = tmp / f"single-{name}"
    run_cli("audit", "--config", str(config), "--checks", checks, "--out", str(out),
            "--store", str(tmp / f"single-{name}.sqlite3"))
    return findings_file(out)


def fleet_findings(store_url: str, run_id: int) -> list[tuple[str, str, str]]:
    with Store(store_url, create=False) as store:
        return finding_keys(store.findings(run_id))


def slow_routes(root: Path, pages: int, delay: float) -> dict[str, Any]:
    def route_for(name: str) -> Callable[[Any], None]:
        def route(handler: Any) -> None:
            time.sleep(delay)
            send(handler, 200, (root / name).read_bytes())
        return route
    return {f"/p{i}.html": route_for(f"p{i}.html") for i in range(pages)}


def three_sites(tmp: Path, serve: Callable[..., SiteServer], store_url: str, slow_pages: int = 0,
                broker: str = AMQP_URL) -> dict[str, Path]:
    configs = {}
    for i, name in enumerate(("north", "south", "east")):
        pages = slow_pages if (slow_pages and i == 0) else 3 + i
        root = build_site(tmp / name, name, pages=pages)
        routes = slow_routes(root, pages, 0.15) if slow_pages and i == 0 else None
        server = serve(root, routes)
        crawl = {"concurrency": 1, "concurrency_per_host": 1} if slow_pages and i == 0 else None
        configs[name] = fix_store_section(site_config(tmp, server, name, store_url, crawl, broker))
    return configs


def test_three_sites_on_two_workers_find_what_single_machine_audits_find(fleet, serve):
    tmp, state, broker = fleet["tmp"], fleet["state"], fleet["broker"]
    configs = three_sites(tmp, serve, fleet["store"], broker=broker)
    closed = write_config(tmp / "down.toml", "http://127.0.0.1:9", tmp / "unused.sqlite3",
                          site={"name": "down"}, extra=f'url = "{fleet["store"]}"\n[fleet]\nstate = "{REDIS_URL}"\n')
    fix_store_section(closed)
    paths = [str(p) for p in configs.values()] + [str(closed)]
    first = run_cli("fleet", "enqueue", *paths, "--checks", CHECKS, "--broker", broker)
    again = run_cli("fleet", "enqueue", *paths, "--checks", CHECKS, "--broker", broker)
    assert first.returncode == 0, first.stderr
    assert first.stdout.count("queued") == 4 and again.stdout.count("already queued") == 4
    fleet["start_worker"]("w1")
    fleet["start_worker"]("w2")
    states = wait_for(state, [*configs, "down"])
    assert states["down"]["state"] == "uncrawlable"
    with Store(fleet["store"], create=False) as store:
        assert len(store.runs(limit=100)) == 4  # one audit per site, however often it was queued
        assert store.integrity_problems() == []
    for name, config in configs.items():
        assert states[name]["state"] == "complete", states[name]
        assert fleet_findings(fleet["store"], states[name]["run_id"]) == single_machine(tmp, config, name)
    status = run_cli("fleet", "status", "--broker", broker, "--state", REDIS_URL)
    assert "north" in status.stdout and "uncrawlable" in status.stdout
    report = run_cli("fleet", "report", "--store", fleet["store"], "--out", str(tmp / "portfolio"))
    assert report.returncode == 0, report.stderr
    page = (tmp / "portfolio" / "portfolio.html").read_text(encoding="utf-8")
    assert page.count('<tr data-site="') == 4 and "連結有效性" in page and "未通過" in page
    north = folder_name("north")
    assert f'href="sites/{north}/report.html#' in page and (tmp / f"portfolio/sites/{north}/report.html").is_file()
    assert "<script>" in page and "http" not in page.split("<script>")[1]  # self-contained: nothing fetched
    for extra, mode in (([], "incremental"), (["--full"], "full")):  # the next night: against the last run, or not
        assert run_cli("fleet", "enqueue", str(configs["east"]), "--checks", CHECKS, "--broker", broker,
                       *extra).returncode == 0
        again = wait_for(state, ["east"])["east"]
        with Store(fleet["store"], create=False) as store:
            assert store.run(again["run_id"])["plan"]["mode"] == mode
        assert fleet_findings(fleet["store"], again["run_id"]) == fleet_findings(fleet["store"],
                                                                                 states["east"]["run_id"])


@pytest.mark.parametrize("fleet", ["redis"], indirect=True)  # RabbitMQ has no visibility timeout
def test_an_audit_outliving_the_visibility_timeout_is_left_to_its_worker_and_done_once(fleet, serve):
    tmp, state = fleet["tmp"], fleet["state"]
    configs = three_sites(tmp, serve, fleet["store"], slow_pages=40, broker=fleet["broker"])  # north: 6 s and more
    result = run_cli("fleet", "enqueue", *map(str, configs.values()), "--checks", CHECKS, "--broker", fleet["broker"])
    assert result.returncode == 0, result.stderr
    fleet["start_worker"]("w1", visibility_timeout=2)
    fleet["start_worker"]("w2", visibility_timeout=2)
    seen: set[str] = set()
    states = wait_for(state, list(configs), timeout=300,
                      during=lambda: seen.update(s.get("state", "") for s in state.sites().values()))
    assert "failed" not in seen, states
    with Store(fleet["store"], create=False) as store:
        assert len(store.runs(limit=100)) == 3 and store.integrity_problems() == [], states
    for name in configs:
        assert states[name]["state"] == "complete", states


def test_enqueue_with_the_broker_down_is_one_line_and_exit_2(tmp_path, serve):
    server = serve(build_site(tmp_path / "site", "甲"))
    with fresh_pg_schema() as url:
        config = fix_store_section(site_config(tmp_path, server, "north", url))
        result = run_cli("fleet", "enqueue", str(config), "--broker", "redis://127.0.0.1:9/0")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "cannot reach the broker redis://127.0.0.1:9/0" in result.stderr


def test_enqueue_with_the_database_down_is_one_line_exit_2_and_queues_nothing(fleet, serve):
    server = serve(build_site(fleet["tmp"] / "site", "甲"))
    config = fix_store_section(site_config(fleet["tmp"], server, "north", "postgresql://postgres@127.0.0.1:9/test"))
    result = run_cli("fleet", "enqueue", str(config))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "cannot reach the database postgresql://postgres@127.0.0.1:9/test" in result.stderr
    assert fleet["state"].sites() == {} and fleet["state"].pending("north") is None


def test_a_config_error_is_rejected_at_enqueue_time_and_nothing_is_queued(fleet, serve):
    server = serve(build_site(fleet["tmp"] / "site", "甲"))
    good = fix_store_section(site_config(fleet["tmp"], server, "north", fleet["store"]))
    bad = fleet["tmp"] / "bad.toml"
    bad.write_text(good.read_text(encoding="utf-8").replace("[crawl]", "[crawl]\nmax_pagez = 3"), encoding="utf-8")
    result = run_cli("fleet", "enqueue", str(good), str(bad))
    assert result.returncode == 2 and "crawl.max_pagez" in result.stderr and result.stderr.count("\n") == 1
    assert fleet["state"].sites() == {}


def test_a_worker_with_the_broker_down_is_one_line_and_exit_2():
    result = run_cli("worker", "--broker", "redis://127.0.0.1:9/0", timeout=60)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "cannot reach the broker redis://127.0.0.1:9/0" in result.stderr


def test_a_hostile_site_name_is_escaped_on_the_portfolio_page(tmp_path):
    from siteaudit.fleet.portfolio import write_portfolio

    store = Store(tmp_path / "s.sqlite3")
    run = store.create_run("<script>alert(1)</script>", {}, "h", {})
    store.finish_run(run, "complete", {})
    store.save_verdict(run, {"status": "pass", "items": [], "checks": {}})
    html = write_portfolio(store, tmp_path / "out").read_text(encoding="utf-8")
    store.close()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def stored_site(store: Store, site: str, agency: str, statuses: list[str], error: str | None = None) -> None:
    """A site's run in `store` as a worker leaves it: complete with a stored verdict of 10 items (`statuses`), or
    failed with its error when `statuses` is empty."""
    from siteaudit.core.results import InspectionItem

    run = store.create_run(site, {"site": {"name": site, "agency": agency}}, "h", {})
    if not statuses:
        store.finish_run(run, "failed", {}, error=error)
        return
    store.finish_run(run, "complete", {})
    items = [InspectionItem(f"item{i}", f"項目{i}", f"Item {i}", "", "", "", "", Status(s), "").as_dict()
             for i, s in enumerate(statuses)]
    store.save_verdict(run, {"status": "fail", "items": items, "checks": {}})


def test_the_portfolio_names_agencies_counts_items_passed_and_shows_a_failed_site_in_red(tmp_path):
    from lxml import html as lxml_html

    from siteaudit.fleet.portfolio import write_portfolio

    store = Store(tmp_path / "s.sqlite3")
    stored_site(store, "north", "第一區管理處", ["pass"] * 7 + ["fail"] * 3)
    stored_site(store, "south", "第七區管理處", ["pass"] * 10)
    stored_site(store, "down", "第九區管理處", [], error="connection refused")
    pages = {lang: lxml_html.fromstring(write_portfolio(store, tmp_path / lang, lang).read_bytes())
             for lang in ("zh", "en")}
    store.close()
    zh, en = pages["zh"], pages["en"]
    headers = [th.text_content() for th in zh.xpath("//thead/tr/th")]
    assert "機關" in headers and "通過項數" in headers
    rows = {tr.get("data-site"): tr for tr in zh.xpath("//tbody/tr")}
    assert "第一區管理處" in rows["north"].text_content() and "7/10 項通過" in rows["north"].text_content()
    assert "10/10 項通過" in rows["south"].text_content() and "第九區管理處" in rows["down"].text_content()
    assert rows["down"].get("class") == "failed" and rows["north"].get("class") is None
    assert "失敗" in rows["down"].text_content() and "failed" not in rows["down"].text_content()
    style = zh.xpath("string(//style)")
    assert "tr.failed td.site, tr.failed td.none { background: #fde8e8; }" in style  # red, not grey
    down_en = en.xpath("//tbody/tr[@data-site='down']")[0].text_content()
    assert "last run: failed" in down_en and "connection refused" in down_en
    assert "7/10 passed" in en.xpath("string(//tbody/tr[@data-site='north'])")


A11Y_CHECKS = "links,metadata,accessibility"


def a11y_sites(tmp: Path, serve: Callable[..., SiteServer], store_url: str) -> dict[str, Path]:
    """North with 13 slow pages to test in the browser (7 batches of 2), south and east with 3 each: while one
    worker audits north, the other is soon free to take north's batches."""
    configs = {}
    for name, pages in (("north", 12), ("south", 2), ("east", 2)):
        root = build_site(tmp / name, name, pages=pages)
        server = serve(root, slow_routes(root, pages, 0.7) if name == "north" else None)
        path = fix_store_section(site_config(tmp, server, name, store_url))
        path.write_text(path.read_text(encoding="utf-8") + "a11y_batch_pages = 2\n"
                        "[checks.accessibility]\nworkers = 1\n", encoding="utf-8")
        configs[name] = path
    return configs


def batches_of(store_url: str, run_id: int) -> list[dict[str, Any]]:
    with Store(store_url, create=False) as store:
        return store.a11y_batches(run_id)


def assert_whole_a11y_results(store_url: str, states: dict[str, dict[str, Any]]) -> None:
    """Every HTML page of each site's run has one browser result; the store is consistent."""
    with Store(store_url, create=False) as store:
        assert store.integrity_problems() == []
        for name, st in states.items():
            html = {r["url"] for r in store.pages(st["run_id"], html_only=True)}
            assert set(store.a11y_tests(st["run_id"])) == html, name


def wait_until(condition: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while not condition():
        assert time.time() < deadline, "timed out"
        time.sleep(0.5)


def test_accessibility_batches_fan_out_to_both_workers_and_find_what_single_machine_audits_find(fleet, serve):
    tmp, state = fleet["tmp"], fleet["state"]
    configs = a11y_sites(tmp, serve, fleet["store"])
    result = run_cli("fleet", "enqueue", *map(str, configs.values()), "--checks", A11Y_CHECKS)
    assert result.returncode == 0, result.stderr
    fleet["start_worker"]("w1", visibility_timeout=120)
    fleet["start_worker"]("w2", visibility_timeout=120)
    states = wait_for(state, list(configs), timeout=150)
    for name, config in configs.items():
        assert states[name]["state"] == "complete", states[name]
        assert fleet_findings(fleet["store"], states[name]["run_id"]) == \
            single_machine(tmp, config, name, A11Y_CHECKS)
    assert_whole_a11y_results(fleet["store"], states)
    north = states["north"]["run_id"]
    # every batch was offered to the fleet: each batch task arrived (and found its batch done or took it)
    wait_until(lambda: all(b["deliveries"] >= 1 for b in batches_of(fleet["store"], north)))
    batches = batches_of(fleet["store"], north)
    assert len(batches) == 7 and all(b["state"] == "done" for b in batches)
    testers = {b["tested_by"].split("@")[0] for b in batches}
    assert testers == {"w1", "w2"}, batches  # north's own worker and the other, free after south and east


def test_a_worker_killed_mid_batch_leaves_it_to_another_and_nothing_is_lost_or_doubled(fleet, serve):
    tmp, state = fleet["tmp"], fleet["state"]
    configs = a11y_sites(tmp, serve, fleet["store"])
    result = run_cli("fleet", "enqueue", *map(str, configs.values()), "--checks", A11Y_CHECKS)
    assert result.returncode == 0, result.stderr
    workers = {"w1": fleet["start_worker"]("w1", 120), "w2": fleet["start_worker"]("w2", 120)}
    killed: list[dict[str, Any]] = []

    def kill_mid_batch() -> None:
        """Kill a worker while it tests a batch of the other worker's audit (its own process holds the lease)."""
        run_id = state.site("north").get("run_id")
        with Store(fleet["store"], create=False) as store:
            run = store.latest_run("north")
            held = [b for b in store.a11y_batches(run["id"])] if run and not killed and not run_id else []
        for batch in held:
            for name, proc in workers.items():
                if batch["state"] == "open" and batch["owner"] and batch["owner"].startswith(f"{name}@") \
                        and batch["owner"].endswith(f":{proc.pid}") and batch["expires"] > time.time():
                    os.killpg(proc.pid, signal.SIGKILL)
                    killed.append(batch)
                    return

    states = wait_for(state, list(configs), timeout=150, during=kill_mid_batch)
    assert killed, "north's accessibility stage ended before a worker testing one of its batches was killed"
    for name, config in configs.items():
        assert states[name]["state"] == "complete", states[name]
        assert fleet_findings(fleet["store"], states[name]["run_id"]) == \
            single_machine(tmp, config, name, A11Y_CHECKS)
    assert_whole_a11y_results(fleet["store"], states)
    taken_over = next(b for b in batches_of(fleet["store"], states["north"]["run_id"]) if b["n"] == killed[0]["n"]
                      and b["stage"] == killed[0]["stage"])
    assert taken_over["state"] == "done" and taken_over["claims"] >= 2 and taken_over["tested_by"] != killed[0]["owner"]


def four_sites(tmp: Path, serve: Callable[..., SiteServer], store_url: str, broker: str) -> dict[str, Path]:
    """Four sites on three hosts: `main` and `annex` on 127.0.0.1 (one server, so one host lock), `river` on
    127.0.0.2, `hill` on 127.0.0.3. main and river are slow (one page at a time, 0.15 s each)."""
    shared = build_site(tmp / "shared", "總處", pages=30)
    river_root = build_site(tmp / "river", "溪", pages=30)
    one = serve(shared, slow_routes(shared, 30, 0.15))
    two = serve(river_root, slow_routes(river_root, 30, 0.15), host="127.0.0.2")
    three = serve(build_site(tmp / "hill", "山", pages=3), host="127.0.0.3")
    slow = {"concurrency": 1, "concurrency_per_host": 1}
    return {name: fix_store_section(site_config(tmp, server, name, store_url, crawl, broker, start))
            for name, server, crawl, start in (("main", one, slow, "/"), ("annex", one, None, "/p1.html"),
                                               ("river", two, slow, "/"), ("hill", three, None, "/"))}


def crawling(store_url: str, site: str, pages: int = 3) -> bool:
    """The site's latest run is running and has scheduled `pages` pages or more."""
    with Store(store_url, create=False) as store:
        run = store.latest_run(site)
        return bool(run and run["status"] == "running" and store.scheduled_pages(run["id"]) >= pages)


@BOTH_BROKERS
def test_a_worker_killed_while_a_site_is_deferred_leaves_nothing_waiting_for_the_broker(fleet, serve):
    """The worker that deferred a site (its host busy) is SIGKILLed mid-audit: the deferred site is queued again
    when its host is free, the killed audit is resumed by the other worker once the dead worker's host lock is
    taken over, and nothing waits for Redis' visibility timeout (300 s here)."""
    tmp, state = fleet["tmp"], fleet["state"]
    configs = four_sites(tmp, serve, fleet["store"], fleet["broker"])
    result = run_cli("fleet", "enqueue", *map(str, configs.values()), "--checks", CHECKS, "--broker", fleet["broker"])
    assert result.returncode == 0, result.stderr
    workers = {name: fleet["start_worker"](name, visibility_timeout=300) for name in ("w1", "w2")}
    killed: dict[str, Any] = {}

    def kill_the_deferring_worker() -> None:
        if killed:
            return
        sites = state.sites()
        deferrer = sites.get("annex", {}).get("deferred_by", "")
        if sites.get("annex", {}).get("state") != "waiting" or not deferrer:
            return
        running = [s for s, st in sites.items() if st.get("state") == "running" and st.get("worker") == deferrer
                   and crawling(fleet["store"], s)]
        if running:
            os.kill(workers[deferrer.split("@")[0]].pid, signal.SIGKILL)
            killed.update(site=running[0], worker=deferrer, at=time.time(), tree=process_tree(
                workers[deferrer.split("@")[0]].pid))

    states = wait_for(state, list(configs), timeout=120, during=kill_the_deferring_worker)
    done = time.time()
    assert killed, "no worker was killed while annex was deferred"
    assert done - killed["at"] < 100, states  # all four within 2 minutes of the kill
    for name in configs:
        assert states[name]["state"] == "complete", states
    victim = states[killed["site"]]
    assert victim["worker"] != killed["worker"] and victim["resumed"] is True, victim
    assert states["annex"]["worker"] != killed["worker"]
    with Store(fleet["store"], create=False) as store:
        assert len(store.runs(limit=100)) == 4 and store.integrity_problems() == []
    assert fleet_findings(fleet["store"], victim["run_id"]) == single_machine(tmp, configs[killed["site"]],
                                                                              killed["site"])  # resumed, not redone
    print(f"\n{killed['site']} resumed {victim['started'] - killed['at']:.1f} s after its worker was killed "
          f"({fleet['broker'].split(':')[0]})")


def test_a_task_that_raises_leaves_its_site_failed_with_the_reason_and_the_next_enqueue_audits_it(fleet, serve):
    """A worker whose --out cannot be written; then a good one. The site's name is a path: nothing is written
    outside --out."""
    tmp, state = fleet["tmp"], fleet["state"]
    server = serve(build_site(tmp / "site", "甲"))
    name = "../../escaped"
    config = fix_store_section(site_config(tmp, server, name, fleet["store"], file="escape"))
    (tmp / "not-a-folder").write_text("", encoding="utf-8")
    bad = fleet["start_worker"]("w1", out=tmp / "not-a-folder" / "out")
    assert run_cli("fleet", "enqueue", str(config), "--checks", CHECKS).returncode == 0
    failed = wait_for(state, [name], timeout=60)[name]
    assert failed["state"] == "failed" and "not-a-folder" in failed["error"], failed
    status = run_cli("fleet", "status", "--state", REDIS_URL)
    assert "failed" in status.stdout and "not-a-folder" in status.stdout
    os.killpg(bad.pid, signal.SIGTERM)
    bad.wait(20)
    again = run_cli("fleet", "enqueue", str(config), "--checks", CHECKS)
    assert again.returncode == 0 and "already queued" not in again.stdout
    fleet["start_worker"]("w2", out=tmp / "deep" / "er" / "out")
    done = wait_for(state, [name], timeout=60)[name]
    assert done["state"] == "complete", done
    assert Path(done["out"]).parent == (tmp / "deep" / "er" / "out").resolve()
    assert not (tmp / "escaped").exists() and not (tmp / "deep" / "escaped").exists()


def test_two_names_that_differ_only_in_punctuation_get_their_own_portfolio_folders(tmp_path):
    from siteaudit.fleet.portfolio import write_portfolio

    store = Store(tmp_path / "s.sqlite3")
    for site in ('Water "A"', "Water <A>", "../x"):
        stored_site(store, site, "第一區管理處", ["pass"] * 2)
    page = write_portfolio(store, tmp_path / "out").read_text(encoding="utf-8")
    store.close()
    folders = {folder_name(s) for s in ('Water "A"', "Water <A>", "../x")}
    assert len(folders) == 3 and all("/" not in f and not f.startswith(".") for f in folders)
    for folder in folders:
        assert f'href="sites/{folder}/report.html' in page and (tmp_path / "out/sites" / folder).is_dir()
    assert not (tmp_path / "x").exists()


def browser_pids(pids: list[int]) -> list[int]:
    """Those of `pids` that are chromedriver or Chromium processes."""
    out = []
    for pid in pids:
        try:
            if "chrom" in Path(f"/proc/{pid}/comm").read_text(errors="replace"):
                out.append(pid)
        except OSError:
            continue
    return out


def test_a_worker_killed_by_pid_leaves_no_browser_behind(fleet, serve):
    """SIGKILL to the worker alone (not its process group) while its browsers test a batch: its chromedriver dies
    with it, and the other worker kills the Chromium that outlived chromedriver."""
    configs = a11y_sites(fleet["tmp"], serve, fleet["store"])
    assert run_cli("fleet", "enqueue", *map(str, configs.values()), "--checks", A11Y_CHECKS).returncode == 0
    workers = {"w1": fleet["start_worker"]("w1", 120), "w2": fleet["start_worker"]("w2", 120)}
    killed: list[int] = []

    def killed_one_with_browsers() -> bool:
        for proc in workers.values():
            tree = process_tree(proc.pid)
            if len(browser_pids(tree)) >= 2:
                os.kill(proc.pid, signal.SIGKILL)
                killed.extend(tree)
                return True
        return False

    wait_until(killed_one_with_browsers, timeout=90)
    wait_until(lambda: not [p for p in killed if running(p)], timeout=15)


def test_a_store_password_in_the_query_and_a_broker_password_are_never_printed(fleet, serve):
    server = serve(build_site(fleet["tmp"] / "site", "甲"))
    secret = "s3cr3t-pw"
    config = fix_store_section(site_config(fleet["tmp"], server, "north",
                                           f"postgresql://postgres@127.0.0.1:9/test?password={secret}"))
    result = run_cli("fleet", "enqueue", str(config))
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert "password=***" in result.stderr and secret not in result.stderr + result.stdout
    good = fix_store_section(site_config(fleet["tmp"], server, "south", fleet["store"]))
    result = run_cli("fleet", "enqueue", str(good), "--broker", f"amqp://guest:{secret}@127.0.0.1:9//")
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert "cannot reach the broker amqp://guest:***@127.0.0.1:9//" in result.stderr and secret not in result.stderr
    assert fleet["state"].sites() == {}
    worker = run_cli("worker", "--broker", f"amqp://guest:{secret}@127.0.0.1:9//", "--state", REDIS_URL, timeout=60)
    assert worker.returncode == 2 and "cannot reach the broker amqp://guest:***@127.0.0.1:9//" in worker.stderr
    assert secret not in worker.stderr and worker.stderr.count("\n") == 1
