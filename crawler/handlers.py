"""Scrapy's HTTP download handler, imported ahead of the crawl, and cheaply.

Its module creates two deprecated class aliases (scrapy.core.downloader.contextfactory), and Scrapy's
create_deprecated_class calls inspect.stack() for each only to name the module that called it. inspect.stack() reads
the source lines of every frame on the stack and searches every loaded module for each frame without a file
(importlib's own): 0.1 s from a shallow stack, about a second from inside a starting crawl, in each crawl process.
While that module is imported here, inspect.stack() gives the same frames without their source lines.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


def frames_without_source(context: int = 1) -> list[tuple[Any, ...]]:
    """inspect.stack()'s records (frame, file, line, function, no source lines, no index) of the caller's stack."""
    frame, records = sys._getframe(1), []
    while frame is not None:
        records.append((frame, frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name, None, None))
        frame = frame.f_back
    return records


@contextmanager
def stack_without_source() -> Iterator[None]:
    full = inspect.stack
    inspect.stack = frames_without_source  # type: ignore[assignment]
    try:
        yield
    finally:
        inspect.stack = full


with stack_without_source():
    import scrapy.core.downloader.handlers.http11  # noqa: F401, E402  (the crawl's http and https handler)
