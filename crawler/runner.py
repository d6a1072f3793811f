"""Run the `site` spider in this process with settings derived from a site config."""

from __future__ import annotations

import dataclasses
from typing import Any

from scrapy.crawler import CrawlerProcess

from siteaudit.core.config import Config
from siteaudit.core.stopping import handlers_restored, record_stop_signals
from siteaudit.core.store import Store
from siteaudit.crawler import handlers  # noqa: F401  (Scrapy's HTTP handler, imported cheaply)
from siteaudit.crawler.capture import EvidenceSetup
from siteaudit.crawler.configure import date_log_records, quiet_log_files, settings_for
from siteaudit.crawler.previous import Previous
from siteaudit.crawler.resource_process import finish_resource_process, start_resource_process
from siteaudit.crawler.spiders.site import SiteSpider


def crawl(cfg: Config, store_path: str, run_id: int, resume: dict[str, Any] | None = None,
          progress: bool = False, log_file: str | None = None, stamps: bool = True,
          base_run: int | None = None, evidence: EvidenceSetup | None = None) -> dict[str, Any]:
    """Crawl until done; returns the spider's counters and the close reason. With `base_run`, an incremental
    crawl: pages and documents are revalidated against that run and carried over when unchanged.

    Scrapy's own log (every failed fetch is an expected finding for a link checker) goes to `log_file`. With
    `evidence`, each crawl process writes its own WARC file into its folder.
    """
    cache: dict[str, dict[str, Any]] = {}
    if cfg.crawl.external_cache_hours > 0:
        store = Store(store_path)
        try:
            cache = store.external_cache(cfg.site.name, cfg.crawl.external_cache_hours * 3600, run_id)
        finally:
            store.close()
    checker = sink = None
    share = 1
    if cfg.crawl.workers > 1:
        share = 2
        if evidence is not None and evidence.max_bytes:  # each process has its half of the cap
            evidence = dataclasses.replace(evidence, max_bytes=max(1, evidence.max_bytes // 2))
        checker, sink = start_resource_process(cfg, store_path, run_id,
                                               log_file.replace(".log", "-resources.log") if log_file else None,
                                               base_run, evidence)
    previous = Previous.open(store_path, base_run)
    date_log_records(cfg.site.timezone)
    process = CrawlerProcess(settings_for(cfg, store_path, progress, log_file, share, evidence))
    log_failures: list[str] = []
    quiet_log_files(log_failures)
    crawler = process.create_crawler(SiteSpider)
    quiet_log_files(log_failures)
    process.crawl(crawler, config=cfg, run_id=run_id, resume=resume, resource_sink=sink, external_cache=cache,
                  stamps=stamps, previous=previous)
    from twisted.internet import reactor  # installed by CrawlerProcess

    received: list[int] = []
    # Scrapy installs its stop handlers at reactor start-up; wrap them right after, to know which signal stopped us.
    reactor.callWhenRunning(reactor.callLater, 0, record_stop_signals(received))
    checker_exit = 0
    try:
        with handlers_restored():
            process.start()
    finally:
        if checker is not None and sink is not None:
            checker_exit = finish_resource_process(checker, sink)
        if previous is not None:
            previous.close()
    stats = crawler.stats.get_stats() if crawler.stats else {}
    spider = crawler.spider
    store_error = getattr(spider, "store_error", None)
    if store_error is None and checker_exit:
        store_error = RuntimeError(f"the resource checker process stopped (exit {checker_exit}); see "
                                   f"{log_file.replace('.log', '-resources.log') if log_file else 'its log'}")
    notes = list(getattr(spider, "notes", []))
    notes += [f"{failure}: the crawl log is incomplete" for failure in log_failures[:1]]
    return {"counts": dict(getattr(spider, "stats_counts", {})), "finish_reason": stats.get("finish_reason", ""),
            "notes": notes, "store_error": store_error, "signal": received[0] if received else None}
