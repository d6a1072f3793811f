"""Capture every exchange of the crawl into the run's WARC file, bytes as received.

A downloader middleware placed next to the download handler (after HttpCompressionMiddleware on the request side,
before it on the response side): the body is archived still content-encoded, every redirect hop and retry is an
exchange of its own, robots.txt and sitemaps too. A request that got no response (DNS, refused, TLS, timeout) is
archived as a metadata record naming the error.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scrapy import Request, signals
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Response
from twisted.python.failure import Failure

from siteaudit.core.wacz import earlier_captures
from siteaudit.core.warc import Exchange, Failed, WarcFile
from siteaudit.crawler.errors import classify_failure

logger = logging.getLogger(__name__)


@dataclass
class EvidenceSetup:
    """Where a run's WARC files go and what they say about themselves; picklable for the resource process."""
    folder: str
    max_bytes: int = 0                          # this process's share of evidence.max_bytes; 0: no cap
    info: dict[str, str] = field(default_factory=dict)
    earlier: str = ""                           # the base run's WACZ, whose captures revisits refer to


def header_pairs(headers: Any) -> list[tuple[str, str]]:
    """Every header and every value of a multi-valued one, in the order Scrapy keeps them."""
    return [(name.decode("latin-1"), value.decode("latin-1")) for name, values in stored_items(headers)
            for value in values]


def stored_items(headers: Any) -> Any:
    """Scrapy's headers as stored: (normalised name, list of values), what `Headers.items()` gives, without its
    normalising every name again through three calls per header."""
    return dict.items(headers)


def kind_of(request: Request) -> str:
    meta = request.meta
    if "sa_sitemap_depth" in meta:
        return "sitemap"
    if request.url.endswith("/robots.txt"):
        return "robots"
    return str(meta.get("sa_kind") or "")


class Capture:
    """The middleware: hands each exchange to the process's `WarcFile` (its thread does the writing)."""

    def __init__(self, warc: WarcFile) -> None:
        self.warc = warc
        self.closed = False

    @classmethod
    def from_crawler(cls, crawler: Any) -> Capture:
        setup: EvidenceSetup | None = crawler.settings.get("SITEAUDIT_EVIDENCE")
        if not setup:
            raise NotConfigured
        role = "pages" if crawler.spidercls.name == "site" else crawler.spidercls.name
        earlier = earlier_captures(Path(setup.earlier)) if setup.earlier else {}
        path = Path(setup.folder) / f"{role}-{os.getpid()}.warc.gz"
        n = 1
        while path.exists():  # a resumed crawl adds its files beside those of the interrupted one
            n += 1
            path = Path(setup.folder) / f"{role}-{os.getpid()}-{n}.warc.gz"
        middleware = cls(WarcFile(path, {**setup.info, "crawl-process": role}, setup.max_bytes, earlier))
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def process_response(self, request: Request, response: Response, spider: Any = None) -> Response:
        if request.url.startswith(("http://", "https://")) and not self.closed:
            meta = request.meta
            expected = meta.get("sa_expected")
            cut = meta.get("sa_truncated") and (expected is None or len(response.body) < expected)
            truncated = "length" if cut else "disconnect" if "dataloss" in response.flags else None
            self.warc.put(Exchange(
                url=request.url, method=request.method, request_headers=header_pairs(request.headers),
                request_body=request.body or b"", status=response.status,
                response_headers=header_pairs(response.headers), body=response.body,
                when=time.time(), protocol=response.protocol or "HTTP/1.1",
                truncated=truncated, ip=str(response.ip_address) if response.ip_address else None,
                kind=kind_of(request)))
        return response

    def process_exception(self, request: Request, exception: BaseException, spider: Any = None) -> None:
        if isinstance(exception, IgnoreRequest) or self.closed or not request.url.startswith(("http://", "https://")):
            return None
        error, detail = classify_failure(Failure(exception))
        self.warc.put(Failed(url=request.url, method=request.method, error=error, detail=detail, when=time.time(),
                             kind=kind_of(request)))
        return None

    def spider_closed(self, spider: Any = None, reason: str = "") -> None:
        self.closed = True
        try:
            summary = self.warc.close()
        except Exception as exc:  # a full disk: the crawl's results stand, the run says its evidence is incomplete
            logger.warning("evidence: cannot write %s (%s): this process's evidence is incomplete",
                           self.warc.path, getattr(exc, "strerror", None) or exc)
            return
        if summary.dropped:
            logger.warning("evidence: evidence.max_bytes reached: %d records of this process were not archived",
                           summary.dropped)
