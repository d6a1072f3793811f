"""網站運轉情形: the one rule that says whether a day of the month was up, shared by the record form
(全球資訊網運轉情形紀錄表) and the audit report's inspection row, so the two can never disagree.

A day is decided by its check nearest the scheduled 20:00 (Asia/Taipei): an automatic probe batch (the last try
of each URL decides) or a person's check entered with `uptime record`. A day whose 20:00 check is still ahead
of "now" is left blank; a due day without any check is 未檢測. 可用率 = 正常日數 ÷ 已檢測日數.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from siteaudit.core.dates import TAIPEI
from siteaudit.core.results import InspectionItem, Status
from siteaudit.core.store import Store

ZH, EN = "網站運轉情形", "Availability (nightly log)"
TARGET = ("每晚檢測且正常", "Checked every night and up")
REGULATION = "提升服務品質執行計畫"
SECTION = "uptime-form"   # the report's section that embeds the month's form
SCHEDULED = dt.time(20, 0)
ON_TIME = (dt.time(19, 55), dt.time(20, 30))   # a check outside this window is flagged on the form
DUE = ON_TIME[1]   # a day without a check reads 未檢測 only once its check is overdue


class DayState(StrEnum):
    NORMAL = "normal"
    ABNORMAL = "abnormal"
    NOT_CHECKED = "not_checked"   # due, and no check was made
    AHEAD = "ahead"               # its 20:00 check is still to come: left blank


@dataclass(frozen=True)
class Check:
    """One check of a day: an automatic probe batch (every try) or a person's check."""

    at: dt.datetime                                       # Taipei time it ran
    normal: bool
    tries: list[dict[str, Any]] = field(default_factory=list)   # the batch's probe rows, in order
    manual: dict[str, Any] | None = None                  # the uptime_manual row of a person's check

    @property
    def finals(self) -> dict[str, dict[str, Any]]:
        """The last try of each URL: the one that decides."""
        return {t["url"]: t for t in self.tries}

    @property
    def on_time(self) -> bool:
        return ON_TIME[0] <= self.at.time() <= ON_TIME[1]


@dataclass(frozen=True)
class Day:
    day: dt.date
    state: DayState
    record: Check | None = None                           # the check that decides the day
    others: list[Check] = field(default_factory=list)     # the day's other checks, in time order


@dataclass(frozen=True)
class MonthFigures:
    days: int          # days of the month
    due: int           # days whose check is due by "now"
    checked: int
    normal: int
    abnormal: int
    not_checked: int
    ahead: int

    @property
    def availability(self) -> float | None:
        """可用率 in % (two decimals): 正常日數 ÷ 已檢測日數; None before any day was checked."""
        return round(100.0 * self.normal / self.checked, 2) if self.checked else None


def distance(check: Check) -> float:
    """Seconds between a check and its day's scheduled 20:00."""
    return abs((check.at - check.at.replace(hour=SCHEDULED.hour, minute=SCHEDULED.minute, second=0,
                                            microsecond=0)).total_seconds())


def day_checks(store: Store, site: str, first: dt.date, last: dt.date, now: dt.datetime) -> dict[dt.date, list[Check]]:
    """Every check made from `first` to `last` (Taipei days) up to `now`: probe batches and people's checks."""
    start = dt.datetime.combine(first, dt.time(), TAIPEI)
    end = min(dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), TAIPEI), now)
    batches: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for probe in store.probes(site, start.timestamp(), end.timestamp() + 1e-6):
        batches[probe["batch"]].append(probe)
    checks: dict[dt.date, list[Check]] = defaultdict(list)
    for tries in batches.values():
        at = dt.datetime.fromtimestamp(tries[0]["started"], TAIPEI)
        last_tries = {t["url"]: t for t in tries}
        checks[at.date()].append(Check(at, all(t["ok"] for t in last_tries.values()), tries))
    latest = {(r["day"], r["checked_at"]): r for r in store.manual_checks(site, first.isoformat(), last.isoformat())}
    for row in latest.values():  # a later entry for the same day and time corrects the earlier one
        at = dt.datetime.combine(dt.date.fromisoformat(row["day"]), dt.time.fromisoformat(row["checked_at"]), TAIPEI)
        if at <= now:
            checks[at.date()].append(Check(at, row["ok"], manual=row))
    return checks


def decide(day: dt.date, checks: list[Check], now: dt.datetime) -> Day:
    """The day's state from its checks: the one nearest 20:00 decides (on a tie, the automatic probe)."""
    if not checks:
        due = dt.datetime.combine(day, DUE, TAIPEI)
        return Day(day, DayState.NOT_CHECKED if now >= due else DayState.AHEAD)
    ranked = sorted(checks, key=lambda c: (distance(c), c.manual is not None))
    record = ranked[0]
    others = sorted(ranked[1:], key=lambda c: c.at)
    return Day(day, DayState.NORMAL if record.normal else DayState.ABNORMAL, record, others)


def month_days(store: Store, site: str, year: int, month: int, now: dt.datetime) -> list[Day]:
    """Each day of the month as of `now` (Taipei): the rule the form and the report's row share."""
    first = dt.date(year, month, 1)
    last = dt.date(year, month, calendar.monthrange(year, month)[1])
    checks = day_checks(store, site, first, last, now.astimezone(TAIPEI))
    return [decide(first + dt.timedelta(days=n), checks.get(first + dt.timedelta(days=n), []), now)
            for n in range(last.day)]


def month_figures(days: list[Day]) -> MonthFigures:
    count = {state: sum(1 for d in days if d.state == state) for state in DayState}
    normal, abnormal = count[DayState.NORMAL], count[DayState.ABNORMAL]
    return MonthFigures(len(days), len(days) - count[DayState.AHEAD], normal + abnormal, normal, abnormal,
                        count[DayState.NOT_CHECKED], count[DayState.AHEAD])


def as_of(run: dict[str, Any]) -> dt.datetime:
    """The moment a run's availability is judged at: when it finished (else started), in Taipei."""
    return dt.datetime.fromtimestamp(run.get("finished") or run["started"], TAIPEI)


def availability_item(store: Store, site: str, now: dt.datetime) -> InspectionItem:
    """The report's row: the calendar month so far, by the form's rule; it passes when every due day was
    checked and normal. A month without any check is not judged."""
    days = month_days(store, site, now.year, now.month, now)
    figures = month_figures(days)
    probed = tuple(dict.fromkeys(url for d in days if d.record for url in d.record.finals))
    where = {"evidence_urls": probed, "evidence_note_zh": "每日 20:00 檢測紀錄見本報告所附全球資訊網運轉情形紀錄表",
             "evidence_note_en": "The 20:00 check of each day is in the record form attached to this report"}
    zh = f"本月 已檢測 {figures.checked}/{figures.due} 日，異常 {figures.abnormal} 日"
    en = f"This month: {figures.checked}/{figures.due} days checked, {figures.abnormal} abnormal"
    if figures.not_checked and figures.checked:  # why a month with no abnormal day can still fail
        zh, en = f"{zh}，未檢測 {figures.not_checked} 日", f"{en}, {figures.not_checked} not checked"
    share = figures.availability
    if share is None:
        return InspectionItem("uptime", ZH, EN, *TARGET, zh, en, Status.NOT_RUN, REGULATION, **where)
    zh, en = f"{zh}（可用率 {share:.2f}%）", f"{en} (availability {share:.2f}%)"
    passed = figures.abnormal == 0 and figures.not_checked == 0
    return InspectionItem("uptime", ZH, EN, *TARGET, zh, en, Status.PASS if passed else Status.FAIL, REGULATION,
                          SECTION, share, **where)
