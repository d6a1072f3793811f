"""Scrapy's per-response and per-item DEBUG lines reach the crawl log at log_level "debug", and are not even built
at the default level, where the log handler would drop them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import HtmlResponse
from scrapy.utils.misc import build_from_crawler, load_object

from conftest import run_cli, write_config
from siteaudit.core.config import for_url
from siteaudit.crawler.configure import settings_for
from siteaudit.crawler.spiders.site import SiteSpider
from siteaudit.demo.server import SiteServer


@pytest.mark.parametrize("level, logged", [("debug", True), ("info", False), ("warning", False)])
def test_crawled_and_scraped_lines_are_built_only_at_debug_level(tmp_path: Path, level: str, logged: bool) -> None:
    settings = settings_for(for_url("http://127.0.0.1:9/", log_level=level), str(tmp_path / "s.sqlite3"))
    formatter = build_from_crawler(load_object(settings["LOG_FORMATTER"]), Crawler(SiteSpider, settings))
    response = HtmlResponse("http://127.0.0.1:9/", body=b"<html></html>", request=Request("http://127.0.0.1:9/"))
    assert (formatter.crawled(response.request, response, None) is not None) is logged
    assert (formatter.scraped({"type": "page"}, response, None) is not None) is logged


def test_crawled_and_scraped_lines_reach_the_crawl_log_at_debug_level(
        tmp_path: Path, serve: Callable[..., SiteServer]) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text('<html lang="zh-Hant"><body><a href="a.html">a</a></body></html>',
                                     encoding="utf-8")
    (site / "a.html").write_text('<html lang="zh-Hant"><body>a</body></html>', encoding="utf-8")
    server = serve(site)
    cfg = write_config(tmp_path / "c.toml", server.base, tmp_path / "s.sqlite3",
                       crawl={"sitemaps": False, "log_level": "debug"})
    result = run_cli("audit", "--config", str(cfg), "--checks", "links", "--out", str(tmp_path / "out"))
    assert (tmp_path / "out" / "findings.json").exists(), result.stderr
    log = (tmp_path / "out" / "crawl.log").read_text(encoding="utf-8")
    assert "Crawled (200)" in log and "Scraped from <200" in log, log[-2000:]
