"""The documents check's PDF text-layer test: PDFs fetched (requests) and read (pypdf), imported only when the check
runs with `text_layer` on."""

from __future__ import annotations

import io
from typing import Any

from siteaudit.checks.base import CheckContext, Finding, finding
from siteaudit.checks.documents import DocumentsCheck
from siteaudit.checks.filetype import FileType
from siteaudit.core.net import fetch_bytes, session_for


def text_layers(check: DocumentsCheck, ctx: CheckContext, docs: dict[str, Any], types: dict[str, FileType],
                refs: dict[str, list[tuple[str, str, str | None]]]) -> list[Finding]:
    opts = ctx.options
    if not opts["text_layer"]:
        return []
    session = session_for(ctx.config)
    out, read = [], 0
    for url, t in types.items():
        if t.family != "pdf":
            continue
        row = docs[url]
        body = row["head"] if not row["truncated"] else None
        if body is None:
            size = row["content_length"]
            if (size and size > opts["max_pdf_bytes"]) or read >= opts["max_pdfs_read"]:
                continue
            read += 1
            got = fetch_bytes(session, url, opts["max_pdf_bytes"], ctx.config.crawl.download_timeout)
            if got.error or got.truncated or got.status != 200:
                continue
            body = got.body
        pages = sorted({p for p, _, _ in refs.get(url, [])})
        try:
            has_text = has_text_layer(body)
        except UnreadablePdf as exc:
            out.append(finding(check, "pdf-unreadable", url, pages, str(exc),
                               {"bytes": len(body), "reason": str(exc)}))
            continue
        if not has_text:
            out.append(finding(check, "pdf-without-text", url, pages, "", {"bytes": len(body)}))
    return out


class UnreadablePdf(Exception):
    """pypdf could not read a PDF; the message says why."""


def has_text_layer(body: bytes) -> bool:
    """True when any of the first 20 pages yields text; raises UnreadablePdf when pypdf cannot read the file."""
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(body))
        return any((page.extract_text() or "").strip() for page in reader.pages[:20])
    except Exception as exc:  # pypdf raises PdfReadError, LimitReachedError and plain errors on damaged files
        raise UnreadablePdf(f"{type(exc).__name__}: {exc}"[:300]) from exc
