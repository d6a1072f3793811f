"""The accessibility stage shared in batches: every batch tested once, a lapsed lease taken over, a late batch
task a no-op. A stand-in browser; the fleet test runs the real one across worker processes."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from siteaudit.checks import a11y_batches
from siteaudit.checks.base import CheckContext
from siteaudit.core import config as config_mod
from siteaudit.core.config import Config, ConfigError
from siteaudit.core.store import Store
from siteaudit.fleet.fanout import CeleryFanout
from siteaudit.fleet.tasks import a11y_batch

PAGES = [f"http://h/p{i}.html" for i in range(5)]


@dataclass
class StandInBrowser:
    tested: list[str] = field(default_factory=list)

    def test_pages(self, pages: list[str], paths: Any, opts: dict[str, Any], keep: Any = None
                   ) -> tuple[dict[str, dict[str, Any]], dict[str, str], str]:
        self.tested += pages
        results = {u: {"violations": [], "tested": u} for u in pages if not u.endswith("p4.html")}
        keep(results)
        return results, {u: "TimeoutException" for u in pages if u.endswith("p4.html")}, "4.10"


@dataclass
class Offers:
    """A fanout whose batches nobody takes, except as `on_send` pretends."""

    store: Store
    owner: str = "w1@here:1"
    batch_pages: int = 2
    lease_seconds: float = 5
    sent: list[int] = field(default_factory=list)
    on_send: Any = None

    def send(self, store: str, run_id: int, stage: str, n: int, options: dict[str, Any]) -> None:
        self.sent.append(n)
        if self.on_send:
            self.on_send(run_id, stage, n)


def stage(tmp_path: Path, fan: Offers | None = None) -> tuple[Store, CheckContext, dict[str, str | None]]:
    store = Store(tmp_path / "s.sqlite3")
    run = store.create_run("s", {}, "h", {})
    ctx = CheckContext(store, run, Config(), {}, fan or Offers(store))
    if fan:
        fan.store = store
    return store, ctx, {u: f"fp{i}" for i, u in enumerate(PAGES)}


def test_every_batch_is_offered_and_tested_once_when_no_other_worker_takes_one(tmp_path):
    store, ctx, prints = stage(tmp_path)
    browser = StandInBrowser()
    tested, not_tested, version = a11y_batches.coordinate(browser, ctx, PAGES, prints, None, {})
    assert sorted(browser.tested) == PAGES and ctx.fanout.sent == [0, 1, 2]
    assert (tested, not_tested, version) == (4, {PAGES[4]: "TimeoutException"}, "4.10")
    assert set(store.a11y_results(ctx.run_id)) == set(PAGES[:4])
    assert {b["tested_by"] for b in store.a11y_batches(ctx.run_id)} == {"w1@here:1"}
    assert store.integrity_problems() == []


def test_a_batch_whose_holder_died_is_taken_over_after_its_lease_and_only_its_missing_pages_are_tested(tmp_path):
    fan = Offers(None)  # type: ignore[arg-type]

    def dead_worker_takes_batch_0(run_id: int, stage_id: str, n: int) -> None:
        if n == 0:
            assert fan.store.claim_a11y_batch(run_id, stage_id, 0, "w2@there:9", 1.5)
            fan.store.add_a11y_tests(run_id, [{"url": PAGES[0], "fingerprint": "fp0", "tested_run": run_id,
                                               "tested_at": 1.0, "result": {"by": "w2"}}])

    fan.on_send = dead_worker_takes_batch_0
    store, ctx, prints = stage(tmp_path, fan)
    browser = StandInBrowser()
    a11y_batches.coordinate(browser, ctx, PAGES, prints, None, {})
    assert sorted(browser.tested) == PAGES[1:]  # the dead worker's stored page is not tested again
    first = store.a11y_batches(ctx.run_id)[0]
    assert (first["state"], first["claims"], first["tested_by"]) == ("done", 2, "w1@here:1")
    assert store.a11y_results(ctx.run_id)[PAGES[0]] == {"by": "w2"}
    assert store.integrity_problems() == []


def test_a_batch_task_arriving_after_its_batch_is_done_returns_at_once(tmp_path):
    store, ctx, prints = stage(tmp_path)
    a11y_batches.coordinate(StandInBrowser(), ctx, PAGES, prints, None, {})
    stage_id = store.a11y_batches(ctx.run_id)[0]["stage"]
    late = StandInBrowser()
    outcome = a11y_batches.run_batch(late, store, ctx.run_id, stage_id, 0, "w2@there:9", None, {}, 5)
    assert not outcome.taken and late.tested == []


def test_a_new_stage_of_the_same_run_drops_the_open_batches_of_the_last(tmp_path):
    store, ctx, prints = stage(tmp_path)
    store.add_a11y_batches(ctx.run_id, "dead-stage", a11y_batches.split(PAGES, prints, 2))
    a11y_batches.coordinate(StandInBrowser(), ctx, PAGES, prints, None, {})
    states = [(b["stage"], b["state"]) for b in store.a11y_batches(ctx.run_id)]
    assert states[:3] == [("dead-stage", "dropped")] * 3 and {s for _, s in states[3:]} == {"done"}


@pytest.mark.parametrize(("pages", "ok"), [(0, False), (-3, False), (1, True), (20, True)])
def test_a_batch_of_fewer_than_one_page_is_a_config_error(pages, ok):
    data = {"site": {"name": "s", "start_urls": ["http://h/"]}, "fleet": {"a11y_batch_pages": pages}}
    if ok:
        assert config_mod.from_dict(data).fleet.a11y_batch_pages == pages
    else:
        with pytest.raises(ConfigError, match="fleet.a11y_batch_pages: must"):
            config_mod.from_dict(data)


def test_a_fleet_audit_offers_its_batches_on_the_accessibility_queue_every_worker_takes():
    fan = CeleryFanout.for_worker("redis://127.0.0.1:9/0", "w1@here", 20, 60)
    assert fan.owner.startswith("w1@here:") and a11y_batch.name == "siteaudit.fleet.test_batch"
    assert a11y_batch.acks_late
    fan.send("postgresql://x/y", 1, "st", 0, {})  # an unreachable broker: a note, the audit tests it itself
    assert fan.failed
