"""Pages parsed beside the crawl: with `crawl.workers = 2`, a process of its own reads each page's HTML.

Parsing a page and reading its links is about a third of the page crawler's own CPU, and the page crawler is what
limits a crawl on a fast server. So the page's bytes go to a reader process (lxml parse and `extract`, exactly
as in the crawler), and the crawler goes on with other answers while it reads. The crawler falls back to reading
the page itself when the reader cannot (a page that must be decoded to text first, an error, a reader that died),
so a page is never left unread.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from siteaudit.core.config import Config
from siteaudit.core.urls import UrlRules
from siteaudit.crawler.extract import PageData, extract, parse_bytes
from siteaudit.crawler.resource_process import main_script_not_rerun, start_method

logger = logging.getLogger(__name__)
Read = tuple[PageData, bool]   # what the page says, and whether it was parsed whole

_rules: UrlRules | None = None
_stamps = True


def _start_reader(cfg: Config, stamps: bool, parent: int) -> None:
    """In the reader process: its own URL rules; Ctrl-C is the crawler's to handle; gone when the crawler is."""
    global _rules, _stamps
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    gc.freeze()  # forked: the crawler's objects are never garbage here, and walking them would copy their pages
    _rules, _stamps = UrlRules(cfg), stamps
    threading.Thread(target=_exit_with, args=(parent,), name="siteaudit-reader-watch", daemon=True).start()


def _exit_with(parent: int) -> None:
    """A crawler killed outright (SIGKILL) cannot shut its reader down: the reader notices and ends itself."""
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(0)


def _ready() -> None:
    """The first job: makes the pool start its process at once."""


def read_page(body: bytes, encoding: str | None, url: str) -> Read | None:
    """In the reader process: the page's data, or None when it must be decoded to text first."""
    parsed = parse_bytes(body, encoding)
    if parsed is None or _rules is None:
        return None
    doc, whole = parsed
    return extract(doc, url, _rules, stamps=_stamps), whole


class PageReader:
    """The crawler's side: `await read(...)` gives a page's data, or None when the crawler must read it itself."""

    def __init__(self, cfg: Config, stamps: bool) -> None:
        context = multiprocessing.get_context(start_method())
        self.pool: ProcessPoolExecutor | None = ProcessPoolExecutor(
            1, mp_context=context, initializer=_start_reader, initargs=(cfg, stamps, os.getpid()))
        with main_script_not_rerun():
            self.pool.submit(_ready)  # forked now, while the crawler runs no other thread

    async def read(self, body: bytes, encoding: str | None, url: str) -> Read | None:
        if self.pool is None:
            return None
        try:
            job = self.pool.submit(read_page, body, encoding, url)
            return await asyncio.wrap_future(job)
        except BrokenProcessPool as exc:  # the reader died (out of memory, killed)
            self.stop(exc)
        except Exception:  # the page itself: the crawler reads it again and reports what goes wrong there
            pass
        return None

    def stop(self, why: BaseException) -> None:
        logger.warning("page reader stopped (%s: %s): the crawler reads the remaining pages itself",
                       type(why).__name__, why)
        self.close()

    def close(self) -> None:
        pool, self.pool = self.pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


def reader_for(cfg: Config, stamps: bool) -> PageReader | None:
    """A reader process when the crawl may use a second core (`crawl.workers = 2`); None when it cannot start (the
    crawler then reads every page itself)."""
    if cfg.crawl.workers < 2:
        return None
    try:
        return PageReader(cfg, stamps)
    except OSError as exc:  # no process could be started (a limit on processes or memory)
        logger.warning("page reader not started (%s): the crawler reads every page itself", exc)
        return None

