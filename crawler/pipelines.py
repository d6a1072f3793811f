"""Persistence: every page and resource item goes into the audit store, in small transactions.

A page and its links are written in the same transaction, so a killed crawl leaves only whole pages,
and `siteaudit audit --resume` can rebuild the frontier from what is stored.
"""

from __future__ import annotations

import time
from typing import Any

from siteaudit.store import Store


class StorePipeline:
    batch_items = 200
    batch_seconds = 1.0

    def __init__(self, path: str, crawler: Any = None) -> None:
        self.path = path
        self.crawler = crawler
        self.store: Store | None = None
        self.pending = 0
        self.opened_at = 0.0

    @classmethod
    def from_crawler(cls, crawler: Any) -> StorePipeline:
        return cls(crawler.settings.get("SITEAUDIT_STORE"), crawler)

    def open_spider(self, spider: Any = None) -> None:
        spider = spider or self.crawler.spider
        self.store = Store(self.path or spider.cfg.store_path())
        if spider.run_id is None:
            from siteaudit.runs import start_run

            spider.run_id = start_run(self.store, spider.cfg)

    def close_spider(self, spider: Any = None) -> None:
        if self.store is not None:
            self._commit()
            self.store.close()

    def _commit(self) -> None:
        if self.pending and self.store is not None:
            self.store.commit()
            self.pending = 0

    def process_item(self, item: dict[str, Any], spider: Any = None) -> dict[str, Any]:
        assert self.store is not None
        spider = spider or self.crawler.spider
        if not self.pending:
            self.store.begin()
            self.opened_at = time.monotonic()
        if item["type"] == "page":
            self.store.insert_page(spider.run_id, item["page"], item["links"])
        else:
            self.store.insert_resource(spider.run_id, item["resource"])
        self.pending += 1
        if self.pending >= self.batch_items or time.monotonic() - self.opened_at > self.batch_seconds:
            self._commit()
        return item
