"""Metadata check: government Dublin Core fields and 主題/施政/服務分類 on every HTML page.

Pass rate = passing HTML pages / HTML pages; the check passes only at 100%. Rules, options and the
code-list file format: docs/checks/metadata.md.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from siteaudit.checks.base import (
    LISTED_PAGES,
    CheckContext,
    CheckResult,
    Finding,
    Rule,
    finding,
    inspection_item,
    listed_in,
    rule_table,
    status_of,
)
from siteaudit.core.config import ConfigError
from siteaudit.core.dates import parse_date
from siteaudit.core.results import InspectionItem, SummaryField
from siteaudit.core.urls import trap_pages

SPEC = "行政機關電子資料流通詮釋資料及分類檢索規範"
PLAN = "提升服務品質執行計畫：加註主題、施政、服務分類並定期檢測 Meta data，通過比率100%"
DC_FIELDS = ["DC.Title", "DC.Creator", "DC.Subject", "DC.Description", "DC.Contributor", "DC.Type", "DC.Format",
             "DC.Source", "DC.Language", "DC.coverage.t.min", "DC.coverage.t.max", "DC.Publisher", "DC.Date",
             "DC.Identifier", "DC.Relation", "DC.Rights"]
CATEGORY_FIELDS = ["Category.Theme", "Category.Cake", "Category.Service"]
SCHEMES = {"category.theme": "theme", "category.cake": "cake", "category.service": "service"}
SHAPES = {"theme": re.compile(r"^\d[0-9Z]0$"), "cake": re.compile(r"^[A-Z][0-9A-Z]{2}$"),
          "service": re.compile(r"^[1-9A-Z][0-9A-Z]{2}$")}  # top classes 100 生育保健 … 900, A00 … I00
SHAPE_TEXT = {"theme": "three digits such as 770 or 8Z0", "cake": "a letter and two characters such as C21",
              "service": "a letter or digit and two characters such as E41 or 100"}
IDENTIFIER = re.compile(r"^[0-9A-Z]{9}[A-Z](\d{4})?([-_/:].*)?$")
DATA = Path(__file__).parent / "data"
KEYWORD_NAMES = ("keywords", "dc.keywords")

RULES = rule_table(
    Rule("missing-field", "error", "缺少必要的詮釋資料欄位", "Required metadata field missing", SPEC),
    Rule("blank-field", "error", "詮釋資料欄位內容空白", "Required metadata field is blank", SPEC),
    Rule("blank-optional-field", "notice", "詮釋資料欄位空白（允許）", "Metadata field blank (allowed)", SPEC),
    Rule("missing-recommended", "notice", "缺少建議的詮釋資料欄位", "Recommended metadata field missing", SPEC),
    Rule("bad-date", "error", "詮釋資料日期無法解析", "Metadata date does not parse", SPEC),
    Rule("coverage-order", "error", "涵蓋範圍起日晚於迄日", "Coverage start is after its end", SPEC),
    Rule("bad-identifier", "warning", "DC.Identifier 不像機關代碼", "DC.Identifier is not shaped like an agency code",
         SPEC),
    Rule("wrong-scheme-code", "error", "分類代碼格式不符該分類", "Classification code has another scheme's shape", SPEC),
    Rule("unknown-code", "error", "分類代碼不在代碼表中", "Classification code not in the code list", SPEC),
    Rule("unlisted-code", "notice", "分類代碼不在（未完整的）代碼表中，請人工確認",
         "Classification codes not in the (incomplete) code lists: check them by hand", SPEC),
    Rule("template-constant", "warning", "全站詮釋資料為固定值，未描述各頁內容",
         "The same metadata value on every page (template constant)", PLAN),
)


@dataclass
class CodeList:
    scheme: str
    codes: dict[str, str]
    complete: bool
    source: str


def load_code_list(scheme: str, path: Path) -> CodeList:
    """Read a TSV code list; a malformed line is a ConfigError naming the file and line."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read code list ({exc.strerror})")
    codes: dict[str, str] = {}
    complete = False
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        if line.startswith("#"):
            m = re.match(r"#\s*complete:\s*(true|false)\s*$", line.strip(), re.I)
            if m:
                complete = m.group(1).lower() == "true"
            continue
        parts = line.split("\t")
        if len(parts) not in (2, 3) or not parts[0].strip() or not parts[1].strip():
            raise ConfigError(f"{path}:{number}: expected 'code<TAB>name[<TAB>parent]', got {line!r}")
        code = parts[0].strip()
        if not SHAPES[scheme].match(code):
            raise ConfigError(f"{path}:{number}: {code!r} is not a {scheme} code ({SHAPE_TEXT[scheme]})")
        codes[code] = parts[1].strip()
    # Named without the machine's folders: evidence travels in the dossier, local paths do not belong there.
    source = f"siteaudit/{path.name}" if path.resolve().parent == DATA.resolve() else path.name
    return CodeList(scheme, codes, complete, source)


class MetadataCheck:
    name = "metadata"
    title_zh = "詮釋資料通過比率"
    title_en = "Metadata pass rate"
    rules = RULES
    options: dict[str, Any] = {
        "required": DC_FIELDS + CATEGORY_FIELDS,
        "recommended": ["Keywords"],
        "blank_allowed": ["DC.Relation"],
        "code_lists": {},          # {"theme" = "path.tsv", "cake" = ..., "service" = ...}
        "constant_fields": ["DC.Date", "DC.coverage.t.min", "DC.coverage.t.max", "DC.Title"],
        "constant_min_pages": 3,
        "constant_share": 0.9,     # a value on at least this share of the pages carrying the field is a constant
    }

    fields = (
        SummaryField("pass_rate", "通過比率", "Pass rate", "%"),
        SummaryField("pages_passing", "通過頁數", "Pages passing", "頁"),
        SummaryField("html_pages", "檢查頁數", "Pages checked", "頁"),
    )

    def inspection(self, summary: dict[str, Any], findings: list[dict[str, Any]]) -> list[InspectionItem]:
        rate, passing, pages = summary.get("pass_rate"), summary.get("pages_passing", 0), summary.get("html_pages", 0)
        return [inspection_item(self, "metadata", "詮釋資料通過比率", "Metadata pass rate", ("100%", "100%"),
                     (f"{rate}%（{passing}/{pages}）", f"{rate}% ({passing}/{pages})"), status_of(summary),
                     "行政機關電子資料流通實施要點", rate,
                     note=listed_in(self, "各頁 <meta>", "Every page's <meta>"))]

    def validate(self, opts: dict[str, Any]) -> None:
        unknown = set(opts["code_lists"]) - set(SHAPES)
        if unknown:
            raise ConfigError(f"checks.metadata.code_lists: unknown scheme {sorted(unknown)[0]!r} "
                              f"(known: {', '.join(SHAPES)})")
        if not 0.5 < opts["constant_share"] <= 1:
            raise ConfigError(f"checks.metadata.constant_share: expected a share above 0.5 and at most 1, "
                              f"got {opts['constant_share']!r}")
        self.code_lists(opts)

    def code_lists(self, opts: dict[str, Any]) -> dict[str, CodeList]:
        out = {}
        for scheme in SHAPES:
            path = opts["code_lists"].get(scheme) or DATA / f"codes-{scheme}.tsv"
            out[scheme] = load_code_list(scheme, Path(path))
        return out

    def run(self, ctx: CheckContext) -> CheckResult:
        opts = ctx.options
        lists = self.code_lists(opts)
        required = [f.lower() for f in opts["required"]]
        names = {f.lower(): f for f in DC_FIELDS + CATEGORY_FIELDS + opts["required"] + opts["recommended"]}
        blank_ok = {f.lower() for f in opts["blank_allowed"]}
        findings: list[Finding] = []
        failing: list[str] = []
        per_field: Counter[str] = Counter()
        values: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))  # field -> value -> pages
        unlisted: dict[tuple[str, str], list[str]] = defaultdict(list)  # (field, code) -> pages
        html_pages = 0
        pages = list(ctx.store.pages(ctx.run_id, html_only=True))
        trapped = trap_pages(ctx.store.traps(ctx.run_id))
        for page in pages:
            if page["url"] in trapped:  # reached only through a crawler trap: counted apart, not checked
                continue
            html_pages += 1
            meta = {k.lower(): v for k, v in json.loads(page["meta"] or "{}").items()}
            problems = self.page_problems(meta, required, opts, blank_ok, lists, names)
            for item in problems.pop("unlisted-code", []):
                unlisted[(item["field"], item["value"])].append(page["url"])
            for field in (f.lower() for f in opts["constant_fields"]):
                if meta.get(field):
                    values[field][meta[field][0].strip()].append(page["url"])
            if any(RULES[r].severity == "error" for r in problems):
                failing.append(page["url"])
            for rule, items in problems.items():
                for item in items:
                    per_field[item["field"]] += RULES[rule].severity == "error"
                detail = "、".join(sorted({i["field"] for i in items}))
                severity = max((i.get("severity", RULES[rule].severity) for i in items),
                               key=("notice", "warning", "error").index)
                findings.append(finding(self, rule, page["url"], [page["url"]], detail, {"fields": items},
                                        severity=severity, detail_en=detail.replace("、", ", ")))
        for field, by_value in values.items():
            value, same = max(by_value.items(), key=lambda kv: len(kv[1]))
            count, carrying = len(same), sum(len(p) for p in by_value.values())
            if count >= opts["constant_min_pages"] and count >= opts["constant_share"] * carrying:
                shown = f"{names.get(field, field)} = {value}"
                findings.append(finding(self, "template-constant", "", same[:LISTED_PAGES],
                                        shown + (f"（{count}/{carrying} 頁）" if count < carrying else ""),
                                        {"field": names.get(field, field), "value": value, "pages": count,
                                         "pages_with_field": carrying, "page_count": count},
                                        detail_en=shown + (f" ({count}/{carrying} pages)" if count < carrying else "")))
        if unlisted:
            findings.append(self.unlisted_notice(unlisted, lists))
        passing = html_pages - len(failing)
        rate = round(100.0 * passing / html_pages, 2) if html_pages else 0.0
        summary = {
            "status": "pass" if html_pages and passing == html_pages else "fail",
            "pass_rate": rate,
            "pages_passing": passing,
            "html_pages": html_pages,
            "trap_pages": len(trapped),
            "failures_by_field": dict(sorted((k, v) for k, v in per_field.items() if v)),
            "failing_pages": failing[:200],
            "code_lists_complete": {s: c.complete for s, c in lists.items()},
        }
        return CheckResult(findings, summary)

    def unlisted_notice(self, unlisted: dict[tuple[str, str], list[str]], lists: dict[str, CodeList]) -> Finding:
        """One site-level notice for every well-shaped code the (incomplete) lists do not hold, with its pages."""
        rows = sorted(unlisted.items(), key=lambda kv: (-len(kv[1]), kv[0]))
        codes = [{"field": field, "code": code, "pages": len(pages), "example": pages[0],
                  "code_list": lists[SCHEMES[field.lower()]].source} for (field, code), pages in rows]
        detail = "、".join(f"{c['code']}（{c['field']}，{c['pages']} 頁）" for c in codes)
        detail_en = ", ".join(f"{c['code']} ({c['field']}, {c['pages']} page{'s' if c['pages'] != 1 else ''})"
                              for c in codes)
        all_pages = sorted({p for pages in unlisted.values() for p in pages})
        return finding(self, "unlisted-code", "", all_pages[:LISTED_PAGES], detail,
                       {"codes": codes, "pages": len(all_pages), "page_count": len(all_pages)},
                       detail_en=detail_en)

    def page_problems(self, meta: dict[str, list[str]], required: list[str], opts: dict[str, Any],
                      blank_ok: set[str], lists: dict[str, CodeList], names: dict[str, str]
                      ) -> dict[str, list[dict[str, Any]]]:
        problems: dict[str, list[dict[str, Any]]] = defaultdict(list)

        def add(rule: str, field: str, **detail: Any) -> None:
            problems[rule].append({"field": names.get(field, field), **detail})

        for field in required:
            present = meta.get(field)
            if present is None:
                add("missing-field", field)
            elif not any(v.strip() for v in present):
                add("blank-optional-field" if field in blank_ok else "blank-field", field)
        for field in (f.lower() for f in opts["recommended"]):
            aliases = KEYWORD_NAMES if field in KEYWORD_NAMES else (field,)
            if not any(meta.get(a) for a in aliases):
                add("missing-recommended", field)
        dates = {}
        for field in ("dc.date", "dc.coverage.t.min", "dc.coverage.t.max"):
            for value in meta.get(field, []):
                if value.strip():
                    parsed = parse_date(value)
                    if parsed is None:
                        add("bad-date", field, value=value)
                    else:
                        dates.setdefault(field, parsed)
        if "dc.coverage.t.min" in dates and "dc.coverage.t.max" in dates \
                and dates["dc.coverage.t.min"] > dates["dc.coverage.t.max"]:
            add("coverage-order", "dc.coverage.t.min", min=str(dates["dc.coverage.t.min"]),
                max=str(dates["dc.coverage.t.max"]))
        for value in meta.get("dc.identifier", []):
            if value.strip() and not IDENTIFIER.match(value.strip()):
                add("bad-identifier", "dc.identifier", value=value)
        for field, scheme in SCHEMES.items():
            for value in meta.get(field, []):
                for code in (c.strip().upper() for c in re.split(r"[;,\s]+", value) if c.strip()):
                    self.judge_code(code, field, scheme, lists[scheme], add)
        return problems

    def judge_code(self, code: str, field: str, scheme: str, codes: CodeList, add: Any) -> None:
        if not SHAPES[scheme].match(code):
            other = [s for s, shape in SHAPES.items() if s != scheme and shape.match(code)]
            add("wrong-scheme-code", field, value=code, expected=SHAPE_TEXT[scheme],
                looks_like=other[0] if other else None)
        elif code not in codes.codes:
            add("unknown-code" if codes.complete else "unlisted-code", field, value=code, code_list=codes.source)


CHECK = MetadataCheck()
