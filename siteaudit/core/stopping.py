"""SIGINT and SIGTERM end a run as interrupted, in whichever stage they arrive.

During the crawl Scrapy owns both signals (a graceful stop, then a hard one); the crawl runner records which
signal stopped it and puts the handlers back when the reactor ends, so a signal during the checks raises
`Interrupted` in the main thread instead of being swallowed by a handler of a finished crawl.
"""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(BaseException):
    """A stop signal arrived; a BaseException, so no check's `except Exception` turns it into a finding."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        """128 + the signal number, as a shell reports it: 130 for SIGINT, 143 for SIGTERM."""
        return 128 + self.signum


def _raise(signum: int, _frame: Any) -> None:
    raise Interrupted(signum)


@contextmanager
def handlers_restored() -> Iterator[None]:
    """Put back the stop signals' handlers as they were before the block (Scrapy leaves its own installed)."""
    before = {sig: signal.getsignal(sig) for sig in STOP_SIGNALS}
    try:
        yield
    finally:
        for sig, handler in before.items():
            signal.signal(sig, handler)


@contextmanager
def stop_signals_raise() -> Iterator[None]:
    """Within the block, SIGINT and SIGTERM raise Interrupted in the main thread; the old handlers come back after."""
    with handlers_restored():
        for sig in STOP_SIGNALS:
            signal.signal(sig, _raise)
        yield


def record_stop_signals(received: list[int]) -> Callable[[], None]:
    """A function that wraps the stop signals' current handlers so each signal is appended to `received` first."""
    def wrap() -> None:
        for sig in STOP_SIGNALS:
            inner = signal.getsignal(sig)

            def handler(signum: int, frame: Any, inner: Any = inner) -> None:
                received.append(signum)
                if callable(inner):
                    inner(signum, frame)
            signal.signal(sig, handler)
    return wrap
