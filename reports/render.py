"""Render a stored run for the evidence dossier: findings.json (stable schema), report.html (self-contained,
printable, Jinja2 with autoescape: everything from crawled pages is escaped), findings.csv and findings.ods.
"""

from __future__ import annotations

import json
import tempfile
from collections import defaultdict
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from jinja2 import Environment, PackageLoader, select_autoescape

from siteaudit import checks as registry
from siteaudit.checks.disclosure import CATEGORY_NAMES, CATEGORY_NAMES_EN
from siteaudit.core import lazy
from siteaudit.core.browser import PDF_MEMORY_MB, PDF_SECONDS, BrowserPaths, PrintError, print_to_pdf
from siteaudit.core.config import ConfigError
from siteaudit.core.dates import (
    format_local,
    iso_local,
    labelled,
    local_time,
    now,
    roc_date_label,
    run_zone,
    zone_label,
)
from siteaudit.core.results import severity_rank
from siteaudit.core.store import Store
from siteaudit.core.wacz import place_output
from siteaudit.reports import export
from siteaudit.reports.captures import capture_index, capture_of, replay_href, screenshots_by_element
from siteaudit.reports.history import PERCENT_ITEMS, diff_runs, figure_text, sparkline, trend
from siteaudit.reports.plan import page_data, page_data_text, plan_text, reused_from_text
from siteaudit.reports.regulations import regulation_en
from siteaudit.reports.uptime_form import MonthForm, month_form
from siteaudit.verdict.availability import SECTION, as_of
from siteaudit.verdict.ids import finding_id, site_origin
from siteaudit.verdict.judge import Verdict

SEVERITY_WORDS = {"zh": {"error": "錯誤", "warning": "警告", "notice": "提醒"},
                  "en": {"error": "Error", "warning": "Warning", "notice": "Notice"}}
FORMATS = ("html", "json", "csv", "ods")
OUTPUT_FILES = {"html": "report.html", "json": "findings.json", "csv": "findings.csv", "ods": "findings.ods",
                "pdf": "report.pdf"}
TO_ODS = "siteaudit.reports.export_ods:to_ods"   # odfpy is loaded only when findings.ods is written
ITEMS_CSV = "inspection.csv"   # written with findings.csv: the inspection items with their 查核網址
SCHEMA_VERSION = 2   # 2: schema_version, and an id per finding


def _iso(ts: float | None, zone: str) -> str | None:
    return iso_local(ts, zone) if ts else None


def run_times(run: dict[str, Any]) -> dict[str, Any]:
    """findings.json's times of a run: ISO-8601 in the site's zone with its offset for people, and the stored
    epoch seconds for programs."""
    zone = run_zone(run)
    return {"started": _iso(run["started"], zone), "finished": _iso(run["finished"], zone), "timezone": zone,
            "started_ts": run["started"], "finished_ts": run["finished"]}


def plan_times(plan: dict[str, Any], zone: str) -> dict[str, Any]:
    """The plan with the base run's start also as ISO-8601 in the site's zone (base_started stays epoch seconds)."""
    if plan.get("base_started"):
        return {**plan, "base_started_iso": iso_local(plan["base_started"], zone)}
    return plan


def findings_document(store: Store, run_id: int, verdict: Verdict) -> dict[str, Any]:
    """The findings.json document: {"schema_version", "run", "status", "inspection", "summary", "pages",
    "findings"}, as judged; each finding with its stable `id`."""
    run = store.run(run_id)
    if run is None:
        raise KeyError(run_id)
    origin = site_origin((run.get("config") or {}).get("site", {}).get("start_urls") or [])
    reuse = store.reuse_counts(run_id)
    data = page_data(run["plan"], reuse)
    captures = capture_index((run["plan"] or {}).get("evidence"))
    return {
        "schema_version": SCHEMA_VERSION,
        "run": {"id": run["id"], "site": run["site"], **run_times(run), "status": run["status"],
                "config_hash": run["config_hash"], "versions": run["versions"],
                "plan": plan_times(run["plan"], run_zone(run)), "reuse": reuse},
        "status": str(verdict.status),
        "inspection": [i.as_dict() for i in verdict.items],
        "summary": {name: summary | {"page_data": data} if data and isinstance(summary, dict) else summary
                    for name, summary in verdict.checks.items()},
        "pages": verdict.pages,
        "findings": [{"id": (fid := finding_id(f, origin)), **f, "capture": capture_of(captures, f, fid)}
                     for f in verdict.findings],
    }


UNITS_EN = {"頁": "pages", "個": "", "項": "items", "秒": "s", "天": "days", "類": "kinds"}


def cite(regulation: str, lang: str) -> str:
    """A regulation as cited in the report's language (English with the Chinese name in brackets)."""
    return regulation if lang == "zh" else regulation_en(regulation)


def figure(value: Any, unit: str = "") -> str:
    """A summary figure as read: numbers without a needless .0, its unit, "—" for none; never JSON."""
    if value is None or isinstance(value, (dict, list)):
        return "—"
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if isinstance(value, float):
        value = f"{value:g}"
    return f"{value}{'' if unit in ('', '%') else ' '}{unit}"


def labelled_figures(check: Any, summary: dict[str, Any], lang: str) -> list[tuple[str, str]]:
    """(label, value with unit) of each summary field the check declares and the summary holds ("—" for none)."""
    fields = getattr(check, "fields", ()) or ()
    return [(f.zh if lang == "zh" else f.en, figure(summary[f.key], f.unit if lang == "zh" else UNITS_EN.get(f.unit, f.unit)))
            for f in fields
            if f.key in summary]


FIRST_PAGES = 5   # pages listed in a grouped row; the rest behind a fold
EVIDENCE_URLS_SHOWN = 1   # 查核網址 of an inspection item in the first table; every one is in findings.json
WHERE_CHARS = 34          # characters of a 查核網址 shown in the first table
DIFF_ROWS = 300   # new and fixed findings listed in the comparison; the rest counted
PRINT_ROWS = 20   # rows of each group in the printed report: the rest counted, every one is in findings.csv
PRINT_URL_CHARS = 200   # characters of a URL printed (its link keeps it whole): one long URL is not a page


def clip(text: str, limit: int | None) -> str:
    """`text` cut to `limit` characters with an ellipsis; whole without a limit."""
    return text if not limit or len(text) <= limit else text[:limit] + "…"


def short_url(url: str, site_host: str, limit: int = WHERE_CHARS) -> str:
    """A 查核網址 as the first table shows it: the path on the audited site, else host and path, cut to `limit`
    (the link keeps the whole URL, and findings.json and inspection.csv give it in full)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return clip(url, limit)
    path = unquote((parts.path or "/") + (f"?{parts.query}" if parts.query else ""))
    return clip(path if parts.hostname == site_host else f"{parts.hostname}{path}", limit)


def finding_index(sections: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per check: its anchor and, per severity, the anchor of its first group and how many findings."""
    index = []
    for s in sections:
        by_severity: dict[str, dict[str, Any]] = {}
        for g in s["groups"]:
            entry = by_severity.setdefault(g["severity"], {"anchor": f"{s['name']}-{g['rule']}", "count": 0})
            entry["count"] += g["count"]
        index.append({"name": s["name"], "title": s["title"], "count": s["count"],
                      "severities": sorted(by_severity.items(), key=lambda kv: severity_rank(kv[0]))})
    return index


def message(f: dict[str, Any], rule: Any, lang: str) -> str:
    """The finding's message in the report's language: in English the rule's text, then the particulars the
    Chinese message gives after the rule's Chinese text (codes, field names, status; an accessibility message
    starts with its criterion's Chinese heading, which the English leaves out)."""
    if lang == "zh" or rule is None:
        return f["message"]
    if f.get("message_en"):
        return f["message_en"]
    _, found, after = f["message"].partition(rule.zh) if rule.zh else ("", "", "")
    if found:
        sep, particulars = after[:1], after[1:]
    else:
        _, sep, particulars = f["message"].partition("：")
    return f"{rule.en}: {particulars}" if sep == "：" and particulars else rule.en


def readable_findings(findings: list[dict[str, Any]], titles: dict[str, str], lang: str) -> list[dict[str, Any]]:
    """Findings as the exports show them: the check's title, the rule's words with its id (what a waiver names),
    the severity as a word and the message in the report's language; the raw fields stay in findings.json."""
    words = SEVERITY_WORDS.get(lang, SEVERITY_WORDS["zh"])
    out = []
    for f in findings:
        check = registry.REGISTRY.get(f["check"])
        rule = check.rules.get(f["rule"]) if check is not None else None
        label = (rule.zh if lang == "zh" else rule.en) if rule is not None else ""
        out.append({**f, "check_label": titles.get(f["check"], f["check"]),
                    "rule_label": f"{label}（{f['rule']}）" if lang == "zh" and label else
                                  f"{label} ({f['rule']})" if label else f["rule"],
                    "severity_label": words.get(f["severity"], f["severity"]),
                    "message": message(f, rule, lang)})
    return out


def grouped_rows(findings: list[dict[str, Any]], rule: Any, lang: str) -> list[dict[str, Any]]:
    """One row per cause: findings about the page itself (its URL among its pages) with the same message are
    one row listing every page; a finding about another URL (a broken link, a document) or a waived one keeps
    its own row. The exports keep one row per finding."""
    rows: dict[tuple[str, ...], dict[str, Any]] = {}
    for f in findings:
        waiver = f["evidence"].get("waiver")
        per_page = f["url"] in f["pages"] and not waiver
        key = (f["severity"], f["message"]) if per_page else (f["severity"], f["message"], f["url"], str(id(f)))
        row = rows.get(key)
        if row is None:
            row = rows[key] = {"severity": f["severity"], "url": None if per_page else f["url"], "pages": [],
                               "message": message(f, rule, lang), "waiver": waiver,
                               "referrers": f["evidence"].get("referrers") or [],
                               # the element on the page: its selector and HTML snippet (accessibility)
                               "selector": f["evidence"].get("selector") or "",
                               "snippet": f["evidence"].get("html") or ""}
        row["pages"].extend(f["pages"] or ([f["url"]] if f["url"] else []))
        row["count"] = row.get("count", 0) + 1
        stated = f["evidence"].get("page_count")
        row["stated_pages"] = max(row.get("stated_pages", 0), stated if isinstance(stated, int) else 0)
    for row in rows.values():
        row["pages"] = list(dict.fromkeys(row["pages"]))
        row["page_count"] = max(len(row["pages"]), row.pop("stated_pages"))  # a site-level finding lists a few
    return list(rows.values())


def environment() -> Environment:
    env = Environment(loader=PackageLoader("siteaudit.reports", "templates"), autoescape=select_autoescape(["html", "j2"]),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["figure"] = figure
    env.filters["clip"] = clip
    env.globals["figure_text"] = figure_text
    return env


def category_label(category: str, lang: str) -> str:
    """A disclosure item's category in words: the Art. 7 item (第N款) or the service-quality plan."""
    names = CATEGORY_NAMES if lang == "zh" else CATEGORY_NAMES_EN
    name = names.get(str(category), str(category))
    if not str(category).isdigit():
        return name
    return f"第{category}款　{name}" if lang == "zh" else f"Art. 7 item {category}: {name}"


def not_run_sections(verdict: Verdict, rendered: set[str], lang: str) -> list[dict[str, Any]]:
    """A short section for each section an inspection item links to that the report has no other section for (its
    check was not selected or did not run): the check, its items, their status and why they were not decided."""
    why = {u["id"]: u["why_zh"] if lang == "zh" else u["why_en"] for u in verdict.undecided_rows()}
    out: dict[str, dict[str, Any]] = {}
    for item in verdict.items:
        if not item.section or item.section in rendered:
            continue
        check = registry.REGISTRY.get(verdict.item_checks.get(item.id, ""))
        title = (check.title_zh if lang == "zh" else check.title_en) if check else item.section
        entry = out.setdefault(item.section, {"id": item.section, "title": title, "status": str(item.status),
                                              "items": []})
        entry["items"].append({"label": item.zh if lang == "zh" else item.en,
                               "why": why.get(item.id) or (item.measured_zh if lang == "zh" else item.measured_en)})
    return list(out.values())


def year_grid(summary: dict[str, Any], lang: str = "zh") -> dict[str, Any] | None:
    """Items x years of a yearly summary (the disclosure check), labelled in ROC and AD years."""
    years = summary.get("years")
    if not years:
        return None
    all_years = sorted({int(y) for row in years.values() for y in row})
    items = summary.get("items", {})
    return {
        "columns": [{"roc": y - 1911, "ad": y} for y in all_years],
        "rows": [{"id": item, "name": item_name(items.get(item, {}), lang) or item,
                  "cells": [row.get(str(y), "") for y in all_years]} for item, row in years.items()],
    }


def item_name(item: dict[str, Any], lang: str) -> str:
    """A disclosure item's name in the report's language (runs stored before English names: the zh name)."""
    return str(item.get("name_en") or item.get("name") or "") if lang == "en" else str(item.get("name") or "")


def folded(rows: list[dict[str, Any]], limit: int | None) -> tuple[list[dict[str, Any]], int]:
    """The first `limit` rows (all without a limit) and how many findings the rest hold."""
    shown = rows[:limit] if limit else rows
    return shown, sum(r["count"] for r in rows[len(shown):])


def group_entry(rule: str, fs: list[dict[str, Any]], rules: dict[str, Any], lang: str,
                limit: int | None) -> dict[str, Any]:
    """One rule's group of a check's section: its rows (the first `limit` in print) and what they stand for."""
    rows, rest = folded(grouped_rows(fs, rules.get(rule), lang), limit)
    return {"rule": rule, "severity": fs[0]["severity"], "count": len(fs), "rows": rows, "folded": rest,
            "label": (rules[rule].zh if lang == "zh" else rules[rule].en) if rule in rules else rule,
            "regulation": cite(rules[rule].regulation, lang) if rule in rules else ""}


def uptime_section(store: Store, run: dict[str, Any], verdict: Verdict, lang: str) -> MonthForm | None:
    """The month's record form that the 網站運轉情形 row links to, as of the same moment and by the same rule;
    none when the row has no check to show."""
    if not any(i.id == "uptime" and i.section == SECTION for i in verdict.items):
        return None
    now = as_of(run)
    agency = (run.get("config") or {}).get("site", {}).get("agency", "")
    return month_form(store, run["site"], agency, now.year, now.month, now, lang)


def site_host(run: dict[str, Any]) -> str:
    """The host of the run's first start URL: the 查核網址 on it are shown by their path."""
    starts = (run.get("config") or {}).get("site", {}).get("start_urls") or [""]
    return urlsplit(starts[0]).hostname or ""


def render_html(store: Store, run_id: int, verdict: Verdict, lang: str = "zh", printed: bool = False) -> str:
    """report.html; `printed`, the version Chromium prints: each group folded after PRINT_ROWS rows and each
    row after FIRST_PAGES pages ("其餘 N 筆見 findings.csv"), long URLs cut, so its pages stay bounded."""
    doc = findings_document(store, run_id, verdict)
    run = store.run(run_id) or {}
    by_check: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for f in doc["findings"]:
        by_check[f["check"]].append(f)
    sections = []
    for name, summary in doc["summary"].items():
        check = registry.REGISTRY.get(name)
        rules = check.rules if check else {}
        items = sorted(by_check.get(name, []), key=lambda f: (severity_rank(f["severity"]), f["rule"], f["url"]))
        groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for f in items:
            groups[f["rule"]].append(f)
        sections.append({
            "name": name,
            "title": (check.title_zh if lang == "zh" else check.title_en) if check else name,
            "summary": summary,
            "figures": labelled_figures(check, summary, lang),
            "reason": summary.get("reason") or summary.get("status_note") or "",
            "reuse": reused_from_text(summary, lang) or page_data_text(summary.get("page_data"), lang),
            "groups": [group_entry(rule, fs, rules, lang, PRINT_ROWS if printed else None)
                       for rule, fs in groups.items()],
            "count": len(items),
            "grid": year_grid(summary, lang),
        })
    started = run.get("started") or now()
    zone = run_zone(run)
    run_row = {**run, "summary": run.get("summary", {})}
    diff = diff_runs(store, run_row, store.findings(run_id), verdict.items)
    series = trend(store, run_row, verdict.items)
    items = verdict.items
    form = uptime_section(store, run, verdict, lang)
    evidence = (run.get("plan") or {}).get("evidence")
    captures = {} if printed else capture_index(evidence)
    shots = screenshots_by_element(captures)
    return environment().get_template("report.html.j2").render(
        doc=doc, run=run, sections=sections, lang=lang, items=items, diff=diff, undecided=verdict.undecided_rows(),
        sparks={k: sparkline(v, k in PERCENT_ITEMS, width=130, height=18) for k, v in series.items()},
        severity_words=SEVERITY_WORDS.get(lang, SEVERITY_WORDS["zh"]),
        item_labels={i.id: (i.zh if lang == "zh" else i.en) for i in verdict.items},
        percent_items=PERCENT_ITEMS,
        titles={s["name"]: s["title"] for s in sections}, first_pages=FIRST_PAGES, printed=printed,
        evidence_urls_shown=EVIDENCE_URLS_SHOWN,
        where=lambda url: short_url(url, site_host(run)),
        diff_rows=PRINT_ROWS if printed else DIFF_ROWS, url_chars=PRINT_URL_CHARS if printed else None,
        cite=lambda text: cite(text, lang),
        index=finding_index(sections),
        date_ad=format_local(started, zone),
        date_roc=roc_date_label(local_time(started, zone).date()),
        time_of_day=format_local(started, zone, "%H:%M"),
        zone_label=zone_label(zone, lang),
        duration=(run.get("finished") or started) - started,
        agency=(run.get("config") or {}).get("site", {}).get("agency", ""),
        axe_core=(doc["summary"].get("accessibility") or {}).get("axe_core", ""),
        mode=plan_text(doc["run"]["plan"], doc["run"]["reuse"], lang, zone),
        uptime_form=form,
        not_run=not_run_sections(verdict, {f"check-{s['name']}" for s in sections} | ({SECTION} if form else set()),
                                 lang),
        category=lambda c: category_label(c, lang),
        evidence=evidence, evidence_off=not (run.get("config") or {}).get("evidence", {}).get("warc", True),
        replay=lambda url: replay_href(captures.get(url or "")),
        shot=lambda row: next((shots[(p, row["selector"])] for p in row["pages"] if (p, row["selector"]) in shots), "")
        if row.get("selector") else "",
    )


def output_problem(path: Path) -> str | None:
    """Why the file `path` could not be written (through its .tmp sibling, then renamed), or None."""
    for candidate in (path, path.with_name(path.name + ".tmp")):
        if candidate.is_dir():
            return f"{candidate} is a folder, not a file"
        if candidate.exists() and not candidate.is_file():
            return f"{candidate} is not a regular file"
    return None


def check_outputs(out_dir: Path, names: list[str]) -> None:
    """Refuse, before anything is crawled or written, an output folder that is a file or an output file whose
    place is taken by a folder (or a device, a pipe): found after a crawl, it would cost the run's outputs."""
    if out_dir.exists() and not out_dir.is_dir():
        raise ConfigError(f"--out: {out_dir} is a file, not a folder")
    for name in names:
        problem = output_problem(out_dir / name)
        if problem:
            raise ConfigError(f"--out: {problem}; remove it or choose another --out")


def write_outputs(store: Store, run_id: int, out_dir: Path, verdict: Verdict, lang: str = "zh",
                  formats: tuple[str, ...] = FORMATS) -> list[Path]:
    check_outputs(out_dir, [OUTPUT_FILES[f] for f in formats] + ([ITEMS_CSV] if "csv" in formats else []))
    out_dir.mkdir(parents=True, exist_ok=True)
    doc = findings_document(store, run_id, verdict)
    audited = export.Audited.of(store.run(run_id) or {}, lang)
    written = []
    if "json" in formats:
        written.append(atomic_write(out_dir / OUTPUT_FILES["json"], json.dumps(doc, ensure_ascii=False)))
    titles = {n: (c.title_zh if lang == "zh" else c.title_en) for n, c in registry.REGISTRY.items()}
    if "csv" in formats or "ods" in formats:
        readable = readable_findings(doc["findings"], titles, lang)
    if "csv" in formats:
        written.append(atomic_write(out_dir / OUTPUT_FILES["csv"], export.to_csv(readable, lang, audited)))
        written.append(atomic_write(out_dir / ITEMS_CSV, export.items_csv(doc["inspection"], lang)))
    if "ods" in formats:
        written.append(atomic_write(out_dir / OUTPUT_FILES["ods"],
                                     lazy.load(TO_ODS)(readable, doc["inspection"], lang, titles, audited)))
    if "html" in formats:
        written.append(atomic_write(out_dir / OUTPUT_FILES["html"], render_html(store, run_id, verdict, lang)))
    wacz = place_output(((store.run(run_id) or {}).get("plan") or {}).get("evidence"), out_dir)
    return written + ([wacz] if wacz else [])


PAGE_LABEL = {"zh": '第 <span class="pageNumber"></span> 頁／共 <span class="totalPages"></span> 頁',
              "en": 'Page <span class="pageNumber"></span> of <span class="totalPages"></span>'}
MARGIN_STYLE = ('<div style="font-size:7.5pt;width:100%;margin:0 12mm;display:flex;justify-content:space-between;'
                'font-family:\'Noto Sans CJK TC\',\'Noto Sans TC\',sans-serif;color:#444">')


def page_templates(left: str, right: str = "", lang: str = "zh") -> tuple[str, str]:
    """Header (`left` and `right`, escaped) and footer (`left` and 第 X 頁／共 Y 頁) templates for Page.printToPDF."""
    header = f"{MARGIN_STYLE}<span>{escape(left)}</span><span>{escape(right)}</span></div>"
    footer = f"{MARGIN_STYLE}<span>{escape(right)}</span><span>{PAGE_LABEL.get(lang, PAGE_LABEL['zh'])}</span></div>"
    return header, footer


def report_templates(run: dict[str, Any], lang: str = "zh") -> tuple[str, str]:
    """The report's header and footer: agency, site and run; page X of Y."""
    agency = (run.get("config") or {}).get("site", {}).get("agency", "")
    started = labelled(run.get("started") or now(), run_zone(run), lang)
    label = "網站稽核報告" if lang == "zh" else "Site audit report"
    run_label = f"執行編號 {run.get('id')}" if lang == "zh" else f"run {run.get('id')}"
    return page_templates(f"{agency}　{label}", f"{run.get('site', '')}　{run_label}　{started}", lang)


def print_pdf(html: Path, pdf: Path, paths: BrowserPaths, header: str = "", footer: str = "",
              landscape: bool = False, timeout: float = PDF_SECONDS, memory_mb: int = PDF_MEMORY_MB) -> None:
    """Print an HTML file to PDF through headless Chromium's DevTools (Page.printToPDF), within the browser's
    memory cap and deadline. When it cannot, PrintError and no PDF: not a partial one, nor an older one that
    would pass for this report."""
    try:
        data = print_to_pdf(html.resolve().as_uri(), paths, header or "<span></span>", footer or "<span></span>",
                            landscape=landscape, timeout=timeout, memory_mb=memory_mb)
    except PrintError:
        pdf.unlink(missing_ok=True)
        raise
    atomic_write(pdf, data)


def print_report(store: Store, run_id: int, verdict: Verdict, pdf: Path, paths: BrowserPaths, lang: str = "zh",
                 timeout: float = PDF_SECONDS, memory_mb: int = PDF_MEMORY_MB) -> Path:
    """report.pdf: the report rendered for print (folded: see render_html), from a temporary file."""
    run = store.run(run_id) or {}
    with tempfile.TemporaryDirectory(prefix="siteaudit-print-") as tmp:
        html = Path(tmp) / "report.html"
        html.write_text(render_html(store, run_id, verdict, lang, printed=True), encoding="utf-8")
        print_pdf(html, pdf, paths, *report_templates(run, lang), timeout=timeout, memory_mb=memory_mb)
    return pdf


def atomic_write(path: Path, data: str | bytes) -> Path:
    """Write `path` whole or not at all: through a temporary file, removed when the write fails (disk full)."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        if isinstance(data, bytes):
            tmp.write_bytes(data)
        else:
            tmp.write_text(data, encoding="utf-8")
        tmp.replace(path)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError) and not exc.filename:  # say which file a full disk refused
            raise OSError(exc.errno, exc.strerror, str(path)) from exc
        raise
    return path
