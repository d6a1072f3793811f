"""Scrapy's per-response and per-item log lines, skipped when the log level would drop them anyway."""

from __future__ import annotations

import logging
from typing import Any

from scrapy.logformatter import LogFormatter


class QuietLogFormatter(LogFormatter):
    """"Crawled (200)" and "Scraped from" are DEBUG lines: below DEBUG's level they are not built at all (a log
    record and its arguments per response and per item, dropped by the log handler a moment later)."""

    def __init__(self, debug: bool = True) -> None:
        self.debug = debug

    @classmethod
    def from_crawler(cls, crawler: Any) -> QuietLogFormatter:
        level = crawler.settings.get("LOG_LEVEL", "DEBUG")
        level = logging.getLevelName(level) if isinstance(level, str) else level
        return cls(debug=not isinstance(level, int) or level <= logging.DEBUG)

    def crawled(self, request: Any, response: Any, spider: Any) -> Any:
        return super().crawled(request, response, spider) if self.debug else None

    def scraped(self, item: Any, response: Any, spider: Any) -> Any:
        return super().scraped(item, response, spider) if self.debug else None
