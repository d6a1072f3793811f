"""The rows of the 全球資訊網運轉情形紀錄表 as a reader sees them: one line per URL per day in plain words, each
row's text fitted to the lines the one A4 page leaves it (the cut rest is in the CSV), for the printed form
and for the section of the audit report that embeds it. Days are decided by the verdict's rule
(`siteaudit.verdict.availability`), never here.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from siteaudit.core.dates import TAIPEI, ad_to_roc
from siteaudit.core.store import Store
from siteaudit.verdict.availability import (
    ON_TIME,
    Check,
    Day,
    DayState,
    MonthFigures,
    month_days,
    month_figures,
)

CERT_WARN_DAYS = 30
ROW_LINES = 41     # text lines the printed page holds for the day rows (a row has one, or up to MAX_LINES)
MAX_LINES = 3
URL_LINES = 2      # lines of the header's URL list
MARKERS = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
SEPARATORS = {"zh": "；", "en": "; "}   # between the statements of a cell
# Column widths in em of the form's font; 異常說明 takes what is left of an A4 landscape page. Headings break at
# \n on the form (two lines at most) and are one line in the CSV.
PAGE_EM = 111.0    # 271.6 mm printable width at 7 pt, less a cell padding
WIDTHS = {"roc": 5.2, "ad": 5.6, "time": 3.2, "status": 5.8, "ms": 5.0, "cert": 6.6, "result": 6.4,
          "handling": 22.0, "by": 5.8, "seal": 3.4}
PROBLEMS_EM = PAGE_EM - sum(WIDTHS.values())
FILL = 0.95        # share of a line the estimate fills: a browser breaks lines a little earlier than the sum

WORDS = {
    "zh": {"title": "全球資訊網運轉情形紀錄表", "urls": "檢查網址", "no_urls": "（本月無檢測紀錄）",
           "roc": "日期\n（民國）", "ad": "日期\n（西元）", "time": "檢查\n時間", "status": "HTTP 狀態",
           "ms": "回應時間\n(ms)", "cert": "憑證剩餘\n天數", "result": "結果", "problems": "異常說明",
           "handling": "處理情形", "by": "檢查人", "seal": "主管\n核章", "method": "檢測方式", "raw": "原始紀錄",
           "url": "檢查網址", "normal": "正常", "abnormal": "異常", "not_checked": "未檢測", "manual": "人工",
           "automatic": "系統自動", "expiring": "（將到期）", "more": "…其餘見 CSV",
           "days": "本月日數", "due": "應檢測日數", "checked": "已檢測日數", "normal_days": "正常日數",
           "abnormal_days": "異常日數", "not_checked_days": "未檢測日數", "ahead_days": "尚未到期日數",
           "slowest": "最慢回應", "availability": "可用率", "clerk": "承辦人", "chief": "單位主管", "date": "日期",
           "date_blank": "　　年　　月　　日"},
    "en": {"title": "Website availability record", "urls": "URLs checked", "no_urls": "(no check this month)",
           "roc": "Date\n(ROC)", "ad": "Date\n(AD)", "time": "Time", "status": "HTTP status", "ms": "Time\n(ms)",
           "cert": "Cert.\ndays left", "result": "Result", "problems": "Problems", "handling": "Action taken",
           "by": "Checked\nby", "seal": "Seal", "method": "Method", "raw": "Raw record", "url": "URLs",
           "normal": "Normal", "abnormal": "Abnormal", "not_checked": "Not checked", "manual": "manual",
           "automatic": "automatic", "expiring": " (expiring)", "more": "… more in the CSV",
           "days": "Days in month", "due": "Days due", "checked": "Days checked", "normal_days": "Normal days",
           "abnormal_days": "Abnormal days", "not_checked_days": "Days not checked", "ahead_days": "Days ahead",
           "slowest": "Slowest answer", "availability": "Availability", "clerk": "Officer", "chief": "Head of unit",
           "date": "Date", "date_blank": "____ / ____ / ____"},
}

# Stored reasons (any siteaudit version) in plain words, first match wins: (pattern, zh, en). The probe's own
# verdicts first (a page's title may say anything), then network errors, the generic connection failure last.
REASONS: list[tuple[re.Pattern[str], str, str]] = [(re.compile(p, re.IGNORECASE), zh, en) for p, zh, en in [
    (r"^回應過大", "回應過大", "answer too large"),
    (r"^回應過慢", "回應過慢", "answer too slow"),
    (r"^讀取失敗", "讀取中斷", "reading failed"),
    (r"^轉址至站外主機", "轉址至站外", "redirected off the site"),
    (r"^錯誤頁", "錯誤頁", "error page"),
    (r"^頁面缺少關鍵字", "缺少關鍵字", "keyword missing"),
    (r"^頁面過小", "頁面過小", "page too small"),
    (r"Errno 111|Connection refused|ECONNREFUSED", "連線遭拒", "connection refused"),
    (r"^DNS|name resolution|Name or service not known|nodename nor servname|Failed to resolve|getaddrinfo",
     "找不到主機", "host not found"),
    (r"逾時|timed? ?out|Errno 110", "逾時", "timed out"),
    (r"^TLS|SSL|certificate|憑證", "憑證錯誤", "certificate error"),
    (r"Errno 113|No route to host", "無法連到主機", "host unreachable"),
    (r"Errno 101|Network is unreachable", "網路不通", "network unreachable"),
    (r"Errno 104|Connection reset|Connection aborted|RemoteDisconnected", "連線中斷", "connection reset"),
    (r"連線失敗|connection failed|ConnectionError", "連線失敗", "connection failed"),
]]
HTTP_WORDS = {401: ("拒絕存取", "access denied"), 403: ("拒絕存取", "access denied"),
              404: ("找不到網頁", "page not found"), 410: ("找不到網頁", "page not found"),
              429: ("請求過多", "too many requests")}
HTTP_REASON = re.compile(r"^HTTP (\d{3})$")


def http_words(code: int, lang: str) -> str:
    """An HTTP error status in plain words, its code kept: 伺服器錯誤 (HTTP 503)."""
    zh, en = HTTP_WORDS.get(code) or (("伺服器錯誤", "server error") if code >= 500 else ("請求錯誤", "request error"))
    return f"{zh if lang == 'zh' else en} (HTTP {code})"


def plain_reason(reason: str, status: int | None, lang: str) -> str:
    """What went wrong, in words a reader knows (連線遭拒, 找不到主機, 逾時, 憑證錯誤, 伺服器錯誤 (HTTP 503)…);
    several reasons of one answer joined with 、. The raw text stays in the CSV."""
    parts = [p.strip() for p in (reason or "").split("；") if p.strip()]
    if not parts:
        return http_words(status, lang) if status and status >= 400 else ""
    words = []
    for part in parts:
        http = HTTP_REASON.match(part)
        if http:
            words.append(http_words(int(http[1]), lang))
            continue
        found = next(((zh, en) for pattern, zh, en in REASONS if pattern.search(part)), None)
        words.append((found[0] if lang == "zh" else found[1]) if found else part[:24])
    return ("、" if lang == "zh" else ", ").join(dict.fromkeys(words))


def width_em(text: str) -> float:
    """Printed width in em: wide and ambiguous characters (CJK, ①) one em, others 0.55 em (a little more than
    they take, so a cut text fits)."""
    return sum(1.0 if unicodedata.east_asian_width(c) in "WFA" else 0.55 for c in text)


def lines_needed(text: str, capacity: float) -> int:
    return max(1, math.ceil(width_em(text) / (capacity * FILL))) if text else 1


def fit(text: str, lines: int, capacity: float, more: str, taken: float = 0.0) -> str:
    """`text` cut to what `lines` lines of `capacity` em hold (less `taken` em before it), ending with `more`
    when cut."""
    room = lines * capacity * FILL - taken
    if width_em(text) <= room:
        return text
    room -= width_em(more)
    used, kept = 0.0, []
    for char in text:
        used += width_em(char)
        if used > room:
            break
        kept.append(char)
    return "".join(kept).rstrip("；;、, ") + more


def fit_words(text: str, capacity: float) -> str:
    """`text` when one line of `capacity` em holds it, else as many whole words as fit, then …"""
    words, kept = text.split(), []
    if width_em(text) <= capacity * FILL:
        return text
    for word in words:
        if width_em(" ".join([*kept, word, "…"])) > capacity * FILL:
            break
        kept.append(word)
    return " ".join(kept) + ("" if len(kept) == len(words) else " …")


@dataclass
class FormRow:
    day: dt.date
    state: DayState
    time: str = ""
    manual: bool = False
    statuses: str = ""
    response_ms: float | None = None
    cert_days: int | None = None
    off_schedule: bool = False
    problems: list[str] = field(default_factory=list)   # plain statements, whole
    handling: list[str] = field(default_factory=list)
    checked_by: str = ""
    raw: list[str] = field(default_factory=list)        # every try and alert as stored: the CSV's
    urls: list[str] = field(default_factory=list)
    lines: int = 1
    problems_text: str = ""                             # as printed: fitted to `lines`
    statuses_text: str = ""
    handling_text: str = ""

    @property
    def roc(self) -> str:
        return f"{ad_to_roc(self.day.year)}/{self.day.month:02d}/{self.day.day:02d}"

    @property
    def cert_warning(self) -> bool:
        return self.cert_days is not None and self.cert_days < CERT_WARN_DAYS


@dataclass
class MonthForm:
    site: str
    agency: str
    year: int
    month: int
    now: dt.datetime
    lang: str
    rows: list[FormRow]
    figures: MonthFigures
    urls: list[tuple[str, str]]                         # (marker, URL)
    slowest: tuple[float, dt.date] | None

    @property
    def words(self) -> dict[str, str]:
        return WORDS[self.lang]

    @property
    def roc_year(self) -> int:
        return ad_to_roc(self.year)

    @property
    def widths(self) -> dict[str, str]:
        """CSS widths: the short columns in em, 處理情形 as its share of the sheet, so that on the report's narrower
        page the two text columns give way, not the dates."""
        return {key: f"{100 * em / PAGE_EM:.1f}%" if key == "handling" else f"{em}em" for key, em in WIDTHS.items()}

    @property
    def on_time(self) -> tuple[str, str]:
        return f"{ON_TIME[0]:%H:%M}", f"{ON_TIME[1]:%H:%M}"

    @property
    def cert_warn(self) -> int:
        return CERT_WARN_DAYS

    def result(self, row: FormRow) -> str:
        """正常, 異常 or 未檢測, with （人工） for a person's check; blank for a day ahead."""
        w = self.words
        word = {DayState.NORMAL: w["normal"], DayState.ABNORMAL: w["abnormal"],
                DayState.NOT_CHECKED: w["not_checked"]}.get(row.state, "")
        if row.manual:
            return f"{word}（{w['manual']}）" if self.lang == "zh" else f"{word} ({w['manual']})"
        return word

    @property
    def formula(self) -> str:
        """可用率 = 正常日數 ÷ 已檢測日數, with this month's figures."""
        f, w = self.figures, self.words
        share = "—" if f.availability is None else f"{f.availability:.2f}%"
        if self.lang == "zh":
            return (f"可用率 = 正常日數 ÷ 已檢測日數 = {f.normal} ÷ {f.checked} = {share}"
                    f"（未檢測 {f.not_checked} 日另計，不列入分母）")
        return (f"{w['availability']} = normal days ÷ days checked = {f.normal} ÷ {f.checked} = {share} "
                f"({f.not_checked} days not checked are counted apart, not in the divisor)")

    @property
    def urls_text(self) -> str:
        """The header's URL list, at most two lines of the sheet."""
        w = self.words
        listed = ("　" if self.lang == "zh" else "   ").join(f"{m} {u}".strip() for m, u in self.urls)
        label = w["urls"] + ("：" if self.lang == "zh" else ": ")
        return label + fit(listed or w["no_urls"], URL_LINES, PAGE_EM, w["more"], width_em(label))

    @property
    def as_of(self) -> str:
        stamp = self.now.astimezone(TAIPEI)
        if self.lang == "zh":
            return f"資料截至 民國{ad_to_roc(stamp.year)}/{stamp:%m/%d %H:%M}（臺北時間）"
        return f"as of {stamp:%Y-%m-%d %H:%M} Taipei time"


def markers_for(urls: list[str]) -> dict[str, str]:
    """①②… for each URL of the month; none when there is only one."""
    if len(urls) < 2:
        return {url: "" for url in urls}
    return {url: MARKERS[i] if i < len(MARKERS) else f"({i + 1})" for i, url in enumerate(urls)}


def url_statements(check: Check, marks: dict[str, str], lang: str) -> list[str]:
    """One statement per URL that failed a try in this check, URLs with the same story on one line:
    「①② 3 次皆失敗：連線遭拒」, 「第 2 次才成功（逾時）」."""
    by_url: dict[str, list[dict[str, Any]]] = {}
    for t in check.tries:
        by_url.setdefault(t["url"], []).append(t)
    stories: dict[str, list[str]] = {}
    for url, tries in by_url.items():
        failed = [t for t in tries if not t["ok"]]
        if not failed:
            continue
        reasons = ("、" if lang == "zh" else ", ").join(
            dict.fromkeys(plain_reason(t["reason"], t["status"], lang) for t in failed))
        if tries[-1]["ok"]:
            story = f"第 {len(tries)} 次才成功（{reasons}）" if lang == "zh" else f"up on try {len(tries)} ({reasons})"
        elif len(tries) > 1:
            story = f"{len(tries)} 次皆失敗：{reasons}" if lang == "zh" else f"all {len(tries)} tries failed: {reasons}"
        else:
            story = reasons
        stories.setdefault(story, []).append(marks.get(url, ""))
    return [f"{''.join(m)} {story}".strip() for story, m in stories.items()]


def other_statement(check: Check, marks: dict[str, str], lang: str) -> str:
    """Another check of the day that found the site down."""
    at = f"{check.at:%H:%M}"
    if check.manual:
        by = check.manual["checked_by"]
        return f"另次人工檢測 {at} 異常（{by}）" if lang == "zh" else f"manual check at {at} abnormal ({by})"
    finals = [t for t in check.finals.values() if not t["ok"]]
    what = SEPARATORS[lang].join(
        f"{marks.get(t['url'], '')}{plain_reason(t['reason'], t['status'], lang)}" for t in finals)
    return f"另次檢測 {at} 異常：{what}" if lang == "zh" else f"another check at {at} abnormal: {what}"


def raw_lines(check: Check) -> list[str]:
    """Every try of a check as stored, with its Taipei time: what the CSV keeps."""
    if check.manual:
        m = check.manual
        return [f"{check.at:%H:%M} 人工 {'正常' if m['ok'] else '異常'} {m['checked_by']}：{m['note']}".rstrip("：")]
    return [f"{dt.datetime.fromtimestamp(t['started'], TAIPEI):%H:%M:%S} {t['url']} 第{t['attempt']}次 "
            f"{t['status'] or '—'} {'正常' if t['ok'] else t['reason']}" for t in check.tries]


def form_row(day: Day, marks: dict[str, str], notes: list[dict[str, Any]],
             alerts: Callable[[str], list[dict[str, Any]]], lang: str) -> FormRow:
    """A day as the form shows it: its deciding check's figures and, in plain words, what went wrong."""
    row = FormRow(day.day, day.state)
    record = day.record
    if record is not None:
        row.time, row.manual, row.off_schedule = f"{record.at:%H:%M}", record.manual is not None, not record.on_time
        if row.off_schedule:
            window = f"{ON_TIME[0]:%H:%M}–{ON_TIME[1]:%H:%M}"
            row.problems.append(f"檢測時間 {row.time} 不在排定的 {window}" if lang == "zh"
                                else f"checked at {row.time}, outside {window}")
        if record.manual:
            row.checked_by = record.manual["checked_by"]
            if record.manual["note"]:
                row.problems.append(("人工檢測：" if lang == "zh" else "manual check: ") + record.manual["note"])
        else:
            fill_probe(row, record, marks, alerts, lang)
        for other in day.others:
            row.raw += raw_lines(other)
            if not other.normal:
                row.problems.append(other_statement(other, marks, lang))
    for note in notes:
        row.handling.append(note["note"])
        row.raw.append(f"處理情形 {note['checked_by']}：{note['note']}")
        if not row.manual and note["checked_by"]:
            row.checked_by = note["checked_by"]
    return row


def fill_probe(row: FormRow, record: Check, marks: dict[str, str], alerts: Callable[[str], list[dict[str, Any]]],
               lang: str) -> None:
    """The figures of an automatic probe batch: statuses, slowest answer, fewest certificate days."""
    finals = record.finals
    row.urls = list(finals)
    row.statuses = " ".join(str(t["status"]) if t["status"] else "—" for t in finals.values())
    times = [t["detail"]["total_ms"] for t in finals.values() if t["detail"].get("total_ms") is not None]
    row.response_ms = max(times) if times else None
    certs = [t["detail"]["cert_days_left"] for t in finals.values() if t["detail"].get("cert_days_left") is not None]
    row.cert_days = min(certs) if certs else None
    row.checked_by = WORDS[lang]["automatic"]
    row.problems += url_statements(record, marks, lang)
    row.raw += raw_lines(record)
    for a in alerts(record.tries[0]["batch"]):
        if not a["ok"]:
            row.problems.append(f"通知失敗（{a['channel']}）" if lang == "zh" else f"alert by {a['channel']} failed")
            row.raw.append(f"通知失敗（{a['channel']}）：{a['detail']}")


def allot_lines(rows: list[FormRow], budget: int, more: str, separator: str) -> None:
    """Give each row one line and share what the page has left among the rows whose text needs more, a line at
    a time in day order; then fit each row's text to its lines."""
    need = [min(MAX_LINES, max(lines_needed(separator.join(r.problems), PROBLEMS_EM),
                               lines_needed(separator.join(r.handling), WIDTHS["handling"]))) for r in rows]
    spare = budget - len(rows)
    for _ in range(MAX_LINES - 1):
        for row, wanted in zip(rows, need, strict=True):
            if spare > 0 and row.lines < wanted:
                row.lines += 1
                spare -= 1
    for row in rows:
        shown = dict.fromkeys(row.statuses.split())  # every URL alike: said once
        row.statuses_text = fit_words(" ".join(shown) if len(shown) == 1 else row.statuses, WIDTHS["status"] - 0.5)
        row.problems_text = fit(separator.join(row.problems), row.lines, PROBLEMS_EM, more)
        row.handling_text = fit(separator.join(row.handling), row.lines, WIDTHS["handling"], more)


def month_form(store: Store, site: str, agency: str, year: int, month: int, now: dt.datetime,
               lang: str = "zh") -> MonthForm:
    """The month's form as of `now` (Taipei): rows decided by the verdict's rule, worded for `lang`."""
    days = month_days(store, site, year, month, now)
    urls = list(dict.fromkeys(t["url"] for d in days if d.record for c in (d.record, *d.others) for t in c.tries))
    marks = markers_for(urls)
    first, last = days[0].day.isoformat(), days[-1].day.isoformat()
    notes: dict[str, list[dict[str, Any]]] = {}
    for note in store.notes(site, first, last):
        notes.setdefault(note["day"], []).append(note)
    rows = [form_row(d, marks, notes.get(d.day.isoformat(), []), lambda batch: store.alerts(site, batch), lang)
            for d in days]
    allot_lines(rows, ROW_LINES, WORDS[lang]["more"], SEPARATORS[lang])
    timed = [(r.response_ms, r.day) for r in rows if r.response_ms is not None]
    slowest = max(timed, key=lambda t: t[0]) if timed else None
    return MonthForm(site, agency, year, month, now, lang, rows, month_figures(days),
                     [(marks[u], u) for u in urls], slowest)
