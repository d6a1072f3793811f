"""Document check: ODF for editable files, PDF for the rest, judged from the bytes.

Rules, options and what "the same document" means: docs/checks/documents.md.
"""

from __future__ import annotations

import os
import re
from collections import Counter, defaultdict
from typing import Any
from urllib.parse import unquote, urlsplit

from siteaudit.checks.base import (
    CheckContext,
    CheckResult,
    Finding,
    Rule,
    finding,
    inspection_item,
    listed_in,
    rule_table,
    sort_findings,
    status_from,
    status_of,
)
from siteaudit.checks.filetype import (
    ARCHIVES,
    EDITABLE_OFFICE,
    FileType,
    family_of_extension,
    family_of_mime,
    sniff,
)
from siteaudit.core import lazy
from siteaudit.core.results import InspectionItem, SummaryField
from siteaudit.core.urls import extension

ODF_PLAN = "推動ODF-CNS15251為政府文件標準格式實施計畫：可編輯文件提供ODF，非可編輯文件提供PDF"
TYPE_MARKERS = re.compile(r"[（(]?\s*(odt|ods|odp|odg|pdf|docx?|xlsx?|pptx?|rtf|csv|zip|7z|rar|檔案|格式)"
                          r"[^)）]*[)）]?", re.I)

TEXT_LAYERS = "siteaudit.checks.documents_pdf:text_layers"   # fetches PDFs (requests) and reads them (pypdf)
RULES = rule_table(
    Rule("office-without-odf", "error", "可編輯文件僅提供微軟 Office 格式，未提供 ODF",
         "Editable office file offered without an ODF version", ODF_PLAN),
    Rule("type-mismatch", "warning", "檔案實際格式與副檔名或 Content-Type 不符",
         "The file's real type does not match its extension or Content-Type", ODF_PLAN),
    Rule("odf-nonconformant", "warning", "ODF 檔案容器不符規範（mimetype 非第一個未壓縮成員）",
         "Non-conformant ODF container (mimetype not the first stored member)", "ISO/IEC 26300 (CNS 15251)"),
    Rule("pdf-without-text", "warning", "PDF 無文字層（掃描影像），螢幕報讀軟體無法讀取",
         "PDF without a text layer (scanned images): screen readers cannot read it", "網站無障礙規範"),
    Rule("pdf-unreadable", "warning", "PDF 無法讀取", "PDF could not be read", ODF_PLAN),
    Rule("not-pdf-publication", "warning", "非可編輯文件未以 PDF 提供", "Non-editable publication not offered as PDF",
         ODF_PLAN),
    Rule("broken-document", "error", "文件無法下載", "Document cannot be downloaded", ODF_PLAN),
    Rule("empty-document", "error", "文件內容為空（0 位元組）", "Empty document (zero bytes)", ODF_PLAN),
    Rule("oversize-document", "warning", "文件超過大小上限", "Document larger than the configured limit", ODF_PLAN),
    Rule("archive-listed", "notice", "壓縮檔：請人工確認內容格式", "Archive: check by hand what it contains", ODF_PLAN),
)


def stem_key(url: str) -> tuple[str, str]:
    """(folder, file name without extension) of a URL: 'the same base file name'."""
    path = unquote(urlsplit(url).path)
    folder, name = os.path.split(path)
    return folder, name.rsplit(".", 1)[0].lower()


def title_key(text: str) -> str:
    """Link text without file-type and size markers: 用水申請書（DOCX, 20KB） -> 用水申請書."""
    text = TYPE_MARKERS.sub("", text or "")
    text = re.sub(r"[（(][^)）]*[KMG]B[)）]|\d+(\.\d+)?\s*[KMG]B", "", text, flags=re.I)
    return re.sub(r"\s+", "", text).lower()


class DocumentsCheck:
    name = "documents"
    title_zh = "ODF/PDF 文件格式"
    title_en = "ODF / PDF documents"
    rules = RULES
    options: dict[str, Any] = {
        "max_document_bytes": 50 * 1024 * 1024,   # larger documents are oversize-document
        "text_layer": True,                        # read PDFs for a text layer (pypdf)
        "max_pdf_bytes": 20 * 1024 * 1024,         # PDFs larger than this are not read for text
        "max_pdfs_read": 500,                      # PDFs fetched whole for the text-layer test, at most
    }

    fields = (
        SummaryField("documents", "文件數", "Documents", "個"),
        SummaryField("editable", "可編輯文件", "Editable documents", "個"),
        SummaryField("odf", "ODF 文件", "ODF documents", "個"),
        SummaryField("odf_share", "ODF 占可編輯文件", "ODF share of editable documents", "%"),
    )

    def inspection(self, summary: dict[str, Any], findings: list[dict[str, Any]]) -> list[InspectionItem]:
        share = summary.get("odf_share")
        measured = (f"ODF 占可編輯文件 {share}%", f"ODF is {share}% of editable documents") if share is not None \
            else ("無可編輯文件", "No editable documents")
        return [inspection_item(self, "documents", "ODF/PDF 格式", "ODF / PDF documents",
                     ("可編輯文件皆有 ODF", "Every editable document has an ODF version"), measured,
                     status_of(summary), "ODF-CNS15251 實施計畫", share,
                     note=listed_in(self, "全站下載文件", "Every document"))]

    def run(self, ctx: CheckContext) -> CheckResult:
        opts = ctx.options
        store, run_id = ctx.store, ctx.run_id
        docs = {r["url"]: r for r in store.resources(run_id, kind="document")}
        refs: dict[str, list[tuple[str, str, str | None]]] = defaultdict(list)  # doc -> (page, text, grp)
        for grp, text, url, page in store.link_tuples(run_id, ("grp", "text", "url")):
            if url in docs:
                refs[url].append((page, text or "", grp))
        types: dict[str, FileType] = {}
        findings: list[Finding] = []
        by_type: Counter[str] = Counter()
        for url, row in docs.items():
            pages = sorted({p for p, _, _ in refs.get(url, [])})
            if row["verdict"] not in ("ok",) or row["status"] is None or row["status"] >= 400:
                if row["verdict"] in ("broken", "error"):
                    reason = f"HTTP {row['status']}" if row["status"] else (row["error_detail"] or row["error"] or "")
                    findings.append(finding(self, "broken-document", url, pages, reason,
                                            {"status": row["status"], "error": row["error"]}))
                continue
            complete = not row["truncated"]
            ftype = sniff(row["head"], complete=complete)
            types[url] = ftype
            by_type[ftype.family] += 1
            ext = extension(url)
            declared = family_of_extension(ext)
            mime = family_of_mime(row["content_type"])
            if ftype.family == "empty":
                findings.append(finding(self, "empty-document", url, pages, "", {"content_type": row["content_type"]}))
                continue
            size = row["content_length"] or row["size"]
            if size and size > opts["max_document_bytes"]:
                limit = opts["max_document_bytes"]
                findings.append(finding(self, "oversize-document", url, pages,
                                        f"{size / 1048576:.1f} MB（{size:,} 位元組，上限 {limit:,}）",
                                        {"bytes": size, "limit": limit},
                                        detail_en=f"{size / 1048576:.1f} MB ({size:,} bytes, limit {limit:,})"))
            real = "odf" if ftype.is_odf else ftype.family
            mismatches = {}
            if declared and declared not in (real, ftype.family) and not (declared == "text" and real == "csv"):
                mismatches["extension"] = ext
            if mime and mime not in (real, ftype.family, "text") and not (mime == "zip" and real in ("odf", "ooxml")):
                mismatches["content_type"] = row["content_type"]
            if mismatches:
                findings.append(finding(self, "type-mismatch", url, pages,
                                        f"實際為 {ftype.family}{(' ' + ftype.detail) if ftype.detail else ''}",
                                        {"real": ftype.family, "detail": ftype.detail, **mismatches},
                                        detail_en=f"really {ftype.family}{(' ' + ftype.detail) if ftype.detail else ''}"))
            if ftype.family == "odf-nonconformant":
                findings.append(finding(self, "odf-nonconformant", url, pages, "", {"mime": ftype.detail}))
            if ftype.family in ARCHIVES or ftype.family == "zip":
                findings.append(finding(self, "archive-listed", url, pages, "", {"type": ftype.family}))
            if ftype.family == "image":
                findings.append(finding(self, "not-pdf-publication", url, pages, "影像檔", {"type": "image"},
                                        detail_en="an image file"))
        findings += self.office_without_odf(types, refs)
        findings += lazy.load(TEXT_LAYERS)(self, ctx, docs, types, refs)
        editable = sum(1 for t in types.values() if t.family in EDITABLE_OFFICE or t.is_odf)
        odf = sum(1 for t in types.values() if t.is_odf)
        offenders: dict[str, list[str]] = defaultdict(list)
        for f in findings:
            if f.severity in ("error", "warning"):
                for page in f.pages:
                    offenders[page].append(f.url)
        sort_findings(findings)
        summary = {
            "status": status_from(findings),
            "documents": len(docs),
            "by_type": dict(sorted(by_type.items())),
            "editable": editable,
            "odf": odf,
            "odf_share": round(100.0 * odf / editable, 1) if editable else None,
            "offenders_by_page": {p: sorted(set(u)) for p, u in sorted(offenders.items())},
        }
        return CheckResult(findings, summary)

    def office_without_odf(self, types: dict[str, FileType], refs: dict[str, list[tuple[str, str, str | None]]]
                           ) -> list[Finding]:
        """An MS Office file passes only when the same document is also offered as ODF.

        The same document: a link in the same listing row (tr, li, dd, dt, p) of a page; or the same folder
        and base file name; or the same link text (without type markers) on the same page.
        """
        odf_rows, odf_stems, odf_titles = set(), set(), set()
        for url, t in types.items():
            if t.is_odf:
                odf_stems.add(stem_key(url))
                for page, text, grp in refs.get(url, []):
                    if grp:
                        odf_rows.add((page, grp))
                    if title_key(text):
                        odf_titles.add((page, title_key(text)))
        out = []
        for url, t in types.items():
            if t.family not in EDITABLE_OFFICE:
                continue
            ways = []
            places = refs.get(url, [])
            if any(grp and (page, grp) in odf_rows for page, _, grp in places):
                ways.append("same-row")
            if stem_key(url) in odf_stems:
                ways.append("same-file-name")
            if any(title_key(text) and (page, title_key(text)) in odf_titles for page, text, _ in places):
                ways.append("same-link-text")
            if not ways:
                pages = sorted({p for p, _, _ in places})
                out.append(finding(self, "office-without-odf", url, pages, t.detail or t.family,
                                   {"real": t.family, "detail": t.detail,
                                    "texts": sorted({text for _, text, _ in places})}))
        return out


CHECK = DocumentsCheck()
