"""Downloader pieces Scrapy does not ship: body limits that keep the first bytes, Retry-After, and robots.txt
server errors read as RFC 9309 says."""

from __future__ import annotations

import logging
import time
from typing import Any

from scrapy import Request, signals
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest, StopDownload
from scrapy.http import Response
from scrapy.utils.defer import maybe_deferred_to_future

from siteaudit.core.dates import http_date


class BodyLimit:
    """Stop each download at its limit but keep what arrived.

    Pages may be read up to `SITEAUDIT_MAX_PAGE_BYTES`; documents, assets, external targets and
    non-HTML answers to page requests only up to `SITEAUDIT_SNIFF_BYTES`, enough for type sniffing.
    Scrapy's own DOWNLOAD_MAXSIZE would drop the whole body; this keeps the head and marks it truncated.
    """

    def __init__(self, page_bytes: int, sniff_bytes: int) -> None:
        self.page_bytes = page_bytes
        self.sniff_bytes = sniff_bytes

    @classmethod
    def from_crawler(cls, crawler: Any) -> BodyLimit:
        ext = cls(crawler.settings.getint("SITEAUDIT_MAX_PAGE_BYTES", 10 * 1024 * 1024),
                  crawler.settings.getint("SITEAUDIT_SNIFF_BYTES", 65536))
        crawler.signals.connect(ext.headers_received, signal=signals.headers_received)
        crawler.signals.connect(ext.bytes_received, signal=signals.bytes_received)
        return ext

    def headers_received(self, headers: Any, body_length: int, request: Request, spider: Any) -> None:
        ctype = (headers.get(b"Content-Type") or b"").decode("latin-1").lower()
        html = not ctype or "html" in ctype or ctype.startswith("text/plain")
        limit = self.page_bytes if request.meta.get("sa_kind") == "page" and html else self.sniff_bytes
        request.meta["sa_limit"] = limit
        request.meta["sa_expected"] = body_length if isinstance(body_length, int) and body_length >= 0 else None
        request.meta["download_maxsize"] = 0  # our own limit applies, keeping the head
        request.meta["sa_received"] = 0

    def bytes_received(self, data: bytes, request: Request, spider: Any) -> None:
        received = request.meta.get("sa_received", 0) + len(data)
        request.meta["sa_received"] = received
        if received >= request.meta.get("sa_limit", self.page_bytes) and (
            request.meta.get("sa_expected") is None or request.meta["sa_expected"] > request.meta["sa_limit"]
        ):
            request.meta["sa_truncated"] = True
            raise StopDownload(fail=False)


class DecompressionLimit:
    """Runs before HttpCompressionMiddleware on responses: bound what a (gzip) body may inflate to."""

    def __init__(self, limit: int) -> None:
        self.limit = limit

    @classmethod
    def from_crawler(cls, crawler: Any) -> DecompressionLimit:
        return cls(crawler.settings.getint("SITEAUDIT_MAX_PAGE_BYTES", 10 * 1024 * 1024) * 8)

    def process_response(self, request: Request, response: Response, spider: Any = None) -> Response:
        request.meta["download_maxsize"] = self.limit
        return response


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Parse a Retry-After header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    when = http_date(value)
    return None if when is None else max(0.0, when.timestamp() - (now or time.time()))


class RetryAfterMiddleware:
    """Retry 429 and 503 answers after the delay the server asks for (or an exponential back-off).

    A server that asks for longer than SITEAUDIT_MAX_RETRY_AFTER is not waited for: the answer is kept
    and judged "could not verify".
    """

    codes = (429, 503)

    def __init__(self, retries: int, max_wait: float, backoff: float) -> None:
        self.retries = retries
        self.max_wait = max_wait
        self.backoff = backoff

    @classmethod
    def from_crawler(cls, crawler: Any) -> RetryAfterMiddleware:
        s = crawler.settings
        return cls(s.getint("SITEAUDIT_RETRIES", 2), s.getfloat("SITEAUDIT_MAX_RETRY_AFTER", 120),
                   s.getfloat("SITEAUDIT_RETRY_BACKOFF", 1.0))

    async def process_response(self, request: Request, response: Response, spider: Any = None) -> Any:
        if response.status not in self.codes:
            return response
        tries = request.meta.get("sa_retry_after", 0)
        if tries >= self.retries:
            return response
        header = response.headers.get(b"Retry-After")
        delay = retry_after_seconds(header.decode("latin-1") if header else None)
        if delay is None:
            delay = self.backoff * (2**tries)
        if delay > self.max_wait:
            return response
        from twisted.internet import reactor
        from twisted.internet.task import deferLater

        await maybe_deferred_to_future(deferLater(reactor, delay, lambda: None))
        retry = request.copy()
        retry.meta["sa_retry_after"] = tries + 1
        retry.meta.setdefault("sa_waits", []).append(round(delay, 2))
        retry.dont_filter = True
        return retry


class ServerErrorRobots:
    """The parser of a robots.txt that answered 5xx: every URL of the host is disallowed (RFC 9309 2.3.1.4)."""

    def __init__(self, status: int) -> None:
        self.reason = f"robots.txt answered HTTP {status}: a server error disallows the whole site (RFC 9309)"

    def allowed(self, url: str, user_agent: Any) -> bool:
        return False


class RobotsFailureIsAWarning(logging.Filter):
    """A robots.txt that cannot be fetched (refused, DNS, timeout) is the site's condition, not an error of the
    tool: Scrapy logs it as ERROR with a traceback; here it is one WARNING line. ERROR stays for real faults."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno == logging.ERROR and str(record.msg).startswith("Error downloading"):
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.exc_info = record.exc_text = None
        return True


ROBOTS_LOGGER = logging.getLogger("scrapy.downloadermiddlewares.robotstxt")


class RobotsTxt(RobotsTxtMiddleware):
    """Scrapy's robots.txt middleware, except that a 5xx answer disallows all instead of allowing all.

    A 4xx answer (no robots.txt) still allows all, as the RFC says.
    """

    def __init__(self, crawler: Any) -> None:
        super().__init__(crawler)
        if not any(isinstance(f, RobotsFailureIsAWarning) for f in ROBOTS_LOGGER.filters):
            ROBOTS_LOGGER.addFilter(RobotsFailureIsAWarning())

    async def _parse_robots(self, response: Response, netloc: str, *args: Any) -> None:
        if response.status < 500:
            await super()._parse_robots(response, netloc, *args)
            return
        deny = ServerErrorRobots(response.status)
        waiting = self._parsers[netloc]
        self._parsers[netloc] = deny
        waiting.callback(deny)

    def process_request_2(self, rp: Any, request: Request, *args: Any) -> None:
        if isinstance(rp, ServerErrorRobots):
            raise IgnoreRequest(rp.reason)
        super().process_request_2(rp, request, *args)
