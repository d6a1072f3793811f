"""Persistence: every page and resource item goes into the audit store, in small transactions.

Items are buffered and handed, every second (or every 200 items), to a writer thread that writes them
in one short transaction, a page with its links. The crawl's own thread never waits on SQLite, a killed
crawl leaves only whole pages, and `siteaudit audit --resume` rebuilds the frontier from what is stored.
No transaction stays open for long, so a second process (crawler.resource_process) can write to the same store.
A batch that cannot be written (a full disk) stops the crawl at once with the reason `store-error`, the error kept
on the spider (`store_error`): a crawl that lost pages must never pass for a finished one.
"""

from __future__ import annotations

import queue
import threading
from typing import Any

from scrapy.utils.defer import deferred_from_coro
from twisted.internet import task

from siteaudit.core.runs import start_run
from siteaudit.core.store import Store


class StorePipeline:
    batch_items = 200
    batch_seconds = 1.0

    def __init__(self, path: str, crawler: Any = None) -> None:
        self.path = path
        self.crawler = crawler
        self.buffer: list[dict[str, Any]] = []
        self.loop: task.LoopingCall | None = None
        self.run_id: int | None = None
        self.batches: queue.Queue[list[dict[str, Any]] | None] = queue.Queue(maxsize=4)  # back-pressure
        self.writer: threading.Thread | None = None
        self.error: BaseException | None = None
        self.stopping = False

    @classmethod
    def from_crawler(cls, crawler: Any) -> StorePipeline:
        return cls(crawler.settings.get("SITEAUDIT_STORE"), crawler)

    def open_spider(self, spider: Any = None) -> None:
        spider = spider or self.crawler.spider
        self.path = self.path or str(spider.cfg.store_path())
        if spider.run_id is None:

            store = Store(self.path)
            spider.run_id = start_run(store, spider.cfg)
            store.close()
        self.run_id = spider.run_id
        self.writer = threading.Thread(target=self.write_batches, name="siteaudit-store-writer", daemon=True)
        self.writer.start()
        self.loop = task.LoopingCall(self.flush)
        self.loop.start(self.batch_seconds, now=False)

    def close_spider(self, spider: Any = None) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        self.flush()
        if self.writer is not None:
            self.batches.put(None)
            self.writer.join()
        self.stop_for_error()

    def flush(self) -> None:
        self.stop_for_error()
        if self.buffer:
            items, self.buffer = self.buffer, []
            self.batches.put(items)

    def stop_for_error(self) -> None:
        """After a failed write: keep the error on the spider for the runner and close the spider (once)."""
        if self.error is None or self.crawler is None:
            return
        spider = self.crawler.spider
        if spider is not None and getattr(spider, "store_error", None) is None:
            spider.store_error = self.error
        if not self.stopping and self.crawler.engine is not None and self.crawler.engine.spider is not None:
            self.stopping = True
            deferred_from_coro(self.crawler.engine.close_spider_async(reason="store-error"))

    def write_batches(self) -> None:
        """The writer thread: one connection, one transaction per batch."""
        store = Store(self.path)
        try:
            while (items := self.batches.get()) is not None:
                store.begin()
                try:
                    for item in items:
                        if item["type"] == "page":
                            store.insert_page(self.run_id, item["page"], item["links"])
                        else:
                            store.insert_resource(self.run_id, item["resource"])
                except BaseException:
                    store.rollback()
                    raise
                store.commit()
        except BaseException as exc:  # reported when the spider closes
            self.error = exc
            while self.batches.get() is not None:  # keep the crawl from blocking on a full queue
                pass
        finally:
            store.close()

    def process_item(self, item: dict[str, Any], spider: Any = None) -> dict[str, Any]:
        self.buffer.append(item)
        if len(self.buffer) >= self.batch_items:
            self.flush()
        return item
