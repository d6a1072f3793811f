"""Where one page's time goes in the accessibility check's browser: one browser, the pages one after another.

    .venv/bin/python bench/axe_split.py --base http://127.0.0.1:$PORT --site $BENCH_WORK/sites/n1000 --k 40

Per page, wall milliseconds of: navigation to the load event, finding the isolated world, the one evaluation
(split inside the page into axe.run, the DOM probe with its focus walk, and the peer probe), the rest of that
evaluation (the result's transfer over DevTools and its JSON decoding), the parser's reading of the source
(Python), the 320 px reflow pass, and whatever else the test spends. Medians and means over the pages, the first
page (browser start, axe's first compilation) left out. With --rules, axe's own time per rule (axe's
performanceTimer) on a few pages.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from siteaudit.checks import a11y_peer_rules as peer  # noqa: E402
from siteaudit.checks import browser as b  # noqa: E402
from siteaudit.core.browser import find_browser, process_tree  # noqa: E402

# The page's one evaluation, with in-page timestamps around each of its parts.
TIMED_RUN = (b.AXE_RUN
             .replace("var run = axe.run(", "var t0 = performance.now(), t1, t2;\n  var run = axe.run(")
             .replace("var out = {", "t1 = performance.now();\n    var out = {"))
for call in ("peerProbe(pending)", "peerProbe()"):  # the probe's call as this version and the one before write it
    TIMED_RUN = TIMED_RUN.replace(f"return {call}.then(function (found) {{ out.peer = found; return out; }});",
                                  f"t2 = performance.now();\n    return {call}.then(function (found) {{ out.peer = found;"
                                  " out.t = [t1 - t0, t2 - t1, performance.now() - t2]; return out; });")
assert TIMED_RUN != b.AXE_RUN and "out.t =" in TIMED_RUN


class TimedBrowser(b.Browser):
    """The check's Browser, its steps timed as the check runs them (milliseconds in `self.split`)."""

    split: dict[str, float]
    nav_only = False
    flags: tuple[str, ...] = ()

    def start(self) -> None:
        from siteaudit.core import browser as core_browser

        saved = core_browser.CHROMIUM_FLAGS
        core_browser.CHROMIUM_FLAGS = saved + self.flags
        try:
            super().start()
        finally:
            core_browser.CHROMIUM_FLAGS = saved

    def page_script(self, deadline: float) -> str:
        script = super().page_script(deadline)
        head = script[: script.index("\n(function (options, timeoutMs")]
        tail = script[len(head):]
        return head + TIMED_RUN[: TIMED_RUN.index("})(%s") + 2] + tail[tail.index("})(") + 2:]

    def test(self, url: str, deadline: float) -> dict[str, Any]:
        self.split = {}
        if self.nav_only:
            self.navigate(url, deadline)
            return {}
        return super().test(url, deadline)

    def _timed(self, name: str, fn: Any, *args: Any) -> Any:
        t = time.perf_counter()
        try:
            return fn(*args)
        finally:
            self.split[name] = self.split.get(name, 0.0) + ms(t)

    def navigate(self, url: str, deadline: float) -> None:
        self._timed("navigate+load", super().navigate, url, deadline)

    def world(self, deadline: float) -> int:
        return int(self._timed("world", super().world, deadline))

    def evaluate(self, expression: str, context: int, deadline: float) -> Any:
        t = time.perf_counter()
        value = super().evaluate(expression, context, deadline)
        took = ms(t)
        if isinstance(value, dict) and "t" in value:
            inside = value.pop("t")
            for name, part in zip(("axe.run", "dom probe+walk", "peer probe"), inside, strict=True):
                self.split[name] = part
            self.split["transfer+decode"] = took - sum(inside)
        elif "reflow 320" not in self.split and "axe.run" not in self.split:
            self.split["evaluate (other)"] = self.split.get("evaluate (other)", 0.0) + took
        return value

    def reflow_at_320(self, dom: dict[str, Any], context: int, deadline: float) -> None:
        self._timed("reflow 320", super().reflow_at_320, dom, context, deadline)


_markup = peer.markup_nodes


def _timed_markup(source: str) -> list[dict[str, Any]]:
    t = time.perf_counter()
    try:
        return _markup(source)
    finally:
        if CURRENT is not None:
            CURRENT.split["markup parse (py)"] = ms(t)


CURRENT: TimedBrowser | None = None
peer.markup_nodes = _timed_markup  # type: ignore[assignment]


def cpu_seconds(pids: set[int]) -> dict[str, float]:
    """CPU seconds so far of `pids`, by kind of process: robust to other load, unlike wall time."""
    tick = os.sysconf("SC_CLK_TCK")
    total: dict[str, float] = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        joined = b" ".join(argv).decode(errors="replace")
        kind = joined.split("--type=", 1)[1] if "--type=" in joined else Path(argv[0].decode()).name
        kind = kind.split()[0] if kind else "?"
        total[kind] = total.get(kind, 0.0) + (int(fields[11]) + int(fields[12])) / tick
    return total


def ms(since: float) -> float:
    return (time.perf_counter() - since) * 1000


def rule_times(browser: TimedBrowser, url: str) -> dict[str, float]:
    """axe's own per-rule time on `url` (performanceTimer marks, read back from the page)."""
    deadline = time.monotonic() + 60
    browser.navigate(url, deadline)
    context = browser.world(deadline)
    options = b.axe_options(browser.version)
    script = ("(function (o) { performance.clearMeasures(); o.performanceTimer = true;"
              " var log = console.log; console.log = function () {};"
              " return axe.run(document, o).then(function () { console.log = log;"
              " return performance.getEntriesByType('measure').map(function (m) { return [m.name, m.duration]; });"
              " }); })(" + json.dumps(options) + ")")
    entries = browser.evaluate(script, context, deadline)
    return {name: dur for name, dur in entries}


def tree_cpu(browser: TimedBrowser) -> dict[str, float]:
    """CPU seconds so far of one browser's processes (chromedriver and Chromium), by kind."""
    service = getattr(browser.driver, "service", None)
    pids = set(process_tree(service.process.pid)) if service and service.process else set()
    return {k: v for k, v in cpu_seconds(pids).items()}


def variant(spec: str) -> TimedBrowser:
    """NAME=TOKENS: Chromium flags, and @noreflow, @walk0, @nav, @noaxe for the check's own switches."""
    name, _, tokens = spec.partition("=")
    browser = TimedBrowser(find_browser(), 30)
    browser.name = name  # type: ignore[attr-defined]
    flags = []
    for token in tokens.split():
        if token == "@noreflow":
            browser.reflow = False
        elif token == "@walk0":
            browser.focus_walk = 0
        elif token == "@nav":
            browser.nav_only = True
        elif token == "@noaxe":
            browser.with_axe = False
        else:
            flags.append(token)
    browser.flags = tuple(flags)
    return browser


def main() -> int:
    global CURRENT
    ap = argparse.ArgumentParser()
    ap.add_argument("--site", required=True)
    ap.add_argument("--base", required=True)
    ap.add_argument("--k", type=int, default=40)
    ap.add_argument("--shared-bench", default=str(ROOT.parent / "shared" / "bench"))
    ap.add_argument("--rules", type=int, default=0, help="pages to time axe's rules on")
    ap.add_argument("--variant", action="append", default=[],
                    help="NAME=TOKENS, browsers tested page by page in turn (default: one, as the check runs)")
    a = ap.parse_args()
    sys.path.insert(0, a.shared_bench)
    from axe_probe_common import pick_pages

    urls, _ = pick_pages(a.site, 200)
    urls = urls[:: max(1, len(urls) // a.k)][: a.k]
    browsers = [variant(v) for v in a.variant or ["check="]]
    rows: dict[str, list[dict[str, float]]] = {x.name: [] for x in browsers}  # type: ignore[attr-defined]
    cpu0: dict[str, dict[str, float]] = {}
    try:
        for i, url in enumerate(urls):
            for browser in browsers:
                CURRENT = browser
                t = time.perf_counter()
                browser.audit(a.base + url)
                browser.split["whole page"] = ms(t)
                browser.split["other (py, DevTools)"] = browser.split["whole page"] - sum(
                    v for k, v in browser.split.items() if k != "whole page")
                if i:
                    rows[browser.name].append(browser.split)  # type: ignore[attr-defined]
                else:
                    cpu0[browser.name] = tree_cpu(browser)  # type: ignore[attr-defined]
        for browser in browsers:
            name = browser.name  # type: ignore[attr-defined]
            done = rows[name]
            by_kind = {k: (v - cpu0[name].get(k, 0.0)) * 1000 / len(done) for k, v in tree_cpu(browser).items()}
            print(f"== {name}: {len(done)} pages (the first left out), browser CPU {sum(by_kind.values()):.0f} ms a page ("
                  + ", ".join(f"{k} {v:.0f}" for k, v in sorted(by_kind.items(), key=lambda kv: -kv[1]) if v >= 0.5)
                  + "); wall ms:")
            print(f"{'part':24} {'median':>8} {'mean':>8}")
            for key in done[0]:
                values = [r.get(key, 0.0) for r in done]
                print(f"{key:24} {statistics.median(values):8.1f} {statistics.mean(values):8.1f}")
        if a.rules:
            totals: dict[str, list[float]] = {}
            for url in urls[1: 1 + a.rules]:
                for name, dur in rule_times(browsers[0], a.base + url).items():
                    totals.setdefault(name, []).append(dur)
            print("axe's own measures, mean ms over", a.rules, "pages (top 25):")
            for name, durs in sorted(totals.items(), key=lambda kv: -statistics.mean(kv[1]))[:25]:
                print(f"  {name:60} {statistics.mean(durs):8.1f}")
    finally:
        for browser in browsers:
            browser.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
