"""Open data: the site's open-data page, its datasets, each resource's real format and its update date.

Plan line 貳、盤點(2): business data released in open formats or APIs, reviewed and updated regularly. The page and
its dataset links are read from the crawl; each of the site's own files is judged from its first bytes (as the
documents check reads them) and its Content-Type, never from its name; links to the national data platform are
checked as links. Nothing is fetched. Rules, keywords and options: docs/checks/opendata.md.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlsplit

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
from siteaudit.checks.filetype import family_of_extension, family_of_mime, sniff
from siteaudit.checks.services import answer
from siteaudit.core.config import ConfigError
from siteaudit.core.dates import find_dates, http_date, zone_info
from siteaudit.core.results import InspectionItem, Status, SummaryField
from siteaudit.core.store import Target, usable

LINE = "提升服務品質執行計畫 貳、盤點(2)"
PAGE_TEXTS = ("開放資料專區", "資料開放專區", "開放資料集", "開放資料", "資料開放", "Open Data", "open data", "OpenData")
NOT_THE_PAGE = ("宣告",)   # 政府網站資料開放宣告 is the licence statement the essentials check finds, not the data
OPEN = frozenset({"csv", "json", "xml", "odf", "flat-odf", "text"})
CLOSED = frozenset({"ole2", "ooxml", "pdf", "rtf", "odf-nonconformant"})
FAMILY_NAMES = {"csv": "CSV", "json": "JSON", "xml": "XML", "odf": "ODF", "flat-odf": "ODF", "text": "TXT",
                "ole2": "XLS/DOC", "ooxml": "XLSX/DOCX", "pdf": "PDF", "rtf": "RTF", "odf-nonconformant": "ODF（不合規）",
                "platform": "data.gov.tw"}
FAMILY_NAMES_EN = {**FAMILY_NAMES, "odf-nonconformant": "ODF (non-conformant)"}

RULES = rule_table(
    Rule("opendata-missing", "error", "網站上找不到開放資料專區", "No open-data page found on the site", LINE),
    Rule("dataset-none", "error", "開放資料專區沒有資料集連結", "The open-data page links no dataset", LINE),
    Rule("dataset-closed-only", "error", "資料集只提供非開放格式（XLS、XLSX、DOC、PDF）",
         "A dataset is offered only in formats that are not open (XLS, XLSX, DOC, PDF)", LINE),
    Rule("dataset-broken", "error", "資料集的連結都失效", "Every link of a dataset is broken", LINE),
    Rule("dataset-stale", "error", "資料集逾期未更新", "A dataset has not been updated within the limit", LINE),
    Rule("dataset-undated", "warning", "資料集看不出更新日期（列表及 Last-Modified 皆無）",
         "A dataset shows no update date (neither its listing nor Last-Modified)", LINE),
    Rule("dataset-unverified", "warning", "資料集連結未能驗證（未抓取或外站拒絕）",
         "A dataset's links could not be verified (not fetched or refused)", LINE),
)
FAILING = ("opendata-missing", "dataset-none", "dataset-closed-only", "dataset-broken", "dataset-stale")


def family(url: str, target: Target | None, row: Any, platform: bool) -> str:
    """What a dataset resource really is: `platform` for the national platform's dataset page, else the family
    its first bytes show (its Content-Type for an API answer never stored as a file), else unknown."""
    if platform:
        return "platform"
    if row is not None and row["head"]:
        found = sniff(row["head"], complete=not row["truncated"]).family
        if found not in ("unknown", "empty"):
            return found
    if target is not None:
        by_mime = family_of_mime(target.content_type)
        if by_mime and by_mime not in ("html", "zip"):
            return by_mime
    ext = urlsplit(url).path.rsplit(".", 1)[-1] if "." in urlsplit(url).path.rsplit("/", 1)[-1] else ""
    return (family_of_extension(ext) or "unknown") if target is None else "unknown"


class OpenDataCheck:
    name = "opendata"
    title_zh = "開放資料"
    title_en = "Open data"
    rules = RULES
    options: dict[str, Any] = {
        "page_texts": [],             # added to the built-in words naming the open-data page (開放資料, 資料開放…)
        "platform_hosts": ["data.gov.tw"],  # hosts of the national data platform: their links count as datasets
        "max_age_days": 365,          # a dataset is updated at least this often
        "today": "",                  # ISO date to judge against (default: today in site.timezone)
    }

    fields = (
        SummaryField("datasets", "資料集", "Datasets", "個"),
        SummaryField("datasets_open", "開放格式資料集", "Datasets in open formats", "個"),
    )

    def validate(self, opts: dict[str, Any]) -> None:
        validate_today(self.name, opts)
        for key in ("page_texts", "platform_hosts"):
            value = opts[key]
            if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
                raise ConfigError(f"checks.{self.name}.{key}: expected a list of non-empty strings, got {value!r}")
        if isinstance(opts["max_age_days"], bool) or opts["max_age_days"] < 1:
            raise ConfigError(f"checks.{self.name}.max_age_days: expected a whole number of days ≥ 1, "
                              f"got {opts['max_age_days']!r}")

    def inspection(self, summary: dict[str, Any], findings: list[dict[str, Any]]) -> list[InspectionItem]:
        """Fails on its errors still in force; 未完成 when a dataset's format or date could not be judged."""
        if status_of(summary) not in (Status.PASS, Status.FAIL, Status.INCOMPLETE):
            status = status_of(summary)
        elif count_rules(findings, *FAILING):
            status = Status.FAIL
        else:
            status = Status.INCOMPLETE if count_rules(findings, "dataset-undated", "dataset-unverified") else Status.PASS
        datasets = summary.get("datasets_list") or []
        total, good = summary.get("datasets"), summary.get("datasets_open")
        if not summary.get("page"):
            measured = ("未找到開放資料專區", "No open-data page") if summary.get("status") else ("未判定", "Not judged")
        else:
            closed = [d["name"] for d in datasets if d["verdict"] == "closed"]
            measured = (f"{total} 個資料集，{good} 個開放格式", f"{total} datasets, {good} in open formats")
            if closed:
                measured = (measured[0] + "；僅非開放格式：" + "、".join(closed[:2]),
                            measured[1] + f"; {len(closed)} only in closed formats")
        limit = summary.get("max_age_days", self.options["max_age_days"])
        return [inspection_item(self, "opendata", "開放資料（開放格式）", "Open data in open formats",
                                (f"開放格式且 {limit} 天內更新", f"Open formats, updated within {limit} days"),
                                measured, status, LINE, float(good) if good is not None else None,
                                urls=[summary.get("page", "")],
                                note=("", "") if summary.get("page") else listed_in(self, "網站上未找到",
                                                                                     "Not found on the site"))]

    def run(self, ctx: CheckContext) -> CheckResult:
        opts = ctx.options
        today = today_option(opts, ctx.config.site.timezone)
        zone = ctx.config.site.timezone
        own_host = urlsplit(ctx.config.site.start_urls[0]).hostname or ""
        targets = ctx.store.targets(ctx.run_id)
        files = {r["url"]: r for r in ctx.store.resources(ctx.run_id)}
        links: dict[str, list[tuple[str, str, str, str]]] = defaultdict(list)   # page -> (text, url, grp, row)
        linked_from: dict[str, set[str]] = defaultdict(set)
        for text, url, grp, row_text, title, page in ctx.store.link_tuples(
                ctx.run_id, ("text", "url", "grp", "row_text", "title")):
            if url:
                links[page].append((f"{text or ''} {title or ''}".strip(), url, grp or "", row_text or ""))
                linked_from[url].add(page)
        pages = [u for u, t in targets.items() if t.is_html and t.kind == "page" and usable(t, targets)]
        stamps = {row["url"]: row["last_modified"] for row in ctx.store.pages(ctx.run_id)}  # an API's answer
        words = PAGE_TEXTS + tuple(opts["page_texts"])
        findings: list[Finding] = []
        page = self.page(words, pages, targets, links)
        summary: dict[str, Any] = {"max_age_days": opts["max_age_days"]}
        if page is None:
            findings.append(finding(self, "opendata-missing", "", [], evidence={"looked_for": list(words)}))
            summary.update(status="fail", datasets=0, datasets_open=0)
            return CheckResult(findings, summary)
        template = {u for u, on in linked_from.items() if len(on) >= max(3, len(pages) / 2)}
        hosts = tuple(h.lower() for h in opts["platform_hosts"])
        groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
        names: dict[str, str] = {}
        for text, url, grp, row_text in links[page]:
            host = (urlsplit(url).hostname or "").lower()
            platform = any(host == h or host.endswith("." + h) for h in hosts)
            target = targets.get(url)
            own_file = host == own_host.lower() and target is not None and not target.is_html
            if url in template or url == page or not (platform or own_file):
                continue
            key = grp or url
            names.setdefault(key, ((row_text.split(text, 1)[0].strip() if text and row_text else row_text)
                                   or text or url)[:40])
            state = answer(url, targets, own_host)
            kind = family(url, target, files.get(url), platform) if state == "ok" else ""
            dates = {f.date for f in find_dates(f"{text} {row_text}") if f.date and f.date <= today}
            modified = http_date(files[url]["last_modified"] if url in files else stamps.get(url))
            if not dates and modified is not None:   # the listing's date is the agency's; else the file's own
                dates.add(modified.astimezone(zone_info(zone)).date())
            groups[key].append({"url": url, "state": state, "format": kind,
                                "updated": max(dates).isoformat() if dates else ""})
        datasets = [self.judge(names[key], resources, today, opts["max_age_days"], page, findings)
                    for key, resources in groups.items()]
        if not datasets:
            findings.append(finding(self, "dataset-none", page, [page], evidence={}))
        sort_findings(findings)
        failed = any(f.severity == "error" for f in findings)
        undecided = any(f.rule in ("dataset-undated", "dataset-unverified") for f in findings)
        summary.update(status="fail" if failed else "incomplete" if undecided else "pass", page=page,
                       datasets=len(datasets), datasets_open=sum(1 for d in datasets if d["verdict"] == "open"),
                       datasets_list=datasets)
        if undecided:   # kept when errors are waived: a waiver accepts a finding, it judges no dataset
            summary["incomplete"] = "a dataset's format or update date could not be judged"
            if not failed:
                summary["reason"] = summary["incomplete"]
        return CheckResult(findings, summary)

    def judge(self, name: str, resources: list[dict[str, Any]], today: date, max_age: int, page: str,
              findings: list[Finding]) -> dict[str, Any]:
        """One dataset (a listing row, or one link): open when one answering resource is in an open format or is
        the national platform's page; closed when every answering one is XLS, XLSX, DOC, PDF…; its newest date."""
        answered = [r for r in resources if r["state"] == "ok"]
        formats = sorted({r["format"] for r in answered})
        shown = "、".join(FAMILY_NAMES.get(f, f) for f in formats)
        first = resources[0]["url"]
        out: dict[str, Any] = {"name": name, "resources": resources, "formats": formats}
        if not answered:
            unverified = [r for r in resources if r["state"] == "unverified"]
            if unverified:
                findings.append(finding(self, "dataset-unverified", unverified[0]["url"], [page], name,
                                        {"dataset": name}, detail_en=unverified[0]["url"]))
                out["verdict"] = "unverified"
            else:
                findings.append(finding(self, "dataset-broken", first, [page], name, {"dataset": name},
                                        detail_en=first))
                out["verdict"] = "broken"
            return out
        if any(f in OPEN or f == "platform" for f in formats):
            out["verdict"] = "open"
        elif formats and all(f in CLOSED for f in formats):
            out["verdict"] = "closed"
            findings.append(finding(self, "dataset-closed-only", first, [page], f"{name}（{shown}）",
                                    {"dataset": name, "formats": formats},
                                    detail_en=f"{first} ({', '.join(FAMILY_NAMES_EN.get(f, f) for f in formats)})"))
        else:
            out["verdict"] = "unverified"
            findings.append(finding(self, "dataset-unverified", first, [page], f"{name}（格式無法判定）",
                                    {"dataset": name, "formats": formats},
                                    detail_en=f"{first} (format not recognised)"))
        dated = [date.fromisoformat(r["updated"]) for r in answered if r["updated"]]
        if not dated:
            findings.append(finding(self, "dataset-undated", first, [page], name, {"dataset": name}, detail_en=first))
            return out
        newest = max(dated)
        out["updated"] = newest.isoformat()
        age = (today - newest).days
        if age > max_age and newest <= today + timedelta(days=1):
            findings.append(finding(self, "dataset-stale", first, [page],
                                    f"{name}：{newest.isoformat()}，{age} 天前（上限 {max_age} 天）",
                                    {"dataset": name, "updated": newest.isoformat(), "age_days": age},
                                    detail_en=f"{first}: {newest.isoformat()}, {age} days ago (limit {max_age} days)"))
        return out

    @staticmethod
    def page(words: tuple[str, ...], pages: list[str], targets: dict[str, Target],
             links: dict[str, list[tuple[str, str, str, str]]]) -> str | None:
        """The open-data page: one whose <h1> or <title> names it (most specific word first), else the page most
        links name it by; the open-data licence statement (資料開放宣告) is not it."""
        def named(text: str) -> int | None:
            if any(w in text for w in NOT_THE_PAGE):
                return None
            return next((i for i, w in enumerate(words) if w in text), None)

        ranked = []
        for url in pages:
            for field_rank, heading in enumerate((targets[url].h1 or "", targets[url].title or "")):
                rank = named(heading)
                if rank is not None:
                    ranked.append((field_rank * len(words) + rank, len(url), url))
                    break
        if ranked:
            return min(ranked)[2]
        counts: dict[str, int] = defaultdict(int)
        page_set = set(pages)
        for page_links in links.values():
            for text, url, _, _ in page_links:
                if url in page_set and named(text) is not None:
                    counts[url] += 1
        return sorted(counts, key=lambda u: (-counts[u], u))[0] if counts else None


CHECK = OpenDataCheck()
