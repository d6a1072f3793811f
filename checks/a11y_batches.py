"""The accessibility stage of a fleet audit: the pages to test split into batches that any worker may take under
a lease. The auditing process offers every batch to the fleet and works through them itself too: it takes any
batch nobody holds, and waits for a held one only until its pages are stored or its holder's lease lapses (then
takes it over and tests the pages still missing). Results are rows of the store, written whole and once per page;
findings are computed from them as in a single-machine audit."""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from siteaudit.checks.base import CheckContext
from siteaudit.core.store import Store

POLL_SECONDS = 0.5


class BrowserTester(Protocol):
    def test_pages(self, pages: list[str], paths: Any, opts: dict[str, Any], keep: Any = None
                   ) -> tuple[dict[str, dict[str, Any]], dict[str, str], str]: ...


@dataclass
class BatchOutcome:
    taken: bool                        # False: done already, or held by a live lease
    tested: int = 0                    # pages tested in the browser now
    not_tested: dict[str, str] = field(default_factory=dict)
    axe_version: str = ""


def split(pages: list[str], prints: dict[str, str | None], size: int) -> list[dict[str, str | None]]:
    """`pages` in batches of `size`, in order, each {url: fingerprint}."""
    return [{u: prints.get(u) for u in pages[i:i + size]} for i in range(0, len(pages), size)]


def all_stored(pages: dict[str, str | None], have: dict[str, dict[str, Any]]) -> bool:
    """Has every page of a batch a stored result of its fingerprint (its holder may not have said done yet)?"""
    return all(u in have and have[u]["fingerprint"] == (fp or "") for u, fp in pages.items())


def keep_renewed(location: str | Path, run_id: int, stage: str, n: int, owner: str,
                 seconds: float) -> threading.Event:
    """Renew `owner`'s lease every third of its life, on a connection of its own, until the event is set."""
    done = threading.Event()

    def renew() -> None:
        with Store(location, create=False) as store:
            while not done.wait(seconds / 3):
                store.renew_a11y_batch(run_id, stage, n, owner, seconds)

    threading.Thread(target=renew, name="siteaudit-a11y-lease", daemon=True).start()
    return done


def run_batch(check: BrowserTester, store: Store, run_id: int, stage: str, n: int, owner: str, paths: Any,
              opts: dict[str, Any], lease_seconds: float) -> BatchOutcome:
    """Take batch `n` if it is open and nobody else holds a live lease on it, test its pages that have no stored
    result yet, store each result as it comes and mark the batch done."""
    if not store.claim_a11y_batch(run_id, stage, n, owner, lease_seconds):
        return BatchOutcome(False)
    batch = next(b for b in store.a11y_batches(run_id, stage) if b["n"] == n)
    have = store.a11y_tests(run_id)
    missing = [u for u, fp in batch["pages"].items() if not all_stored({u: fp}, have)]
    renewing = keep_renewed(store.path, run_id, stage, n, owner, lease_seconds)

    def keep(results: dict[str, dict[str, Any]]) -> None:
        now = time.time()
        store.add_a11y_tests(run_id, [{"url": u, "fingerprint": batch["pages"][u] or "", "result": r,
                                       "tested_run": run_id, "tested_at": now} for u, r in results.items()])

    try:
        results, not_tested, version = check.test_pages(missing, paths, opts, keep) if missing else ({}, {}, "")
        store.finish_a11y_batch(run_id, stage, n, owner, not_tested)
    finally:
        renewing.set()
    return BatchOutcome(True, len(results), not_tested, version)


def coordinate(check: BrowserTester, ctx: CheckContext, fresh: list[str], prints: dict[str, str | None],
               paths: Any, opts: dict[str, Any]) -> tuple[int, dict[str, str], str]:
    """Test `fresh` in batches shared with the fleet; returns pages tested now (by anyone), the pages the
    browser could not test with the reasons, and axe-core's version when this process ran it."""
    fan = ctx.fanout
    assert fan is not None
    stage = uuid.uuid4().hex[:12]
    batches = split(fresh, prints, max(1, fan.batch_pages))
    ctx.store.add_a11y_batches(ctx.run_id, stage, batches)
    for n in range(len(batches)):
        fan.send(str(ctx.store.path), ctx.run_id, stage, n, opts)
    version = ""
    while True:
        have = ctx.store.a11y_tests(ctx.run_id)
        open_batches = [b for b in ctx.store.a11y_batches(ctx.run_id, stage)
                        if b["state"] == "open" and not all_stored(b["pages"], have)]
        if not open_batches:
            break
        took = False
        for batch in open_batches:
            outcome = run_batch(check, ctx.store, ctx.run_id, stage, batch["n"], fan.owner, paths, opts,
                                fan.lease_seconds)
            took = took or outcome.taken
            version = version or outcome.axe_version
        if not took:
            time.sleep(POLL_SECONDS)  # the rest are held by live leases: their pages arrive in the store
    not_tested: dict[str, str] = {}
    for batch in ctx.store.a11y_batches(ctx.run_id, stage):
        not_tested.update(batch["not_tested"])
    stored = ctx.store.a11y_tests(ctx.run_id)
    tested = sum(1 for u in fresh if u in stored and stored[u]["tested_run"] == ctx.run_id)
    return tested, not_tested, version
