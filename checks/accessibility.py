"""Accessibility check: axe-core and Taiwan's own machine checks in headless Chromium on every page, read
against 網站無障礙規範 115.11 (WCAG 2.2) or 110.07 (WCAG 2.1) with each finding's 檢測碼, the template checks
Freego users expect, and the accessibility mark on the home page.

Rules, options and limits: docs/checks/accessibility.md.
"""

from __future__ import annotations

import json
import os
import queue
import re
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit

from siteaudit.checks import a11y_batches, a11y_peer_rules, a11y_reuse, a11y_rows
from siteaudit.checks import a11y_rules as a11y
from siteaudit.checks.base import (
    CheckContext,
    CheckResult,
    Finding,
    Rule,
    count_rules,
    finding,
    home_page,
    inspection_item,
    listed_in,
    rule_table,
    sort_findings,
    status_of,
    today_option,
    validate_today,
)
from siteaudit.checks.browser import Browser, PageTimeout
from siteaudit.core.browser import INSTALL_HINT, find_browser
from siteaudit.core.config import ConfigError
from siteaudit.core.dates import find_dates
from siteaudit.core.results import InspectionItem, Status, SummaryField
from siteaudit.core.urls import DOCUMENT_EXTENSIONS, extension

LAW = "身心障礙者權益保障法第52條之2；網站無障礙檢測及認證標章核發辦法"
LEVELS = ("A", "AA", "AAA")
MARK_HOST = "accessibility.moda.gov.tw"
LEGACY_MARK_HOSTS = ("accessibility.ncc.gov.tw", "handicap-free.nat.gov.tw", "www.handicap-free.nat.gov.tw")
MARK_LEVEL = re.compile(r"(?<![A-Za-z])(AAA|AA|A)(\+?)(?![A-Za-z])")
NEW_WINDOW = re.compile(r"另開新視窗|開新視窗|新視窗|另開視窗|new window|opens in a new", re.I)
FILE_TYPE_WORDS = re.compile(r"pdf|odt|ods|odp|docx?|xlsx?|pptx?|rtf|csv|zip|7z|rar|檔|格式", re.I)
FILE_SIZE = re.compile(r"\d+(\.\d+)?\s*(k|m|g)?b|位元組", re.I)
PASS_WORDS = re.compile(r"通過|檢測|認證|passed|certified", re.I)
CLAUSE_BREAK = re.compile(r"[\n｜|。；;\u3000]|\s{2,}|(?=更新|發布|發佈|修改日期|瀏覽|Updated|updated)")
SKIP_TEXT = re.compile(r"跳到主要內容|跳至主要內容|跳過|skip", re.I)
# Accesskey anchors as Taiwanese templates write them: ":::", ":::上方連結區", or a title naming the area.
ACCESSKEY_TEXT = re.compile(a11y.PROBE_WORDS["accesskey_text"])
ACCESSKEY_TITLE = re.compile(a11y.PROBE_WORDS["accesskey_title"], re.I)
# axe rules that do not judge the accesskey anchors (:::) Taiwanese templates must have: they mark a position for
# the keyboard (accesskey), and their pointer target is the place they stand (2.5.8's exceptions).
ACCESSKEY_EXEMPT = ("target-size",)
# A rule that fails on at least this share of the tested pages (and on 3 or more) is the template's.
TEMPLATE_SHARE = 0.5
TEMPLATE_MIN_PAGES = 3
# Untested pages named in the inspection item's measured text (all of them are findings).
NAMED_UNTESTED = 3
MAX_UNTESTED_LISTED = 50  # in the summary; findings list every one
TIMEOUT_REASON = re.compile(r"^timeout after ([\d.]+) s$")


def _axe_rule(axe_id: str) -> Rule:
    info = a11y.AXE_RULES[axe_id]
    sc = (a11y.criteria(axe_id) or [""])[0]
    regulation = f"網站無障礙規範 {sc} {a11y.SC_NAMES.get(sc, '')}".strip() if sc else "axe-core best practice"
    severity = "warning" if a11y.level(axe_id) in ("AAA", "best-practice") else "error"
    return Rule(f"axe-{axe_id}", severity, a11y.axe_help_zh(axe_id), info["help"], regulation)


def _own_rule(rule: a11y.OwnRule) -> Rule:
    severity = "error" if any(c.endswith("C") for c in a11y.codes(rule.id)["115.11"]) else "warning"
    regulation = f"網站無障礙規範 {rule.sc} {a11y.SC_NAMES.get(rule.sc, '')}" if rule.sc else "無障礙最佳實務"
    return Rule(rule.id, severity, rule.zh, rule.en, regulation)


RULES = rule_table(
    *(_axe_rule(i) for i in sorted(a11y.AXE_RULES)),
    *(_own_rule(r) for r in a11y.OWN_RULES),
    Rule("axe-needs-review", "notice", "axe 無法自動判定，需人工檢視", "axe could not decide: needs review", "網站無障礙規範"),
    Rule("page-not-tested", "warning", "頁面無法檢測", "Page could not be tested", "網站無障礙規範"),
    Rule("js-dialog-on-load", "warning", "頁面未經使用者操作即跳出 JavaScript 對話框（alert／confirm／prompt），須關閉才能繼續",
         "The page raises a JavaScript dialog (alert, confirm, prompt) nobody asked for", "網站無障礙規範 2.2.4"),
    Rule("missing-accesskey", "warning", "頁面缺少導盲磚（:::）快速鍵錨點", "No accesskey anchors (:::) on the page",
         "網站無障礙規範 2.4.1"),
    Rule("missing-skip-link", "warning", "頁面缺少「跳到主要內容」連結", "No skip-to-content link", "網站無障礙規範 2.4.1"),
    Rule("noscript-missing", "warning", "頁面使用 script 但未提供 <noscript> 替代內容",
         "Scripts without a <noscript> alternative", "無障礙最佳實務"),
    Rule("new-window-unwarned", "warning", "連結另開新視窗但未告知使用者", "Link opens a new window without a warning",
         "網站無障礙規範 3.2.5"),
    Rule("file-link-unlabelled", "notice", "檔案連結未標示檔案格式或大小", "File link gives neither file type nor size",
         "網站無障礙規範 2.4.4"),
    Rule("mark-missing", "error", "首頁未放置無障礙標章", "No accessibility mark on the home page", LAW),
    Rule("mark-outdated-link", "warning", "無障礙標章連結至舊網址（NCC／handicap-free）",
         "Accessibility mark links to a legacy host", LAW),
    Rule("mark-level-below-target", "error", "無障礙標章等級低於目標等級", "Accessibility mark level below the target",
         LAW),
    Rule("mark-expired", "warning", "無障礙標章已逾3年效期", "Accessibility mark older than its 3-year validity", LAW),
    Rule("mark-size", "warning", "無障礙標章尺寸不是 88×31", "Accessibility mark is not 88x31 pixels", LAW),
    Rule("mark-broken", "warning", "無障礙標章圖片無法載入", "Accessibility mark image does not load", LAW),
)


def mark_version(passed: date, max_age_years: int = 3, level: str = "") -> dict[str, str]:
    """The scheme a mark was issued under (`mark_scheme`: 1.0, 2.0, 110.07 or 115.11, from its level and pass date)
    and its expiry."""
    try:
        expires = passed.replace(year=passed.year + max_age_years)
    except ValueError:  # 29 February
        expires = passed.replace(year=passed.year + max_age_years, day=28)
    scheme = a11y.mark_scheme(passed, level)
    return {"mark_scheme": scheme["id"] if scheme else "", "expires": expires.isoformat()}


def scheme_words(mark: dict[str, Any]) -> tuple[str, str]:
    """The mark's scheme in words (無障礙標章2.0（2017 年版）), or that it is unknown."""
    scheme = next((s for s in a11y.MARK_SCHEMES if s["id"] == mark.get("mark_scheme")), None)
    return (scheme["zh"], scheme["en"]) if scheme else ("版本未知", "scheme unknown")


def shown_pass_date(text: str) -> tuple[date, str] | None:
    """A pass date written beside the mark (通過檢測日期：113年5月1日; 113年5月1日通過檢測), with its clause.
    Only clauses with a pass word count (an update date beside the mark is not a pass date); in a clause, a
    date after the pass word wins over one before it."""
    best: tuple[int, date, str] | None = None
    for clause in CLAUSE_BREAK.split(text):
        words = PASS_WORDS.search(clause)
        if not words:
            continue
        for found in find_dates(clause):
            if found.date is None:
                continue
            rank = 0 if found.start >= words.start() else 1
            if best is None or (rank, -found.date.toordinal()) < (best[0], -best[1].toordinal()):
                best = (rank, found.date, clause.strip())
    return (best[1], best[2]) if best else None


def _level_rank(level: str) -> int:
    return LEVELS.index(level) if level in LEVELS else 99


def stage_progress(done: int, total: int, seconds: float) -> str:
    """"700/7000 pages tested in the browser (10%), about 12 min left"."""
    left = seconds / done * (total - done) if done else 0
    when = f"about {left / 60:.0f} min left" if left >= 90 else f"about {left:.0f} s left"
    return f"{done}/{total} pages tested in the browser ({done * 100 // total}%)" + (f", {when}" if done < total else "")


def untested_reason(exc: Exception) -> str:
    """Why a page could not be tested, in one line: "timeout after 30 s" for a page past its budget."""
    if isinstance(exc, PageTimeout):
        return str(exc)
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text}"[:200]


def reason_words(reason: str) -> tuple[str, str]:
    """An untested page's reason in zh-TW and English."""
    timeout = TIMEOUT_REASON.match(reason)
    if timeout:
        return f"逾時，{timeout.group(1)} 秒內未完成", reason
    return f"無法載入或檢測：{reason}", f"could not be loaded or tested: {reason}"


def untested_text(untested: list[dict[str, str]], count: int) -> tuple[str, str]:
    """「2 頁未能檢測：/a.html（逾時，30 秒內未完成）…」 and its English, naming the first pages."""
    named = untested[:NAMED_UNTESTED]
    zh = "、".join(f"{_path(u['url'])}（{reason_words(u['reason'])[0]}）" for u in named)
    en = "; ".join(f"{_path(u['url'])} ({reason_words(u['reason'])[1]})" for u in named)
    more = count - len(named)
    return (f"{count} 頁未能檢測：{zh}" + (f" 等，另 {more} 頁" if more > 0 else ""),
            f"{count} page{'s' if count != 1 else ''} not tested: {en}" + (f"; {more} more" if more > 0 else ""))


def _path(url: str) -> str:
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def template_key(url: str) -> str:
    """Pages of one template: the same path with numbers replaced and query values dropped."""
    parts = urlsplit(url)
    path = re.sub(r"\d+", "N", parts.path)
    keys = sorted(k.split("=", 1)[0] for k in parts.query.split("&") if k)
    return path + ("?" + "&".join(keys) if keys else "")


class AccessibilityCheck:
    name = "accessibility"
    title_zh = "無障礙檢測"
    title_en = "Accessibility"
    rules = RULES
    options: dict[str, Any] = {
        "target_version": a11y.DEFAULT_VERSION,  # 網站無障礙規範 version: "115.11" (WCAG 2.2) or "110.07" (WCAG 2.1)
        "target_level": "AA",        # pass when no violation at or below this level
        "browser": True,             # run axe-core in Chromium (false: only the checks without a browser)
        "chromium_path": "",
        "chromedriver_path": "",
        "workers": 0,                # parallel browsers (0: CPU count)
        "page_timeout": 30,          # seconds per page
        "restart_every": 100,        # pages per browser before a restart
        "max_pages": 0,              # 0: every HTML page
        "one_per_template": False,   # sample one page per template group
        "focus_walk": 20,            # focusable elements the keyboard walk visits per page (0: no walk)
        "reflow": True,              # lay each page out at 320 CSS px too (same load): no horizontal scrolling
        "mark_max_age_years": 3,
        "today": "",                 # ISO date for the mark's age (default today)
    }

    fields = (
        SummaryField("target_version", "規範版本", "Guideline version", ""),
        SummaryField("target_level", "目標等級", "Target level", ""),
        SummaryField("pages_tested", "已檢測頁數", "Pages tested", "頁"),
        SummaryField("pages_tested_fresh", "本次以瀏覽器檢測", "Tested in the browser in this run", "頁"),
        SummaryField("pages_reused", "沿用先前檢測結果", "Results reused from an earlier run", "頁"),
        SummaryField("axe_core", "axe-core 版本", "axe-core version", ""),
        SummaryField("seconds", "檢測時間", "Testing time", "秒"),
    )

    def inspection(self, summary: dict[str, Any], findings: list[dict[str, Any]]) -> list[InspectionItem]:
        """Two plan items: testing (the page rules) and the mark on the home page."""
        status = status_of(summary)
        level = summary.get("target_level", "AA")
        guide = a11y.VERSIONS.get(summary.get("target_version", a11y.DEFAULT_VERSION), {}).get("name", "網站無障礙規範")
        errors = sum(1 for f in findings if f["severity"] == "error" and not f["rule"].startswith("mark-"))
        tested = summary.get("pages_tested", 0)
        measured = (f"{errors} 項違規，{tested} 頁已檢測", f"{errors} violations, {tested} pages tested")
        untested = summary.get("pages_not_tested", 0)
        if untested:  # a page the browser could not test never lets the item pass
            zh, en = untested_text(summary.get("not_tested", []), untested)
            measured = (f"{measured[0]}；{zh}", f"{measured[1]}; {en}")
        testing = (Status.NOT_RUN if status == Status.NOT_RUN else Status.FAIL if errors
                   else Status.INCOMPLETE if untested else Status.PASS)
        mark = summary.get("mark", {})
        mark_errors = count_rules(findings, "mark-missing", "mark-level-below-target")
        expired = count_rules(findings, "mark-expired")
        if mark.get("found"):
            scheme = scheme_words(mark)
            shown = (f"{scheme[0]} {mark.get('level', '?')} 等級，"
                     f"通過日期 {mark.get('passed', '未知')}，效期至 {mark.get('expires', '未知')}"
                     + ("（已逾3年效期）" if expired else ""),
                     f"{scheme[1]}, level {mark.get('level', '?')}, passed {mark.get('passed', 'unknown')}, "
                     f"valid until {mark.get('expires', 'unknown')}" + (" (past its 3-year validity)" if expired else ""))
        else:
            shown = ("未找到", "Not found")
        return [
            inspection_item(self, "accessibility", "無障礙檢測", "Accessibility testing",
                 (f"依{guide}無 {level} 等級以下違規", f"No violations at level {level} or below (Website Accessibility Guidelines "
                  f"{summary.get('target_version', a11y.DEFAULT_VERSION)})"),
                 measured, testing, "身心障礙者權益保障法第52條之2", float(errors),
                 urls=[mark.get("href", "")] if mark.get("found") else (),
                 note=listed_in(self, "受測各頁", "Every page tested")),
            inspection_item(self, "accessibility-mark", "無障礙標章", "Accessibility mark",
                 ("首頁標示有效標章", "A valid mark on the home page"), shown,
                 Status.PASS if mark_errors == 0 and mark.get("found") else Status.FAIL,
                 "網站無障礙檢測及認證標章核發辦法", urls=[mark.get("home", ""), mark.get("href", "")]),
        ]

    def validate(self, opts: dict[str, Any]) -> None:
        validate_today(self.name, opts)
        if opts["target_level"] not in LEVELS:
            raise ConfigError(f"checks.accessibility.target_level: {opts['target_level']!r} is not A, AA or AAA")
        if opts["target_version"] not in a11y.VERSIONS:
            raise ConfigError(f"checks.accessibility.target_version: {opts['target_version']!r} is not "
                              + " or ".join(a11y.VERSIONS))

    def run(self, ctx: CheckContext) -> CheckResult:
        # the day the mark's age is judged on, fixed once: the `today` option, else today in the site's zone
        opts = {**ctx.options, "today": today_option(ctx.options, ctx.config.site.timezone).isoformat()}
        rows = {r["url"]: r["body_hash"] for r in ctx.store.pages(ctx.run_id, html_only=True)}
        pages = list(rows)
        version = opts["target_version"]
        findings, anchors = self.page_structure(ctx, pages)
        mark_findings, mark_info = self.mark(ctx, opts)
        findings += mark_findings
        summary: dict[str, Any] = {"target_version": version, "guideline": a11y.VERSIONS[version]["name"],
                                   "wcag": a11y.VERSIONS[version]["wcag"], "target_level": opts["target_level"],
                                   "pages": len(pages), "mark": mark_info}
        tested = pages
        if opts["browser"]:
            paths = find_browser(opts["chromium_path"], opts["chromedriver_path"])
            if paths.missing:
                summary.update(status="not_run", reason=f"{paths.missing} not found; install: {INSTALL_HINT}")
                return CheckResult(findings, summary)
            sample = self.sample(pages, opts)
            started = time.monotonic()
            prints = a11y_reuse.fingerprints(ctx.store, ctx.run_id, {u: rows[u] for u in sample})
            plan = a11y_reuse.plan_tests(ctx.store, ctx.run_id, sample, prints)

            def keep(batch: dict[str, dict[str, Any]]) -> None:  # stored as they come: a killed stage loses little
                now = time.time()
                ctx.store.add_a11y_tests(ctx.run_id, [{"url": u, "fingerprint": prints[u] or "", "result": r,
                                                       "tested_run": ctx.run_id, "tested_at": now}
                                                      for u, r in batch.items()])

            if ctx.fanout is not None and plan.fresh:  # a fleet audit: batches shared with every worker
                tested_now, not_tested, axe_version = a11y_batches.coordinate(self, ctx, plan.fresh, prints, paths,
                                                                             opts)
            else:
                fresh, not_tested, axe_version = self.test_pages(plan.fresh, paths, opts, keep, ctx.progress)
                tested_now = len(fresh)
            stored = ctx.store.a11y_results(ctx.run_id)
            results = {u: stored[u] for u in sample if u in stored and u not in not_tested}
            summary["axe_core"] = axe_version or next((r.get("version", "") for r in results.values()), "")
            summary["seconds"] = round(time.monotonic() - started, 1)
            summary.update(a11y_reuse.evidence(plan, tested_now, ctx.run_id, ctx.config.site.timezone))
            findings += self.axe_findings(results, opts)
            findings += self.own_findings(results, opts)
            findings += self.dialog_findings(results)
            findings = a11y_peer_rules.settle(self, findings)
            findings += self.mark_in_page(results.get(mark_info.get("home", "")), mark_info, opts)
            for url, result in results.items():
                dom = result.get("dom", {})
                anchors[url]["accesskey"] = anchors[url].get("accesskey") or bool(dom.get("accesskeys"))
                anchors[url]["noscript"] = not dom.get("scripts") or bool(dom.get("noscript"))
                anchors[url]["top"] = dom.get("top", "")
                anchors[url]["top_html"] = dom.get("top_html", "")
            for url, reason in not_tested.items():
                findings.append(finding(self, "page-not-tested", url, [url], reason, {"reason": reason}))
            summary.update(self.axe_summary(results, not_tested, opts))
            tested = list(results)
        else:
            summary["browser"] = "off"
        findings += self.template_missing(anchors, tested, pages)
        findings = self.in_version(findings, version, len(tested))
        sort_findings(findings)
        summary["status"] = "fail" if any(f.severity == "error" for f in findings) else "pass"
        if summary.get("pages_not_tested"):  # undecided, unless a violation already fails it
            summary["incomplete"] = untested_text(summary["not_tested"], summary["pages_not_tested"])[1]
            if summary["status"] == "pass":
                summary.update(status="incomplete", reason=summary["incomplete"])
        return CheckResult(findings, summary)

    # -- browser --------------------------------------------------------------------------------
    def sample(self, pages: list[str], opts: dict[str, Any]) -> list[str]:
        """The pages to load in the browser: the first page crawled (the home page), then the rest by URL, so
        every run of the same site tests the same sample."""
        pages = pages[:1] + sorted(pages[1:])
        if opts["one_per_template"]:
            seen: dict[str, str] = {}
            for url in pages:
                seen.setdefault(template_key(url), url)
            pages = list(seen.values())
        return pages[: opts["max_pages"]] if opts["max_pages"] else pages

    def test_pages(self, pages: list[str], paths: Any, opts: dict[str, Any],
                   keep: Callable[[dict[str, dict[str, Any]]], None] | None = None,
                   progress: Callable[[str], None] | None = None
                   ) -> tuple[dict[str, dict[str, Any]], dict[str, str], str]:
        """Audit pages with N browsers in parallel threads; returns results, untested pages and axe's version (as
        the first page tested reports it: none when no page could be tested).
        `keep` receives the results in batches, in this thread, as they arrive; `progress` a line at every tenth
        of the pages, with the time left at the pace so far."""
        work: queue.Queue[str] = queue.Queue()
        for url in pages:
            work.put(url)
        done: queue.Queue[tuple[str, dict[str, Any] | None, str]] = queue.Queue()
        versions: list[str] = []
        workers = opts["workers"] or os.cpu_count() or 1

        stopping = threading.Event()  # set when this thread is interrupted: the workers take no new page
        browsers: list[Browser] = []

        def worker() -> None:
            browser = Browser(paths, opts["page_timeout"], opts["target_version"], opts["focus_walk"], opts["reflow"])
            browsers.append(browser)
            count = 0
            try:
                while not stopping.is_set():
                    try:
                        url = work.get_nowait()
                    except queue.Empty:
                        return
                    try:
                        if browser.driver is None:
                            browser.start()
                        result = browser.audit(url)
                        if not versions and result.get("version"):  # axe's own, as it tested the page
                            versions.append(str(result["version"]))
                        done.put((url, result, ""))
                    except Exception as exc:  # a crash or timeout: note it, restart the browser, go on
                        done.put((url, None, untested_reason(exc)))
                        browser.stop()
                    count += 1
                    if count % opts["restart_every"] == 0:
                        browser.stop()
            finally:
                browser.stop()

        threads = [threading.Thread(target=worker, daemon=True) for _ in range(min(workers, max(1, len(pages))))]
        for t in threads:
            t.start()
        results: dict[str, dict[str, Any]] = {}
        not_tested: dict[str, str] = {}
        batch: dict[str, dict[str, Any]] = {}
        try:
            self.collect(threads, done, results, not_tested, batch, len(pages), keep, progress)
        except BaseException:  # SIGINT/SIGTERM (or a bug): no page is left half-tested, no browser outlives us
            stopping.set()
            for browser in list(browsers):
                browser.kill()
            for t in threads:
                t.join(timeout=10)
            raise
        return results, not_tested, versions[0] if versions else ""

    @staticmethod
    def collect(threads: list[threading.Thread], done: queue.Queue[tuple[str, dict[str, Any] | None, str]],
                results: dict[str, dict[str, Any]], not_tested: dict[str, str], batch: dict[str, dict[str, Any]],
                total: int, keep: Callable[[dict[str, dict[str, Any]]], None] | None,
                progress: Callable[[str], None] | None) -> None:
        """Take the workers' results as they come, handing them to `keep` in batches and saying how far it is."""
        last = started = time.monotonic()
        step = max(1, -(-total // 10))
        while any(t.is_alive() for t in threads) or not done.empty():
            try:
                url, result, error = done.get(timeout=0.2)
                if result is None:
                    not_tested[url] = error
                else:
                    results[url] = batch[url] = result
                count = len(results) + len(not_tested)
                if progress and (count % step == 0 or count == total):
                    progress(stage_progress(count, total, time.monotonic() - started))
            except queue.Empty:
                pass
            if batch and keep and (len(batch) >= 20 or time.monotonic() - last > 2):
                keep(dict(batch))
                batch.clear()
                last = time.monotonic()
        if batch and keep:
            keep(dict(batch))

    def axe_findings(self, results: dict[str, dict[str, Any]], opts: dict[str, Any]) -> list[Finding]:
        """One finding per axe rule and CSS selector, listing every page it was seen on."""
        target = _level_rank(opts["target_level"])
        groups: dict[tuple[str, str, str], list[str]] = defaultdict(list)
        detail: dict[tuple[str, str, str], dict[str, Any]] = {}
        for url, result in results.items():
            accesskeys = set(result.get("dom", {}).get("accesskey_targets", []))
            for outcome in ("violations", "incomplete"):
                for item in result.get(outcome, []):
                    for node in item.get("nodes", []):
                        selector = " ".join(str(t) for t in node.get("target", []))
                        if item["id"] in ACCESSKEY_EXEMPT and selector in accesskeys:
                            continue  # a ::: accesskey anchor: what missing-accesskey asks for
                        key = (outcome, item["id"], selector)
                        groups[key].append(url)
                        detail.setdefault(key, {"impact": item.get("impact"),
                                                "html": a11y_rows.snippet(str(node.get("html", ""))),
                                                "summary": (node.get("failureSummary") or "")[:300]})
        out = []
        for (outcome, axe_id, selector), pages in groups.items():
            info = a11y.AXE_RULES.get(axe_id, {"sc": [], "level": "best-practice", "help": axe_id, "help_url": ""})
            evidence = {"axe_rule": axe_id, "selector": selector, "help_url": info["help_url"],
                        **detail[(outcome, axe_id, selector)]}
            if outcome == "incomplete":
                out.append(finding(self, "axe-needs-review", pages[0], sorted(set(pages)), f"{axe_id} {selector}",
                                   evidence, detail_en=f"{axe_id} {selector}"))
                continue
            rule_id = f"axe-{axe_id}" if axe_id in a11y.AXE_RULES else "axe-needs-review"
            severity = "error" if _level_rank(a11y.level(axe_id)) <= target else "warning"
            out.append(finding(self, rule_id, pages[0], sorted(set(pages)), selector, evidence, severity=severity,
                               detail_en=selector))
        return out

    def own_findings(self, results: dict[str, dict[str, Any]], opts: dict[str, Any]) -> list[Finding]:
        """The probe's own rules: one finding per rule and selector listing its pages, or per page."""
        target = _level_rank(opts["target_level"])
        groups: dict[tuple[str, str], list[str]] = defaultdict(list)
        nodes: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        for url, result in results.items():
            for node in result.get("dom", {}).get("own", []):
                rule = a11y.OWN.get(node.get("rule", ""))
                if rule is None:
                    continue
                key = (rule.id, url if rule.per_page else str(node.get("target", "")))
                groups[key].append(url)
                if len(nodes[key]) < 10:
                    nodes[key].append({"selector": node.get("target", ""),
                                       "html": a11y_rows.snippet(str(node.get("html", ""))),
                                       **{k: node[k] for k in ("detail", "detail_en", "width", "viewport")
                                          if node.get(k)}})
        out = []
        for (rule_id, where), pages in groups.items():
            severity = self.rules[rule_id].severity
            if _level_rank(a11y.level(rule_id)) > target:
                severity = "warning"
            first = nodes[(rule_id, where)][0]
            pages = sorted(set(pages))
            evidence = {"selector": first["selector"], "html": first["html"], "nodes": nodes[(rule_id, where)]}
            detail, detail_en = where, where
            if a11y.OWN[rule_id].per_page:
                count = len(groups[(rule_id, where)])
                if rule_id in a11y_peer_rules.PEER_IDS:  # many elements of a page: how many
                    detail, detail_en = f"{count} 處", f"{count} elements"
                else:
                    detail, detail_en = first.get("detail") or f"{count} 處", first.get("detail_en") or f"{count}"
            out.append(finding(self, rule_id, pages[0], pages, detail, evidence, severity=severity,
                               detail_en=detail_en))
        return out

    def dialog_findings(self, results: dict[str, dict[str, Any]]) -> list[Finding]:
        """js-dialog-on-load: one finding per dialog (kind and text), listing the pages that raised it; the
        browser accepted it as a person clicking OK would, and tested the page."""
        pages: dict[tuple[str, str], list[str]] = defaultdict(list)
        for url, result in results.items():
            for dialog in result.get("dialogs", []):
                pages[(str(dialog.get("type", "")), str(dialog.get("message", "")))].append(url)
        out = []
        for (kind, text), where in pages.items():
            where = sorted(set(where))
            out.append(finding(self, "js-dialog-on-load", where[0], where, f"{kind}()「{text}」",
                               {"dialog": kind, "text": text}))
        return out

    def template_missing(self, anchors: dict[str, dict[str, Any]], tested: list[str],
                         pages: list[str]) -> list[Finding]:
        """missing-accesskey, missing-skip-link, noscript-missing: each one finding, N of M pages. A skip link is
        read from the crawl, so every page is judged; the others need what the browser saw (tested pages)."""
        out = []
        for rule_id, key in (("missing-accesskey", "accesskey"), ("missing-skip-link", "skip"),
                             ("noscript-missing", "noscript")):
            judged = [u for u in (pages if key == "skip" else tested) if key in anchors.get(u, {})]
            lacking = sorted(u for u in judged if not anchors[u][key])
            if not lacking:
                continue
            tops = Counter(anchors[u].get("top") for u in lacking if anchors[u].get("top"))
            element = tops.most_common(1)[0][0] if tops else "body"
            html = next((anchors[u].get("top_html", "") for u in lacking if anchors[u].get("top") == element), "")
            evidence: dict[str, Any] = {"selector": element, "html": html or "<body>"}
            share = f"{len(lacking)}/{len(judged)}"
            if len(lacking) >= TEMPLATE_MIN_PAGES and len(lacking) >= TEMPLATE_SHARE * len(judged):
                evidence["template"] = {"pages": len(lacking), "of": len(judged), "element": element}
                out.append(finding(self, rule_id, lacking[0], lacking, f"{share} 頁（版型 {element}）", evidence,
                                   detail_en=f"{share} pages (template element {element})"))
            else:  # too few pages to call it the template's
                out.append(finding(self, rule_id, lacking[0], lacking, f"{share} 頁（{element}）", evidence,
                                   detail_en=f"{share} page{'s' if len(judged) != 1 else ''} ({element})"))
        return out

    def in_version(self, findings: list[Finding], version: str, tested: int) -> list[Finding]:
        """Keep the findings `version` judges; give each its criterion, level and codes; make rules flagging one
        element one finding and a rule's many elements on the same pages one row; name a rule that fails on the
        same element of most pages as the template's."""
        kept = []
        for f in findings:
            base = f.evidence.get("axe_rule", f.rule) if f.rule.startswith("axe-") else f.rule
            if not a11y.judged(base, version):
                continue
            labels = a11y.evidence(base, version)
            if f.rule.startswith("mark-") and "level" in f.evidence:
                labels.pop("level")  # the mark's claimed level stays
            f.evidence.update(labels)
            kept.append(f)
        kept = a11y_rows.group_per_page(a11y_rows.merge_same_barrier(kept), self.rules)
        for f in kept:
            selector = f.evidence.get("selector")
            if (f.rule.startswith("axe-") and selector and len(f.pages) >= TEMPLATE_MIN_PAGES
                    and len(f.pages) >= TEMPLATE_SHARE * tested):
                f.evidence["template"] = {"pages": len(f.pages), "of": tested, "element": selector}
                f.message += f"（{len(f.pages)}/{tested} 頁共用的版型元素 {selector}）"
                if f.message_en:
                    f.message_en += f" (template element shared by {len(f.pages)}/{tested} pages: {selector})"
            ev = f.evidence
            heading = "" if f.rule.startswith("mark-") else a11y.heading_of(
                ev.get("wcag", []), str(ev.get("level", "")), ev.get("codes", {}).get(version, []), version)
            f.message = f"{heading}：{f.message}" if heading else f.message
        return kept

    def axe_summary(self, results: dict[str, dict[str, Any]], not_tested: dict[str, str],
                    opts: dict[str, Any]) -> dict[str, Any]:
        by_level: Counter[str] = Counter()
        by_rule: Counter[str] = Counter()
        for result in results.values():
            levels = set()
            for item in result.get("violations", []):
                level = a11y.level(item["id"]) or "best-practice"
                levels.add(level)
                by_rule[item["id"]] += 1
            for level in levels:
                by_level[level] += 1
        return {"pages_tested": len(results), "pages_not_tested": len(not_tested),
                "not_tested": [{"url": u, "reason": r} for u, r in sorted(not_tested.items())[:MAX_UNTESTED_LISTED]],
                "pages_with_violations_by_level": dict(sorted(by_level.items())),
                "violations_by_rule": dict(by_rule.most_common())}

    # -- without the browser ----------------------------------------------------------------------
    def page_structure(self, ctx: CheckContext, pages: list[str]
                       ) -> tuple[list[Finding], dict[str, dict[str, Any]]]:
        """New windows and file links as findings; per page, whether it has accesskey anchors and a skip link
        (judged later, with what the browser adds): from the links the crawl recorded."""
        per_page: dict[str, dict[str, Any]] = {u: {"accesskey": False, "skip": False} for u in pages}
        new_window: dict[tuple[str, str, str], list[str]] = defaultdict(list)
        unlabelled: dict[tuple[str, str, str], list[str]] = defaultdict(list)
        links: dict[tuple[str, str, str], tuple[str, str, str, str]] = {}
        columns = ("element", "raw", "text", "target", "title", "scope", "url")
        for element, raw, text, target, title, scope, url, page in ctx.store.link_tuples(ctx.run_id, columns):
            if element != "a" or page not in per_page:
                continue
            text = text or ""
            if ACCESSKEY_TEXT.match(text) or ((raw or "").startswith("#") and ACCESSKEY_TITLE.search(title or "")):
                per_page[page]["accesskey"] = True
            if (raw or "").startswith("#") and SKIP_TEXT.search(text):
                per_page[page]["skip"] = True
            key = (url or raw or "", raw or "", (target or "").lower())
            links.setdefault(key, (raw or "", text, target or "", title or ""))
            if (target or "").lower() == "_blank" and not NEW_WINDOW.search(f"{text} {title or ''}"):
                new_window[key].append(page)
            is_document = scope == "document" or (scope == "external" and extension(url or "") in DOCUMENT_EXTENSIONS)
            if is_document and not (FILE_TYPE_WORDS.search(text) or FILE_SIZE.search(text)
                                    or FILE_TYPE_WORDS.search(title or "")):
                unlabelled[key].append(page)
        out = []
        for rule_id, found in (("new-window-unwarned", new_window), ("file-link-unlabelled", unlabelled)):
            for key, refs in found.items():  # the page is the evidence; the link's target is a particular
                selector, html = a11y_rows.link_snippet(*links[key])
                pages = sorted(set(refs))
                out.append(finding(self, rule_id, pages[0], pages, key[0], {"href": key[0], "selector": selector,
                                                                           "html": html}))
        return out, per_page

    # -- the mark -------------------------------------------------------------------------------
    def mark_in_page(self, result: dict[str, Any] | None, mark_info: dict[str, Any],
                     opts: dict[str, Any]) -> list[Finding]:
        """What only the rendered home page tells: the mark's size and a pass date shown beside it."""
        if not result or not mark_info.get("href"):
            return []
        marks = result.get("dom", {}).get("marks", [])
        if not marks:
            return []
        mark = marks[0]
        out: list[Finding] = []
        size = (mark.get("shown_width"), mark.get("shown_height"))
        where = {"selector": mark_info.get("selector", ""), "html": mark_info.get("html", "")}
        if mark.get("broken"):  # what is shown is its alt text: no size of the mark
            mark_info["broken"] = True
            out.append(finding(self, "mark-broken", mark["href"], [mark_info["home"]], mark.get("src", ""),
                               {"src": mark.get("src", ""), **where}))
        else:
            mark_info["size"] = f"{size[0]}x{size[1]}"
        if not mark.get("broken") and size != (88, 31):
            out.append(finding(self, "mark-size", mark["href"], [mark_info["home"]], f"{size[0]}×{size[1]}",
                               {"width": size[0], "height": size[1], **where}))
        shown = shown_pass_date(mark.get("context") or "")
        if shown and "passed" not in mark_info:
            mark_info["passed_text"] = shown[1]
            out += self.mark_age(shown[0], "page text", mark["href"], mark_info["home"], mark_info, opts)
        return out

    def mark_age(self, passed: date, source: str, url: str, home: str, evidence: dict[str, Any],
                 opts: dict[str, Any]) -> list[Finding]:
        """Record the pass date; a finding when it is older than the mark's validity."""
        evidence.update(passed=passed.isoformat(), passed_from=source,
                        **mark_version(passed, opts["mark_max_age_years"], str(evidence.get("level", ""))))
        age = (date.fromisoformat(opts["today"]) - passed).days / 365.25
        if age > opts["mark_max_age_years"]:
            return [finding(self, "mark-expired", url, [home], f"{passed.isoformat()}，已 {age:.1f} 年", dict(evidence))]
        return []

    def mark(self, ctx: CheckContext, opts: dict[str, Any]) -> tuple[list[Finding], dict[str, Any]]:
        """The mark on the home page: its link host, claimed level and (from a 14-digit id) pass date."""
        home = home_page(ctx)
        if home is None:
            return [], {}
        marks = []
        for element, _raw, text, url, page in ctx.store.link_tuples(ctx.run_id, ("element", "raw", "text", "url")):
            if page != home or element != "a" or not url:
                continue
            host = (urlsplit(url).hostname or "").lower()
            if host == MARK_HOST or host in LEGACY_MARK_HOSTS:
                marks.append((url, text or ""))
        meta_row = ctx.store.fetched_page(ctx.run_id, home)
        meta = json.loads(meta_row["meta"] or "{}") if meta_row else {}
        claim = " ".join(meta.get("accessible_website", []))
        out: list[Finding] = []
        if not marks:
            return [finding(self, "mark-missing", home, [home], "", {"meta_accessible_website": claim})], \
                {"home": home, "found": False}
        url, text = marks[0]
        selector, html = a11y_rows.link_snippet(url, text)
        evidence: dict[str, Any] = {"href": url, "alt": text, "meta_accessible_website": claim, "selector": selector,
                                    "html": html}
        if (urlsplit(url).hostname or "").lower() in LEGACY_MARK_HOSTS:
            out.append(finding(self, "mark-outdated-link", url, [home], urlsplit(url).hostname or "", evidence))
        level = MARK_LEVEL.search(text) or MARK_LEVEL.search(claim)
        if level:
            claimed = level.group(1)
            evidence["level"] = claimed + level.group(2)
            if level.group(2):  # A+/AA+/AAA+: the 1.0 era's levels, whatever the date says
                evidence["mark_scheme"] = a11y.MARK_SCHEMES[0]["id"]
            if _level_rank(claimed) < _level_rank(opts["target_level"]):
                out.append(finding(self, "mark-level-below-target", url, [home],
                                   f"標章 {claimed}{level.group(2)}，目標 {opts['target_level']}", evidence))
        stamp = re.search(r"category=(\d{14})", url)
        if stamp:
            try:
                passed = datetime.strptime(stamp.group(1), "%Y%m%d%H%M%S").date()
            except ValueError:
                passed = None
            if passed:
                out += self.mark_age(passed, "mark link id", url, home, evidence, opts)
        return out, {"home": home, "found": True, **evidence}


CHECK = AccessibilityCheck()
