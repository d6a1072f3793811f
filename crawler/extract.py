"""Read one HTML page with lxml: title, first h1, anchors, meta tags and every outgoing reference."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

import lxml.html
from lxml import etree

from siteaudit.core.dates import PUBLISH_LABELS, UPDATE_LABELS, is_year_header
from siteaudit.core.urlparts import redact
from siteaudit.core.urls import UrlRules

XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
SPACES = re.compile(r"\s+")
REFRESH_URL = re.compile(r"""^\s*\d*(?:\.\d+)?\s*[;,]?\s*(?:url\s*=\s*)?['"]?([^'"]*)['"]?\s*$""", re.I)
LINK_ELEMENTS = ("a", "area", "link", "img", "script", "iframe", "frame", "object", "embed", "source", "form",
                 "meta", "video", "audio")
MAX_TEXT = 300
ROW_TAGS = frozenset({"tr", "li", "dd", "dt", "p"})
CONTEXT_ROWS = frozenset({"tr", "li", "dd", "dt"})  # a paragraph is prose, not a listing row
MAX_CONTEXT = 200
HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
# Text nodes that may carry a displayed update date (更新日期：115年10月1日); XPath runs in C, so this is cheap.
STAMP_XPATH = "//body//text()[" + " or ".join(f"contains(., '{label}')" for label in (*UPDATE_LABELS, *PUBLISH_LABELS)) + "]"
MAX_STAMPS = 5
# Parsers use huge_tree: it lifts libxml2's nesting limit of 256 levels (to 2048), below which links were
# dropped without a word; a page deeper still is reported as not fully parsed.


@dataclass
class PageData:
    title: str | None = None
    h1: str | None = None
    lang: str | None = None
    anchors: list[str] = field(default_factory=list)
    meta: dict[str, list[str]] = field(default_factory=dict)
    links: list[dict[str, Any]] = field(default_factory=list)
    stamps: list[str] = field(default_factory=list)


def clean(text: str | None) -> str:
    return SPACES.sub(" ", text or "").strip()


BYTES_ENCODINGS = frozenset({"utf-8", "utf8", "ascii", "us-ascii", "cp1252", "iso-8859-1", "latin-1"})


def parse_body(body: bytes, encoding: str | None, text: Any) -> tuple[Any, bool]:
    """Parse the bytes directly when lxml knows the encoding (no decode and re-encode), else the text.

    `text` is a callable giving the decoded text (Big5/CP950 and other legacy encodings go that way).
    Returns the document and whether it was read whole (False: nested past libxml2's depth limit, so the
    elements below it, and their links, are missing).
    """
    if encoding and encoding.lower() in BYTES_ENCODINGS and body.strip():
        parser = lxml.html.HTMLParser(encoding=encoding, huge_tree=True)
        try:
            doc = lxml.html.document_fromstring(body, parser=parser)
            return doc, _whole(parser)
        except (etree.ParserError, ValueError, LookupError):
            pass
    parser = lxml.html.HTMLParser(huge_tree=True)
    return parse_html(text(), parser), _whole(parser)


def parse_html(text: str, parser: Any = None) -> Any:
    """Parse a page leniently; returns None for an empty or unparsable document."""
    text = XML_DECLARATION.sub("", text, count=1)
    if not text.strip():
        return None
    try:
        return lxml.html.document_fromstring(text, parser=parser or lxml.html.HTMLParser(huge_tree=True))
    except (etree.ParserError, ValueError):
        return None


def _whole(parser: Any) -> bool:
    """False when libxml2 stopped descending (ERR_RESOURCE_LIMIT: "Excessive depth in document")."""
    return not any(e.type_name == "ERR_RESOURCE_LIMIT" for e in parser.error_log)


def _srcset_urls(value: str) -> list[str]:
    return [c.strip().split()[0] for c in value.split(",") if c.strip()]


def _row_of(el: Any) -> tuple[str | None, str | None, str | None]:
    """The listing row (tr, li, dd, dt, p) around a document link: its XPath ("the same row" of a listing) and,
    for a table row or list item, its text (a 年度 cell beside a 下載 link) and the listing's label."""
    parent = el.getparent()
    while parent is not None and parent.tag not in ROW_TAGS:
        parent = parent.getparent()
    if parent is None:
        return None, None, None
    path = parent.getroottree().getpath(parent)
    if parent.tag not in CONTEXT_ROWS:
        return path, None, None
    label = _label_of(parent)
    text = _row_text(parent) if parent.tag == "tr" else clean(parent.text_content())
    return (path, text[:MAX_CONTEXT], clean(label.text_content())[:MAX_CONTEXT] if label is not None else None)


def _row_text(row: Any) -> str:
    """A table row's text; a cell under a year column (年度, 年份, 公告日期) is written `年度：103/01/01｜`, so the
    check can read its date as the record's year."""
    headers = _column_headers(row)
    cells = row.xpath("./td|./th")
    if not any(is_year_header(h) for h in headers) or row in _header_rows(row):
        return clean(row.text_content())
    parts = []
    for i, cell in enumerate(cells):
        text = clean(cell.text_content())
        header = headers[i] if i < len(headers) else ""
        parts.append(f"{header.strip(' :：')}：{text}｜" if is_year_header(header) else text)
    return clean(" ".join(parts))


def _header_rows(row: Any) -> list[Any]:
    table = row.getparent()
    while table is not None and table.tag != "table":
        table = table.getparent()
    if table is None:
        return []
    head = table.xpath("./thead/tr")
    if head:
        return head[:1]
    first = table.xpath("./tr[1]|./tbody/tr[1]")
    return first[:1] if first and first[0].xpath("./th") and not first[0].xpath("./td") else []


def _column_headers(row: Any) -> list[str]:
    """The header texts of the columns of `row`'s table (its thead row, or a first row of th cells)."""
    heads = _header_rows(row)
    return [clean(c.text_content()) for c in heads[0].xpath("./th|./td")] if heads else []


def _label_of(row: Any) -> Any:
    """What names a listing: a table's caption or the heading just before the table, the heading just before
    a list, the dt before a dd."""
    if row.tag == "dd":
        before = row.getprevious()
        while before is not None and before.tag != "dt":
            before = before.getprevious()
        return before
    listing = row.getparent()
    while listing is not None and listing.tag not in ("table", "ul", "ol"):
        listing = listing.getparent()
    if listing is None:
        return None
    caption = listing.find("caption") if listing.tag == "table" else None
    if caption is not None:
        return caption
    before = listing.getprevious()
    while before is not None and not isinstance(before.tag, str):  # a comment between heading and list
        before = before.getprevious()
    return before if before is not None and before.tag in HEADINGS else None


def _link_text(el: Any) -> str:
    text = clean(el.text) if len(el) == 0 else clean(el.text_content())  # most links hold only text
    if not text:
        alts = [clean(img.get("alt")) for img in el.iter("img") if img.get("alt")]
        text = " ".join(a for a in alts if a)
    if not text:
        text = clean(el.get("aria-label") or "")
    return text[:MAX_TEXT]


def extract(doc: Any, page_url: str, rules: UrlRules, stamps: bool = True) -> PageData:
    data = PageData()
    if doc is None:
        return data
    base = page_url
    base_el = doc.find(".//base[@href]")
    if base_el is not None:
        base = urljoin(page_url, base_el.get("href", "").strip())
    title_el = doc.find(".//title")
    data.title = clean(title_el.text_content())[:MAX_TEXT] if title_el is not None else None
    h1 = doc.find(".//h1")
    data.h1 = clean(h1.text_content())[:MAX_TEXT] if h1 is not None else None
    data.lang = doc.get("lang") or doc.get("{http://www.w3.org/XML/1998/namespace}lang")
    anchors: set[str] = set()
    links = data.links

    def add(el: Any, attr: str, raw: str | None, text: str = "") -> None:
        tag = el.tag
        rel = el.get("rel", "") if tag == "link" else ""
        r = rules.resolve(base, raw, tag, rel)
        grp, row_text, row_label = _row_of(el) if r.scope == "document" else (None, None, None)
        links.append({
            "element": tag, "attribute": attr, "text": text, "raw": redact(raw) if raw else raw, "url": r.url, "fragment": r.fragment,
            "rel": rel or el.get("rel"), "target": el.get("target"), "title": el.get("title"), "scope": r.scope,
            "grp": grp, "row_text": row_text, "row_label": row_label,
        })

    for el in doc.iter(*LINK_ELEMENTS):
        tag = el.tag
        if tag in ("a", "area"):
            if el.get("name"):
                anchors.add(el.get("name"))
            if "href" in el.attrib:
                add(el, "href", el.get("href"), _link_text(el) if tag == "a" else clean(el.get("alt")))
        elif tag == "link":
            if el.get("href") is not None:
                add(el, "href", el.get("href"), clean(el.get("title")))
        elif tag in ("img", "source"):
            alt = clean(el.get("alt"))
            if el.get("src") is not None:
                add(el, "src", el.get("src"), alt)
            if el.get("srcset"):
                for candidate in _srcset_urls(el.get("srcset")):
                    add(el, "srcset", candidate, alt)
        elif tag in ("script", "iframe", "frame", "embed", "video", "audio"):
            if el.get("src") is not None:
                add(el, "src", el.get("src"), clean(el.get("title")))
        elif tag == "object":
            if el.get("data") is not None:
                add(el, "data", el.get("data"), clean(el.get("title")))
        elif tag == "form":
            add(el, "action", el.get("action") or page_url, el.get("method", "get").lower())
        elif tag == "meta":
            name = el.get("name") or el.get("property")
            if name:
                data.meta.setdefault(name.strip().lower(), []).append(el.get("content") or "")
            if (el.get("http-equiv") or "").lower() == "refresh":
                m = REFRESH_URL.match(el.get("content") or "")
                if m and m.group(1).strip():
                    add(el, "content", m.group(1).strip(), "meta refresh")
    for el in doc.iterfind(".//*[@id]"):
        anchors.add(el.get("id"))
    data.anchors = sorted(anchors)
    if stamps:
        data.stamps = _stamps(doc)
    return data


def _stamps(doc: Any) -> list[str]:
    """Short texts around update-date labels; the freshness check reads dates from them."""
    out: list[str] = []
    for node in doc.xpath(STAMP_XPATH):
        parent = node.getparent()
        if parent is None or parent.tag in ("script", "style", "a", "title"):
            continue
        text = clean(parent.text_content())[:120]
        if text and text not in out:
            out.append(text)
        if len(out) >= MAX_STAMPS:
            break
    return out
