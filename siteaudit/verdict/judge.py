"""The one judge: waivers applied, each check's declared inspection items, the run's status and exit code.

Reports render a `Verdict`; history and trends read the verdicts stored with past runs and never judge an
old run again with today's code.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Any

from siteaudit.checks import REGISTRY
from siteaudit.core.dates import run_zone
from siteaudit.core.results import ExitCode, InspectionItem, Status
from siteaudit.core.store import Store
from siteaudit.core.urls import trap_pages
from siteaudit.verdict.availability import availability_item
from siteaudit.verdict.waivers import Waiver, apply_waivers, is_waived

DID_NOT_DECIDE = (Status.NOT_RUN, Status.ERROR)


@dataclass
class Verdict:
    status: Status
    items: list[InspectionItem]
    checks: dict[str, dict[str, Any]]           # each check's summary, waivers applied
    findings: list[dict[str, Any]] = field(default_factory=list)   # waived ones marked, never dropped
    pages: int = 0                              # pages audited: HTML answered 2xx, not reached only through a trap

    @property
    def undecided(self) -> dict[str, str]:
        """Each check that ran but could not decide (not_run or error), with its reason."""
        return {name: str(s.get("reason") or s.get("status")) for name, s in self.checks.items()
                if Status(s.get("status", Status.NOT_RUN)) in DID_NOT_DECIDE}

    def last_line(self, run_id: int | None = None) -> str:
        """The console's closing line: the run's status, and every check that could not decide, with why."""
        head = f"siteaudit: {'run ' + str(run_id) + ' ' if run_id is not None else ''}{self.status}"
        missing = "; ".join(f"{name} {self.checks[name].get('status')}: {why}" for name, why in self.undecided.items())
        return f"{head} (not decided: {missing})" if missing else head

    @property
    def exit_code(self) -> ExitCode:
        return ExitCode.PASS if self.status == Status.PASS else ExitCode.FAIL

    def stored(self) -> dict[str, Any]:
        """What the store keeps with the run."""
        return {"status": str(self.status), "items": [i.as_dict() for i in self.items],
                "checks": {name: str(s.get("status", Status.NOT_RUN)) for name, s in self.checks.items()}}


def judge(store: Store, run_id: int, waivers: list[Waiver] | None = None, today: dt.date | None = None) -> Verdict:
    """Judge a stored run: its findings and summaries as the checks left them, waivers as of `today`."""
    run = store.run(run_id)
    if run is None:
        raise KeyError(run_id)
    findings, checks = apply_waivers(store.findings(run_id), run["summary"], waivers or [], today, run_zone(run))
    items: list[InspectionItem] = []
    for name, check in REGISTRY.items():
        summary = checks.get(name)
        in_force = [f for f in findings if f["check"] == name and not is_waived(f)]
        declared = check.inspection(summary or {"status": Status.NOT_RUN}, in_force)
        status = Status(summary.get("status", Status.NOT_RUN)) if summary else Status.NOT_RUN
        if status in DID_NOT_DECIDE:  # a check that did not run decides nothing, and never passes an item
            declared = [replace(i, status=status, measured_zh="—", measured_en="—", figure=None) for i in declared]
        items += declared
    items.append(availability_item(store, run["site"], run.get("finished") or run.get("started")))
    return Verdict(run_status(checks), items, checks, findings, audited_pages(store, run_id))


def run_status(checks: dict[str, dict[str, Any]]) -> Status:
    """fail when a check failed; else incomplete when an enabled check could not run (never a pass); else pass."""
    statuses = {Status(s.get("status", Status.NOT_RUN)) for s in checks.values()}
    if Status.FAIL in statuses:
        return Status.FAIL
    if statuses & set(DID_NOT_DECIDE):
        return Status.INCOMPLETE
    return Status.PASS


def stored_items(run: dict[str, Any]) -> list[InspectionItem]:
    """The inspection items judged when `run` ended; none for a run judged before verdicts were kept."""
    verdict = run.get("verdict") or {}
    return [InspectionItem.from_dict(i) for i in verdict.get("items", [])]


def audited_pages(store: Store, run_id: int) -> int:
    """HTML pages answered 2xx, less those reached only through a crawler trap (counted apart, never audited)."""
    trapped = trap_pages(store.traps(run_id))
    return sum(1 for p in store.pages(run_id, html_only=True) if p["url"] not in trapped)
