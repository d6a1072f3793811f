"""Read one HTML page with lxml: title, first h1, anchors, meta tags and every outgoing reference."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

from lxml import etree

from siteaudit.core.dates import HEADED_LABEL, PUBLISH_LABELS, UPDATE_LABELS, is_year_header
from siteaudit.core.urlparts import redact
from siteaudit.core.urls import UrlRules

XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
SPACES = re.compile(r"\s+")
REFRESH_URL = re.compile(r"""^\s*\d*(?:\.\d+)?\s*[;,]?\s*(?:url\s*=\s*)?['"]?([^'"]*)['"]?\s*$""", re.I)
LINK_ELEMENTS = ("a", "area", "link", "img", "script", "iframe", "frame", "object", "embed", "source", "form",
                 "meta", "video", "audio")
MAX_TEXT = 300
ROW_TAGS = frozenset({"tr", "li", "dd", "dt", "p"})
NO_ROW: tuple[None, None, None] = (None, None, None)
CONTEXT_ROWS = frozenset({"tr", "li", "dd", "dt"})  # a paragraph is prose, not a listing row
MAX_CONTEXT = 200
HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
# Text nodes that may carry a displayed update date (更新日期：115年10月1日); XPath runs in C, so this is cheap.
STAMP_XPATH = "//body//text()[" + " or ".join(f"contains(., '{label}')" for label in (*UPDATE_LABELS, *PUBLISH_LABELS)) + "]"
MAX_STAMPS = 5
# Plain lxml elements (etree.HTMLParser), not lxml.html's: those look up a Python element class for every element
# touched. text_of is lxml.html's text_content, the same XPath.
text_of = etree.XPath("string()", smart_strings=False)
IDS = etree.XPath("descendant::*/@id", smart_strings=False)
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
        parser = etree.HTMLParser(encoding=encoding, huge_tree=True)
        try:
            doc = _document(body, parser)
            return into_body(doc), _whole(parser)
        except (etree.ParserError, ValueError, LookupError):
            pass
    parser = etree.HTMLParser(huge_tree=True)
    return parse_html(text(), parser), _whole(parser)


def _document(html: str | bytes, parser: Any) -> Any:
    """lxml.html.document_fromstring, on the parser given."""
    doc = etree.fromstring(html, parser)
    if doc is None:
        raise etree.ParserError("Document is empty")
    return doc


def parse_html(text: str, parser: Any = None) -> Any:
    """Parse a page leniently; returns None for an empty or unparsable document."""
    text = XML_DECLARATION.sub("", text, count=1)
    if not text.strip():
        return None
    try:
        return into_body(_document(text, parser or etree.HTMLParser(huge_tree=True)))
    except (etree.ParserError, ValueError):
        return None


def into_body(doc: Any) -> Any:
    """Put what follows </body> or </html> into the body, where an HTML5 parser (a browser) puts it.

    libxml2 keeps content after </html> in a second <html> element beside the root, and content between </body>
    and </html> beside the body: neither is walked from the root, so those links were never read. Moving them is
    a few pointer changes per trailing node, far cheaper than a second, HTML5 parse of the page.
    """
    if doc is None or doc.tag != "html":
        return doc
    trailing = [el for el in doc.itersiblings() if el.tag == "html"]
    body = doc.find("body")
    late = [] if body is None else list(body.itersiblings())
    if not trailing and not late and (body is None or not (body.tail or "").strip()):
        return doc  # the common page: nothing after </body>
    if body is None:
        if doc.find("frameset") is not None:  # a browser ignores content after a frameset's </html>
            return doc
        body = etree.SubElement(doc, "body")
    if body.tail:
        _append_text(body, body.tail)
        body.tail = None
    for el in late:
        body.append(el)  # its tail text moves with it
    for extra in trailing:
        _adopt(body, extra)
    return doc


def _adopt(body: Any, extra: Any) -> None:
    """Move the text and children of a stray <html> (or its <head>/<body>) to the end of `body`."""
    if extra.text:
        _append_text(body, extra.text)
        extra.text = None
    for el in list(extra):
        if el.tag in ("head", "body"):
            tail, el.tail = el.tail, None
            _adopt(body, el)
            if tail:
                _append_text(body, tail)
        else:
            body.append(el)


def _append_text(parent: Any, text: str) -> None:
    last = parent[-1] if len(parent) else None
    if last is None:
        parent.text = (parent.text or "") + text
    else:
        last.tail = (last.tail or "") + text


def _whole(parser: Any) -> bool:
    """False when libxml2 stopped descending (ERR_RESOURCE_LIMIT: "Excessive depth in document")."""
    return not any(e.type_name == "ERR_RESOURCE_LIMIT" for e in parser.error_log)


def _srcset_urls(value: str) -> list[str]:
    return [c.strip().split()[0] for c in value.split(",") if c.strip()]


class Listings:
    """What a page's listings say about their rows, read once per table or list: a listing of thousands of
    document links reads its header row, column headers and label once, not once per link."""

    def __init__(self) -> None:
        self._heads: dict[Any, tuple[Any, list[str], list[bool]]] = {}
        self._labels: dict[Any, Any] = {}
        self._paths: dict[Any, str] = {}
        self._rows: dict[Any, tuple[str | None, str | None, str | None]] = {}

    def row_of(self, el: Any) -> tuple[str | None, str | None, str | None]:
        """The listing row (tr, li, dd, dt, p) around a document link: its XPath ("the same row" of a listing)
        and, for a table row or list item, its text (a 年度 cell beside a 下載 link) and the listing's label."""
        parent = el.getparent()
        while parent is not None and parent.tag not in ROW_TAGS:
            parent = parent.getparent()
        if parent is None:
            return None, None, None
        if parent not in self._rows:  # a row of several links (PDF, ODT, DOCX) is read once
            path = self.path_of(parent)
            if parent.tag not in CONTEXT_ROWS:
                self._rows[parent] = (path, None, None)
            else:
                label = self.label_of(parent)
                text = self.row_text(parent) if parent.tag == "tr" else clean(text_of(parent))
                self._rows[parent] = (path, text[:MAX_CONTEXT],
                                      clean(text_of(label))[:MAX_CONTEXT] if label is not None else None)
        return self._rows[parent]

    def row_text(self, row: Any) -> str:
        """A table row's text; a cell under a year column (年度, 年份, 公告日期, 年度／公告日期, 年度(民國)) is
        written `年度：103/01/01｜`, so the check can read its date as the record's year."""
        head, _, year_columns = self.head_of(row)
        if head is None or head is row or not any(year_columns):
            return clean(text_of(row))
        parts = []
        for i, cell in enumerate(row.iterchildren("td", "th")):
            text = clean(text_of(cell))
            parts.append(f"{HEADED_LABEL}：{text}｜" if i < len(year_columns) and year_columns[i] else text)
        return clean(" ".join(parts))

    def path_of(self, row: Any) -> str:
        """`row`'s XPath as lxml's getpath writes it (tr[3], or tr alone when it has no sibling of its tag),
        numbered for all the rows of a listing in one pass: getpath counts siblings anew for every row."""
        if row not in self._paths:
            parent = row.getparent()
            if parent is None:
                return row.getroottree().getpath(row)
            base = parent.getroottree().getpath(parent)
            siblings = [c for c in parent if isinstance(c.tag, str)]
            totals: dict[str, int] = defaultdict(int)
            for child in siblings:
                totals[child.tag] += 1
            seen: dict[str, int] = defaultdict(int)
            for child in siblings:
                seen[child.tag] += 1
                self._paths[child] = (f"{base}/{child.tag}[{seen[child.tag]}]" if totals[child.tag] > 1
                                      else f"{base}/{child.tag}")
        return self._paths[row]

    def head_of(self, row: Any) -> tuple[Any, list[str], list[bool]]:
        """The header row of `row`'s table (its thead row, or a first row of th cells) and its column texts."""
        table = row.getparent()
        while table is not None and table.tag != "table":
            table = table.getparent()
        if table is None:
            return None, []
        if table not in self._heads:
            head = table.find("thead/tr")
            if head is None:
                first = table.find("tr")
                if first is None:
                    first = table.find("tbody/tr")
                head = first if first is not None and first.find("th") is not None and first.find("td") is None \
                    else None
            headers = [clean(text_of(c)) for c in head.iterchildren("th", "td")] if head is not None else []
            self._heads[table] = (head, headers, [is_year_header(h) for h in headers])
        return self._heads[table]

    def label_of(self, row: Any) -> Any:
        """What names a listing: a table's caption or the heading just before the table, the heading just
        before a list, the dt before a dd."""
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
        if listing not in self._labels:
            self._labels[listing] = _listing_label(listing)
        return self._labels[listing]


def _listing_label(listing: Any) -> Any:
    caption = listing.find("caption") if listing.tag == "table" else None
    if caption is not None:
        return caption
    before = listing.getprevious()
    while before is not None and not isinstance(before.tag, str):  # a comment between heading and list
        before = before.getprevious()
    return before if before is not None and before.tag in HEADINGS else None


def _link_text(el: Any) -> str:
    text = clean(el.text) if len(el) == 0 else clean(text_of(el))  # most links hold only text
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
    data.title = clean(text_of(title_el))[:MAX_TEXT] if title_el is not None else None
    h1 = doc.find(".//h1")
    data.h1 = clean(text_of(h1))[:MAX_TEXT] if h1 is not None else None
    data.lang = doc.get("lang") or doc.get("{http://www.w3.org/XML/1998/namespace}lang")
    anchors: set[str] = set()
    links = data.links
    listings = Listings()
    resolve = rules.resolver(base)

    def add(el: Any, tag: str, attr: str, raw: str | None, text: str = "") -> None:
        rel = el.get("rel")
        r = resolve(raw, tag, (rel or "") if tag == "link" else "")
        scope = r.scope
        grp, row_text, row_label = listings.row_of(el) if scope == "document" or scope == "external" else NO_ROW
        links.append({
            "element": tag, "attribute": attr, "text": text, "raw": redact(raw) if raw and "@" in raw else raw,
            "url": r.url, "fragment": r.fragment, "rel": rel, "target": el.get("target"), "title": el.get("title"),
            "scope": scope, "grp": grp, "row_text": row_text, "row_label": row_label, "hreflang": el.get("hreflang"),
        })

    for el in doc.iter(*LINK_ELEMENTS):
        tag = el.tag
        if tag == "a" or tag == "area":
            name = el.get("name")
            if name:
                anchors.add(name)
            href = el.get("href")
            if href is not None:
                add(el, tag, "href", href, _link_text(el) if tag == "a" else clean(el.get("alt")))
        elif tag == "link":
            href = el.get("href")
            if href is not None:
                add(el, tag, "href", href, clean(el.get("title")))
        elif tag in ("img", "source"):
            alt = clean(el.get("alt"))
            src = el.get("src")
            if src is not None:
                add(el, tag, "src", src, alt)
            srcset = el.get("srcset")
            if srcset:
                for candidate in _srcset_urls(srcset):
                    add(el, tag, "srcset", candidate, alt)
        elif tag in ("script", "iframe", "frame", "embed", "video", "audio"):
            src = el.get("src")
            if src is not None:
                add(el, tag, "src", src, clean(el.get("title")))
        elif tag == "object":
            data_url = el.get("data")
            if data_url is not None:
                add(el, tag, "data", data_url, clean(el.get("title")))
        elif tag == "form":
            add(el, tag, "action", el.get("action") or page_url, el.get("method", "get").lower())
        elif tag == "meta":
            name = el.get("name") or el.get("property")
            if name:
                data.meta.setdefault(name.strip().lower(), []).append(el.get("content") or "")
            if (el.get("http-equiv") or "").lower() == "refresh":
                m = REFRESH_URL.match(el.get("content") or "")
                if m and m.group(1).strip():
                    add(el, tag, "content", m.group(1).strip(), "meta refresh")
    anchors.update(IDS(doc))
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
        text = clean(text_of(parent))[:120]
        if text and text not in out:
            out.append(text)
        if len(out) >= MAX_STAMPS:
            break
    return out
