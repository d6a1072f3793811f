"""Crawl progress: a live line on a terminal, plain log lines when not a TTY (cron)."""

from __future__ import annotations

import sys
import time
from typing import Any

from scrapy import signals
from twisted.internet import task

from siteaudit.core.dates import DEFAULT_ZONE, labelled


class Progress:
    def __init__(self, crawler: Any, interval: float, enabled: bool, zone: str = DEFAULT_ZONE) -> None:
        self.crawler = crawler
        self.zone = zone              # the site's time zone, which the plain lines are dated in
        self.interval = interval
        self.enabled = enabled
        self.tty = sys.stderr.isatty()
        self.loop: task.LoopingCall | None = None
        self.started = time.monotonic()

    @classmethod
    def from_crawler(cls, crawler: Any) -> Progress:
        s = crawler.settings
        ext = cls(crawler, 0.5 if sys.stderr.isatty() else s.getfloat("SITEAUDIT_PROGRESS_INTERVAL", 15.0),
                  s.getbool("SITEAUDIT_PROGRESS", False), s.get("SITEAUDIT_TIMEZONE") or DEFAULT_ZONE)
        crawler.signals.connect(ext.opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.closed, signal=signals.spider_closed)
        return ext

    def opened(self, spider: Any = None) -> None:
        if self.enabled:
            self.started = time.monotonic()
            self.loop = task.LoopingCall(self.report)
            self.loop.start(self.interval, now=False)

    def line(self) -> str:
        spider = self.crawler.spider
        counts = getattr(spider, "stats_counts", {})
        queued = len(self.crawler.engine.slot.scheduler) if self.crawler.engine and self.crawler.engine.slot else 0
        elapsed = max(time.monotonic() - self.started, 1e-6)
        pages = counts.get("pages", 0)
        return (f"pages {pages}, resources {counts.get('resources', 0)}, queued {queued}, "
                f"{pages / elapsed:.1f} pages/s, errors {counts.get('errors', 0)}")

    def report(self) -> None:
        try:
            text = self.line()
        except Exception:
            return
        if self.tty:
            sys.stderr.write("\r\x1b[K" + text)
        else:
            sys.stderr.write(f"{labelled(time.time(), self.zone, 'en', '%H:%M:%S')}: {text}\n")
        sys.stderr.flush()

    def closed(self, spider: Any = None, reason: str = "") -> None:
        if self.loop and self.loop.running:
            self.loop.stop()
            if self.tty:
                sys.stderr.write("\r\x1b[K")
                sys.stderr.flush()
