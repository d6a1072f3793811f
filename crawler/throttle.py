"""AutoThrottle that learns a host's pace from every prompt answer and slows down only when the host says so.

Scrapy's AutoThrottle starts each host at 5 s and never lowers the delay on a non-200 answer, so a site
with many broken links is crawled at one request per 5 s. Here the first answer sets the delay, every
answer (404 included) is a latency sample, and only 429, 503 and timeouts double a host's delay.
"""

from __future__ import annotations

from typing import Any

from scrapy import Request
from scrapy.extensions.throttle import AutoThrottle
from scrapy.http import Response

from siteaudit.core.pacing import SLOW_DOWN_FLOOR, SLOW_DOWN_STATUSES, next_delay

__all__ = ["SLOW_DOWN_FLOOR", "SLOW_DOWN_STATUSES", "PoliteThrottle", "TimeoutSlowDown", "next_delay"]

TIMEOUT_ERRORS = ("TimeoutError", "TCPTimedOutError", "DownloadTimeoutError", "ResponseNeverReceived")


class PoliteThrottle(AutoThrottle):
    """AUTOTHROTTLE_* settings as in Scrapy; AUTOTHROTTLE_START_DELAY is the delay before a host's first answer.

    Which slots have had an answer is kept here, never on Scrapy's Slot (it has `__slots__` since Scrapy 2.13):
    a slot key maps to the slot object that was sampled, so a slot Scrapy dropped and made anew starts afresh.
    """

    def __init__(self, crawler: Any) -> None:
        super().__init__(crawler)
        self._sampled: dict[str, Any] = {}

    def _adjust_delay(self, slot: Any, latency: float, response: Response) -> None:
        key = response.request.meta.get("download_slot") if response.request is not None else None
        sampled = key is not None and self._sampled.get(key) is slot
        slot.delay = next_delay(slot.delay, latency, response.status, self.target_concurrency, sampled,
                                self.mindelay, self.maxdelay)
        if key is not None:
            self._sampled[key] = slot

    def timed_out(self, request: Request) -> None:
        """A request that timed out: its host is slowed down like one that answered 503."""
        _, slot = self._get_slot(request, None)  # type: ignore[arg-type]
        if slot is not None:
            slot.delay = next_delay(slot.delay, 0.0, None, self.target_concurrency, True,
                                    self.mindelay, self.maxdelay)


class TimeoutSlowDown:
    """Downloader middleware telling PoliteThrottle about timeouts, which Scrapy's signals do not report."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> TimeoutSlowDown:
        return cls(crawler)

    def process_exception(self, request: Request, exception: BaseException, spider: Any = None) -> None:
        if type(exception).__name__ not in TIMEOUT_ERRORS:
            return None
        for ext in self.crawler.extensions.middlewares:
            if isinstance(ext, PoliteThrottle):
                ext.timed_out(request)
        return None
