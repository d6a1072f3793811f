"""Which pages the accessibility check must load in the browser, and which results it may take from an earlier
run: a page whose HTML and the stylesheets and scripts it loads are unchanged keeps the result of the run that
last tested it, for at most `incremental.max_age_days` days. Rules and limits: docs/checks/accessibility.md."""

from __future__ import annotations

import hashlib
import json
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from siteaudit.core.dates import format_local
from siteaudit.core.store import Store


def fingerprints(store: Store, run_id: int, body_hashes: dict[str, str | None]) -> dict[str, str | None]:
    """A page's fingerprint: its HTML body's hash and the version of every stylesheet and script it loads
    (ETag, Last-Modified, length, status). None when the page's body hash is unknown: never reused."""
    assets = store.template_assets(run_id)
    out: dict[str, str | None] = {}
    for url, body in body_hashes.items():
        text = json.dumps([body, assets.get(url, [])], ensure_ascii=False) if body else None
        out[url] = hashlib.sha256(text.encode()).hexdigest() if text else None
    return out


@dataclass
class TestPlan:
    """The sampled pages split into those to load in the browser and those whose result is already stored."""

    fresh: list[str] = field(default_factory=list)            # to test now
    done: dict[str, dict[str, Any]] = field(default_factory=dict)  # tested in this run already (a resumed stage)
    reused: dict[str, dict[str, Any]] = field(default_factory=dict)  # url -> row naming the run that tested it
    why_fresh: Counter[str] = field(default_factory=Counter)  # full-run | new | changed | expired -> pages
    max_age_days: float = 7                                    # the run's incremental.max_age_days


def plan_tests(store: Store, run_id: int, pages: list[str], prints: dict[str, str | None],
               now: float | None = None) -> TestPlan:
    """Split `pages`: results this run already holds, results of the base run's pages with the same fingerprint
    and younger than max_age_days, and the rest, to test afresh."""
    now = time.time() if now is None else now
    run_plan = (store.run(run_id) or {}).get("plan") or {}
    base = run_plan.get("base_run")
    plan = TestPlan(max_age_days=run_plan.get("max_age_days", 7))
    own = store.a11y_tests(run_id)
    earlier = store.a11y_tests(int(base)) if base else {}
    for url in pages:
        fp = prints.get(url)
        mine, theirs = own.get(url), earlier.get(url)
        if fp and mine and mine["fingerprint"] == fp:
            plan.done[url] = mine
        elif not base:
            plan.fresh.append(url)
            plan.why_fresh["full-run"] += 1
        elif not fp or theirs is None:
            plan.fresh.append(url)
            plan.why_fresh["new"] += 1
        elif theirs["fingerprint"] != fp:
            plan.fresh.append(url)
            plan.why_fresh["changed"] += 1
        elif now - theirs["tested_at"] > plan.max_age_days * 86400:
            plan.fresh.append(url)
            plan.why_fresh["expired"] += 1
        else:
            plan.reused[url] = {"url": url, "fingerprint": fp, "tested_run": theirs["tested_run"],
                                "tested_at": theirs["tested_at"], "result": None}
    if plan.reused:
        store.add_a11y_tests(run_id, plan.reused.values())
    return plan


def evidence(plan: TestPlan, tested_now: int, run_id: int, zone: str) -> dict[str, Any]:
    """What the report says about where each result came from: tested afresh in this run, or reused from a run
    (with its test date in the site's zone `zone`, as the report dates its run)."""
    origins: Counter[tuple[int, str]] = Counter()
    for row in [*plan.reused.values(), *plan.done.values()]:
        if row["tested_run"] != run_id:
            day = format_local(row["tested_at"], zone, "%Y-%m-%d")
            origins[(row["tested_run"], day)] += 1
    reused = sum(origins.values())
    earlier_in_this_run = len(plan.done) - sum(1 for row in plan.done.values() if row["tested_run"] != run_id)
    return {"pages_tested_fresh": tested_now + earlier_in_this_run, "pages_reused": reused,
            "reused_from": [{"run": run, "tested": day, "pages": n} for (run, day), n in sorted(origins.items())],
            "retested_because": dict(plan.why_fresh), "max_age_days": plan.max_age_days}
