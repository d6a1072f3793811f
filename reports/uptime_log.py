"""The monthly 全球資訊網運轉情形紀錄表: one row per day from the nightly probes, printable A4 HTML or CSV."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from siteaudit.core.dates import TAIPEI, ad_to_roc
from siteaudit.core.store import Store
from siteaudit.reports.export import write_csv
from siteaudit.reports.render import environment, page_templates

COLUMNS = ["日期（民國）", "日期（西元）", "檢查時間", "檢查網址", "HTTP 狀態", "回應時間(ms)", "憑證剩餘天數", "結果",
           "異常說明", "處理情形", "檢查人", "主管核章"]
FORM_COLUMNS = [c for c in COLUMNS if c != "檢查網址"]   # the printed form names the URLs once, in its header
NOT_CHECKED = "未檢測"
AUTOMATIC = "系統自動"
SCHEDULED = dt.time(20, 0)
ON_TIME = (dt.time(19, 55), dt.time(20, 30))   # a scheduled probe outside this window is flagged
CERT_WARN_DAYS = 30
MONTH_FORMS = "115-11, 115/11, 民國115年11月, 2026-11"
MONTH_PATTERN = re.compile(r"^\s*(?:民國)?\s*(\d{1,4})\s*(?:年|-|/)\s*(\d{1,2})\s*月?\s*$")


@dataclass
class DayRow:
    day: dt.date
    time: str = ""
    urls: list[str] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)
    response_ms: float | None = None
    cert_days: int | None = None
    result: str = NOT_CHECKED
    problems: list[str] = field(default_factory=list)
    handling: str = ""
    checked_by: str = ""
    off_schedule: bool = False

    @property
    def roc(self) -> str:
        return f"{ad_to_roc(self.day.year)}/{self.day.month:02d}/{self.day.day:02d}"

    @property
    def cert_warning(self) -> bool:
        return self.cert_days is not None and self.cert_days < CERT_WARN_DAYS

    def cells(self) -> list[str]:
        return [self.roc, self.day.isoformat(), self.time, " ".join(self.urls), " ".join(self.statuses),
                "" if self.response_ms is None else f"{self.response_ms:.0f}",
                "" if self.cert_days is None else str(self.cert_days), self.result, "；".join(self.problems),
                self.handling, self.checked_by, ""]


def parse_month(text: str) -> tuple[int, int]:
    """(AD year, month) of 115-11, 115/11, 民國115年11月 or 2026-11 (a year under 1912 is a 民國 year)."""
    match = MONTH_PATTERN.match(text)
    if match:
        year, month = int(match[1]), int(match[2])
        year = year + 1911 if 0 < year < 1912 else year
        if 1912 <= year <= 9999 and 1 <= month <= 12:
            return year, month
    raise ValueError(f"--month: expected one of {MONTH_FORMS}, got {text!r}")


def scheduled_batch(probes: list[dict[str, Any]]) -> str:
    """The day's batch nearest the scheduled 20:00 (Asia/Taipei)."""
    def distance(p: dict[str, Any]) -> float:
        at = dt.datetime.fromtimestamp(p["started"], TAIPEI)
        return abs((at - at.replace(hour=SCHEDULED.hour, minute=SCHEDULED.minute, second=0)).total_seconds())

    return min(probes, key=distance)["batch"]


def month_rows(store: Store, site: str, year: int, month: int) -> tuple[list[DayRow], dict[str, Any]]:
    """One row per day: the scheduled 20:00 probe decides; other failed probes of the day are listed."""
    days = calendar.monthrange(year, month)[1]
    start = dt.datetime(year, month, 1, tzinfo=TAIPEI)
    end = start + dt.timedelta(days=days)
    by_day: dict[dt.date, list[dict[str, Any]]] = defaultdict(list)
    for probe in store.probes(site, start.timestamp(), end.timestamp()):
        by_day[dt.datetime.fromtimestamp(probe["started"], TAIPEI).date()].append(probe)
    notes = {n["day"]: n for n in store.notes(site, start.date().isoformat(), (end.date() - dt.timedelta(1)).isoformat())}
    rows = []
    slowest: tuple[float, str] | None = None
    for d in range(1, days + 1):
        day = dt.date(year, month, d)
        row = DayRow(day)
        probes = by_day.get(day, [])
        if probes:
            chosen = scheduled_batch(probes)
            batch = [p for p in probes if p["batch"] == chosen]
            ran = dt.datetime.fromtimestamp(batch[0]["started"], TAIPEI)
            row.time = ran.strftime("%H:%M")
            row.off_schedule = not ON_TIME[0] <= ran.time() <= ON_TIME[1]
            if row.off_schedule:
                row.problems.append(f"檢測時間 {row.time} 不在排定的 19:55–20:30")
            finals: dict[str, dict[str, Any]] = {}
            for p in batch:
                finals[p["url"]] = p  # the last try of each URL decides
                if not p["ok"]:
                    row.problems.append(f"{p['url']} 第{p['attempt']}次：{p['reason']}")
            row.problems += [f"通知失敗（{a['channel']}）：{a['detail']}" for a in store.alerts(site, chosen)
                             if not a["ok"]]
            for p in probes:
                if p["batch"] != chosen and not p["ok"]:
                    at = dt.datetime.fromtimestamp(p["started"], TAIPEI).strftime("%H:%M")
                    row.problems.append(f"另次檢測 {at} 異常：{p['url']} {p['reason']}")
            row.urls = list(finals)
            row.statuses = [str(p["status"]) if p["status"] else "—" for p in finals.values()]
            times = [p["detail"].get("total_ms") for p in finals.values() if p["detail"].get("total_ms") is not None]
            row.response_ms = max(times) if times else None
            certs = [p["detail"].get("cert_days_left") for p in finals.values()
                     if p["detail"].get("cert_days_left") is not None]
            row.cert_days = min(certs) if certs else None
            row.result = "正常" if all(p["ok"] for p in finals.values()) else "異常"
            row.checked_by = AUTOMATIC
            if row.response_ms is not None and (slowest is None or row.response_ms > slowest[0]):
                slowest = (row.response_ms, day.isoformat())
        note = notes.get(day.isoformat())
        if note:
            row.handling, row.checked_by = note["note"], note["checked_by"] or row.checked_by
        rows.append(row)
    checked = [r for r in rows if r.result != NOT_CHECKED]
    normal = [r for r in checked if r.result == "正常"]
    summary = {
        "days": days, "days_checked": len(checked), "days_normal": len(normal),
        "days_not_checked": days - len(checked),
        "availability": round(100.0 * len(normal) / len(checked), 2) if checked else None,
        "slowest_ms": slowest[0] if slowest else None, "slowest_day": slowest[1] if slowest else None,
        "urls": list(dict.fromkeys(u for r in rows for u in r.urls)),
    }
    return rows, summary


def render_html(store: Store, site: str, agency: str, year: int, month: int) -> str:
    rows, summary = month_rows(store, site, year, month)
    return environment().get_template("uptime_log.html.j2").render(
        rows=rows, summary=summary, columns=FORM_COLUMNS, site=site, agency=agency, cert_warn=CERT_WARN_DAYS,
        roc_year=ad_to_roc(year), year=year, month=month)


def render_csv(store: Store, site: str, year: int, month: int) -> str:
    """The record form as CSV (BOM: Excel opens UTF-8 Chinese correctly), cells neutralised like every export."""
    rows, _ = month_rows(store, site, year, month)
    return write_csv(COLUMNS, [row.cells() for row in rows])


def form_templates(site: str, agency: str, year: int, month: int) -> tuple[str, str]:
    """The printed form's header and footer (第 X 頁／共 Y 頁)."""
    return page_templates(f"{agency}　全球資訊網運轉情形紀錄表", f"{site}　民國{ad_to_roc(year)}年{month}月")
