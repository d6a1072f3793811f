"""Disclosure check: 政府資訊公開法 Art. 7 items proactively published, yearly records back to 民國97年.

Ratio exactly as the plan defines it: 已主動公開資訊項目數 / 應主動公開資訊項目總數 × 100%.
Catalogue, matchers and options: docs/checks/disclosure.md.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
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
    rule_table,
    sort_findings,
    today_option,
    validate_today,
)
from siteaudit.core.config import ConfigError
from siteaudit.core.dates import find_period_years, find_years, headed_years, roc_to_ad, years_in_file_name
from siteaudit.core.results import InspectionItem, Status, SummaryField
from siteaudit.core.store import Target, unresolved, usable

LAW = "政府資訊公開法第7條"
PLAN = "提升服務品質執行計畫：應公開且已公開資訊比例達100%，相關公開資料內容應回溯至民國97年"
CATEGORIES = {str(i) for i in range(1, 11)} | {"plan"}
RANGE_WORDS = re.compile(r"歷年|起|迄|至|到|以來|以後|以前|[~～－—–-]")
CATEGORY_NAMES = {
    "1": "法律、法規命令", "2": "解釋性規定及裁量基準", "3": "組織、職掌、地址、電話、傳真、網址及電子郵件",
    "4": "行政指導有關文書", "5": "施政計畫、業務統計及研究報告", "6": "預算及決算書",
    "7": "請願之處理結果及訴願之決定", "8": "書面之公共工程及採購契約", "9": "支付或接受之補助",
    "10": "合議制機關之會議紀錄", "plan": "服務品質計畫指定項目",
}
CATEGORY_NAMES_EN = {
    "1": "Laws and regulations", "2": "Interpretive rules and discretionary standards",
    "3": "Organisation, functions, address, telephone, fax, website and e-mail",
    "4": "Administrative guidance documents", "5": "Policy plans, statistics and research reports",
    "6": "Budgets and final accounts", "7": "Petition results and administrative appeal decisions",
    "8": "Public works and procurement contracts", "9": "Subsidies paid or received",
    "10": "Minutes of collegial bodies", "plan": "Service quality plan",
}

RULES = rule_table(
    Rule("item-missing", "error", "應主動公開的資訊項目未公開", "Required disclosure item not found", LAW),
    Rule("item-broken", "error", "公開資訊項目的連結失效或內容為空", "Disclosure item found but broken or empty", LAW),
    Rule("missing-years", "error", "逐年公開資料缺少年度", "Yearly disclosure is missing years", PLAN),
    Rule("item-unresolved", "warning", "公開資訊項目的連結未能驗證：稽核主機無法解析網域名稱（DNS）",
         "Disclosure item found but not checked: the audit machine could not resolve host names (DNS)", LAW),
    Rule("not-applicable", "notice", "項目不適用（已說明理由）", "Item not applicable (reason given)", LAW),
)

# The built-in catalogue: the ten Art. 7 categories and the items the agency's service-quality plan names.
DEFAULT_ITEMS: list[dict[str, Any]] = [
    {"id": "regulations", "name": "法規及命令", "name_en": "Laws and regulations", "category": "1", "texts": ["法規", "法令", "命令"]},
    {"id": "interpretations", "name": "解釋性規定及裁量基準", "name_en": "Interpretive rules and discretion standards", "category": "2", "texts": ["解釋性規定", "裁量基準"]},
    {"id": "organization", "name": "組織及職掌", "name_en": "Organisation and duties", "category": "3", "texts": ["組織", "職掌"]},
    {"id": "contact", "name": "地址、電話、傳真、網址及電子郵件", "name_en": "Address, phone, fax, web and e-mail", "category": "3", "texts": ["聯絡資訊", "聯絡我們", "聯絡方式"]},
    {"id": "guidance", "name": "行政指導有關文書", "name_en": "Administrative guidance documents", "category": "4", "texts": ["行政指導"]},
    {"id": "plans", "name": "施政計畫", "name_en": "Policy plans", "category": "5", "texts": ["施政計畫", "業務計畫"], "yearly": True},
    {"id": "statistics", "name": "業務統計", "name_en": "Business statistics", "category": "5", "texts": ["業務統計", "統計資料"], "yearly": True,
     "lag_years": 1},
    {"id": "research", "name": "研究報告", "name_en": "Research reports", "category": "5", "texts": ["研究報告", "出國報告"]},
    {"id": "budget", "name": "預算書", "name_en": "Budgets", "category": "6", "texts": ["預算"], "yearly": True},
    {"id": "accounts", "name": "決算書", "name_en": "Final accounts", "category": "6", "texts": ["決算"], "yearly": True, "lag_years": 1,
     "due_month": 7},
    {"id": "petitions", "name": "請願之處理結果及訴願之決定", "name_en": "Petition and appeal decisions", "category": "7", "texts": ["請願", "訴願"]},
    {"id": "contracts", "name": "書面之公共工程及採購契約", "name_en": "Public works and procurement contracts", "category": "8", "texts": ["採購契約", "公共工程", "採購資訊"]},
    {"id": "subsidies", "name": "支付或接受之補助", "name_en": "Subsidies paid or received", "category": "9", "texts": ["補助"]},
    {"id": "minutes", "name": "合議制機關之會議紀錄", "name_en": "Minutes of collegial bodies", "category": "10", "texts": ["會議紀錄"]},
    {"id": "whitepaper", "name": "為民服務白皮書", "name_en": "Public service white paper", "category": "plan", "texts": ["為民服務白皮書", "服務白皮書"]},
    {"id": "charter", "name": "營業章程", "name_en": "Articles of business", "category": "plan", "texts": ["營業章程"]},
    {"id": "quality-plan", "name": "提升服務品質執行計畫", "name_en": "Service quality plan", "category": "plan", "texts": ["提升服務品質"]},
    {"id": "service-items", "name": "服務項目、需備文件及規費", "name_en": "Services, required documents and fees", "category": "plan", "texts": ["用水申請", "申辦服務", "服務項目"]},
]
ITEM_KEYS = {"id", "name", "name_en", "category", "texts", "urls", "titles", "zone", "yearly", "since", "lag_years",
             "due_month", "not_applicable"}


@dataclass
class Item:
    id: str
    name: str
    category: str
    texts: list[str] = field(default_factory=list)
    name_en: str = ""               # the English report's name (the zh name when not given)
    urls: list[str] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)
    zone: str = ""
    yearly: bool = False
    since: int = 97                 # ROC year the series must go back to
    lag_years: int = 0              # 0: this year's record is due; 1: last year's is the latest due; -1: next year's
    due_month: int = 1              # the latest record is due from this month on (before it, one year less)
    not_applicable: str = ""

    def latest_expected(self, today: date) -> int:
        year = today.year - self.lag_years
        return year if today.month >= self.due_month else year - 1


def parse_items(raw_items: list[Any], not_applicable: dict[str, str], default_since: int) -> list[Item]:
    """Validate a catalogue; an error names the item."""
    items, seen = [], set()
    for index, raw in enumerate(raw_items):
        if not isinstance(raw, dict):
            raise ConfigError(f"checks.disclosure.items[{index}]: expected a table")
        ident = raw.get("id") or f"#{index}"
        unknown = set(raw) - ITEM_KEYS
        if unknown:
            raise ConfigError(f"checks.disclosure item {ident}: unknown key {', '.join(sorted(unknown))}")
        for key in ("id", "name", "category"):
            if not isinstance(raw.get(key), str) or not raw[key]:
                raise ConfigError(f"checks.disclosure item {ident}: {key} is required")
        if raw["category"] not in CATEGORIES:
            raise ConfigError(f"checks.disclosure item {ident}: unknown category {raw['category']!r} "
                              f"(Art. 7 categories 1-10 or 'plan')")
        if ident in seen:
            raise ConfigError(f"checks.disclosure item {ident}: duplicate id")
        seen.add(ident)
        item = Item(id=ident, name=raw["name"], category=raw["category"], since=default_since)
        if "name_en" in raw:
            if not isinstance(raw["name_en"], str):
                raise ConfigError(f"checks.disclosure item {ident}: name_en must be str")
            item.name_en = raw["name_en"]
        for key in ("texts", "urls", "titles"):
            value = raw.get(key, [])
            if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
                raise ConfigError(f"checks.disclosure item {ident}: {key} must be a list of non-empty strings")
            setattr(item, key, value)
        for key, kind in (("yearly", bool), ("since", int), ("lag_years", int), ("due_month", int),
                          ("zone", str), ("not_applicable", str)):
            if key in raw:
                if not isinstance(raw[key], kind) or (kind is int and isinstance(raw[key], bool)):
                    raise ConfigError(f"checks.disclosure item {ident}: {key} must be {kind.__name__}")
                setattr(item, key, raw[key])
        if not 1 <= item.due_month <= 12:
            raise ConfigError(f"checks.disclosure item {ident}: due_month must be 1-12")
        if not (item.texts or item.urls or item.titles):
            raise ConfigError(f"checks.disclosure item {ident}: no way to find it (give texts, urls or titles)")
        for pattern in item.urls + ([item.zone] if item.zone else []):
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ConfigError(f"checks.disclosure item {ident}: bad regular expression {pattern!r}: {exc}")
        if ident in not_applicable:
            item.not_applicable = not_applicable[ident]
        items.append(item)
    unknown_na = set(not_applicable) - seen
    if unknown_na:
        raise ConfigError(f"checks.disclosure.not_applicable: unknown item {', '.join(sorted(unknown_na))}")
    return items


@dataclass
class Evidence:
    ok: list[str] = field(default_factory=list)
    broken: list[str] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)   # on hosts an audit machine without DNS could not resolve
    pages: set[str] = field(default_factory=set)




def label_year(label: str) -> set[int]:
    """The year a listing's label names (<h3>113年度</h3>, <caption>民國97年預算</caption>): one period year and
    no range (歷年, 97年度起, 97至113年), else nothing."""
    years = find_period_years(label)
    return years if len(years) == 1 and not RANGE_WORDS.search(label) else set()


class DisclosureCheck:
    name = "disclosure"
    title_zh = "主動公開資訊比例"
    title_en = "Proactive disclosure (GIDA Art. 7)"
    rules = RULES
    options: dict[str, Any] = {
        "items": [],              # a catalogue replacing the built-in one
        "extra_items": [],        # items added to the built-in catalogue
        "not_applicable": {},     # {item id: reason}
        "start_year": 97,         # ROC year yearly series go back to
        "today": "",              # ISO date to judge against (default: today)
    }

    fields = (
        SummaryField("ratio", "已公開比例", "Share published", "%"),
        SummaryField("published", "已公開項目", "Items published", "項"),
        SummaryField("required", "應公開項目", "Items required", "項"),
        SummaryField("not_applicable", "不適用項目", "Items not applicable", "項"),
        SummaryField("since_roc", "回溯起始年（民國）", "Records from (ROC year)", ""),
    )

    def inspection(self, summary: dict[str, Any], findings: list[dict[str, Any]]) -> list[InspectionItem]:
        """Two plan items: the share of Art. 7 items published, and yearly records back to ROC 97."""
        published, required = summary.get("published", 0), summary.get("required", 0)
        missing = count_rules(findings, "item-missing", "item-broken")
        gaps = count_rules(findings, "missing-years")
        unchecked = count_rules(findings, "item-unresolved")
        no_dns = (f"，{unchecked} 項未能驗證（稽核主機無 DNS）", f", {unchecked} not checked (no DNS on the audit "
                  "machine)") if unchecked else ("", "")
        years = summary.get("years") or {}
        years_unchecked = sum(1 for row in years.values() if "unresolved" in row.values())
        status = Status.FAIL if published != required and missing else Status.INCOMPLETE if unchecked else Status.PASS
        return [
            inspection_item(self, "disclosure", "主動公開資訊比例", "Proactive disclosure ratio", ("100%", "100%"),
                 (f"{summary.get('ratio')}%（{published}/{required}）{no_dns[0]}",
                  f"{summary.get('ratio')}% ({published}/{required}){no_dns[1]}"),
                 status, LAW, summary.get("ratio"), urls=[summary.get("area", "")]),
            inspection_item(self, "disclosure-years", "回溯至民國97年", "Records back to ROC 97 (2008)",
                 ("無缺漏年度", "No missing years"),
                 ("完整", "Complete") if not gaps and not years_unchecked else
                 (f"{years_unchecked} 項有年度未能驗證（稽核主機無 DNS）", f"{years_unchecked} items with years not "
                  "checked (no DNS on the audit machine)") if not gaps else
                 (f"{gaps} 項缺年度", f"{gaps} item misses years" if gaps == 1 else f"{gaps} items miss years"),
                 Status.FAIL if gaps else Status.INCOMPLETE if years_unchecked else Status.PASS,
                 "提升服務品質執行計畫", float(gaps),
                 urls=[entry.get("url", "") for key, entry in (summary.get("items") or {}).items()
                       if key in (summary.get("years") or {})]),
        ]

    def validate(self, opts: dict[str, Any]) -> None:
        self.catalogue(opts)
        validate_today(self.name, opts)

    def catalogue(self, opts: dict[str, Any]) -> list[Item]:
        raw = opts["items"] or (DEFAULT_ITEMS + list(opts["extra_items"]))
        return parse_items(raw, opts["not_applicable"], opts["start_year"])

    def run(self, ctx: CheckContext) -> CheckResult:
        opts = ctx.options
        items = self.catalogue(opts)
        today = today_option(opts, ctx.config.site.timezone)
        targets = ctx.store.targets(ctx.run_id)
        links_by_page: dict[str, list[tuple[str, str, str, str]]] = defaultdict(list)
        all_links: list[tuple[str, str, str]] = []
        for text, url, row_text, row_label, page in ctx.store.link_tuples(
                ctx.run_id, ("text", "url", "row_text", "row_label")):
            if url:
                links_by_page[page].append((text or "", url, row_text or "", row_label or ""))
                all_links.append((text or "", url, page))
        titles = {u: f"{t.title or ''} {t.h1 or ''}" for u, t in targets.items() if t.is_html}
        findings: list[Finding] = []
        unchecked_years: list[str] = []  # yearly items with years linked only to hosts nobody could resolve
        grid: dict[str, dict[str, str]] = {}
        statuses: dict[str, str] = {}
        found_at: dict[str, str] = {}        # item id -> where it is published
        listed_on: Counter[str] = Counter()  # page -> items it links: the 主動公開資訊 area is the top one
        for item in items:
            if item.not_applicable:
                statuses[item.id] = "not_applicable"
                findings.append(finding(self, "not-applicable", "", [], f"{item.name}：{item.not_applicable}",
                                        {"item": item.id, "name": item.name, "category": item.category,
                                         "reason": item.not_applicable},
                                        detail_en=f"{item.name_en or item.name}: {item.not_applicable}"))
                continue
            ev = self.locate(item, all_links, titles, targets)
            if ev.ok:
                statuses[item.id] = "found"
                pages = [u for u in ev.ok if (t := targets.get(u)) is not None and t.is_html]
                found_at[item.id] = (pages or ev.ok)[0]   # a page the inspector can read, before a file
                listed_on.update(p for p in ev.pages if p not in ev.ok)
            elif ev.unresolved and not ev.broken:  # found, but nobody could check it: neither published nor not
                statuses[item.id] = "unresolved"
                findings.append(finding(self, "item-unresolved", ev.unresolved[0], sorted(ev.pages), item.name,
                                        {"item": item.id, "name": item.name, "category": item.category,
                                         "targets": ev.unresolved}, detail_en=item.name_en or item.name))
            elif ev.broken:
                statuses[item.id] = "broken"
                findings.append(finding(self, "item-broken", ev.broken[0], sorted(ev.pages), item.name,
                                        {"item": item.id, "name": item.name, "category": item.category,
                                         "targets": ev.broken}, detail_en=item.name_en or item.name))
            else:
                statuses[item.id] = "missing"
                findings.append(finding(self, "item-missing", "", [], item.name,
                                        {"item": item.id, "name": item.name, "category": item.category,
                                         "looked_for": {"texts": item.texts, "urls": item.urls,
                                                        "titles": item.titles, "zone": item.zone}},
                                        detail_en=item.name_en or item.name))
            if item.yearly:
                years = self.years(item, ev, links_by_page, targets)
                first, last = roc_to_ad(item.since), item.latest_expected(today)
                row = {}
                for year in range(first, last + 1):
                    row[str(year)] = years.get(year, "missing")
                grid[item.id] = row
                missing = [y for y, s in row.items() if s in ("missing", "broken")]
                if "unresolved" in row.values() and statuses[item.id] != "missing":
                    unchecked_years.append(item.id)
                if missing and statuses[item.id] != "missing":
                    labels = "、".join(f"{int(y) - 1911}" for y in missing)
                    findings.append(finding(self, "missing-years", ev.ok[0] if ev.ok else "", sorted(ev.pages),
                                            f"{item.name} 缺民國 {labels} 年",
                                            {"item": item.id, "name": item.name, "years": [int(y) for y in missing],
                                             "roc_years": [int(y) - 1911 for y in missing],
                                             "from": first, "to": last},
                                            detail_en=f"{item.name_en or item.name}: missing "
                                                      f"{', '.join(missing)} (ROC {labels.replace('、', ', ')})"))
        required = [i for i in items if not i.not_applicable]
        published = [i for i in required if statuses[i.id] == "found"]
        ratio = round(100.0 * len(published) / len(required), 2) if required else 100.0
        gaps = any(f.rule == "missing-years" for f in findings)
        unchecked = [i.id for i in required if statuses[i.id] == "unresolved"] + unchecked_years
        passed = len(published) + sum(1 for i in required if statuses[i.id] == "unresolved") == len(required) \
            and not gaps
        summary = {
            "status": "fail" if not passed else "incomplete" if unchecked else "pass",
            "ratio": ratio,
            "published": len(published),
            "required": len(required),
            "not_applicable": len(items) - len(required),
            "items": {i.id: {"name": i.name, "name_en": i.name_en or i.name, "category": i.category,
                             "status": statuses[i.id], **({"url": found_at[i.id]} if i.id in found_at else {})}
                      for i in items},
            "area": listed_on.most_common(1)[0][0] if listed_on else "",
            "years": grid,
            "since_roc": opts["start_year"],
        }
        if unchecked and passed:
            summary["incomplete"] = (f"{', '.join(unchecked)} not checked: the audit machine could not resolve host "
                                     "names (DNS)")
        sort_findings(findings)
        return CheckResult(findings, summary)

    def locate(self, item: Item, all_links: list[tuple[str, str, str]], titles: dict[str, str],
               targets: dict[str, Target]) -> Evidence:
        """Links whose text or target matches the item (inside its zone), and pages titled like it."""
        ev = Evidence()
        zone = re.compile(item.zone) if item.zone else None
        url_patterns = [re.compile(p) for p in item.urls]
        candidates: dict[str, set[str]] = defaultdict(set)
        for text, url, page in all_links:
            if zone and not (zone.search(page) or zone.search(titles.get(page, ""))):
                continue
            if any(t in text for t in item.texts) or any(p.search(url) for p in url_patterns):
                candidates[url].add(page)
        for url, title in titles.items():
            if item.titles and any(t in title for t in item.titles):
                candidates[url].add(url)
        for url, pages in sorted(candidates.items()):
            answered = usable(targets.get(url), targets)
            if answered is None:
                if unresolved(targets.get(url), targets):
                    ev.pages |= pages
                    ev.unresolved.append(url)
                continue
            ev.pages |= pages
            (ev.ok if answered else ev.broken).append(url)
        return ev

    def years(self, item: Item, ev: Evidence, links_by_page: dict[str, list[tuple[str, str, str, str]]],
              targets: dict[str, Target]) -> dict[int, str]:
        """Years present: from the item's links and, on the item's own pages, every link's text, file name and
        (for a document) the table row or list item it sits in and the label of that listing."""
        status: dict[int, str] = {}

        def mark(years: set[int], usable: bool | None, unchecked: bool = False) -> None:
            for y in years:
                if usable:
                    status[y] = "present"
                elif usable is False and status.get(y) != "present":
                    status[y] = "broken"
                elif unchecked and y not in status:  # linked only to a host nobody could resolve
                    status[y] = "unresolved"

        for url in ev.ok:
            target = targets.get(url)
            title = f"{target.title or ''} {target.h1 or ''}" if target else ""
            mark(find_years(title), True)
            for text, link, row_text, row_label in links_by_page.get(url, []):
                name = unquote(urlsplit(link).path.rsplit("/", 1)[-1])
                found = (find_years(text) | find_period_years(row_text) | headed_years(row_text, row_label)
                         | years_in_file_name(name))
                found = found or label_year(row_label)
                mark(found, usable(targets.get(link), targets), unresolved(targets.get(link), targets))
        return status


CHECK = DisclosureCheck()
