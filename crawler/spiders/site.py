"""The `site` spider: crawls a site's pages and checks (without crawling) everything they reference.

It only decides what to request and what to yield; retries, robots.txt, throttling and storage are
Scrapy components switched on in `crawler.settings` and `crawler.pipelines`.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy.http import Response, TextResponse
from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots
from twisted.python.failure import Failure

from siteaudit.core import config as config_mod
from siteaudit.core.fetchpolicy import refusal, site_classes
from siteaudit.core.urlparts import redact
from siteaudit.core.urls import UrlRules, authority_problem, port_is_invalid
from siteaudit.crawler.capture import stored_items
from siteaudit.crawler.errors import classify_failure
from siteaudit.crawler.extract import extract, parse_body
from siteaudit.crawler.previous import NOT_MODIFIED, SAME_BODY, Previous, body_hash
from siteaudit.crawler.sniff import blocked_reason, looks_binary

SITEMAP_PRIORITY = -10  # pages and checks first: sitemaps only fill the queue when nothing else waits
MAX_REDIRECT_HOPS = 30  # a chain that never ends is cut; the link check judges chains by its own max_redirects
FOLLOWED_SCOPES = frozenset({"page", "document", "asset", "external"})
HEAD_FALLBACK_STATUSES = frozenset({400, 403, 404, 405, 406, 409, 410, 500, 501, 502, 503})
KEPT_HEADERS = ("content-type", "content-length", "last-modified", "etag", "location", "retry-after", "server",
                "strict-transport-security", "content-encoding", "x-frame-options")


class SiteSpider(scrapy.Spider):
    name = "site"

    def __init__(self, config: Any = None, url: str | None = None, run_id: Any = None,
                 resume: dict[str, Any] | None = None, resource_sink: Any = None,
                 external_cache: dict[str, dict[str, Any]] | None = None, stamps: bool = True,
                 previous: Previous | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(config, str):
            config = config_mod.load(config)
        elif config is None and url:
            config = config_mod.for_url(url)
        if config is None:
            raise ValueError("give -a config=FILE or -a url=URL")
        self.cfg: config_mod.Config = config
        self.rules = UrlRules(config)
        self.run_id = int(run_id) if run_id is not None else None
        self.allowed_domains: list[str] = []  # scope is decided by UrlRules, not OffsiteMiddleware
        self.seen: set[str] = set()
        self.pages_scheduled = 0
        self.stats_counts = {"pages": 0, "resources": 0, "errors": 0}
        self.resume = resume or {}
        # With crawl.workers = 2, resources go to a checker process (crawler.resource_process) instead.
        self.resource_sink: Any = resource_sink
        # External results of recent runs: the nightly run does not re-hit every external host.
        self.external_cache = external_cache or {}
        self.stamps = stamps  # update-date texts are only read when the freshness check will run
        # An incremental run: pages and documents are requested with the base run's validators, and an unchanged
        # answer carries the stored page or document over instead of parsing it again.
        self.previous = previous
        self.sitemaps_requested = 0
        self.notes: list[str] = []  # limits that cut the crawl short, printed after the audit
        # Internal address classes (loopback, link-local, private) this site may reach: those it is on itself.
        self.address_classes = site_classes([*config.site.allowed_hosts,
                                             *(urlsplit(u).netloc for u in config.site.start_urls)])

    # -- start --------------------------------------------------------------------------------
    async def start(self) -> AsyncIterator[Any]:
        for request in self.start_requests_list():
            yield request

    def start_requests_list(self) -> list[Any]:
        out: list[Any] = []
        if self.resume:
            self.seen |= set(self.resume.get("fetched", ()))
            self.pages_scheduled = int(self.resume.get("pages", 0))
            for url, scope, depth, found_on in self.resume.get("frontier", ()):
                out.extend(self.schedule(url, scope, depth, found_on))
        for url in self.cfg.site.start_urls:
            canonical, _ = self.rules.canonical(url)
            out.extend(self.schedule(canonical, "page", 0, None))
        if self.cfg.crawl.sitemaps:  # on resume too: pages only a sitemap lists are not in the stored frontier
            for host_root in sorted({f"{urlsplit(u).scheme}://{urlsplit(u).netloc}" for u in self.cfg.site.start_urls}):
                out.append(scrapy.Request(
                    host_root + "/robots.txt", callback=self.parse_robots, errback=self.ignore_failure,
                    dont_filter=True, meta={"dont_obey_robotstxt": True, "sa_kind": "meta", "handle_httpstatus_all": True},
                ))
        return out

    def parse_robots(self, response: Response) -> Iterator[Any]:
        sitemaps = list(sitemap_urls_from_robots(response.body, base_url=response.url)) if response.status == 200 \
            and hasattr(response, "text") else []
        if not sitemaps:
            sitemaps = [urljoin(response.url, "/sitemap.xml")]
        for url in sitemaps:
            yield from self.sitemap_request(url, 1)

    def sitemap_request(self, url: str, depth: int) -> Iterator[scrapy.Request]:
        """A request for a sitemap at nesting `depth` (1: named by robots.txt), unless a limit cuts it."""
        crawl = self.cfg.crawl
        if depth > crawl.max_sitemap_depth:
            self.note(f"sitemap indexes nested deeper than {crawl.max_sitemap_depth} levels were not read "
                      "(crawl.max_sitemap_depth)")
            return
        if self.sitemaps_requested >= crawl.max_sitemaps:
            self.note(f"only {crawl.max_sitemaps} sitemaps were read (crawl.max_sitemaps)")
            return
        if refusal(url, self.address_classes):
            return
        self.sitemaps_requested += 1
        yield scrapy.Request(url, callback=self.parse_sitemap, errback=self.ignore_failure, dont_filter=True,
                             priority=SITEMAP_PRIORITY,
                             meta={"sa_kind": "meta", "sa_sitemap_depth": depth, "handle_httpstatus_all": True})

    def note(self, text: str) -> None:
        """Say once, in the log and after the audit, that a limit cut the crawl short."""
        if text not in self.notes:
            self.notes.append(text)
            self.logger.warning(text)

    def parse_sitemap(self, response: Response) -> Iterator[Any]:
        if response.status != 200:
            return
        try:
            sitemap = Sitemap(response.body)
        except Exception:  # a malformed sitemap is not a crawl failure
            return
        depth = response.meta.get("sa_sitemap_depth", 1)
        for entry in sitemap:
            loc = entry.get("loc")
            if not loc:
                continue
            if sitemap.type == "sitemapindex":
                yield from self.sitemap_request(loc, depth + 1)
            else:
                url, _ = self.rules.canonical(loc)
                if self.rules.is_crawlable(url):
                    yield from self.schedule(url, "page", 1, response.url)

    def ignore_failure(self, failure: Failure) -> None:
        return None

    # -- scheduling ---------------------------------------------------------------------------
    def schedule(self, url: str, scope: str, depth: int, found_on: str | None,
                 parent: str | None = None, parent_chain: int = 0) -> Iterator[Any]:
        """Yield a request for `url` (or a trap or refusal record) unless it was met before."""
        if scope not in ("page", "document", "asset", "external") or url in self.seen:
            return
        reason = refusal(url, self.address_classes)
        if reason:
            self.seen.add(url)
            yield self.refused_record(url, scope, depth, found_on, reason)
            return
        if scope == "page":
            if depth > self.cfg.crawl.max_depth or self.pages_scheduled >= self.cfg.crawl.max_pages:
                return
            trap, chain = self.rules.trap(url, parent, parent_chain)
            self.seen.add(url)
            if trap:
                yield {"type": "page", "page": {
                    "url": url, "error": f"trap:{trap}", "verdict": "skipped", "depth": depth, "found_on": found_on,
                    "error_detail": "not fetched: looks like a crawler trap", "fetched": time.time()}, "links": []}
                return
            self.pages_scheduled += 1
            yield scrapy.Request(url, callback=self.parse_page, errback=self.on_error, dont_filter=True,
                                 headers=self.previous.headers(url, "page") if self.previous else None,
                                 meta={"sa_kind": "page", "sa_depth": depth, "sa_found_on": found_on,
                                       "sa_chain": chain, "handle_httpstatus_all": True})
            return
        self.seen.add(url)
        cached = self.external_cache.get(url) if scope == "external" else None
        if cached is not None:
            note = f"cached result of run {cached['cached_run']}"
            resource = {k: v for k, v in cached.items() if k != "cached_run"}
            resource.update(found_on=found_on, error_detail=f"{cached['error_detail']}; {note}"
                            if cached.get("error_detail") else note)
            self.stats_counts["resources"] += 1
            yield {"type": "resource", "resource": resource}
            return
        if self.resource_sink is not None:
            self.resource_sink.add(url, scope, found_on, depth)
            return
        yield self.resource_request(url, scope, found_on, depth)

    def resource_request(self, url: str, kind: str, found_on: str | None, depth: int,
                         method: str | None = None) -> scrapy.Request:
        method = method or ("GET" if kind == "document" else "HEAD")
        meta = {"sa_kind": kind, "sa_depth": depth, "sa_found_on": found_on, "handle_httpstatus_all": True}
        if kind == "external":
            meta["dont_obey_robotstxt"] = True
        headers = {"Accept-Encoding": "identity"} if method == "GET" else {}
        if self.previous and method == "GET" and kind == "document":
            headers.update(self.previous.headers(url, kind))
        return scrapy.Request(url, method=method, callback=self.parse_resource, errback=self.on_error,
                              dont_filter=True, meta=meta, headers=headers)

    def refused_record(self, url: str, scope: str, depth: int, found_on: str | None, reason: str) -> dict[str, Any]:
        """The record of a target that is never fetched (fetchpolicy): a broken link naming why."""
        record = {"url": url, "status": None, "error": "policy", "error_detail": reason, "verdict": "broken",
                  "found_on": found_on, "fetched": time.time()}
        self.stats_counts["errors"] += 1
        if scope == "page":
            return {"type": "page", "page": {**record, "depth": depth}, "links": []}
        return {"type": "resource", "resource": {**record, "kind": scope, "method": None}}

    def follow_redirect(self, response: Response, record: dict[str, Any]) -> Iterator[Any]:
        location = response.headers.get(b"Location")
        if not location:
            return
        kind = response.meta["sa_kind"]
        raw = location.decode("latin-1")
        try:
            absolute = urljoin(response.url, raw)
            target, _ = self.rules.canonical(absolute)
            problem = "port not a number from 1 to 65535" if port_is_invalid(absolute) else (
                authority_problem(target) if target.startswith(("http:", "https:")) else None)
        except (ValueError, UnicodeError) as exc:
            problem = str(exc)
        if problem:  # never a request to some other URL than the one the server named
            record.update(verdict="broken", error="policy",
                          error_detail=f"redirect to a malformed address {redact(raw[:100])!r} ({problem}): not followed")
            return
        record["redirect_to"] = target
        record["verdict"] = "redirect"
        reason = refusal(target, self.address_classes)
        if reason:  # file:, javascript:, an internal address...: reported at the target, never fetched
            if target not in self.seen:
                self.seen.add(target)
                yield self.refused_record(target, kind, response.meta.get("sa_depth", 0), response.url,
                                          f"redirect to {reason}")
            return
        if kind == "page" and self.rules.is_crawlable(target):
            scope = "page"
        elif kind in ("document", "asset") and self.rules.is_internal(target):
            scope = kind
        else:
            scope = self.rules.scope_of(target, "a")
        hops = response.meta.get("sa_hops", 0) + 1
        if hops > MAX_REDIRECT_HOPS:
            record["error_detail"] = f"more than {MAX_REDIRECT_HOPS} redirects: not followed"
            return
        # A redirect continues the growing-parameter chain of the URL that redirected (/cal?d=1 -> /cal?d=2).
        for out in self.schedule(target, scope, response.meta.get("sa_depth", 0), response.url, parent=response.url,
                                 parent_chain=response.meta.get("sa_chain", 0)):
            if isinstance(out, scrapy.Request):
                out.meta["sa_hops"] = hops
            yield out

    def redirect_or_blocked(self, response: Response, record: dict[str, Any]) -> list[Any]:
        """Follow a redirect (returning its request) and mark answers that cannot verify anything."""
        followups = list(self.follow_redirect(response, record)) if 300 <= response.status < 400 else []
        blocked = blocked_reason(response)
        if blocked:
            record["verdict"], record["error"], record["error_detail"] = "blocked", "blocked", blocked
        return followups

    # -- responses ----------------------------------------------------------------------------
    def base_record(self, response: Response) -> dict[str, Any]:
        headers = {k.decode("latin-1").lower(): v[0].decode("latin-1") for k, v in stored_items(response.headers) if v}
        body = response.body
        return {
            "url": response.request.url if response.request else response.url,
            "status": response.status,
            "content_type": headers.get("content-type"),
            "size": len(body),
            "truncated": bool(response.meta.get("sa_truncated")) or data_lost(response),
            "response_time": round(response.meta.get("download_latency", 0.0), 4),
            "depth": response.meta.get("sa_depth"),
            "last_modified": headers.get("last-modified"),
            "etag": headers.get("etag"),
            "headers": {k: v for k, v in headers.items() if k in KEPT_HEADERS},
            "found_on": response.meta.get("sa_found_on"),
            "fetched": time.time(),
            "verdict": verdict_for(response.status),
        }

    @staticmethod
    def mark_data_loss(response: Response, record: dict[str, Any]) -> None:
        """A body the connection cut short (reset, broken chunked encoding) is kept, but marked incomplete."""
        if data_lost(response) and not record.get("error"):
            record["error"] = "incomplete"
            record["error_detail"] = (f"body cut short after {len(response.body)} bytes: the connection ended "
                                      "before the whole answer (data loss)")

    def parse_page(self, response: Response) -> list[Any]:
        """Callbacks return lists: Scrapy inspects generator callbacks' source on every call."""
        out = list(self._parse_page(response))
        if self.resource_sink is not None:
            self.resource_sink.flush()
        return out

    def parse_resource(self, response: Response) -> list[Any]:
        return list(self._parse_resource(response))

    def on_error(self, failure: Failure) -> list[Any]:
        return list(self._on_error(failure))

    def unchanged(self, response: Response) -> str | None:
        """How the answer shows the page unchanged since the base run (304, or the same body), or None."""
        if self.previous is None or response.meta.get("sa_unconditional"):
            return None
        url = response.request.url if response.request else response.url
        if response.status == 304 and url in self.previous.pages:
            return NOT_MODIFIED
        if 200 <= response.status < 300 and url in self.previous.pages:
            response.meta["sa_body_hash"] = digest = body_hash(response.body)  # kept for the parse if it changed
            if self.previous.same_body(url, digest):
                return SAME_BODY
        return None

    def carry_page(self, response: Response, how: str) -> Iterator[Any]:
        """An unchanged page: its stored record and links go into this run as they were, with this answer's time,
        depth and referrer; its links are followed as if it had been parsed."""
        record = self.base_record(response)
        carried = self.previous.page(record["url"], how) if self.previous else None
        if carried is None:  # not stored after all: ask again without validators and parse the answer
            yield without_validators(response.request)
            return
        page, links = carried
        page.update({k: record[k] for k in ("depth", "found_on", "fetched", "response_time")})
        for key in ("etag", "last_modified"):
            page[key] = record[key] or page.get(key)
        self.stats_counts["pages"] += 1
        self.stats_counts["unchanged"] = self.stats_counts.get("unchanged", 0) + 1
        yield {"type": "page", "page": page, "links": links}
        yield from self.follow(links, response)

    def follow(self, links: list[dict[str, Any]], response: Response) -> Iterator[Any]:
        """Requests (or records) for the links of a page, parsed now or carried over, one hop deeper."""
        depth, chain = response.meta.get("sa_depth", 0), response.meta.get("sa_chain", 0)
        seen = self.seen  # most links of a page were met before: skip them without a call
        for link in links:
            url = link["url"]
            if url and url not in seen and link["scope"] in FOLLOWED_SCOPES:
                yield from self.schedule(url, link["scope"], depth + 1, response.url,
                                         parent=response.url, parent_chain=chain)

    def _parse_page(self, response: Response) -> Iterator[Any]:
        how = self.unchanged(response)
        if how:
            yield from self.carry_page(response, how)
            return
        record = self.base_record(response)
        links: list[dict[str, Any]] = []
        followups = self.redirect_or_blocked(response, record)
        self.mark_data_loss(response, record)
        body = response.body
        ctype = (record["content_type"] or "").lower()
        # isinstance, not hasattr(response, "text"): that decodes the whole body, which lxml reads as bytes
        is_html = (not ctype or "html" in ctype) and isinstance(response, TextResponse) and not looks_binary(body)
        if record["verdict"] == "ok" and not is_html:
            # Not a web page after all (a PDF behind an extension-less URL, binary served as text/html...)
            kind = "asset" if ctype.startswith(("image/", "text/css", "application/javascript")) else "document"
            resource = {k: record[k] for k in record if k not in ("depth",)}
            resource.update({"kind": kind, "method": "GET", "head": body[: self.cfg.crawl.sniff_bytes],
                             "content_length": response.meta.get("sa_expected")})
            if ctype and "html" in ctype:
                resource["error_detail"] = "served as text/html but the body is not HTML"
            self.stats_counts["resources"] += 1
            yield {"type": "resource", "resource": resource}
            return
        if record["verdict"] == "ok" and is_html:
            record["is_html"] = True
            record["body_hash"] = response.meta.get("sa_body_hash") or body_hash(body)
            record["charset"] = getattr(response, "encoding", None)
            if record["truncated"] and not record.get("error"):
                record["error_detail"] = f"page cut at {len(body)} bytes (crawl.max_page_bytes)"
            doc, whole = parse_body(body, record["charset"], lambda: response.text)
            if not whole and not record.get("error"):
                record["error"] = "incomplete"
                record["error_detail"] = "not fully parsed: elements nested deeper than 2048 levels (and their links) are not read"
            data = extract(doc, response.url, self.rules, stamps=self.stamps)
            record.update(title=data.title, h1=data.h1, lang=data.lang, anchors=data.anchors, meta=data.meta,
                          stamps=data.stamps)
            links = data.links
            followups.extend(self.follow(links, response))
        self.stats_counts["pages"] += 1
        yield {"type": "page", "page": record, "links": links}
        yield from followups

    def _parse_resource(self, response: Response) -> Iterator[Any]:
        request = response.request
        if (request.method == "HEAD" and response.status in HEAD_FALLBACK_STATUSES
                and not response.meta.get("sa_head_fallback")):
            retry = self.resource_request(request.url, response.meta["sa_kind"], response.meta.get("sa_found_on"),
                                          response.meta.get("sa_depth", 0), method="GET")
            retry.meta["sa_head_fallback"] = f"HEAD answered {response.status}"
            yield retry
            return
        if response.status == 304 and self.previous is not None and response.meta["sa_kind"] == "document" \
                and not response.meta.get("sa_unconditional"):
            carried = self.previous.document(request.url)
            if carried is None:  # not stored after all: ask again without validators
                yield without_validators(request)
                return
            now = self.base_record(response)
            carried.update({k: now[k] for k in ("found_on", "fetched", "response_time")})
            self.stats_counts["resources"] += 1
            yield {"type": "resource", "resource": carried}
            return
        record = self.base_record(response)
        record.update({"kind": response.meta["sa_kind"], "method": request.method,
                       "content_length": _int(response.headers.get(b"Content-Length")) if request.method == "HEAD"
                       else response.meta.get("sa_expected"),
                       "head": response.body[: self.cfg.crawl.sniff_bytes] if request.method == "GET" else None})
        record.pop("depth", None)
        if response.meta.get("sa_head_fallback"):
            record["error_detail"] = response.meta["sa_head_fallback"] + ", checked with GET"
        followups = self.redirect_or_blocked(response, record)
        self.mark_data_loss(response, record)
        self.stats_counts["resources"] += 1
        yield {"type": "resource", "resource": record}
        yield from followups

    def _on_error(self, failure: Failure) -> Iterator[Any]:
        request = failure.request
        meta = request.meta
        kind = meta.get("sa_kind", "page")
        error, detail = classify_failure(failure)
        if kind != "page" and request.method == "HEAD" and error in ("connection", "error") \
                and not meta.get("sa_head_fallback"):
            retry = self.resource_request(request.url, kind, meta.get("sa_found_on"), meta.get("sa_depth", 0), "GET")
            retry.meta["sa_head_fallback"] = f"HEAD failed ({detail})"
            yield retry
            return
        record = {"url": request.url, "status": None, "error": error, "error_detail": detail,
                  "verdict": "skipped" if error == "robots" else "broken", "found_on": meta.get("sa_found_on"),
                  "fetched": time.time()}
        self.stats_counts["errors"] += 1
        if kind == "page":
            record["depth"] = meta.get("sa_depth")
            yield {"type": "page", "page": record, "links": []}
        else:
            record.update(kind=kind, method=request.method)
            yield {"type": "resource", "resource": record}


def without_validators(request: scrapy.Request) -> scrapy.Request:
    """The same request without If-None-Match / If-Modified-Since, whose answer is never taken as unchanged."""
    request = request.replace(headers={k: v for k, v in request.headers.items()
                                       if k not in (b"If-None-Match", b"If-Modified-Since")})
    request.meta["sa_unconditional"] = True
    return request


def data_lost(response: Response) -> bool:
    """Scrapy flags a body that ended before its announced length or its last chunk (DOWNLOAD_FAIL_ON_DATALOSS off)."""
    return "dataloss" in response.flags


def verdict_for(status: int) -> str:
    if 200 <= status < 300:
        return "ok"
    if 300 <= status < 400:
        return "error"  # becomes "redirect" when a Location is followed
    if status in (401, 403, 407, 429):
        return "blocked"
    return "broken"


def _int(value: bytes | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None
