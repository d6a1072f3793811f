"""The floor under siteaudit's crawl: what Scrapy alone costs on the bench site.

A bare Scrapy spider with the bench profile's concurrency (16, no AutoThrottle, robots.txt read): it GETs every
internal page, parses it with lxml, and sends one HEAD to every other link target (documents, external links), each
once. It keeps nothing, checks nothing and writes only an empty `findings.json`, so its time and CPU are the
least any Scrapy crawl of the same URLs pays on this machine. Run it as a bench peer beside siteaudit:

    PEERS="custom linkinator" CUSTOM_LABEL=floor \
    CUSTOM_CMD="$PWD/.venv/bin/python $PWD/bench/scrapy_floor.py {base} {out}" ../shared/bench/run_peers.sh 1000 10000

`--full` keeps Scrapy's default middlewares and extensions, to price them (1.3 to 1.6 times the CPU at N = 1,000 in two runs).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlsplit

import lxml.etree
import scrapy
from scrapy.crawler import CrawlerProcess

LINKS = lxml.etree.XPath("//a/@href | //img/@src | //link/@href | //script/@src | //iframe/@src")
PARSER = lxml.etree.HTMLParser()


class FloorSpider(scrapy.Spider):
    name = "floor"

    def __init__(self, base: str, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.base = base
        self.host = urlsplit(base).netloc
        self.seen: set[str] = {base}

    async def start(self):  # noqa: ANN201 - Scrapy's own shape
        yield scrapy.Request(self.base, callback=self.parse, dont_filter=True)

    def parse(self, response: scrapy.http.Response):  # noqa: ANN201
        if not isinstance(response, scrapy.http.HtmlResponse):
            return
        doc = lxml.etree.fromstring(response.body, PARSER)
        if doc is None:
            return
        for raw in LINKS(doc):
            url = urldefrag(urljoin(response.url, raw.strip()))[0]
            if url in self.seen or not url.startswith(("http://", "https://")):
                continue
            self.seen.add(url)
            page = urlsplit(url).netloc == self.host and (url.endswith((".html", "/")))
            if page:
                yield scrapy.Request(url, callback=self.parse, dont_filter=True)
            else:
                yield scrapy.Request(url, method="HEAD", callback=self.ignore, errback=self.ignore,
                                     dont_filter=True)

    def ignore(self, _: object) -> None:
        return None


# Every component a link crawl can do without is switched off, as in siteaudit's own settings, and a few more
# (redirects, retries, compression, stats): what is left is Scrapy's engine, scheduler, downloader and Twisted.
LEAN = {
    "DOWNLOADER_MIDDLEWARES_BASE": {
        "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": 100,
        "scrapy.downloadermiddlewares.downloadtimeout.DownloadTimeoutMiddleware": 350,
        "scrapy.downloadermiddlewares.useragent.UserAgentMiddleware": 500,
    },
    "SPIDER_MIDDLEWARES_BASE": {},
    "EXTENSIONS_BASE": {"scrapy.extensions.corestats.CoreStats": 0},
    "REDIRECT_ENABLED": False, "METAREFRESH_ENABLED": False, "COOKIES_ENABLED": False,
}


def main(base: str, out: str) -> None:
    settings = {
        "CONCURRENT_REQUESTS": 16, "CONCURRENT_REQUESTS_PER_DOMAIN": 16, "AUTOTHROTTLE_ENABLED": False,
        "ROBOTSTXT_OBEY": True, "RETRY_ENABLED": False, "DOWNLOAD_TIMEOUT": 10, "LOG_LEVEL": "WARNING",
        "TELNETCONSOLE_ENABLED": False, "HTTPERROR_ALLOW_ALL": True, "USER_AGENT": "siteaudit-bench-floor",
        "DNS_TIMEOUT": 2, "LOG_ENABLED": False,
        "DOWNLOAD_MAXSIZE": 10 * 1024 * 1024,  # siteaudit's own page cap (crawl.max_page_bytes)
        "CONCURRENT_ITEMS": 1,  # Scrapy's default (100) starts that many asyncio tasks for every callback's output
    }
    if "--full" not in sys.argv:
        settings |= LEAN
    process = CrawlerProcess(settings=settings)
    process.crawl(FloorSpider, base=base)
    process.start()
    Path(out, "findings.json").write_text(json.dumps({"findings": [], "pages": 0}))


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    main(args[0], args[1])
