"""A second process that checks resources (documents, external targets, assets) beside the page crawl.

With `crawl.workers = 2` the page crawler sends every resource URL it meets through a pipe to this
process, which fetches them with the same Scrapy components and writes them into the same store, so
the crawl uses two cores. Each process gets half of the configured concurrency, so a host never sees
more requests in flight than the config allows.
"""

from __future__ import annotations

import gc
import multiprocessing
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.machinery import ModuleSpec
from multiprocessing.connection import Connection
from typing import Any

from scrapy import signals
from scrapy.crawler import CrawlerProcess
from scrapy.exceptions import DontCloseSpider
from twisted.internet import task

from siteaudit.core.config import Config
from siteaudit.crawler import handlers  # noqa: F401  (Scrapy's HTTP handler, imported cheaply)
from siteaudit.crawler.capture import EvidenceSetup
from siteaudit.crawler.configure import date_log_records, quiet_log_files, settings_for
from siteaudit.crawler.previous import Previous
from siteaudit.crawler.spiders.site import SiteSpider

BATCH = 200


class ResourceSink:
    """The page crawler's end of the pipe: batches (url, kind, found_on, depth) tuples."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.buffer: list[tuple[str, str, str | None, int]] = []
        self.broken = False

    def add(self, url: str, kind: str, found_on: str | None, depth: int) -> None:
        self.buffer.append((url, kind, found_on, depth))
        if len(self.buffer) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if self.buffer and not self.broken:
            try:
                self.conn.send(self.buffer)
            except (BrokenPipeError, OSError):
                self.broken = True
        self.buffer = []

    def close(self) -> None:
        self.flush()
        try:
            self.conn.send(None)
        except (BrokenPipeError, OSError):
            self.broken = True


class ResourceSpider(SiteSpider):
    """Checks the resources it is sent; never crawls pages."""

    name = "resources"

    def __init__(self, inbox: Connection | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.inbox = inbox
        self.eof = inbox is None
        self.loop: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> ResourceSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.opened, signal=signals.spider_opened)
        crawler.signals.connect(spider.idle, signal=signals.spider_idle)
        return spider

    async def start(self):  # type: ignore[override]
        return
        yield  # an async generator that yields nothing: work arrives through the pipe

    def opened(self, spider: Any = None) -> None:
        self.loop = task.LoopingCall(self.poll)
        self.loop.start(0.02, now=True)

    def poll(self) -> None:
        if self.eof or self.inbox is None:
            return
        try:
            while self.inbox.poll():
                batch = self.inbox.recv()
                if batch is None:
                    self.eof = True
                    self.wake_engine()
                    break
                for url, kind, found_on, depth in batch:
                    for request in self.schedule(url, kind, depth, found_on):
                        self.crawler.engine.crawl(request)
        except (EOFError, OSError):
            self.eof = True  # the page crawler is gone: finish what was sent
            self.wake_engine()

    def wake_engine(self) -> None:
        """Let the engine notice at once that it may close, instead of at its next 5 s heartbeat."""
        slot = getattr(self.crawler.engine, "_slot", None)
        if slot is not None:
            slot.nextcall.schedule()

    def idle(self, spider: Any = None) -> None:
        if not self.eof:
            raise DontCloseSpider

    def schedule(self, url: str, scope: str, depth: int, found_on: str | None, parent: str | None = None,
                 parent_chain: int = 0) -> Any:
        if scope == "page":  # a resource that redirected to a page of the site: check it, do not crawl
            scope = "asset" if self.rules.is_internal(url) else "external"
        return super().schedule(url, scope, depth, found_on, parent, parent_chain)


def run_resource_process(cfg: Config, store_path: str, run_id: int, inbox: Connection, log_file: str | None,
                         base_run: int | None = None, evidence: EvidenceSetup | None = None) -> None:
    """Entry point of the checker process."""
    settings = settings_for(cfg, store_path, progress=False, log_file=log_file, share=2, evidence=evidence)
    previous = Previous.open(store_path, base_run)
    date_log_records(cfg.site.timezone)
    process = CrawlerProcess(settings)
    log_failures: list[str] = []
    quiet_log_files(log_failures)
    crawler = process.create_crawler(ResourceSpider)
    quiet_log_files(log_failures)
    process.crawl(crawler, config=cfg, run_id=run_id, inbox=inbox, previous=previous)
    try:
        process.start()
    finally:
        if previous is not None:
            previous.close()
    if getattr(crawler.spider, "store_error", None) is not None:  # its results are not all stored
        sys.exit(1)


def start_resource_process(cfg: Config, store_path: str, run_id: int, log_file: str | None,
                           base_run: int | None = None, evidence: EvidenceSetup | None = None
                           ) -> tuple[multiprocessing.process.BaseProcess, ResourceSink]:
    ctx = multiprocessing.get_context(start_method())
    ours, theirs = ctx.Pipe()
    proc = ctx.Process(target=run_forked if ctx.get_start_method() == "fork" else run_resource_process,
                       args=(cfg, store_path, run_id, theirs, log_file, base_run, evidence)
                       + ((ours,) if ctx.get_start_method() == "fork" else ()),
                       daemon=True,
                       name="siteaudit-checker")
    with main_script_not_rerun():
        proc.start()
    theirs.close()
    return proc, ResourceSink(ours)


def start_method() -> str:
    """fork when this process runs no other thread: the checker starts at once, with Scrapy and the crawler already
    imported (a spawned interpreter imports them again, over half a second of CPU before its first request). A fork
    would copy other threads' state mid-work (their locks held), so with any other thread it is spawn."""
    return "fork" if threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods() else "spawn"


def run_forked(cfg: Config, store_path: str, run_id: int, inbox: Connection, log_file: str | None,
               base_run: int | None, evidence: EvidenceSetup | None, parents_end: Connection) -> None:
    """The checker in a forked child: the objects inherited from the page crawler are frozen out of the garbage
    collector (its passes would otherwise walk them all, and copy their memory pages, again and again), and the copy
    of the page crawler's end of the pipe is closed, so that the pipe ends (EOF) when the page crawler is gone."""
    gc.freeze()
    parents_end.close()
    run_resource_process(cfg, store_path, run_id, inbox, log_file, base_run, evidence)


@contextmanager
def main_script_not_rerun() -> Iterator[None]:
    """While a spawned child starts: keep it from running the parent's main script first.

    The spawn start method runs a script-started parent's __main__ again in the child; for the `siteaudit`
    console script that imports the whole CLI (reports, fleet, every check), about a second of CPU the checker
    never uses. A __main__ whose spec names a package's __main__ module is never run again (multiprocessing.spawn),
    so that is what the child is told; the target and its arguments are imported by their own module names.
    """
    main = sys.modules.get("__main__")
    if main is None or getattr(main, "__spec__", None) is not None:
        yield
        return
    main.__spec__ = ModuleSpec("siteaudit.__main__", None)
    try:
        yield
    finally:
        main.__spec__ = None


def finish_resource_process(proc: multiprocessing.process.BaseProcess, sink: ResourceSink, timeout: float = 3600) -> int:
    sink.close()
    deadline = time.monotonic() + timeout
    while proc.is_alive() and time.monotonic() < deadline:
        proc.join(0.5)
    if proc.is_alive():
        proc.terminate()
    return proc.exitcode or 0
