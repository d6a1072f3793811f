"""With crawl.workers = 2 a reader process parses the pages; what it reads is what the crawler would read itself,
and whatever it cannot read (legacy encodings, a dead reader) the crawler reads."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import time

from siteaudit.core.config import for_url
from siteaudit.core.urls import UrlRules
from siteaudit.crawler.extract import extract, parse_body
from siteaudit.crawler.page_reader import PageReader, reader_for

BASE = "http://127.0.0.1:9/"
PAGE = ("<html lang='zh-Hant'><head><title>首頁</title><meta name='DC.Subject' content='水費'></head><body>"
        "<h1>公告</h1><table><tr><th>年度</th><th>檔案</th></tr><tr><td>113</td><td><a href='/a.pdf'>下載</a></td>"
        "</tr></table><a href='news.html' name='top'>最新消息</a><img src='logo.png' alt='標誌'>"
        "<p>更新日期：115年10月1日</p></body></html>").encode()


def in_process(body: bytes, encoding: str, url: str):
    cfg = for_url(BASE)
    doc, whole = parse_body(body, encoding, lambda: body.decode(encoding))
    return extract(doc, url, UrlRules(cfg), stamps=True), whole


def test_the_reader_reads_a_page_exactly_as_the_crawler_would() -> None:
    reader = PageReader(for_url(BASE, workers=2), stamps=True)
    try:
        read = asyncio.run(reader.read(PAGE, "utf-8", BASE))
    finally:
        reader.close()
    assert read is not None
    assert read == in_process(PAGE, "utf-8", BASE)
    data, whole = read
    assert whole and data.title == "首頁" and {link["url"] for link in data.links} >= {BASE + "a.pdf", BASE + "news.html"}


def test_a_page_that_must_be_decoded_first_is_left_to_the_crawler() -> None:
    reader = PageReader(for_url(BASE, workers=2), stamps=True)
    try:
        assert asyncio.run(reader.read(PAGE.decode().encode("big5"), "big5", BASE)) is None
    finally:
        reader.close()


def test_a_dead_reader_leaves_every_page_to_the_crawler() -> None:
    reader = PageReader(for_url(BASE, workers=2), stamps=True)
    [process] = reader.pool._processes.values()  # noqa: SLF001 - the one reader process, killed as the OOM killer would
    os.kill(process.pid, signal.SIGKILL)
    process.join(10)

    async def twice():
        return await reader.read(PAGE, "utf-8", BASE), await reader.read(PAGE, "utf-8", BASE)

    assert asyncio.run(twice()) == (None, None)
    assert reader.pool is None


def test_one_worker_has_no_reader() -> None:
    assert reader_for(for_url(BASE), stamps=True) is None


def test_the_reader_ends_when_the_crawler_is_killed_outright() -> None:
    script = textwrap.dedent(f"""
        import os, signal
        from siteaudit.core.config import for_url
        from siteaudit.crawler.page_reader import PageReader
        reader = PageReader(for_url({BASE!r}, workers=2), stamps=True)
        [process] = reader.pool._processes.values()
        print(process.pid, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    pid = int(done.stdout.split()[0])
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and alive(pid):
        time.sleep(0.2)
    assert not alive(pid)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as stat:  # an exited child not yet reaped by init is gone too
            return stat.read().split()[2] != "Z"
    except FileNotFoundError:
        return False
