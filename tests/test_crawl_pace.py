"""Pace: AutoThrottle learns from every prompt answer; only 429, 503 and timeouts slow a host down."""

from __future__ import annotations

import sqlite3
import time

import pytest

from conftest import run_cli, write_config
from siteaudit.core.config import CrawlConfig
from siteaudit.core.pacing import START_DELAY, Pacer
from siteaudit.crawler.throttle import SLOW_DOWN_FLOOR, next_delay


def test_a_prompt_404_is_a_latency_sample_that_lowers_the_delay():
    first = next_delay(0.1, 0.02, 404, 4.0, sampled=False, min_delay=0.0, max_delay=60.0)
    assert first == 0.005  # the first answer sets the pace: latency ÷ target concurrency
    lowered = next_delay(2.0, 0.02, 404, 4.0, sampled=True, min_delay=0.0, max_delay=60.0)
    assert lowered < 2.0


def test_429_503_and_timeouts_slow_a_host_down():
    for status in (429, 503, None):
        slowed = next_delay(0.05, 0.01, status, 4.0, sampled=True, min_delay=0.0, max_delay=60.0)
        assert slowed >= SLOW_DOWN_FLOOR
        assert next_delay(slowed, 0.01, status, 4.0, sampled=True, min_delay=0.0, max_delay=60.0) == 2 * slowed
    assert next_delay(40.0, 0.01, 503, 4.0, sampled=True, min_delay=0.0, max_delay=60.0) == 60.0


def test_a_site_full_of_broken_links_is_crawled_fast_under_polite_defaults(serve, tmp_path):
    """Scrapy's own AutoThrottle would wait 5 s per 404 here: over six minutes for 80 of them."""
    links = "".join(f'<li><a href="/gone/{i}.html">舊頁{i}</a></li>' for i in range(80))
    (tmp_path / "index.html").write_text(f"<html><head><title>首頁</title></head><body><ul>{links}</ul></body></html>",
                                         encoding="utf-8")
    server = serve(tmp_path)
    store = tmp_path / "s.sqlite3"
    cfg = write_config(tmp_path / "c.toml", server.base, store,
                       crawl={"autothrottle": True, "concurrency": 8, "concurrency_per_host": 4, "sitemaps": False})
    start = time.monotonic()
    result = run_cli("audit", "--config", str(cfg), "--checks", "links", "--out", str(tmp_path / "out"), timeout=90)
    took = time.monotonic() - start
    assert result.returncode == 1, result.stderr  # the broken links fail the check
    db = sqlite3.connect(store)
    assert db.execute("SELECT COUNT(*) FROM pages WHERE status = 404").fetchone()[0] == 80
    assert took < 45, f"80 broken links took {took:.0f} s"


def test_the_throttle_keeps_its_own_state_and_smooths_after_the_first_answer():
    """Scrapy's downloader Slot has __slots__ (2.13+): the throttle must never set attributes on it."""
    from scrapy import Request
    from scrapy.core.downloader import Slot
    from scrapy.http import Response
    from scrapy.utils.test import get_crawler

    from siteaudit.crawler.throttle import PoliteThrottle

    throttle = PoliteThrottle(get_crawler(settings_dict={"AUTOTHROTTLE_ENABLED": True,
                                                         "AUTOTHROTTLE_TARGET_CONCURRENCY": 4.0}))
    throttle.mindelay, throttle.maxdelay = 0.0, 60.0
    slot = Slot(concurrency=4, delay=5.0)
    request = Request("http://127.0.0.1/", meta={"download_slot": "127.0.0.1"})
    answer = Response("http://127.0.0.1/", status=200, request=request)
    throttle._adjust_delay(slot, 0.4, answer)
    assert slot.delay == 0.1  # the first answer sets the pace
    throttle._adjust_delay(slot, 0.04, answer)
    assert abs(slot.delay - 0.055) < 1e-9  # later answers are smoothed: the mean of the delay and the target
    fresh = Slot(concurrency=4, delay=5.0)  # a slot Scrapy dropped and made anew starts afresh
    throttle._adjust_delay(fresh, 0.04, answer)
    assert fresh.delay == 0.01


def test_a_checks_own_requests_wait_the_crawls_start_delay_then_its_pace_and_slow_down_when_asked():
    now = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    pacer = Pacer(CrawlConfig(autothrottle=True, autothrottle_target_concurrency=4.0), lambda: now[0], sleep)
    pacer.wait()                    # the first request goes at once
    pacer.wait()                    # the next waits the start delay
    assert slept == [pytest.approx(START_DELAY)]
    now[0] += 0.4
    pacer.answered(200)             # 0.4 s of latency at 4 requests per latency: 0.1 s apart
    pacer.wait()
    now[0] += 0.01
    pacer.answered(503)             # the server asks for less: at least a second
    pacer.wait()
    assert slept[-1] >= SLOW_DOWN_FLOOR - 0.02
    unthrottled = Pacer(CrawlConfig(autothrottle=False), lambda: now[0], sleep)
    before = len(slept)
    for _ in range(3):
        unthrottled.wait()
        unthrottled.answered(503)
    assert len(slept) == before     # no delay configured for the crawl: none for the check either
