"""How far apart requests to one host are: the crawl's AutoThrottle formula, and the same pace for a check's own
requests (a site search tried query by query), so a check never asks faster than the crawl did."""

from __future__ import annotations

import time
from collections.abc import Callable

from siteaudit.core.config import CrawlConfig

START_DELAY = 0.1      # seconds before a host's first answer sets its pace (AUTOTHROTTLE_START_DELAY)
MAX_DELAY = 60.0       # AUTOTHROTTLE_MAX_DELAY
SLOW_DOWN_STATUSES = frozenset({429, 503})  # the server asks for less
SLOW_DOWN_FLOOR = 1.0  # seconds: a host that asked to slow down waits at least this long between requests


def next_delay(delay: float, latency: float, status: int | None, target_concurrency: float, sampled: bool,
               min_delay: float, max_delay: float) -> float:
    """The host's new delay after an answer of `status` (None: a timeout) that took `latency` seconds."""
    if status is None or status in SLOW_DOWN_STATUSES:
        slowed = max(delay * 2, SLOW_DOWN_FLOOR, latency / target_concurrency)
        return min(max(min_delay, slowed), max_delay)
    target = latency / target_concurrency
    new = target if not sampled else max(target, (delay + target) / 2)
    return min(max(min_delay, new), max_delay)


class Pacer:
    """Spaces a check's own requests to the site as the crawl spaces its own: with `crawl.autothrottle`, the start
    delay, then what each answer's latency and status make of it (`next_delay`); without it, no delay (the crawl
    sets no download delay), one request at a time."""

    def __init__(self, crawl: CrawlConfig, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.throttled = crawl.autothrottle
        self.target = crawl.autothrottle_target_concurrency
        self.delay = START_DELAY if self.throttled else 0.0
        self.sampled = False
        self.clock, self.sleep = clock, sleep
        self.last: float | None = None   # when the last request started
        self.waited = 0.0                # seconds slept in all, for the summary

    def wait(self) -> None:
        """Sleep until the next request may start, then mark it started."""
        if self.last is not None:
            pause = self.last + self.delay - self.clock()
            if pause > 0:
                self.sleep(pause)
                self.waited += pause
        self.last = self.clock()

    def answered(self, status: int | None) -> None:
        """The request started at the last `wait()` got `status` (None: no answer in time)."""
        if self.throttled and self.last is not None:
            self.delay = next_delay(self.delay, self.clock() - self.last, status, self.target, self.sampled, 0.0,
                                    MAX_DELAY)
            self.sampled = True
