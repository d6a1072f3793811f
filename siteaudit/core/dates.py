"""ROC (民國) and AD dates: the one place that finds, parses, converts and labels them; and the one clock every
time a person reads is shown in: the site's time zone (`site.timezone`, default Asia/Taipei), labelled.

AD year = ROC year + 1911 (民國97年 = 2008). Forms found in text: 民國97年, 97年度, 中華民國105年2月16日,
105年2月16日, 105/02/16, 105.02.16, 105-02-16, 1050216 and 0970101 (YYYMMDD), 2016-02-16, 2016/02/16,
20160216, 2016年2月16日, 2016年. Document numbers (台水企字第1050004602號), phone numbers (02-2345-6789)
and amounts (1,050,216元) are not dates. Two-digit ROC years (97.1.25) are read as ROC, as on .gov.tw pages.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import functools
import os
import re
import time
from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

ROC_OFFSET = 1911
# Labels of a displayed date: an update label wins over a publish label (the crawl keeps the texts around
# them, the freshness check reads their dates). A label counts only where a label stands: at the start of
# an element or line, or after a separator, and followed by a date (labelled_dates); 更新 inside a sentence
# (因辦理加壓站設備更新) is a word, not a label. Longer labels first: the regex tries them in order.
UPDATE_LABELS = ("最後更新日期", "最後更新時間", "最後更新", "資料更新日期", "資料更新時間", "資料更新", "更新日期",
                 "更新時間", "修改日期", "修訂日期", "異動日期", "Last updated", "Last modified", "Updated")
PUBLISH_LABELS = ("發布日期", "發佈日期", "發布時間", "發佈時間", "公告日期", "上版日期", "上架日期", "上稿日期",
                  "刊登日期", "張貼日期", "Published")
TAIPEI = dt.timezone(dt.timedelta(hours=8), "Asia/Taipei")  # Taiwan keeps no daylight saving
_NOT_NUMBER_BEFORE = r"(?<![\d,./-])(?<!第)"
_NOT_DIGIT_BEFORE = r"(?<![\d,.])(?<!第)"
_NOT_NUMBER_AFTER = r"(?![\d,]|號|元|:\d|\.\d)"

# Ordered: the first pattern that matches a span wins; later patterns skip spans already taken.
PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("roc_full", re.compile(r"(?:中華)?民國\s*(\d{1,3})\s*年(?:\s*(\d{1,2})\s*月(?:\s*(\d{1,2})\s*日)?)?")),
    ("cjk_date", re.compile(_NOT_NUMBER_BEFORE + r"(\d{2,4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")),
    ("cjk_month", re.compile(_NOT_NUMBER_BEFORE + r"(\d{2,4})\s*年\s*(\d{1,2})\s*月(?!\s*\d)")),
    ("ad_iso", re.compile(_NOT_NUMBER_BEFORE + r"((?:19|20)\d{2})([-/.])(\d{1,2})\2(\d{1,2})" + r"(?![\d])")),
    ("roc_sep", re.compile(_NOT_NUMBER_BEFORE + r"(\d{2,3})([/.-])(\d{1,2})\2(\d{1,2})" + _NOT_NUMBER_AFTER)),
    ("ad_compact", re.compile(_NOT_DIGIT_BEFORE + r"((?:19|20)\d{2})(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])"
                              + _NOT_NUMBER_AFTER)),
    ("roc_compact", re.compile(_NOT_DIGIT_BEFORE + r"(0\d{2}|1[0-4]\d)(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])"
                               + _NOT_NUMBER_AFTER)),
    ("cjk_year", re.compile(_NOT_NUMBER_BEFORE + r"(\d{2,4})\s*年(度)?(?!\s*\d{1,2}\s*月)")),
]


@dataclass(frozen=True)
class FoundDate:
    """A date or year found in text. `day`/`month` are None for a year (or month) alone."""

    raw: str
    year: int           # AD
    month: int | None
    day: int | None
    calendar: str       # roc | ad
    start: int

    @property
    def date(self) -> date | None:
        if self.month and self.day:
            return date(self.year, self.month, self.day)
        return None


def roc_to_ad(roc_year: int) -> int:
    return roc_year + ROC_OFFSET


def ad_to_roc(ad_year: int) -> int:
    return ad_year - ROC_OFFSET


def _year(digits: str, force_roc: bool = False) -> tuple[int, str] | None:
    value = int(digits)
    if len(digits) == 4 and not force_roc:
        return (value, "ad") if 1900 <= value <= 2100 else None
    if 1 <= value <= 199:
        return roc_to_ad(value), "roc"
    return None


def _valid(year: int, month: int | None, day: int | None) -> bool:
    if month is None:
        return True
    if not 1 <= month <= 12:
        return False
    if day is None:
        return True
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def _interpret(kind: str, m: re.Match[str]) -> tuple[int, int | None, int | None, str] | None:
    g = m.groups()
    if kind == "roc_full":
        y = _year(g[0], force_roc=True)
        month, day = (int(g[1]) if g[1] else None), (int(g[2]) if g[2] else None)
    elif kind in ("cjk_date", "cjk_month"):
        y = _year(g[0])
        month, day = int(g[1]), (int(g[2]) if kind == "cjk_date" else None)
    elif kind == "ad_iso":
        y = (int(g[0]), "ad")
        month, day = int(g[2]), int(g[3])
    elif kind == "roc_sep":
        roc = int(g[0])
        if len(g[0]) == 2 and roc < 50:  # "10.5.1" is more likely a version or a section number
            return None
        y = _year(g[0], force_roc=True)
        month, day = int(g[2]), int(g[3])
    elif kind == "ad_compact":
        y = (int(g[0]), "ad")
        month, day = int(g[1]), int(g[2])
    elif kind == "roc_compact":
        y = _year(g[0], force_roc=True)
        month, day = int(g[1]), int(g[2])
    else:  # cjk_year
        y = _year(g[0], force_roc=len(g[0]) < 4)
        month = day = None
    if y is None or not _valid(y[0], month, day):
        return None
    return y[0], month, day, y[1]


def find_dates(text: str) -> list[FoundDate]:
    """Every date, month or year mentioned in `text`, in order of appearance."""
    if not text:
        return []
    taken: list[tuple[int, int]] = []
    found: list[FoundDate] = []
    for kind, pattern in PATTERNS:
        for m in pattern.finditer(text):
            span = m.span()
            if any(span[0] < e and s < span[1] for s, e in taken):
                continue
            got = _interpret(kind, m)
            if got is None:
                continue
            taken.append(span)
            year, month, day, calendar = got
            found.append(FoundDate(m.group(0), year, month, day, calendar, span[0]))
    return sorted(found, key=lambda f: f.start)


def parse_date(text: str) -> date | None:
    """The full date in a string such as a meta content or an update stamp, or None."""
    for found in find_dates(text or ""):
        if found.date is not None:
            return found.date
    return None


def find_years(text: str) -> set[int]:
    """AD years mentioned in `text` (dates, 97年度, 民國97年, 2016年)."""
    return {f.year for f in find_dates(text)}


def find_period_years(text: str) -> set[int]:
    """AD years named as a period (97年度, 2016年, 113年5月), not as a day: a day beside a record is more often
    its upload or update date than its year."""
    return {f.year for f in find_dates(text) if f.day is None}


_BARE_ROC = re.compile(r"(?<![\d])(9[0-9]|1[0-4]\d)(?![\d])")
_BARE_AD = re.compile(r"(?<![\d])(19[5-9]\d|20\d\d)(?![\d])")


def years_in_file_name(name: str) -> set[int]:
    """AD years in a file name: dates as in text, plus bare years (budget-105.pdf, stats_2016.ods)."""
    years = find_years(name)
    if years:
        return years
    stem = name.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return {int(m) for m in _BARE_AD.findall(stem)} or {roc_to_ad(int(m)) for m in _BARE_ROC.findall(stem)}


def roc_date_label(when: time.struct_time | date) -> str:
    """中華民國115年11月26日 for 2026-11-26."""
    if isinstance(when, time.struct_time):
        year, month, day = when.tm_year, when.tm_mon, when.tm_mday
    else:
        year, month, day = when.year, when.month, when.day
    return f"中華民國{ad_to_roc(year)}年{month}月{day}日"


_LABEL_START = r"(?:^|(?<=[\s|｜│/／,，;；、。.\]】)）>:：]))"
_LABELLED = re.compile(
    _LABEL_START + "(?P<label>" + "|".join(re.escape(x) for x in (*UPDATE_LABELS, *PUBLISH_LABELS)) + ")"
    + r"\s*(?:[:：]|\s|-|－)?\s*", re.IGNORECASE)


@dataclass(frozen=True)
class LabelledDate:
    """A date shown under an update or publish label."""

    kind: str   # update | publish
    label: str
    date: date


def labelled_dates(text: str) -> list[LabelledDate]:
    """The dates `text` shows under an update or publish label, in order: a label at the start of the text,
    of a line, or after a separator, followed at once by a full date."""
    out: list[LabelledDate] = []
    lowered = {x.lower(): x for x in UPDATE_LABELS}
    for m in _LABELLED.finditer(text or ""):
        rest = text[m.end():m.end() + 40]
        dates = find_dates(rest)
        if dates and dates[0].start == 0 and dates[0].date is not None:
            kind = "update" if m.group("label").lower() in lowered else "publish"
            out.append(LabelledDate(kind, m.group("label"), dates[0].date))
    return out


# Headers of a column or list whose cells are record years even when written as a full date (103/01/01 under
# 年度 is the record of 103, not an upload day). A header is read by its parts: 年度／公告日期, 年度(民國) and
# 年份（西元） are year headers; 上傳日期(民國) or 年度預算書 are not (a part that is neither a year word nor a
# calendar qualifier makes it some other column).
YEAR_HEADERS = ("年度", "年份", "年別", "公告日期")
YEAR_QUALIFIERS = ("民國", "中華民國", "西元", "民國年", "西元年", "年", "ROC", "AD")
_HEADER_PARTS = re.compile(r"[\s/／|｜、,，;；:：()（）\[\]［］【】〔〕＜＞<>\-－]+")
_HEADED_CELL = re.compile("(?:" + "|".join(YEAR_HEADERS) + r")：(?P<cell>[^｜]*)")
_BARE_YEAR = re.compile(r"\s*(\d{2,4})\s*")
HEADED_LABEL = "年度"  # how the crawl writes a cell under any year header into its row text: `年度：103/01/01｜`


def is_year_header(text: str | None) -> bool:
    """A column or list header naming record years: 年度, 年份, 公告日期, or a combination of them with each
    other or a calendar (年度／公告日期, 年度(民國), 年份（西元）), with spaces or a colon around."""
    parts = [p for p in _HEADER_PARTS.split((text or "").replace("\u3000", " ")) if p]
    return (any(p in YEAR_HEADERS for p in parts)
            and all(p in YEAR_HEADERS or p in YEAR_QUALIFIERS for p in parts))


def cell_years(cell: str) -> set[int]:
    """The years of a cell under a year header: any ROC or AD date form (103/01/01, 106.01.01, 1090101,
    111-01-01, 2023-01-01, 民國103年1月1日, 103年度), or a bare year alone in the cell (103, 2014)."""
    years = find_years(cell)
    if years:
        return years
    bare = _BARE_YEAR.fullmatch(cell)
    year = _year(bare.group(1)) if bare else None
    return {year[0]} if year else set()


def headed_years(row_text: str | None, listing_label: str | None = None) -> set[int]:
    """Years of a listing row given under a year header: `年度：103/01/01` cells the crawl wrote for a table
    column headed 年度 (or 年度／公告日期...), or the whole row of a list headed 年度 / 公告日期."""
    if not row_text:
        return set()
    if is_year_header(listing_label):
        return find_years(row_text)
    return {y for m in _HEADED_CELL.finditer(row_text) for y in cell_years(m.group("cell"))}


def http_date(value: str | None) -> dt.datetime | None:
    """An HTTP date header (Last-Modified, Retry-After…) as an aware datetime, or None when it is missing or not a
    date a calendar holds (year 99999999999 overflows): one bad header stays one page's problem."""
    if not value:
        return None
    try:
        when = email.utils.parsedate_to_datetime(value.strip())
        when.timestamp()  # years past 9999 or before 1 fail here, not later in a check
    except (TypeError, ValueError, OverflowError, IndexError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


# -- the site's clock ---------------------------------------------------------------------------------------
# Stored times are UTC epoch seconds; everything a person reads is shown in the site's zone, labelled.
DEFAULT_ZONE = "Asia/Taipei"
ZONE_LABELS = {"Asia/Taipei": ("臺北時間", "Taipei time")}
MINUTE = "%Y-%m-%d %H:%M"
NOW_VARIABLE = "SITEAUDIT_NOW"   # for tests only: the instant the process's clock starts at


@functools.cache
def zone_info(zone: str) -> ZoneInfo:
    """The IANA zone `zone` (Asia/Taipei, Pacific/Auckland…); ValueError when there is no such zone."""
    try:
        return ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise ValueError(f"{zone!r} is not a time zone of the IANA database (e.g. Asia/Taipei)") from exc


def local_time(ts: float, zone: str = DEFAULT_ZONE) -> dt.datetime:
    """Epoch seconds as an aware datetime in `zone`, whatever the machine's own zone."""
    return dt.datetime.fromtimestamp(ts, zone_info(zone))


def format_local(ts: float, zone: str = DEFAULT_ZONE, fmt: str = MINUTE) -> str:
    """Epoch seconds formatted (strftime) in `zone`."""
    return local_time(ts, zone).strftime(fmt)


def iso_local(ts: float, zone: str = DEFAULT_ZONE) -> str:
    """ISO-8601 with the zone's offset, to the second: 2026-11-26T02:30:00+08:00."""
    return local_time(ts, zone).isoformat(timespec="seconds")


def zone_label(zone: str = DEFAULT_ZONE, lang: str = "zh") -> str:
    """What a shown time is labelled with: 臺北時間 / Taipei time, else the zone's name."""
    zh, en = ZONE_LABELS.get(zone, (zone, zone))
    return zh if lang == "zh" else en


def labelled(ts: float, zone: str = DEFAULT_ZONE, lang: str = "zh", fmt: str = MINUTE) -> str:
    """A time as a person reads it: 2026-11-26 02:30 臺北時間, 2026-11-26 02:30 Taipei time."""
    return f"{format_local(ts, zone, fmt)} {zone_label(zone, lang)}"


def run_zone(run: dict[str, Any] | None) -> str:
    """The zone of a stored run: its config's site.timezone (runs stored before it existed: Asia/Taipei)."""
    config = (run or {}).get("config") or {}
    return (config.get("site") or {}).get("timezone") or DEFAULT_ZONE


def fixed_now(value: str) -> float:
    """SITEAUDIT_NOW's instant: epoch seconds, or ISO-8601 with an offset (2026-11-25T18:30:00+00:00)."""
    try:
        return float(value)
    except ValueError:
        pass
    try:
        when = dt.datetime.fromisoformat(value)
    except ValueError:
        when = None
    if when is None or when.tzinfo is None:
        raise ValueError(f"{NOW_VARIABLE}: {value!r} is neither epoch seconds nor ISO-8601 with an offset")
    return when.timestamp()


_clock_starts: dict[str, tuple[float, float]] = {}   # SITEAUDIT_NOW value -> (its instant, monotonic then)


def now() -> float:
    """Epoch seconds now. Under SITEAUDIT_NOW (tests only) the process's clock starts at that instant and runs
    on from there, so a test can date a run near midnight without touching the machine's clock."""
    fixed = os.environ.get(NOW_VARIABLE)
    if not fixed:
        return time.time()
    if fixed not in _clock_starts:
        _clock_starts[fixed] = (fixed_now(fixed), time.monotonic())
    instant, then = _clock_starts[fixed]
    return instant + time.monotonic() - then


def local_today(zone: str = DEFAULT_ZONE) -> date:
    """Today's date in `zone` (not the machine's): what a check or a waiver judges against."""
    return local_time(now(), zone).date()
