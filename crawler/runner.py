"""Run the `site` spider in this process with settings derived from a site config."""

from __future__ import annotations

from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from crawler import settings as defaults
from crawler.spiders.site import SiteSpider
from siteaudit.config import Config


def settings_for(cfg: Config, store_path: str, progress: bool = False, log_file: str | None = None,
                 share: int = 1) -> Settings:
    """Scrapy settings from a site config; `share` processes split the configured concurrency."""
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
        "LOG_LEVEL": c.log_level.upper(),
    }, priority="cmdline")
    if log_file:
        s.set("LOG_FILE", log_file, priority="cmdline")
    return s


def crawl(cfg: Config, store_path: str, run_id: int, resume: dict[str, Any] | None = None,
          progress: bool = False, log_file: str | None = None, stamps: bool = True) -> dict[str, Any]:
    """Crawl until done; returns the spider's counters and the close reason.

    Scrapy's own log (every failed fetch is an expected finding for a link checker) goes to `log_file`.
    """
    cache: dict[str, dict[str, Any]] = {}
    if cfg.crawl.external_cache_hours > 0:
        from siteaudit.store import Store

        store = Store(store_path)
        try:
            cache = store.external_cache(cfg.site.name, cfg.crawl.external_cache_hours * 3600, run_id)
        finally:
            store.close()
    checker = sink = None
    share = 1
    if cfg.crawl.workers > 1:
        from crawler.checker import start_checker

        share = 2
        checker, sink = start_checker(cfg, store_path, run_id,
                                      log_file.replace(".log", "-resources.log") if log_file else None)
    process = CrawlerProcess(settings_for(cfg, store_path, progress, log_file, share))
    crawler = process.create_crawler(SiteSpider)
    process.crawl(crawler, config=cfg, run_id=run_id, resume=resume, resource_sink=sink, external_cache=cache,
                  stamps=stamps)
    try:
        process.start()
    finally:
        if checker is not None and sink is not None:
            from crawler.checker import finish_checker

            finish_checker(checker, sink)
    stats = crawler.stats.get_stats() if crawler.stats else {}
    spider = crawler.spider
    return {"counts": dict(getattr(spider, "stats_counts", {})), "finish_reason": stats.get("finish_reason", ""),
            "notes": list(getattr(spider, "notes", []))}
