"""Scrapy's in-memory stats collector without its per-read attribute hook."""

from __future__ import annotations

from scrapy.statscollectors import MemoryStatsCollector


class PlainStats(MemoryStatsCollector):
    """MemoryStatsCollector with plain attribute reads. Scrapy's routes every read of the collector (an inc_value
    per request, response and item) through a Python __getattribute__ that wraps the method in a warning about a
    `spider` argument; nothing here passes one, and the methods still accept it."""

    __getattribute__ = object.__getattribute__
