"""Scrapy settings for one site: the defaults of `siteaudit.crawler.settings` overlaid with the site config; and
the crawl log kept quiet when it cannot be written."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable

from scrapy.settings import Settings

from siteaudit.core.config import Config
from siteaudit.core.dates import local_time
from siteaudit.crawler import settings as defaults
from siteaudit.crawler.capture import EvidenceSetup

CAPTURE = "siteaudit.crawler.capture.Capture"
CAPTURE_ORDER = 598  # next to the download handler: before HttpCompressionMiddleware (590) on responses


def settings_for(cfg: Config, store_path: str, progress: bool = False, log_file: str | None = None,
                 share: int = 1, evidence: EvidenceSetup | None = None) -> Settings:
    """Scrapy settings from a site config; `share` processes split the configured concurrency. With `evidence`,
    every exchange is captured into a WARC file (crawler.capture)."""
    c = cfg.crawl
    s = Settings()
    s.setmodule(defaults, priority="project")
    s.update({
        "ROBOTSTXT_OBEY": c.obey_robots,
        "AUTOTHROTTLE_ENABLED": c.autothrottle,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": c.autothrottle_target_concurrency,
        "CONCURRENT_REQUESTS": max(1, c.concurrency // share),
        "CONCURRENT_REQUESTS_PER_DOMAIN": max(1, c.concurrency_per_host // share),
        "USER_AGENT": cfg.user_agent,
        "DOWNLOAD_TIMEOUT": c.download_timeout,
        "DOWNLOAD_VERIFY_CERTIFICATES": c.verify_tls,
        "RETRY_TIMES": c.retries,
        "SITEAUDIT_RETRIES": c.retries,
        "SITEAUDIT_MAX_RETRY_AFTER": c.max_retry_after,
        "SITEAUDIT_MAX_PAGE_BYTES": c.max_page_bytes,
        "SITEAUDIT_SNIFF_BYTES": c.sniff_bytes,
        "SITEAUDIT_STORE": store_path,
        "SITEAUDIT_PROGRESS": progress,
        "SITEAUDIT_TIMEZONE": cfg.site.timezone,
        "LOG_LEVEL": c.log_level.upper(),
        "LOG_DATEFORMAT": "%Y-%m-%d %H:%M:%S%z",   # in site.timezone (date_log_records), with its offset
    }, priority="cmdline")
    if log_file:
        s.set("LOG_FILE", log_file, priority="cmdline")
    if evidence is not None:
        s.set("SITEAUDIT_EVIDENCE", evidence, priority="cmdline")
        s.set("DOWNLOADER_MIDDLEWARES", {**s.getdict("DOWNLOADER_MIDDLEWARES"), CAPTURE: CAPTURE_ORDER},
              priority="cmdline")
    return s


def date_log_records(zone: str) -> None:
    """Date every log record of this process (crawl.log, with LOG_DATEFORMAT's %z) in the site's zone: 2026-11-26
    02:30:05+0800, whatever the machine's zone. The converter of every Formatter, as the logging docs set it."""
    def converter(seconds: float | None) -> time.struct_time:
        when = local_time(time.time() if seconds is None else seconds, zone)
        offset = when.utcoffset()
        return time.struct_time((*when.timetuple()[:9], when.tzname(), int(offset.total_seconds()) if offset else 0))

    logging.Formatter.converter = staticmethod(converter)  # type: ignore[assignment]


def quiet_log_files(failures: list[str]) -> None:
    """Make each log file of the root logger (Scrapy's LOG_FILE) note its first write failure in `failures` and
    go on silently: a full disk fails every record, its flush and its close, and each would print a traceback
    on stderr or, from a close, end the crawl. Call again after Scrapy replaces its handler (a new crawler)."""
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.FileHandler) and not getattr(handler, "quiet", False):
            quiet(handler, failures)


def quiet(handler: logging.FileHandler, failures: list[str]) -> None:
    def note() -> None:
        if not failures:
            error = sys.exc_info()[1]
            failures.append(f"{handler.baseFilename}: cannot write ({getattr(error, 'strerror', None) or error})")

    def failed(record: logging.LogRecord) -> None:
        note()

    def guarded(step: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                step()
            except OSError:
                note()
        return run

    handler.handleError = failed  # type: ignore[method-assign]
    handler.flush = guarded(handler.flush)  # type: ignore[method-assign]
    handler.close = guarded(handler.close)  # type: ignore[method-assign]
    handler.quiet = True  # type: ignore[attr-defined]
