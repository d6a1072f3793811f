"""URL rules of the crawl: canonical form, scope (crawl, check or leave), and crawler-trap detection."""

from __future__ import annotations

import ipaddress
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from w3lib.url import safe_url_string

from siteaudit.core.config import Config
from siteaudit.core.urlparts import canonical_netloc

DOCUMENT_EXTENSIONS = frozenset(
    ["pdf", "odt", "ods", "odp", "odg", "odf", "odb", "ott", "ots", "otp", "fodt", "fods", "fodp", "doc", "docx", "docm", "dot", "dotx", "xls", "xlsx", "xlsm", "xlt", "xltx", "ppt", "pptx", "pps", "ppsx", "rtf", "csv", "tsv", "txt", "json", "xml", "kml", "kmz", "zip", "7z", "rar", "gz", "tgz", "tar", "bz2", "xz", "epub", "hwp"]
)
ASSET_EXTENSIONS = frozenset(
    ["jpg", "jpeg", "png", "gif", "bmp", "webp", "svg", "ico", "tif", "tiff", "css", "js", "mjs", "woff", "woff2", "ttf", "otf", "eot", "mp3", "mp4", "m4a", "wav", "ogg", "webm", "avi", "mov", "wmv", "flv", "swf"]
)
ASSET_ELEMENTS = frozenset({"img", "script", "source", "embed", "object", "input", "video", "audio"})
PAGE_LINK_RELS = frozenset({"alternate", "canonical", "next", "prev", "help", "search", "index", "home"})
UNCHECKED_SCHEMES = frozenset({"mailto", "tel", "ftp", "data", "sms", "news", "callto", "fax"})
ILLEGAL_URL_CHARS = re.compile(r'[\s<>"{}|\\^`]')
ILLEGAL_FRAGMENT_CHARS = re.compile(r'[\s<>"`]')  # the URL standard's fragment set: | { } ^ are fine after #
EMPTY_HOST = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[/\\]+(?:[?#]|$)")
HTTP_PREFIXES = ("http://", "https://")
SAFE_URL = re.compile(r"^[a-z][a-z0-9+.-]*://[A-Za-z0-9.:-]+(/[A-Za-z0-9\-._~/?#\[\]@!$&'()*+,;=]*)?$")
DATE_LIKE = re.compile(r"^-?\d{1,8}([-/.]\d{1,2}){0,2}$")


HOST_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")


def authority_problem(url: str) -> str | None:
    """What is wrong with an absolute URL's scheme, host or port, or None: the host must be a DNS name, an IPv4
    address or a bracketed IPv6 literal (no zone), the port 1-65535. `http://host]/`, `http://h%zz/` and
    `http://host:99999/` are malformed links, never a request to some other URL."""
    try:
        parts = urlsplit(url)
    except ValueError as exc:  # an unbalanced [ or ]
        return f"malformed host ({exc})"
    try:
        port = parts.port
    except ValueError:
        return "port not a number from 1 to 65535"
    if port == 0:
        return "port not a number from 1 to 65535"
    if parts.scheme.lower() not in ("http", "https"):
        return f"unknown scheme {parts.scheme!r}"
    host = (parts.hostname or "").rstrip(".")
    if not host:
        return "no host"
    if parts.netloc.rpartition("@")[2].startswith("["):
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            return "malformed IPv6 address"
        return "IPv6 zone not allowed in a URL" if "%" in host else None
    try:
        ascii_host = host if host.isascii() else host.encode("idna").decode("ascii")
    except UnicodeError:
        return "host name not valid (IDNA)"
    if len(ascii_host) > 253 or not all(HOST_LABEL.match(label) for label in ascii_host.lower().split(".")):
        return "host name not valid"
    return None


def port_is_invalid(url: str) -> bool:
    """True when `url` cannot be split or names a port outside 1-65535."""
    try:
        return urlsplit(url).port == 0
    except ValueError:
        return True


def extension(url: str) -> str:
    path = urlsplit(url).path
    name = path.rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


@dataclass(frozen=True)
class Resolved:
    url: str | None      # canonical absolute URL without fragment, None when unresolvable
    fragment: str
    scope: str           # page | document | asset | external | unchecked | invalid | form


class UrlRules:
    """Decides, from the config, what the crawler does with each URL it meets."""

    def __init__(self, cfg: Config) -> None:
        self.hosts = {h.lower() for h in cfg.site.allowed_hosts}
        self.prefixes = tuple(cfg.site.path_prefixes)
        self.exclude = [re.compile(p) for p in cfg.site.exclude]
        self.session_params = {p.lower() for p in cfg.crawl.session_params}
        self.check_external = cfg.crawl.check_external
        self.max_queries = cfg.crawl.max_query_strings_per_path
        self.max_chain = cfg.crawl.max_growing_chain
        self.max_repeats = cfg.crawl.max_repeated_segments
        self._queries: dict[str, set[str]] = defaultdict(set)
        self._resolved: dict[tuple[str, str, str, str], Resolved] = {}
        self._hosts: dict[tuple[str, str], tuple[str, bool, bool]] = {}

    # -- canonical form ------------------------------------------------------------------------
    def canonical(self, absolute: str) -> tuple[str, str]:
        """Return (url without fragment and session ids, fragment)."""
        absolute = absolute.strip()
        plain = self._plain(absolute)
        if plain is not None:
            return plain[0], plain[1]
        return self.canonical_general(absolute)

    def canonical_general(self, absolute: str) -> tuple[str, str]:
        """`canonical` by the general path (w3lib's safe form, then urlsplit); `_plain` gives the same for plain URLs."""
        absolute = absolute.strip()
        safe = absolute if SAFE_URL.match(absolute) else safe_url_string(absolute)
        parts = urlsplit(safe)
        netloc = canonical_netloc(parts)
        path, query = self._without_sessions(parts.path or "/", parts.query)
        return urlunsplit((parts.scheme.lower(), netloc, path, query, "")), parts.fragment

    def _without_sessions(self, path: str, query: str) -> tuple[str, str]:
        if ";" in path:
            path = re.sub(r";(jsessionid|phpsessid|sid)=[^/?#]*", "", path, flags=re.I)
        if query and self.session_params and any(p in query.lower() for p in self.session_params):
            pairs = parse_qsl(query, keep_blank_values=True)
            kept = [(k, v) for k, v in pairs if k.lower() not in self.session_params]
            if len(kept) != len(pairs):
                query = urlencode(kept)
        return path, query

    def _plain(self, absolute: str) -> tuple[str, str, str, bool, bool] | None:
        """For a plain http(s) URL (ASCII host[:port], no character to escape): (canonical URL, fragment, its path,
        authority valid, internal) by string splitting, with the host part judged once per host. None for any other
        URL, which takes the general path. Splits exactly where urlsplit does: netloc up to the first /, then #, ?."""
        if not absolute.startswith(HTTP_PREFIXES) or not SAFE_URL.match(absolute):
            return None
        scheme, _, rest = absolute.partition("://")
        netloc, slash, tail = rest.partition("/")
        canon, valid, internal = self._host(scheme, netloc)
        if not canon:  # no host at all: urlunsplit would treat a path starting with // as the authority
            return None
        before, _, fragment = (slash + tail).partition("#")
        path, _, query = before.partition("?")
        path, query = self._without_sessions(path or "/", query)
        url = f"{scheme}://{canon}{path}?{query}" if query else f"{scheme}://{canon}{path}"
        return url, fragment, path, valid, internal

    def _host(self, scheme: str, netloc: str) -> tuple[str, bool, bool]:
        """(canonical netloc, authority valid, internal) of a plain netloc, computed by the general functions once."""
        key = (scheme, netloc)
        known = self._hosts.get(key)
        if known is None:
            probe = f"{scheme}://{netloc}/"
            canon = canonical_netloc(urlsplit(probe))
            url = f"{scheme}://{canon}/"
            known = (canon, not port_is_invalid(probe) and authority_problem(url) is None, self.is_internal(url))
            if len(self._hosts) > 10_000:
                self._hosts.clear()
            self._hosts[key] = known
        return known

    # -- scope ---------------------------------------------------------------------------------
    def is_internal(self, url: str) -> bool:
        parts = urlsplit(url)
        return parts.netloc.lower() in self.hosts or (parts.hostname or "") in self.hosts

    def is_crawlable(self, url: str) -> bool:
        """Same site, inside the path prefixes and not excluded."""
        if not self.is_internal(url):
            return False
        path = urlsplit(url).path
        if self.prefixes and not path.startswith(self.prefixes):
            return False
        return not any(p.search(url) for p in self.exclude)

    def resolve(self, base: str, raw: str | None, element: str, rel: str = "") -> Resolved:
        """Resolve one reference; results are memoised, since navigation repeats the same hrefs on every page."""
        return self.resolver(base)(raw, element, rel)

    def resolver(self, base: str) -> Callable[[str | None, str, str], Resolved]:
        """`resolve` for the references of one page, its base's origin and folder cut once."""
        origin = "/".join(base.split("/", 3)[:3])  # scheme://host
        folder = base.split("?", 1)[0].rsplit("/", 1)[0]
        memo = self._resolved

        def resolve(raw: str | None, element: str, rel: str = "") -> Resolved:
            if raw is None:
                return Resolved(None, "", "invalid")
            # A path-absolute or absolute href does not depend on the page's own path; a relative one
            # depends on its folder; "?q" and "#x" on the whole base.
            if raw.startswith(("http://", "https://", "//")):
                context = ""
            elif raw.startswith("/"):
                context = origin
            elif raw.startswith(("?", "#")) or not raw.strip():
                context = base
            else:
                context = folder
            key = (context, raw, element, rel)
            hit = memo.get(key)
            if hit is None:
                hit = self._unmemoised(base, context, raw, element, rel)
                if len(memo) > 150_000:
                    memo.clear()
                memo[key] = hit
            return hit

        return resolve

    def _unmemoised(self, base: str, context: str, raw: str, element: str, rel: str) -> Resolved:
        # Relative hrefs from different folders often land on the same URL: memoise by that too.
        absolute = _fast_join(context, raw) if context and not raw.startswith(("?", "#", "http")) else None
        if absolute is None:
            return self._resolve(base, raw, element, rel)
        hit = self._resolved.get((absolute, "", element, rel))
        if hit is None:
            hit = self._resolve(base, absolute, element, rel)
            self._resolved[(absolute, "", element, rel)] = hit
        return hit

    def _resolve(self, base: str, raw: str | None, element: str, rel: str = "") -> Resolved:
        if raw is None:
            return Resolved(None, "", "invalid")
        href = raw.strip()
        if not href or href == "#":
            return Resolved(None, "", "invalid")
        if _joins_to_itself(href):
            absolute = href
        elif href.startswith("#") and "#" not in base and _joins_to_itself(base + href):
            absolute = base + href  # urljoin keeps the whole (plain) base and puts the plain fragment after it
        else:
            scheme = href.split(":", 1)[0].lower() if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", href) else ""
            if scheme in UNCHECKED_SCHEMES:
                return Resolved(None, "", "unchecked")
            if scheme and scheme not in ("http", "https"):
                return Resolved(None, "", "invalid")
            if scheme and EMPTY_HOST.match(href):  # "http://": the URL standard has no empty host, urljoin keeps the base
                return Resolved(None, "", "invalid")
            try:
                absolute = urljoin(base, href)
            except (ValueError, UnicodeError):
                return Resolved(None, "", "invalid")
        plain = self._plain(absolute)
        if plain is not None:
            url, fragment, path, valid, internal = plain
            if not valid:
                return Resolved(None, "", "invalid")
        else:
            try:
                if port_is_invalid(absolute):  # the canonical form would drop it and request another URL
                    return Resolved(None, "", "invalid")
                url, fragment = self.canonical_general(absolute)
                if authority_problem(url):
                    return Resolved(None, "", "invalid")
            except (ValueError, UnicodeError):
                return Resolved(None, "", "invalid")
            path, internal = urlsplit(url).path, self.is_internal(url)
        if element == "form":
            return Resolved(url, fragment, "form")
        return Resolved(url, fragment, self._scope(url, path, internal, element, rel))

    def scope_of(self, url: str, element: str, rel: str = "") -> str:
        return self._scope(url, urlsplit(url).path, self.is_internal(url), element, rel)

    def _scope(self, url: str, path: str, internal: bool, element: str, rel: str) -> str:
        """scope_of, given the URL's path and whether its host is the site's."""
        if any(p.search(url) for p in self.exclude):
            return "unchecked"
        if not internal:
            return "external" if self.check_external else "unchecked"
        name = path.rsplit("/", 1)[-1]
        ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        if ext in DOCUMENT_EXTENSIONS:
            return "document"
        if element in ASSET_ELEMENTS or ext in ASSET_EXTENSIONS:
            return "asset"
        if element == "link" and not (set(rel.lower().split()) & PAGE_LINK_RELS):
            return "asset"
        if self.prefixes and not path.startswith(self.prefixes):
            return "external"
        return "page"

    # -- traps ---------------------------------------------------------------------------------
    def trap(self, url: str, parent: str | None, parent_chain: int) -> tuple[str | None, int]:
        """Return (trap reason or None, growing-parameter chain length of this URL)."""
        parts = urlsplit(url)
        segments = [s for s in parts.path.split("/") if s]
        if segments and self.max_repeats and max(segments.count(s) for s in set(segments)) > self.max_repeats:
            return "repeated-path-segments", 0
        chain = 0
        if parent and parts.query:
            pparts = urlsplit(parent)
            if pparts.path == parts.path and pparts.query and _grows(pparts.query, parts.query):
                chain = parent_chain + 1
        if self.max_chain and chain > self.max_chain:
            return "growing-parameter", chain
        if parts.query:
            seen = self._queries[parts.path]
            if parts.query not in seen:
                if self.max_queries and len(seen) >= self.max_queries:
                    return "query-cap", chain
                seen.add(parts.query)
        return None, chain


SIMPLE_RELATIVE = re.compile(r"^[A-Za-z0-9._~/-]+$")


def _fast_join(folder: str, raw: str) -> str | None:
    """urljoin for the common case: a plain relative or path-absolute path (no query, fragment or odd characters)
    against the page's folder (scheme://host/dir, or scheme://host for a path-absolute one)."""
    if not SIMPLE_RELATIVE.match(raw) or "://" not in folder or "?" in folder or "#" in folder or "/." in folder:
        return None
    if raw.startswith("/") and "//" in raw:  # urljoin keeps empty segments of a path-absolute href
        return None
    origin, _, path = folder.partition("://")[2].partition("/")
    parts = [p for p in path.split("/") if p] if path else []
    for segment in raw.split("/"):
        if segment == "..":
            if parts:
                parts.pop()
        elif segment and segment != ".":
            parts.append(segment)
    joined = "/".join(parts)
    if joined and (raw.endswith("/") or raw.endswith("/.") or raw.endswith("/..") or raw in (".", "..")):
        joined += "/"  # the root is the one slash after the host, never two
    return f"{folder.split('://', 1)[0]}://{origin}/{joined}"


def _joins_to_itself(href: str) -> bool:
    """True for an absolute plain http(s) href that urljoin returns unchanged whatever the base: no ';' (params),
    no empty query or fragment (urljoin's round trip would drop their '?' or '#')."""
    return (href.startswith(HTTP_PREFIXES) and SAFE_URL.match(href) is not None and ";" not in href
            and not href.endswith(("?", "#")) and "?#" not in href)


def _grows(parent_query: str, query: str) -> bool:
    """True when some date-like or numeric parameter increased (or decreased) monotonically."""
    before = dict(parse_qsl(parent_query, keep_blank_values=True))
    after = dict(parse_qsl(query, keep_blank_values=True))
    if set(before) != set(after):
        return False
    changed = [k for k in after if after[k] != before[k]]
    if not changed:
        return False
    return all(DATE_LIKE.match(after[k]) and DATE_LIKE.match(before[k]) for k in changed)


def has_illegal_characters(raw: str) -> bool:
    """Characters a URL may not hold as written: before the fragment, and (fewer) in it."""
    before, _, fragment = raw.strip().partition("#")
    return bool(ILLEGAL_URL_CHARS.search(before) or ILLEGAL_FRAGMENT_CHARS.search(fragment))


@dataclass
class Trap:
    """A crawler trap the crawl cut: where it is, what grows, how many URLs were skipped, which fetched pages
    were only reached through it (they are counted apart, not audited)."""

    path: str                   # scheme://host/path
    reason: str                 # growing-parameter | repeated-path-segments | query-cap
    parameters: list[str]
    skipped: int
    pages: list[str] = field(default_factory=list)
    examples: list[str] = field(default_factory=list)


def find_traps(cuts: list[tuple[str, str, str | None]], fetched: list[tuple[str, str | None]]) -> list[Trap]:
    """Group the crawl's trap cuts by path; a growing-parameter trap's pages are the fetched pages of that path
    reached from a page of the same path (the calendar's own 下一天 links), not its entry page."""
    traps: dict[tuple[str, str], Trap] = {}
    for url, error, found_on in cuts:
        parts = urlsplit(url)
        path = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
        reason = error.split(":", 1)[1] if ":" in error else error
        trap = traps.setdefault((path, reason), Trap(path, reason, [], 0))
        trap.skipped += 1
        if len(trap.examples) < 3:
            trap.examples.append(url)
        if found_on and reason == "growing-parameter":
            before = dict(parse_qsl(urlsplit(found_on).query, keep_blank_values=True))
            after = dict(parse_qsl(parts.query, keep_blank_values=True))
            for key in sorted(k for k in after if before.get(k) != after[k]):
                if key not in trap.parameters:
                    trap.parameters.append(key)
        elif reason == "query-cap":
            for key, _ in parse_qsl(parts.query, keep_blank_values=True):
                if key not in trap.parameters:
                    trap.parameters.append(key)
    growing = {t.path: t for t in traps.values() if t.reason == "growing-parameter"}
    cut = {url for url, _, _ in cuts}
    for url, found_on in fetched:
        if url in cut:
            continue
        parts = urlsplit(url)
        trap = growing.get(urlunsplit((parts.scheme, parts.netloc, parts.path, "", "")))
        if trap is not None and parts.query and found_on and found_on.split("?", 1)[0] == trap.path:
            trap.pages.append(url)
    return sorted(traps.values(), key=lambda t: (t.path, t.reason))


def trap_pages(traps: list[Trap]) -> set[str]:
    return {p for t in traps for p in t.pages}
