"""Publication check: what the plan asks the site itself to publish, each at a URL the inspector can open.

Three plan lines: this ROC year's 提升服務品質執行計畫 (一(一)(4)), the rule for regular updates (更新(2)◎3) and
the published content-check and link-test results with their date (更新(2)◎4). Everything is read from what
the crawl stored: link texts, link titles, a document's listing row, file names, page titles and the texts
around a page's date labels; nothing is fetched. Rules, keywords and options: docs/checks/publication.md.
"""

from __future__ import annotations

import json
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

# Built-in keywords; `[checks.publication]` adds to them (docs/checks/publication.md).
PLAN_TEXTS = ("提升服務品質執行計畫", "提升服務品質計畫", "服務品質執行計畫", "提升服務品質實施計畫")
RULE_TEXTS = ("定期更新", "更新頻率", "更新週期", "標準作業程序", "網頁維護", "網站維護", "網頁更新規定",
              "網站更新規定", "資料更新規定", "網頁內容管理")
RESULTS_TEXTS = ("網站檢測結果", "網站檢查結果", "網頁檢測結果", "網頁檢查結果", "連結檢測", "連結測試", "連結檢查",
                 "失效連結檢測", "內容檢查結果", "內容檢測結果", "網站品質檢測", "網站自我檢測")
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
        if isinstance(opts["max_age_days"], bool) or opts["max_age_days"] < 1:
            raise ConfigError(f"checks.{self.name}.max_age_days: expected a whole number of days ≥ 1, "
                              f"got {opts['max_age_days']!r}")

    def inspection(self, summary: dict[str, Any], findings: list[dict[str, Any]]) -> list[InspectionItem]:
        """Three plan lines, each judged by its own rules' findings still in force."""
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
        rule_measured = (("已找到：" + rule["title"], "Found: " + rule["title"]) if rule.get("url")
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
        rule = self.judge_rule(found["rule_texts"], targets, findings)
        results = self.judge_results(found["results_texts"], today, opts["max_age_days"], findings)
        sort_findings(findings)
        summary = {
            "status": "fail" if any(f.severity == "error" for f in findings) else "pass",
            "roc_year": ad_to_roc(today.year),
            "plan": plan, "update_rule": rule, "results": results,
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
