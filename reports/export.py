"""Findings as CSV (UTF-8 with BOM, for Excel) and as ODS (ODF spreadsheet, as the agency's policy asks).

Every cell of every tabular export goes through `safe_cell`: no formula, no XML-invalid character.
"""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any
from xml.sax.saxutils import escape

from siteaudit.core.odf import package
from siteaudit.verdict.waivers import waiver_of

COLUMNS = ["check", "rule", "severity", "url", "pages", "message", "waiver", "evidence"]
ODS_MIME = "application/vnd.oasis.opendocument.spreadsheet"
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


def rows(findings: list[dict[str, Any]]) -> list[list[str]]:
    out = []
    for f in findings:
        waiver = waiver_of(f)
        out.append([f["check"], f["rule"], f["severity"], f["url"], "\n".join(f["pages"]), f["message"],
                    "" if not waiver else f"{'有效' if waiver['active'] else '已過期'}：{waiver['reason']}"
                    f"（{waiver['accepted_by']}，{waiver['expires']}）",
                    json.dumps(f["evidence"], ensure_ascii=False)[:30000]])
    return out


def to_csv(findings: list[dict[str, Any]]) -> str:
    return write_csv(COLUMNS, rows(findings))


def _cell(value: str) -> str:
    lines = safe_cell(value).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    paragraphs = "".join(f"<text:p>{escape(line)}</text:p>" for line in lines) or "<text:p/>"
    return f'<table:table-cell office:value-type="string">{paragraphs}</table:table-cell>'


def to_ods(findings: list[dict[str, Any]]) -> bytes:
    """A conformant ODF spreadsheet: the mimetype member first and stored, then content and manifest."""
    body = "".join("<table:table-row>" + "".join(_cell(v) for v in row) + "</table:table-row>"
                   for row in [COLUMNS, *rows(findings)])
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.3">'
        '<office:body><office:spreadsheet><table:table table:name="findings">'
        f'<table:table-column table:number-columns-repeated="{len(COLUMNS)}"/>{body}'
        "</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    return package(ODS_MIME, content)
