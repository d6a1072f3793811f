"""Findings as CSV (UTF-8 with BOM, for Excel) and as ODS (ODF spreadsheet, as the agency's policy asks)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any
from xml.sax.saxutils import escape

from siteaudit.core.odf import package
from siteaudit.verdict.waivers import waiver_of

COLUMNS = ["check", "rule", "severity", "url", "pages", "message", "waiver", "evidence"]
ODS_MIME = "application/vnd.oasis.opendocument.spreadsheet"


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
    buf = io.StringIO()
    buf.write("\ufeff")
    writer = csv.writer(buf)
    writer.writerow(COLUMNS)
    writer.writerows(rows(findings))
    return buf.getvalue()


def _cell(value: str) -> str:
    paragraphs = "".join(f"<text:p>{escape(line)}</text:p>" for line in value.split("\n")) or "<text:p/>"
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
