"""Freshness check (資訊即時性): no stale pages, no future dates, no announcements past their date.

Each page's displayed update date (更新日期, 更新時間, 發布日期, 最後更新… in ROC or AD forms) is read from
the texts the crawl kept around those labels; Last-Modified is the fallback, and the source is named.
Rules and options: docs/checks/freshness.md.
"""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from typing import Any

from siteaudit.checks.base import (
    CheckContext,
    CheckResult,
    Finding,
    Rule,
    finding,
    home_page,
    inspection_item,
    listed_in,
    rule_table,
    sort_findings,
    status_of,
    today_option,
    validate_today,
)
from siteaudit.core.dates import find_dates, http_date, labelled_dates, zone_info
from siteaudit.core.results import InspectionItem, SummaryField
from siteaudit.core.urls import trap_pages

PLAN = "提升服務品質執行計畫：網站(頁)提供即時正確之資訊內容，無明顯錯誤及過期資訊情形"

RULES = rule_table(
    Rule("stale-page", "error", "頁面資訊逾期未更新", "Page not updated within the limit", PLAN),
    Rule("future-date", "warning", "頁面日期在未來（可能誤植）", "Page date is in the future (typo?)", PLAN),
    Rule("no-displayed-date", "notice", "頁面未顯示更新日期", "Page shows no update date", PLAN),
    Rule("future-last-modified", "notice", "伺服器回報的最後修改時間在檢查日之後（伺服器時鐘或檔案時間有誤）",
         "The server's Last-Modified is after the audit day (wrong server clock or file time)", PLAN),
    Rule("expired-announcement", "warning", "首頁仍列出已過期的公告", "Home page lists an announcement whose date is past",
         PLAN),
)


def months_between(earlier: date, later: date) -> float:
    return (later - earlier).days / 30.44


def displayed_date(stamps: list[str]) -> tuple[date, str] | None:
    """The update date a page shows (an update label wins over a publish label), with its text."""
    best: tuple[int, date, str] | None = None
    for text in stamps:
        for found in labelled_dates(text):
            rank = 0 if found.kind == "update" else 1
            if best is None or rank < best[0]:
                best = (rank, found.date, text)
    return (best[1], best[2]) if best else None


class FreshnessCheck:
    name = "freshness"
    title_zh = "資訊即時性（過期資訊）"
    title_en = "Freshness (stale information)"
    rules = RULES
    options: dict[str, Any] = {
        "max_age_months": 12,
        "news_max_age_months": 12,      # news and announcements: their own (usually shorter) limit
        "news_patterns": ["/news", "最新消息", "公告", "新聞"],   # URL or title matches -> a news page
        "announcement_words": ["停水", "停電", "施工", "停止供水", "暫停"],
        "today": "",
    }

    # pages_audited = pages_showing_date + pages_dated_by_server + pages_undated: the figures add up.
    fields = (
        SummaryField("pages_audited", "檢查頁數", "Pages audited", "頁"),
        SummaryField("pages_showing_date", "顯示更新日期", "Showing an update date", "頁"),
        SummaryField("pages_dated_by_server", "未顯示，依伺服器最後修改時間判斷", "Not shown, judged by the server's "
                     "Last-Modified", "頁"),
        SummaryField("pages_undated", "無任何日期（未判斷）", "No date at all (not judged)", "頁"),
        SummaryField("within_limit_share", "有日期頁面中在期限內", "Of the dated pages, within the limit", "%"),
    )

    def inspection(self, summary: dict[str, Any], findings: list[dict[str, Any]]) -> list[InspectionItem]:
        share = summary.get("within_limit_share")
        dated, audited = summary.get("pages_dated", 0), summary.get("pages_audited", 0)
        measured = (f"有日期的 {dated}/{audited} 頁中 {share}% 在期限內",
                    f"{share}% of the {dated}/{audited} dated pages within the limit") if share is not None \
            else ("無（沒有頁面標示日期）", "None (no page shows a date)")
        return [inspection_item(self, "freshness", "資訊即時性（過期資訊）", "Freshness", ("無過期資訊", "No stale information"),
                     measured, status_of(summary), "提升服務品質執行計畫", share,
                     note=listed_in(self, "各頁更新日期", "Every page's date"))]

    def validate(self, opts: dict[str, Any]) -> None:
        validate_today(self.name, opts)

    def run(self, ctx: CheckContext) -> CheckResult:
        opts = ctx.options
        today = today_option(opts, ctx.config.site.timezone)
        news = [re.compile(re.escape(p)) for p in opts["news_patterns"]]
        findings: list[Finding] = []
        dated: list[dict[str, Any]] = []
        no_date: list[str] = []
        within = 0
        pages = list(ctx.store.pages(ctx.run_id, html_only=True))
        trapped = trap_pages(ctx.store.traps(ctx.run_id))
        audited = showing = 0
        for page in pages:
            url = page["url"]
            if url in trapped:  # a calendar trap's 下一天 pages: counted apart, not judged
                continue
            audited += 1
            stamps = json.loads(page["stamps"] or "[]")
            shown = displayed_date(stamps)
            if shown:
                when, text, source = shown[0], shown[1], "displayed"
                showing += 1
            else:
                no_date.append(url)
                modified = _http_date(page["last_modified"], ctx.config.site.timezone)
                if modified is None:
                    continue
                if modified > today + timedelta(days=1):
                    # Not something a reader sees: the page is still undated, and the header is noted.
                    findings.append(finding(self, "future-last-modified", url, [url], page["last_modified"],
                                            {"last_modified": page["last_modified"], "today": today.isoformat()}))
                    continue
                when, text, source = modified, page["last_modified"], "Last-Modified"
            is_news = any(p.search(url) or p.search(page["title"] or "") for p in news)
            limit = opts["news_max_age_months"] if is_news else opts["max_age_months"]
            age = months_between(when, today)
            record = {"url": url, "date": when.isoformat(), "source": source, "text": text,
                      "age_months": round(age, 1), "limit_months": limit}
            dated.append(record)
            if when > today + timedelta(days=1):
                findings.append(finding(self, "future-date", url, [url], f"{when.isoformat()}（{text}）", record,
                                        detail_en=f"{when.isoformat()} ({text})"))
            elif age > limit:
                findings.append(finding(self, "stale-page", url, [url],
                                        f"{when.isoformat()}，{age:.0f} 個月（上限 {limit}）", record,
                                        detail_en=f"{when.isoformat()}, {age:.0f} months (limit {limit})"))
            else:
                within += 1
        if no_date:
            findings.append(finding(self, "no-displayed-date", "", sorted(no_date), f"{len(no_date)} 頁", {},
                                    detail_en=f"{len(no_date)} page{'s' if len(no_date) != 1 else ''}"))
        findings += self.expired_announcements(ctx, opts, today)
        sort_findings(findings)
        stalest = sorted(dated, key=lambda r: r["date"])[:10]
        summary = {
            "status": "fail" if any(f.rule in ("stale-page", "future-date") for f in findings) else "pass",
            "pages_audited": audited,
            "pages_showing_date": showing,
            "pages_dated_by_server": len(dated) - showing,
            "pages_undated": audited - len(dated),
            "pages_dated": len(dated),
            "pages_without_displayed_date": len(no_date),
            "within_limit_share": round(100.0 * within / len(dated), 1) if dated else None,
            "stalest": [{"url": r["url"], "date": r["date"], "source": r["source"]} for r in stalest],
        }
        return CheckResult(findings, summary)

    def expired_announcements(self, ctx: CheckContext, opts: dict[str, Any], today: date) -> list[Finding]:
        """Announcements linked from the home page whose own date (an outage day…) is already past."""
        homes = {home_page(ctx)}
        out, seen = [], set()
        for text, url, page in ctx.store.link_tuples(ctx.run_id, ("text", "url")):
            if page not in homes or not text or not any(w in text for w in opts["announcement_words"]):
                continue
            dates = [f.date for f in find_dates(text) if f.date is not None]
            if dates and max(dates) < today and (url, text) not in seen:
                seen.add((url, text))
                out.append(finding(self, "expired-announcement", url or "", [page], text,
                                   {"text": text, "date": max(dates).isoformat()}))
        return out


def _http_date(value: str | None, zone: str) -> date | None:
    """The day of an HTTP date (Last-Modified) in the site's zone, as a reader there would date it."""
    when = http_date(value)
    return when.astimezone(zone_info(zone)).date() if when else None


CHECK = FreshnessCheck()
