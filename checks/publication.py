"""Publication check: what the plan asks the site itself to publish, each at a URL the inspector can open.

Four plan lines: this ROC year's 提升服務品質執行計畫 (一(一)(4)), the 資訊目錄 counting each category's items
(盤點(1)), the rule for regular updates (更新(2)◎3) and the published content-check and link-test results with
their date (更新(2)◎4). Everything is read from what
the crawl stored: link texts, link titles, a document's listing row, file names, page titles and the texts
around a page's date labels; nothing is fetched. Rules, keywords and options: docs/checks/publication.md.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from urllib.parse import unquote, urlsplit

from siteaudit.checks.base import (
    CheckContext,
    CheckResult,
    Finding,
    Rule,
    count_rules,
    finding,
    inspection_item,
    listed_in,
    rule_table,
    sort_findings,
    status_of,
    today_option,
    validate_today,
)
from siteaudit.core.config import ConfigError
from siteaudit.core.dates import ad_to_roc, find_dates, find_period_years, labelled_dates, years_in_file_name
from siteaudit.core.results import InspectionItem, Status, SummaryField
from siteaudit.core.store import Target, usable

PLAN_LINE = "提升服務品質執行計畫 一(一)(4)"
RULE_LINE = "提升服務品質執行計畫 貳、更新(2)◎3"
RESULTS_LINE = "提升服務品質執行計畫 貳、更新(2)◎4"
CATALOGUE_LINE = "提升服務品質執行計畫 貳、盤點(1)"

# Built-in keywords; `[checks.publication]` adds to them (docs/checks/publication.md).
PLAN_TEXTS = ("提升服務品質執行計畫", "提升服務品質計畫", "服務品質執行計畫", "提升服務品質實施計畫")
RULE_TEXTS = ("定期更新", "更新頻率", "更新週期", "標準作業程序", "網頁維護", "網站維護", "網頁更新規定",
              "網站更新規定", "資料更新規定", "網頁內容管理")
RESULTS_TEXTS = ("網站檢測結果", "網站檢查結果", "網頁檢測結果", "網頁檢查結果", "連結檢測", "連結測試", "連結檢查",
                 "失效連結檢測", "內容檢查結果", "內容檢測結果", "網站品質檢測", "網站自我檢測")
# 盤點(1): the categories whose listings the 資訊目錄 counts, with the built-in words naming a listing.
CATEGORIES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "services": ("服務措施", "Service measures", ("服務措施", "為民服務", "便民服務", "服務項目")),
    "activities": ("機關活動", "Agency activities", ("機關活動", "活動訊息", "活動資訊", "活動專區", "活動花絮")),
    "faq": ("常見問答", "FAQ", ("常見問答", "常見問題", "FAQ")),
    "promotion": ("文宣品", "Promotional materials", ("文宣品", "文宣資料", "宣導手冊", "宣導資料", "安全用水須知")),
    "publications": ("出版品", "Publications", ("出版品", "出版資訊", "出版刊物")),
}
PAGING_TEXT = re.compile(r"^(\d{1,4}|第\s*\d{1,4}\s*頁|[上下次前]一?頁|第一頁|最[前末後]頁|末頁|[‹›«»<>]{1,2}|next|prev(ious)?|"
                         r"first|last)$", re.I)
LINK_SCOPES = ("page", "document")
OWN_KINDS = ("page", "document")   # published on the site itself: another host's page is not the agency's
KEYWORD_OPTIONS = {"plan_texts": PLAN_TEXTS, "rule_texts": RULE_TEXTS, "results_texts": RESULTS_TEXTS}

RULES = rule_table(
    Rule("plan-missing", "error", "網站上找不到提升服務品質執行計畫", "No service quality plan found on the site",
         PLAN_LINE),
    Rule("plan-old-year", "error", "只找到往年的提升服務品質執行計畫，沒有本年度的",
         "Only earlier years' service quality plans found, not this year's", PLAN_LINE),
    Rule("plan-undated", "error", "找到的提升服務品質執行計畫未標示年度",
         "The service quality plan found names no year", PLAN_LINE),
    Rule("plan-broken", "error", "本年度提升服務品質執行計畫的連結失效",
         "The link to this year's service quality plan is broken", PLAN_LINE),
    Rule("catalogue-missing", "error", "找不到此類資訊的列表頁，資訊目錄缺此類別",
         "No listing page for a category of the information catalogue", CATALOGUE_LINE),
    Rule("catalogue-uncounted", "warning", "列表頁沒有可計數的項目連結（項目可能不是連結），項目數請人工確認",
         "The listing page has no item links to count (its items may not be links): count them by hand",
         CATALOGUE_LINE),
    Rule("update-rule-missing", "error", "網站上找不到定期更新規定或其標準作業程序",
         "No page states the rule for regular updates or its standard procedure", RULE_LINE),
    Rule("update-rule-broken", "error", "定期更新規定的連結失效", "The link to the rule for regular updates is broken",
         RULE_LINE),
    Rule("results-missing", "error", "網站上找不到內容檢查及連結檢測結果",
         "No page publishes the site's content-check and link-test results", RESULTS_LINE),
    Rule("results-broken", "error", "檢測結果頁的連結失效", "The link to the published test results is broken",
         RESULTS_LINE),
    Rule("results-undated", "error", "檢測結果頁未標示日期", "The published test results show no date", RESULTS_LINE),
    Rule("results-stale", "error", "公布的檢測結果已逾期", "The published test results are older than the limit",
         RESULTS_LINE),
    Rule("results-future-date", "error", "檢測結果頁的日期在未來（可能誤植）",
         "The published test results are dated in the future (typo?)", RESULTS_LINE),
)


@dataclass
class Candidate:
    """A URL that names one of the things looked for: the words it was named by and the pages linking it."""

    url: str
    texts: list[str] = field(default_factory=list)
    pages: set[str] = field(default_factory=set)
    years: set[int] = field(default_factory=set)   # AD years named in those words, its file name or its row
    dates: set[date] = field(default_factory=set)  # days named in them, or shown under its date labels
    answered: bool | None = None


def _file_name(url: str) -> str:
    return unquote(urlsplit(url).path.rsplit("/", 1)[-1])


def _days(text: str) -> set[date]:
    """Full days in `text`, and a month alone (115年11月) as its first day: never later than the text means."""
    out = set()
    for found in find_dates(text):
        if found.date is not None:
            out.add(found.date)
        elif found.month is not None:
            out.add(date(found.year, found.month, 1))
    return out


def _roc(year: int) -> str:
    return f"民國{ad_to_roc(year)}年"


class PublicationCheck:
    name = "publication"
    title_zh = "計畫、更新規定與檢測結果公布"
    title_en = "Plan, update rule and test results published"
    rules = RULES
    options: dict[str, Any] = {
        "plan_texts": [],       # added to the built-in names of the 提升服務品質執行計畫
        "rule_texts": [],       # added to the built-in words of an update-rule page (定期更新, 標準作業程序…)
        "results_texts": [],    # added to the built-in words of a test-results page (網站檢測結果, 連結檢測…)
        "catalogue_texts": {},  # {category id: [words]} added to the built-in words naming each listing
        "max_listing_pages": 20,  # pages of one listing followed through its own paging links
        "max_age_days": 31,     # the published test results are at most this old
        "today": "",            # ISO date to judge against (default: today in site.timezone)
    }

    fields = (
        SummaryField("plan_year_roc", "執行計畫年度（民國）", "Plan year (ROC)", ""),
        SummaryField("results_age_days", "檢測結果距今", "Test results' age", "天"),
    )

    def validate(self, opts: dict[str, Any]) -> None:
        validate_today(self.name, opts)
        for key in KEYWORD_OPTIONS:
            value = opts[key]
            if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
                raise ConfigError(f"checks.{self.name}.{key}: expected a list of non-empty strings, got {value!r}")
        extra = opts["catalogue_texts"]
        for key, value in extra.items():
            if key not in CATEGORIES:
                raise ConfigError(f"checks.{self.name}.catalogue_texts.{key}: unknown category "
                                  f"(known: {', '.join(CATEGORIES)})")
            if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
                raise ConfigError(f"checks.{self.name}.catalogue_texts.{key}: expected a list of non-empty strings")
        if isinstance(opts["max_listing_pages"], bool) or opts["max_listing_pages"] < 1:
            raise ConfigError(f"checks.{self.name}.max_listing_pages: expected a whole number ≥ 1, "
                              f"got {opts['max_listing_pages']!r}")
        if isinstance(opts["max_age_days"], bool) or opts["max_age_days"] < 1:
            raise ConfigError(f"checks.{self.name}.max_age_days: expected a whole number of days ≥ 1, "
                              f"got {opts['max_age_days']!r}")

    def inspection(self, summary: dict[str, Any], findings: list[dict[str, Any]]) -> list[InspectionItem]:
        """Four plan lines, each judged by its own rules' findings still in force."""
        plan = summary.get("plan") or {}
        rule = summary.get("update_rule") or {}
        results = summary.get("results") or {}
        this_year = summary.get("roc_year")

        def judged(*rules: str) -> Status:
            if status_of(summary) not in (Status.PASS, Status.FAIL):
                return status_of(summary)
            return Status.FAIL if count_rules(findings, *rules) else Status.PASS

        plan_status = judged("plan-missing", "plan-old-year", "plan-undated", "plan-broken")
        if plan.get("year_roc") == this_year and plan.get("url"):
            plan_measured = (f"已公布民國{this_year}年度", f"ROC {this_year} plan published")
        elif plan.get("newest_roc"):
            plan_measured = (f"僅找到民國{plan['newest_roc']}年度", f"Only ROC {plan['newest_roc']} found")
        elif plan.get("seen"):
            plan_measured = ("找到但未標示年度或連結失效", "Found, but with no year or a broken link")
        else:
            plan_measured = ("未找到", "Not found")
        catalogue = summary.get("catalogue") or []
        absent = [c for c in catalogue if not c.get("url")]
        if not catalogue:
            catalogue_measured = ("未判定", "Not judged")
        elif absent:
            catalogue_measured = ("缺：" + "、".join(c["name"] for c in absent),
                                  "Missing: " + ", ".join(c["name_en"] for c in absent))
        else:
            total = sum(c["count"] for c in catalogue)
            catalogue_measured = (f"{len(catalogue)} 類齊全，共 {total} 項", f"All {len(catalogue)} categories, {total} items")
        rule_measured = (("已找到：" + rule["title"], "Found (see where to check)") if rule.get("url")
                         else ("未找到", "Not found"))
        age, shown = results.get("age_days"), results.get("date")
        if results.get("url") and shown:
            results_measured = (f"{shown}（{age} 天前）", f"{shown} ({age} days ago)")
        elif results.get("url"):
            results_measured = ("找到，但未標示日期", "Found, but shows no date")
        else:
            results_measured = ("未找到", "Not found")
        limit = summary.get("max_age_days", self.options["max_age_days"])
        nowhere = listed_in(self, "網站上未找到", "Not found on the site")
        return [
            inspection_item(self, "publication-plan", "本年度執行計畫", "This year's service quality plan",
                            (f"民國{this_year}年度計畫已公布" if this_year else "本年度計畫已公布",
                             f"ROC {this_year} plan published" if this_year else "This year's plan published"),
                            plan_measured, plan_status, PLAN_LINE,
                            float(plan["year_roc"]) if plan.get("year_roc") else None,
                            urls=[plan.get("url", "")], note=("", "") if plan.get("url") else nowhere),
            inspection_item(self, "publication-catalogue", "資訊目錄（含項目數統計）", "Catalogue with item counts",
                            ("各類列表頁及項目數", "Every category listed and counted"), catalogue_measured,
                            judged("catalogue-missing"), CATALOGUE_LINE,
                            float(len(catalogue) - len(absent)) if catalogue else None,
                            urls=[c.get("url", "") for c in catalogue],
                            note=("", "") if any(c.get("url") for c in catalogue) else nowhere),
            inspection_item(self, "publication-update-rule", "定期更新規定", "Rule for regular updates",
                            ("公布更新規定或標準作業程序", "Update rule or procedure published"), rule_measured,
                            judged("update-rule-missing", "update-rule-broken"), RULE_LINE,
                            urls=[rule.get("url", "")], note=("", "") if rule.get("url") else nowhere),
            inspection_item(self, "publication-results", "檢測結果公布", "Published test results",
                            (f"{limit} 天內的檢測結果", f"Test results within {limit} days"),
                            results_measured,
                            judged("results-missing", "results-broken", "results-undated", "results-stale",
                                   "results-future-date"), RESULTS_LINE,
                            float(age) if age is not None else None, urls=[results.get("url", "")],
                            note=("", "") if results.get("url") else nowhere),
        ]

    def run(self, ctx: CheckContext) -> CheckResult:
        opts = ctx.options
        today = today_option(opts, ctx.config.site.timezone)
        targets = ctx.store.targets(ctx.run_id)
        stamps = {row["url"]: json.loads(row["stamps"] or "[]") for row in ctx.store.pages(ctx.run_id, html_only=True)}
        words = {key: tuple(base) + tuple(opts[key]) for key, base in KEYWORD_OPTIONS.items()}
        found = self.candidates(ctx, targets, words)
        for kind in found.values():
            for cand in kind.values():
                cand.answered = usable(targets.get(cand.url), targets)
                target = targets.get(cand.url)
                final = (target.final_url if target and target.final_url else cand.url)
                for text in stamps.get(final, stamps.get(cand.url, [])):
                    cand.dates |= {d.date for d in labelled_dates(text)}
        findings: list[Finding] = []
        plan = self.judge_plan(found["plan_texts"], today, findings)
        catalogue = self.catalogue(ctx, targets, opts, today, findings)
        rule = self.judge_rule(found["rule_texts"], targets, findings)
        results = self.judge_results(found["results_texts"], today, opts["max_age_days"], findings)
        sort_findings(findings)
        summary = {
            "status": "fail" if any(f.severity == "error" for f in findings) else "pass",
            "roc_year": ad_to_roc(today.year),
            "plan": plan, "catalogue": catalogue, "update_rule": rule, "results": results,
            "plan_year_roc": plan.get("year_roc"),
            "results_age_days": results.get("age_days"),
            "max_age_days": opts["max_age_days"],
        }
        return CheckResult(findings, summary)

    def candidates(self, ctx: CheckContext, targets: dict[str, Target],
                   words: dict[str, tuple[str, ...]]) -> dict[str, dict[str, Candidate]]:
        """For each keyword list, the site's own URLs named by it: a link's text, title or listing row, a file
        name, or the page's own title or heading."""
        found: dict[str, dict[str, Candidate]] = {key: {} for key in words}

        def consider(url: str, text: str, page: str | None, row_text: str = "", row_label: str = "") -> None:
            for key, texts in words.items():
                named = [t for t in (text, row_text, row_label) if t and any(w in t for w in texts)]
                if not named:
                    continue
                cand = found[key].setdefault(url, Candidate(url))
                cand.texts += [t for t in named if t not in cand.texts]
                if page:
                    cand.pages.add(page)
                if key == "plan_texts":
                    cand.years |= find_period_years(text) | find_period_years(row_text)
                    cand.years |= years_in_file_name(_file_name(url))
                else:
                    cand.dates |= _days(text) | _days(row_text)

        for text, title, url, row_text, row_label, page in ctx.store.link_tuples(
                ctx.run_id, ("text", "title", "url", "row_text", "row_label")):
            if url and url in targets and targets[url].kind in OWN_KINDS:
                consider(url, " ".join(t for t in (text, title) if t), page, row_text or "", row_label or "")
        for url, target in targets.items():
            if target.kind not in OWN_KINDS:
                continue
            if target.is_html and (target.title or target.h1):
                for heading in {target.title or "", target.h1 or ""} - {""}:
                    consider(url, heading, None)
            name = _file_name(url)
            if name and not target.is_html:
                consider(url, name, None)
        return found

    def judge_plan(self, found: dict[str, Candidate], today: date, findings: list[Finding]) -> dict[str, Any]:
        """This year's plan, answering; else the newest year seen (a fail that names it)."""
        year = today.year
        seen = sorted(found.values(), key=lambda c: c.url)
        current = [c for c in seen if year in c.years]
        good = [c for c in current if c.answered]
        years = sorted({y for c in seen if c.answered is not False for y in c.years})
        out: dict[str, Any] = {"seen": [{"url": c.url, "years_roc": sorted(ad_to_roc(y) for y in c.years),
                                         "answered": c.answered} for c in seen],
                               "years_roc": [ad_to_roc(y) for y in years]}
        if good:
            best = self.readable(good)
            out.update(url=best.url, year_roc=ad_to_roc(year))
        elif current and any(c.answered is False for c in current):
            broken = next(c for c in current if c.answered is False)
            findings.append(finding(self, "plan-broken", broken.url, sorted(broken.pages), _roc(year),
                                    {"year_roc": ad_to_roc(year)}, detail_en=f"ROC {ad_to_roc(year)}"))
        elif years:
            newest = max(years)
            latest = [c for c in seen if newest in c.years and c.answered]
            url = self.readable(latest).url if latest else ""
            out.update(newest_roc=ad_to_roc(newest), url=url)
            findings.append(finding(self, "plan-old-year", url, sorted(latest[0].pages) if latest else [],
                                    f"最新為{_roc(newest)}度，本年度為{_roc(year)}度",
                                    {"newest_roc": ad_to_roc(newest), "year_roc": ad_to_roc(year),
                                     "years_roc": out["years_roc"]},
                                    detail_en=f"the newest is ROC {ad_to_roc(newest)}, this year is ROC "
                                              f"{ad_to_roc(year)}"))
        elif seen:
            undated = [c for c in seen if c.answered] or seen
            findings.append(finding(self, "plan-undated", undated[0].url, sorted(undated[0].pages),
                                    "、".join(undated[0].texts[:2]), {"texts": undated[0].texts[:5]},
                                    detail_en="; ".join(undated[0].texts[:2])))
        else:
            findings.append(finding(self, "plan-missing", "", [], evidence={"looked_for": "plan_texts"}))
        return out

    def catalogue(self, ctx: CheckContext, targets: dict[str, Target], opts: dict[str, Any], today: date,
                  findings: list[Finding]) -> list[dict[str, Any]]:
        """盤點(1)'s 資訊目錄: each category's listing page, its items (the links that are not the site's template
        nor its paging) over its own paging pages, and the newest date they show (a date after today is a typo the
        freshness check reports, not the newest item)."""
        links: dict[str, list[tuple[str, str, str]]] = defaultdict(list)   # page -> (text, url, row_text)
        linked_from: dict[str, set[str]] = defaultdict(set)
        for text, url, scope, row_text, page in ctx.store.link_tuples(ctx.run_id, ("text", "url", "scope", "row_text")):
            if url and scope in LINK_SCOPES:
                links[page].append((text or "", url, row_text or ""))
                linked_from[url].add(page)
        pages = [u for u, t in targets.items() if t.is_html and t.kind == "page" and usable(t, targets)]
        template = {u for u, on in linked_from.items() if len(on) >= max(3, len(pages) / 2)}
        out = []
        for cid, (name, name_en, words) in CATEGORIES.items():
            words = words + tuple(opts["catalogue_texts"].get(cid, []))
            listing = self.listing(words, pages, targets, links)
            entry: dict[str, Any] = {"id": cid, "name": name, "name_en": name_en}
            if listing is None:
                findings.append(finding(self, "catalogue-missing", "", [], name, {"category": cid, "looked_for": list(words)},
                                        detail_en=name_en))
                out.append(entry)
                continue
            walked = self.paging(listing, links, targets, opts["max_listing_pages"])
            items: dict[str, set[date]] = {}
            for page in walked:
                for text, url, row_text in links[page]:
                    if url in template or url in walked or url == listing or PAGING_TEXT.match(text.strip()):
                        continue
                    items.setdefault(url, set()).update(f.date for f in find_dates(f"{text} {row_text}")
                                                         if f.date and f.date <= today)
            newest = max((d for ds in items.values() for d in ds), default=None)
            entry.update(url=listing, count=len(items), listing_pages=len(walked),
                         newest=newest.isoformat() if newest else "")
            if not items:
                findings.append(finding(self, "catalogue-uncounted", listing, [listing], name, {"category": cid},
                                        detail_en=name_en))
            out.append(entry)
        return out

    @staticmethod
    def listing(words: tuple[str, ...], pages: list[str], targets: dict[str, Target],
                links: dict[str, list[tuple[str, str, str]]]) -> str | None:
        """The category's listing: a page whose heading or title names it, else the page most links name it by."""
        def rank(u: str) -> tuple[int, int, str]:
            """The first word its heading names, else its title (words come most specific first)."""
            for field_rank, heading in enumerate((targets[u].h1 or "", targets[u].title or "")):
                for i, w in enumerate(words):
                    if w in heading:
                        return field_rank * len(words) + i, len(u), u
            return 2 * len(words), len(u), u

        titled = sorted(pages, key=rank)
        if titled and rank(titled[0])[0] < 2 * len(words):
            return titled[0]
        named: dict[str, int] = defaultdict(int)
        page_set = set(pages)
        for page_links in links.values():
            for text, url, _ in page_links:
                if url in page_set and any(w in text for w in words):
                    named[url] += 1
        return sorted(named, key=lambda u: (-named[u], u))[0] if named else None

    @staticmethod
    def paging(listing: str, links: dict[str, list[tuple[str, str, str]]], targets: dict[str, Target],
               limit: int) -> list[str]:
        """The listing and the pages its own paging links (1 2 3, 下一頁, »…) lead to in its folder, up to `limit`."""
        folder = listing.rsplit("/", 1)[0]
        walked, queue = [listing], [listing]
        while queue and len(walked) < limit:
            page = queue.pop(0)
            for text, url, _ in links.get(page, []):
                if len(walked) >= limit:
                    break
                if url in walked or not PAGING_TEXT.match(text.strip()) or url.rsplit("/", 1)[0] != folder:
                    continue
                target = targets.get(url)
                if target is not None and target.is_html and usable(target, targets):
                    walked.append(url)
                    queue.append(url)
        return walked

    def judge_rule(self, found: dict[str, Candidate], targets: dict[str, Target],
                   findings: list[Finding]) -> dict[str, Any]:
        """A page or document stating the update rule; its being followed is the freshness item."""
        good = [c for c in sorted(found.values(), key=lambda c: c.url) if c.answered]
        if good:
            best = self.readable(good)
            target = targets.get(best.url)
            title = (target.h1 or target.title or "") if target and target.is_html else ""
            return {"url": best.url, "title": (title or best.texts[0])[:40]}
        broken = [c for c in sorted(found.values(), key=lambda c: c.url) if c.answered is False]
        if broken:
            findings.append(finding(self, "update-rule-broken", broken[0].url, sorted(broken[0].pages),
                                    broken[0].texts[0][:80], {"texts": broken[0].texts[:5]},
                                    detail_en=broken[0].texts[0][:80]))
        else:
            findings.append(finding(self, "update-rule-missing", "", [], evidence={"looked_for": "rule_texts"}))
        return {}

    def judge_results(self, found: dict[str, Candidate], today: date, max_age: int,
                      findings: list[Finding]) -> dict[str, Any]:
        """The newest-dated answering results page, its date against `max_age` days."""
        ordered = sorted(found.values(), key=lambda c: c.url)
        good = [c for c in ordered if c.answered]
        if not good:
            broken = [c for c in ordered if c.answered is False]
            if broken:
                findings.append(finding(self, "results-broken", broken[0].url, sorted(broken[0].pages),
                                        broken[0].texts[0][:80], {"texts": broken[0].texts[:5]},
                                    detail_en=broken[0].texts[0][:80]))
            else:
                findings.append(finding(self, "results-missing", "", [], evidence={"looked_for": "results_texts"}))
            return {}
        dated = [c for c in good if c.dates]
        if not dated:
            best = self.readable(good)
            findings.append(finding(self, "results-undated", best.url, sorted(best.pages), evidence={}))
            return {"url": best.url}
        shown = max(d for c in dated for d in c.dates)
        best = self.readable([c for c in dated if shown in c.dates])
        age = (today - shown).days
        out = {"url": best.url, "date": shown.isoformat(), "age_days": age}
        evidence = {"date": shown.isoformat(), "age_days": age, "max_age_days": max_age}
        if shown > today + timedelta(days=1):
            findings.append(finding(self, "results-future-date", best.url, sorted(best.pages), shown.isoformat(),
                                    evidence))
        elif age > max_age:
            findings.append(finding(self, "results-stale", best.url, sorted(best.pages),
                                    f"{shown.isoformat()}，{age} 天前（上限 {max_age} 天）", evidence,
                                    detail_en=f"{shown.isoformat()}, {age} days ago (limit {max_age} days)"))
        return out

    @staticmethod
    def readable(cands: list[Candidate]) -> Candidate:
        """The one to show the inspector: a page before a file, then the most often linked."""
        def is_file(c: Candidate) -> bool:
            name = _file_name(c.url)
            return "." in name and not name.endswith((".html", ".htm", ".php", ".aspx", ".asp", ".jsp"))
        return sorted(cands, key=lambda c: (is_file(c), -len(c.pages), c.url))[0]


CHECK = PublicationCheck()
