"""The one judge: waivers applied, each check's declared inspection items, the run's status and exit code.

Reports render a `Verdict`; history and trends read the verdicts stored with past runs and never judge an
old run again with today's code.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Any

from siteaudit.checks import REGISTRY
from siteaudit.core.dates import local_today, run_zone
from siteaudit.core.results import ExitCode, InspectionItem, Status
from siteaudit.core.store import Store
from siteaudit.core.urls import trap_pages
from siteaudit.verdict.availability import as_of, availability_item
from siteaudit.verdict.waivers import Waiver, apply_waivers, is_waived, waive_items

DID_NOT_DECIDE = (Status.NOT_RUN, Status.ERROR)
# A check that ran but left part of its work undecided (its summary's `incomplete` says what): its items say how
# far it got, and the run is incomplete unless something failed.
UNDECIDED = (*DID_NOT_DECIDE, Status.INCOMPLETE)


@dataclass
class Verdict:
    status: Status
    items: list[InspectionItem]
    checks: dict[str, dict[str, Any]]           # each check's summary, waivers applied
    findings: list[dict[str, Any]] = field(default_factory=list)   # waived ones marked, never dropped
    pages: int = 0                              # pages audited: HTML answered 2xx, not reached only through a trap
    item_checks: dict[str, str] = field(default_factory=dict)     # inspection item id -> the check declaring it

    @property
    def undecided(self) -> dict[str, str]:
        """Each inspection item left undecided, with why in English: its check was not selected, could not run or
        failed to run, or (網站運轉情形) no nightly check was recorded this month."""
        return {row["id"]: row["why_en"] for row in self.undecided_rows()}

    def undecided_rows(self) -> list[dict[str, str]]:
        """The undecided items as the report shows them: the item's name and why, in zh-TW and English."""
        rows = []
        for item in self.items:
            if item.status not in UNDECIDED:
                continue
            check = self.item_checks.get(item.id)
            summary = self.checks.get(check or "")
            if check and summary is None:
                why = ("未選擇此檢查（--checks 或 checks.enabled）", "check not selected (--checks or checks.enabled)")
            elif summary is not None:
                reason = str(summary.get("reason") or summary.get("incomplete") or "")
                word = {Status.ERROR: ("檢查失敗", "check failed"), Status.INCOMPLETE: ("未完成", "incomplete")}.get(
                    Status(summary.get("status", Status.NOT_RUN)), ("未執行", "not run"))
                why = (f"{word[0]}：{reason}" if reason else word[0],
                       f"{check} {word[1]}: {reason}" if reason else f"{check} {word[1]}")
            else:
                why = (item.measured_zh, item.measured_en)
            rows.append({"id": item.id, "zh": item.zh, "en": item.en, "why_zh": why[0], "why_en": why[1]})
        return rows

    def last_line(self, run_id: int | None = None, report: Any = None) -> str:
        """The console's closing line: the run's status, how many of the plan's items passed, the failed and the
        undecided ones (with why), and where the report is."""
        head = f"siteaudit: {'run ' + str(run_id) + ' ' if run_id is not None else ''}{self.status}"
        passed = sum(1 for i in self.items if i.status == Status.PASS)
        parts = [f"{passed}/{len(self.items)} items passed"]
        failed = [i.id for i in self.items if i.status == Status.FAIL]
        if failed:
            parts.append(f"failed: {', '.join(failed)}")
        waived = [i for i in self.items if i.status == Status.WAIVED]
        if waived:
            parts.append(f"waived ({len(waived)}): " + "; ".join(f"{i.id}: {i.waiver_text('en')}" for i in waived))
        if self.undecided:
            by_reason: dict[str, list[str]] = {}
            for item, why in self.undecided.items():
                by_reason.setdefault(why, []).append(item)
            parts.append(f"not decided ({len(self.undecided)}): "
                         + "; ".join(f"{', '.join(items)}: {why}" for why, items in by_reason.items()))
        if report:
            parts.append(f"report: {report}")
        return f"{head} — " + " — ".join(parts)

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
    item_checks: dict[str, str] = {}
    for name, check in REGISTRY.items():
        summary = checks.get(name)
        in_force = [f for f in findings if f["check"] == name and not is_waived(f)]
        declared = check.inspection(summary or {"status": Status.NOT_RUN}, in_force)
        status = Status(summary.get("status", Status.NOT_RUN)) if summary else Status.NOT_RUN
        if status in DID_NOT_DECIDE:  # a check that did not run decides nothing, and never passes an item
            declared = [replace(i, status=status, measured_zh="—", measured_en="—", figure=None) for i in declared]
        item_checks.update((i.id, name) for i in declared)
        items += declared
    items.append(availability_item(store, run["site"], as_of(run)))
    items = waive_items(items, waivers or [], today or local_today(run_zone(run)))
    return Verdict(run_status(checks, items, item_checks), items, checks, findings, audited_pages(store, run_id),
                   item_checks)


def run_status(checks: dict[str, dict[str, Any]], items: list[InspectionItem],
               item_checks: dict[str, str] | None = None) -> Status:
    """fail when a check or an inspection item failed; else pass only when every item of the plan was decided
    (passed, or waived by an item waiver) and passed; else incomplete (a check not selected, not run or failed to
    run; no nightly probe): never a pass. A check whose every item is waived decides nothing the run needs."""
    owner = item_checks or {}
    waived = {owner[i.id] for i in items if i.status == Status.WAIVED and i.id in owner}
    waived -= {owner[i.id] for i in items if i.status != Status.WAIVED and i.id in owner}
    check_statuses = {name: Status(s.get("status", Status.NOT_RUN)) for name, s in checks.items()}
    statuses = {st for name, st in check_statuses.items() if name not in waived or st == Status.FAIL}
    statuses |= {i.status for i in items}
    if Status.FAIL in statuses:
        return Status.FAIL
    if statuses & set(UNDECIDED):
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
