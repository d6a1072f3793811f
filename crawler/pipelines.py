"""Persistence: every page and resource item goes into the audit store, in small transactions.

Items are buffered and written together, a page with its links, in one short transaction at most every
second (or every 200 items). A killed crawl therefore leaves only whole pages, and `siteaudit audit
--resume` rebuilds the frontier from what is stored. No transaction stays open between two reactor
turns, so a second process (crawler.checker) can write to the same store without waiting long.
"""

from __future__ import annotations

from typing import Any

from twisted.internet import task

from siteaudit.store import Store


class StorePipeline:
    batch_items = 200
    batch_seconds = 1.0

    def __init__(self, path: str, crawler: Any = None) -> None:
        self.path = path
        self.crawler = crawler
        self.store: Store | None = None
        self.buffer: list[dict[str, Any]] = []
        self.loop: task.LoopingCall | None = None
        self.run_id: int | None = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> StorePipeline:
        return cls(crawler.settings.get("SITEAUDIT_STORE"), crawler)

    def open_spider(self, spider: Any = None) -> None:
        spider = spider or self.crawler.spider
        self.store = Store(self.path or spider.cfg.store_path())
        if spider.run_id is None:
            from siteaudit.runs import start_run

            spider.run_id = start_run(self.store, spider.cfg)
        self.run_id = spider.run_id
        self.loop = task.LoopingCall(self.flush)
        self.loop.start(self.batch_seconds, now=False)

    def close_spider(self, spider: Any = None) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        if self.store is not None:
            self.flush()
            self.store.close()

    def flush(self) -> None:
        if not self.buffer or self.store is None or self.run_id is None:
            return
        items, self.buffer = self.buffer, []
        store = self.store
        store.begin()
        try:
            for item in items:
                if item["type"] == "page":
                    store.insert_page(self.run_id, item["page"], item["links"])
                else:
                    store.insert_resource(self.run_id, item["resource"])
        except BaseException:
            store.db.execute("ROLLBACK")
            raise
        store.commit()

    def process_item(self, item: dict[str, Any], spider: Any = None) -> dict[str, Any]:
        self.buffer.append(item)
        if len(self.buffer) >= self.batch_items:
            self.flush()
        return item
