"""Findings as CSV (UTF-8 with BOM, for Excel; headers in the report's language) and as ODS (ODF spreadsheet,
as the agency's policy asks, written by odfpy: a sheet of inspection items and one per check).

Every cell of every tabular export goes through `safe_cell`: no formula, no XML-invalid character.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from typing import Any

from siteaudit.core.dates import format_local, run_zone, zone_label
from siteaudit.verdict.waivers import waiver_of

COLUMNS = ["id", "check", "rule", "severity", "url", "pages", "message", "waiver", "audited", "evidence"]
HEADERS = {"zh": ["編號", "檢查", "規則", "嚴重度", "網址", "出現頁面", "說明", "豁免", "稽核時間", "證據"],
           "en": ["ID", "Check", "Rule", "Severity", "URL", "Pages", "Message", "Waiver", "Audited", "Evidence"]}
ITEM_HEADERS = {"zh": ["項目", "目標", "量測值", "結果", "查核網址", "依據"],
                "en": ["Item", "Target", "Measured", "Result", "Where to check", "Regulation"]}
STATUS_WORDS = {"zh": {"pass": "通過", "fail": "未通過", "not_run": "未執行", "error": "檢查失敗", "incomplete": "未完成",
                       "waived": "豁免"},
                "en": {"pass": "Pass", "fail": "Fail", "not_run": "Not run", "error": "Error",
                       "incomplete": "Incomplete", "waived": "Waived"}}
COLUMN_WIDTHS = {"id": "3.2cm", "check": "2.6cm", "rule": "4cm", "severity": "2cm", "url": "9cm", "pages": "9cm",
                 "message": "10cm", "waiver": "5cm", "audited": "3.4cm", "evidence": "12cm"}
EVIDENCE_LIMIT = 30_000   # characters of evidence JSON in one cell (spreadsheets stop at 32,767)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")   # OWASP CSV injection: what a spreadsheet may run
XML_INVALID = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def safe_cell(value: object) -> str:
    """A spreadsheet cell that is only ever text: characters XML 1.0 forbids (C0 controls, lone surrogates)
    become U+FFFD, and a value a spreadsheet would read as a formula gets a leading single quote."""
    text = XML_INVALID.sub("\ufffd", "" if value is None else str(value))
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def write_csv(header: list[str], rows: list[list[str]]) -> str:
    """CSV for Excel: UTF-8 with BOM, RFC 4180 quoting (csv module), every cell neutralised."""
    buf = io.StringIO()
    buf.write("\ufeff")
    writer = csv.writer(buf)
    for row in [header, *rows]:
        writer.writerow([safe_cell(v) for v in row])
    return buf.getvalue()


def summarised(value: Any, items: int, chars: int) -> Any:
    """`value` with lists cut to `items` entries (a note says how many were left out) and strings to `chars`."""
    if isinstance(value, dict):
        return {k: summarised(v, items, chars) for k, v in value.items()}
    if isinstance(value, list):
        kept = [summarised(v, items, chars) for v in value[:items]]
        return kept + [f"… +{len(value) - items}"] if len(value) > items else kept
    if isinstance(value, str) and len(value) > chars:
        return value[:chars] + f"… (+{len(value) - chars})"
    return value


def evidence_json(evidence: dict[str, Any], limit: int = EVIDENCE_LIMIT) -> str:
    """The evidence as JSON that always parses: long lists and strings are summarised, never cut mid-string."""
    text = json.dumps(evidence, ensure_ascii=False)
    items, chars = 200, 2000
    while len(text) > limit and (items > 1 or chars > 20):
        text = json.dumps(summarised(evidence, items, chars), ensure_ascii=False)
        items, chars = max(1, items // 4), max(20, chars // 4)
    return text if len(text) <= limit else json.dumps({"summary": f"{len(evidence)} fields, too long to show"})


@dataclass(frozen=True)
class Audited:
    """When the run audited the site, as a findings row shows it: the site's local time, under a header that
    names the zone (稽核時間（臺北時間）, Audited (Taipei time))."""

    header: str
    time: str

    @classmethod
    def of(cls, run: dict[str, Any], lang: str = "zh") -> Audited:
        zone = run_zone(run)
        label = zone_label(zone, lang)
        word = dict(zip(COLUMNS, HEADERS.get(lang, HEADERS["zh"]), strict=True))["audited"]
        header = f"{word}（{label}）" if lang == "zh" else f"{word} ({label})"
        return cls(header, format_local(run["started"], zone) if run.get("started") else "")


def headers(lang: str = "zh", audited: Audited | None = None) -> list[str]:
    """The findings columns' headers in `lang`; the audit time's column only with `audited`."""
    words = dict(zip(COLUMNS, HEADERS.get(lang, HEADERS["zh"]), strict=True))
    if audited is None:
        return [words[c] for c in COLUMNS if c != "audited"]
    return [audited.header if c == "audited" else words[c] for c in COLUMNS]


def rows(findings: list[dict[str, Any]], lang: str = "zh", audited: Audited | None = None) -> list[list[str]]:
    words = {"zh": ("有效", "已過期"), "en": ("active", "expired")}.get(lang, ("有效", "已過期"))
    out = []
    for f in findings:
        waiver = waiver_of(f)
        out.append([f.get("id", ""), f.get("check_label", f["check"]), f.get("rule_label", f["rule"]),
                    f.get("severity_label", f["severity"]), f["url"], "\n".join(f["pages"]),
                    f["message"],
                    "" if not waiver else (f"{words[0] if waiver['active'] else words[1]}：{waiver['reason']}"
                                           f"（{waiver['accepted_by']}，{waiver['expires']}）" if lang == "zh" else
                                           f"{words[0] if waiver['active'] else words[1]}: {waiver['reason']} "
                                           f"({waiver['accepted_by']}, {waiver['expires']})"),
                    *([audited.time] if audited else []),
                    evidence_json(f["evidence"])])
    return out


def to_csv(findings: list[dict[str, Any]], lang: str = "zh", audited: Audited | None = None) -> str:
    return write_csv(headers(lang, audited), rows(findings, lang, audited))


def item_rows(items: list[dict[str, Any]], lang: str = "zh") -> list[list[str]]:
    zh, words = lang == "zh", STATUS_WORDS.get(lang, STATUS_WORDS["zh"])
    return [[i["zh"] if zh else i["en"], i["target_zh"] if zh else i["target_en"],
             i["measured_zh"] if zh else i["measured_en"], item_result(i, words, zh), where_to_check(i, zh),
             i["regulation"]]
            for i in items]


def where_to_check(item: dict[str, Any], zh: bool) -> str:
    """An item's 查核網址, one per line, then the note of an item with no single place."""
    note = item.get("evidence_note_zh" if zh else "evidence_note_en") or ""
    return "\n".join([*item.get("evidence_urls", []), *([note] if note else [])])


def items_csv(items: list[dict[str, Any]], lang: str = "zh") -> str:
    """inspection.csv: the inspection items as the report's first table, with their 查核網址."""
    return write_csv(ITEM_HEADERS.get(lang, ITEM_HEADERS["zh"]), item_rows(items, lang))


def item_result(item: dict[str, Any], words: dict[str, str], zh: bool) -> str:
    """An item's result word; a waived item names its waiver's reason, who accepted it and until when."""
    word, w = words.get(item["status"], item["status"]), item.get("waiver")
    if not w:
        return word
    return f"{word}（{w['reason']}／{w['accepted_by']}／{w['expires']}）" if zh else \
        f"{word} ({w['reason']} / {w['accepted_by']} / {w['expires']})"


def sheet_name(title: str, taken: list[str]) -> str:
    """A sheet name spreadsheets accept (no []*?:/\\', at most 31 characters), unique in the file: a long title
    loses its parenthesised part, then whole words, never letters of a word."""
    name = re.sub(r"[\[\]*?:/\\']", "_", title).strip()
    if len(name) > 31:
        name = re.split(r"\s*[（(]", name, maxsplit=1)[0].strip() or name
    while len(name) > 31 and " " in name:
        name = name.rsplit(" ", 1)[0].rstrip(" ,;-")
    name = name[:31] or "sheet"
    return name if name not in taken else f"{name[:28]}_{len(taken)}"
