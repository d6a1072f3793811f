"""findings.ods: the CSV export's rows as an ODF spreadsheet (odfpy), imported only when an .ods is written."""

from __future__ import annotations

import io
from typing import Any

from odf.config import ConfigItem, ConfigItemMapEntry, ConfigItemMapIndexed, ConfigItemMapNamed, ConfigItemSet
from odf.opendocument import OpenDocumentSpreadsheet
from odf.style import Style, TableColumnProperties, TextProperties
from odf.table import Table, TableCell, TableColumn, TableRow
from odf.text import P

from siteaudit.reports.export import (
    COLUMN_WIDTHS,
    COLUMNS,
    ITEM_HEADERS,
    Audited,
    headers,
    item_rows,
    rows,
    safe_cell,
    sheet_name,
)


def to_ods(findings: list[dict[str, Any]], items: list[dict[str, Any]] | None = None, lang: str = "zh",
           titles: dict[str, str] | None = None, audited: Audited | None = None) -> bytes:
    """An ODF spreadsheet written by odfpy: a sheet of the inspection items, then one sheet per check, each
    with its header row frozen and set column widths; every cell neutralised."""
    doc = OpenDocumentSpreadsheet()
    bold = Style(name="header", family="table-cell")
    bold.addElement(TextProperties(fontweight="bold"))
    doc.automaticstyles.addElement(bold)
    widths: dict[str, Style] = {}

    def width(size: str) -> Style:
        if size not in widths:
            style = Style(name=f"col{len(widths)}", family="table-column")
            style.addElement(TableColumnProperties(columnwidth=size))
            doc.automaticstyles.addElement(style)
            widths[size] = style
        return widths[size]

    def sheet(name: str, header: list[str], body: list[list[str]], sizes: list[str]) -> str:
        table = Table(name=name)
        for size in sizes:
            table.addElement(TableColumn(stylename=width(size)))
        for i, row in enumerate([header, *body]):
            tr = TableRow()
            for value in row:
                cell = TableCell(valuetype="string", stylename=bold) if i == 0 else TableCell(valuetype="string")
                for line in safe_cell(value).replace("\r\n", "\n").replace("\r", "\n").split("\n"):
                    cell.addElement(P(text=line))
                tr.addElement(cell)
            table.addElement(tr)
        doc.spreadsheet.addElement(table)
        return name

    names = []
    if items is not None:
        names.append(sheet("考核項目" if lang == "zh" else "Inspection items", ITEM_HEADERS.get(lang, ITEM_HEADERS["zh"]),
                           item_rows(items, lang), ["5cm", "6cm", "7cm", "2.2cm", "9cm", "8cm"]))
    by_check: dict[str, list[dict[str, Any]]] = {}
    for f in findings:
        by_check.setdefault(f["check"], []).append(f)
    for check, fs in by_check.items():
        title = (titles or {}).get(check, check)
        names.append(sheet(sheet_name(title, names), headers(lang, audited), rows(fs, lang, audited),
                           [COLUMN_WIDTHS[c] for c in COLUMNS if audited or c != "audited"]))
    freeze_header_rows(doc, names)
    buf = io.BytesIO()
    doc.write(buf)
    return buf.getvalue()


def freeze_header_rows(doc: OpenDocumentSpreadsheet, names: list[str]) -> None:
    """Freeze the first row of each sheet (settings.xml view settings, as LibreOffice writes them)."""
    view = ConfigItemSet(name="ooo:view-settings")
    views = ConfigItemMapIndexed(name="Views")
    entry = ConfigItemMapEntry()
    entry.addElement(ConfigItem(name="ViewId", type="string", text="view1"))
    tables = ConfigItemMapNamed(name="Tables")
    for name in names:
        table = ConfigItemMapEntry(name=name)
        for key, kind, value in (("VerticalSplitMode", "short", "2"), ("VerticalSplitPosition", "int", "1"),
                                 ("ActiveSplitRange", "short", "2"), ("PositionBottom", "int", "1")):
            table.addElement(ConfigItem(name=key, type=kind, text=value))
        tables.addElement(table)
    entry.addElement(tables)
    views.addElement(entry)
    view.addElement(views)
    doc.settings.addElement(view)
