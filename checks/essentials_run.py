"""The essentials check's run: the site's elements found in the crawl, its search and HTTPS tried with a few requests
of the check's own. Imported only when the check runs (essentials.RUNNER): requests and BeautifulSoup with it."""


import re
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import requests
from bs4 import BeautifulSoup

from siteaudit.checks.base import (
    CheckContext,
    CheckResult,
    Finding,
    finding,
    home_page,
    sort_findings,
)
from siteaudit.checks.essentials import (
    CONTACT_PATTERNS,
    ELEMENTS,
    EXAMPLE_WORDS,
    HELP_PAGE_READS,
    HELP_PAGE_WORDS,
    KNOWN_ITEM_LENGTH,
    MODES,
    PAGING_TEXT,
    PER_PAGE,
    RESULT_COUNT,
    SEARCH_HELP_TEXTS,
    SORT_WORDS,
    EssentialsCheck,
)
from siteaudit.checks.links import is_mixed_content
from siteaudit.checks.sitesearch import (
    NO_RESULT_HELP,
    Answer,
    Searcher,
    SearchForm,
    SkippedForm,
    discover,
    page_text,
    real_result,
)
from siteaudit.core.net import Download, fetch_bytes, measure_connection, session_for
from siteaudit.core.pacing import Pacer
from siteaudit.core.store import unresolved, usable


class EssentialsRunner(EssentialsCheck):
    """The check with its run: same name, rules and options."""

    def run(self, ctx: CheckContext) -> CheckResult:
        opts = ctx.options
        home = home_page(ctx)
        findings: list[Finding] = []
        summary: dict[str, Any] = {}
        if home is None:
            return CheckResult([], {"status": "not_run", "reason": "the home page was not crawled"})
        by_page: dict[str, list[tuple[str, str, str]]] = {}
        for t, u, r, ti, element, page in ctx.store.link_tuples(ctx.run_id, ("text", "url", "raw", "title", "element")):
            if element in ("a", "area"):  # the link, not an image inside it (an accessibility mark's <img>)
                by_page.setdefault(page, []).append((t or "", u or r or "", ti or ""))
        targets = ctx.store.targets(ctx.run_id)
        crawled = {u for u, t in targets.items() if t.is_html}
        found: dict[str, str] = {}
        found_on: dict[str, str] = {}
        unchecked: list[str] = []  # elements linked only to hosts an audit machine without DNS could not resolve
        reach = [home]
        for key, spec in ELEMENTS.items():
            level = opts["elements"].get(key, spec["level"])
            if level == "off":
                continue
            texts = spec.get("texts", []) + opts["matchers"].get(key, [])
            urls = spec.get("urls", [])
            page, matches = home, []
            for page in reach_pages(home, found.get("sitemap"), by_page, crawled) if key != "sitemap" else reach:
                matches = [u for t, u, ti in by_page.get(page, [])
                           if any(x.lower() in f"{t} {ti}".lower() for x in texts) or any(x in u for x in urls)]
                if matches:
                    break
            if not matches:
                rule = "element-missing" if level == "required" else "element-recommended"
                findings.append(finding(self, rule, "", [home], spec["name"], {"element": key, "looked_for": texts},
                                        detail_en=spec.get("name_en", spec["name"])))
                continue
            ok = [u for u in matches if usable(targets.get(u), targets) is not False]
            if ok and all(unresolved(targets.get(u), targets) for u in ok):  # found, but nobody could check it
                findings.append(finding(self, "element-unresolved", ok[0], [page], spec["name"],
                                        {"element": key, "found_on": page}, detail_en=spec.get("name_en", spec["name"])))
                unchecked.append(key)
                continue
            if not ok:
                findings.append(finding(self, "element-broken", matches[0], [page], spec["name"],
                                        {"element": key, "found_on": page}, detail_en=spec.get("name_en", spec["name"])))
                continue
            found[key], found_on[key] = ok[0], page
        summary["elements_found"] = found
        summary["elements_found_on"] = found_on
        summary["elements_required"] = sum(1 for k, s in ELEMENTS.items()
                                           if opts["elements"].get(k, s["level"]) == "required")
        help_page = next((page for page in reach_pages(home, found.get("sitemap"), by_page, crawled)
                          if any(any(h.lower() in t.lower() for h in SEARCH_HELP_TEXTS) for t, _, _ in by_page.get(page, []))),
                         None)
        if help_page is None:
            help_page = self.search_help_heading(ctx, reach_pages(home, found.get("sitemap"), by_page, crawled), by_page,
                                                 targets)
        summary["search_help_on"] = help_page
        # the help page itself: the link's target on that page, else the page with the help heading
        summary["search_help_url"] = next((u for t, u, ti in by_page.get(help_page or "", [])
                                           if any(h.lower() in f"{t} {ti}".lower() for h in SEARCH_HELP_TEXTS)),
                                          help_page)
        if help_page is None:
            findings.append(finding(self, "search-help-missing", "", [home], "", {}))
        mixed = {}
        for element, url, page in ctx.store.link_tuples(ctx.run_id, ("element", "url")):
            if url and is_mixed_content(page, url, element):
                mixed.setdefault(url, []).append(page)
        if mixed:
            findings.append(finding(self, "mixed-content", "", sorted({p for v in mixed.values() for p in v}),
                                    f"{len(mixed)} 個資源", {"resources": sorted(mixed)[:50]},
                                    detail_en=f"{len(mixed)} resource{'s' if len(mixed) != 1 else ''}"))
        summary["mixed_content_resources"] = len(mixed)
        if opts["network"]:
            session = session_for(ctx.config)
            if opts["ca_file"]:
                session.verify = opts["ca_file"]
            summary["contact"] = self.contact(ctx, session, found.get("contact"), findings)
            known = known_item(home, by_page, targets)
            pages = [home] + ([found["sitemap"]] if found.get("sitemap") and found["sitemap"] != home else [])
            summary["search"] = self.search(ctx, session, pages, opts, findings, known)
            if summary["search"].get("complete"):
                self.search_help_examples(ctx, session, summary["search_help_url"], summary["search"], findings)
                summary["search"]["judged"] = True
            summary["https"] = self.https(ctx, session, opts, findings)
        sort_findings(findings)
        summary["status"] = "fail" if any(f.severity == "error" for f in findings) else "pass"
        search = summary.get("search", {})
        undecided = []
        if search.get("form") and not search.get("complete"):
            undecided.append(f"site search could not be tried in full: {search.get('reason', '')}")
        elif not opts["network"]:
            undecided.append("site search not tried: network = false")
        summary["elements_unchecked"] = unchecked
        if unchecked:
            undecided.append(f"links to {', '.join(unchecked)} not checked: the audit machine could not resolve host "
                             "names (DNS)")
        if undecided:   # kept when errors are waived: a waiver accepts a finding, it tries no search
            summary["incomplete"] = "; ".join(undecided)
            if summary["status"] == "pass":
                summary.update(status="incomplete", reason=summary["incomplete"])
        return CheckResult(findings, summary)

    def search_help_heading(self, ctx: CheckContext, pages: list[str], by_page: dict[str, list[tuple[str, str, str]]],
                            targets: dict[str, Any]) -> str | None:
        """The first page the home page or the site map reaches with a search-help heading (檢索說明, 搜尋說明,
        查詢說明): its title or h1 from the crawl, else a section heading of a help page (網站使用說明…), read
        with at most HELP_PAGE_READS requests of the check's own."""
        for page in pages:
            target = targets.get(page)
            if target is not None and any(h.lower() in f"{target.title or ''} {target.h1 or ''}".lower()
                                          for h in SEARCH_HELP_TEXTS):
                return page
        if not ctx.options["network"]:
            return None
        texts = {u: f"{t} {ti}" for page in pages[:2] for t, u, ti in by_page.get(page, [])}
        helps = [p for p in pages if any(w in texts.get(p, "") for w in HELP_PAGE_WORDS)][:HELP_PAGE_READS]
        session = session_for(ctx.config)
        for page in helps:
            got = self.fetch(ctx, session, page)
            if got.error:
                continue
            soup = BeautifulSoup(got.text(), "lxml")
            headings = [h.get_text(" ", strip=True) for h in soup.find_all(["h1", "h2", "h3", "h4", "h5", "h6", "dt",
                                                                            "summary", "caption"])]
            if any(h.lower() in heading.lower() for heading in headings for h in SEARCH_HELP_TEXTS):
                return page
        return None

    def contact(self, ctx: CheckContext, session: requests.Session, url: str | None,
                findings: list[Finding]) -> dict[str, Any]:
        if not url:
            return {"checked": False}
        got = self.fetch(ctx, session, url)
        if got.error:
            return {"checked": False, "error": got.error}
        text = BeautifulSoup(got.text(), "lxml").get_text(" ")
        present = {k: bool(p.search(text)) for k, p in CONTACT_PATTERNS.items()}
        missing = [k for k, v in present.items() if not v]
        if missing:
            words = {"address": "地址", "phone": "電話", "fax": "傳真", "email": "電子郵件"}
            findings.append(finding(self, "contact-details-missing", url, [url], "、".join(words.get(m, m) for m in missing),
                                    {"missing": missing}, detail_en=", ".join(missing)))
        return {"checked": True, "url": url, **present, **({"truncated": True} if got.truncated else {})}

    @staticmethod
    def fetch(ctx: CheckContext, session: requests.Session, url: str, head_only: bool = False,
              allow_redirects: bool = True) -> Download:
        """One bounded GET: crawl.max_page_bytes of body, crawl.download_timeout seconds in all."""
        crawl = ctx.config.crawl
        return fetch_bytes(session, url, 0 if head_only else crawl.max_page_bytes, crawl.download_timeout,
                           allow_redirects=allow_redirects)

    def search(self, ctx: CheckContext, session: requests.Session, pages: list[str], opts: dict[str, Any],
               findings: list[Finding], known: tuple[str, str] | None = None) -> dict[str, Any]:
        """Every search on the home page and the site map tried, within `max_queries` requests in all, spaced as
        the crawl spaces its own: the common query (results, paging, count, sorting), a query that cannot match
        (advice), and the exact title of a page the crawl found (that page must be listed). Forms that are not
        searches are never submitted; they are listed with the reason."""
        forms: list[SearchForm] = []
        skipped: list[SkippedForm] = []
        html_of: dict[str, str] = {}
        for page in pages:
            got = self.fetch(ctx, session, page)
            if got.error:
                if page == pages[0]:
                    return {"form": False, "error": got.error}
                continue
            html_of[page] = got.text()
            found, passed = discover(html_of[page], page)
            keys = {f.key() for f in forms}
            forms += [f for f in found if f.key() not in keys]
            skipped += [s for s in passed if (s.method, s.action) not in {(k.method, k.action) for k in skipped}]
        summary: dict[str, Any] = {"form": bool(forms), "max_queries": opts["max_queries"],
                                   "skipped": [s.describe() for s in skipped]}
        for form in (s for s in skipped if s.searchlike):   # the inspector may want to try these by hand
            findings.append(finding(self, "search-form-skipped", form.action, [form.page], form.reason,
                                    form.describe(), detail_en=form.reason_en))
        if not forms:
            findings.append(finding(self, "search-missing", pages[0], pages, "", {"skipped": summary["skipped"]}))
            return summary
        crawl = ctx.config.crawl
        browser = ctx.config.checks.get("accessibility") or {}
        searcher = Searcher(session, crawl.max_page_bytes, crawl.download_timeout, opts["max_queries"], Pacer(crawl),
                            (str(browser.get("chromium_path", "")), str(browser.get("chromedriver_path", ""))))
        tried: list[dict[str, Any]] = []
        try:
            for form in forms:
                tried.append(self.try_form(form, html_of[form.page], searcher, opts, findings, known))
        finally:
            searcher.close()
        first = next((t for t in tried if t.get("complete")), None) or next((t for t in tried if t.get("tried")),
                                                                              tried[0])
        summary.update({k: v for k, v in first.items() if k not in summary})
        summary.update(forms=tried, queries=searcher.used, waited_seconds=round(searcher.pacer.waited, 2),
                       tried=any(t.get("tried") for t in tried), complete=any(t.get("complete") for t in tried))
        return summary

    def try_form(self, form: SearchForm, page_html: str, searcher: Searcher, opts: dict[str, Any],
                 findings: list[Finding], known: tuple[str, str] | None) -> dict[str, Any]:
        """One search asked its queries, over HTTP or, when only script makes it search, in Chromium; `complete`
        when every query ran, `tried` when it answered at all."""
        result: dict[str, Any] = {**form.describe(), "via": "browser" if form.method == "script" else "http",
                                  "tried": False, "complete": False}
        page = form.page

        def not_tried(zh: str, en: str) -> dict[str, Any]:
            zh = "；".join([g[0] for g in form.gaps] + [zh])
            en = "; ".join([g[1] for g in form.gaps] + [en])
            findings.append(finding(self, "search-untried", page, [page], zh, {
                "reason": zh, "reason_en": en, "form": form.describe(),
                **({"query_url": result["plain_url"]} if result.get("plain_url") else {})}, detail_en=en))
            result["reason"], result["reason_zh"] = en, zh
            return result

        def ask(query: str) -> Answer | None:
            """An answer, or None when the budget is spent (or Chromium is missing)."""
            if not searcher.take():
                return None
            return searcher.scripted(form, query) if result["via"] == "browser" else searcher.plain(form, query)

        query = opts["search_query"]
        if result["via"] == "http":
            answer = ask(query)
            if answer is None:
                return not_tried("已達 search.max_queries 上限", "search.max_queries reached")
            result["plain_url"] = answer.url
            if answer.status is not None and answer.status < 400 and not real_result(
                    page, page_html, answer.url, answer.body, query):
                result["via"] = "browser"   # the same page came back: only script makes this form search
        if result["via"] == "browser":
            answer = ask(query)
            if answer is None:
                if searcher.browser_missing:
                    return not_tried(*searcher.browser_missing)
                return not_tried("已達 search.max_queries 上限", "search.max_queries reached")
            if answer.status is not None and answer.status < 400 and not real_result(
                    page, answer.before or page_html, answer.url, answer.body, query):
                return not_tried("在瀏覽器中輸入並送出後也回到同一頁，不是搜尋結果",
                                 "typed and submitted in Chromium too, the same page came back: no search result")
        status, body, url = answer.status, answer.body, answer.url
        result.update(tried=True, action=form.action, query_url=url, query_status=status)
        if status is None or status >= 400:
            findings.append(finding(self, "search-broken", url, [page], f"HTTP {status}" if status else body[:100],
                                    {"status": status, "form": form.describe(),
                                     **({} if status else {"reason": body[:200]})}))
            result["complete"] = True
            return result
        if opts["search_query"] not in page_text(body) or re.search(r"查無|沒有找到|找不到", body):
            findings.append(finding(self, "search-no-results", url, [page], opts["search_query"],
                                    {"links": len(BeautifulSoup(body, "lxml").find_all("a")), "form": form.describe()}))
        else:
            result.update(self.results_page(url, body, page, findings))
        result["modes"] = [m for m, (_, _, pattern) in MODES.items() if pattern.search(page_html) or pattern.search(body)]
        cut = []
        absurd = ask(opts["absurd_query"])
        if absurd is None:
            cut.append("absurd")
        else:
            result.update(absurd_status=absurd.status, absurd_url=absurd.url)
            if absurd.status is None or absurd.status >= 400:
                findings.append(finding(self, "search-broken", absurd.url, [page],
                                        f"查無資料時 HTTP {absurd.status}" if absurd.status
                                        else f"查無資料時 {absurd.body[:100]}",
                                        {"status": absurd.status, **({} if absurd.status else {"reason": absurd.body[:200]})},
                                        detail_en=f"with no results, HTTP {absurd.status}" if absurd.status
                                        else f"with no results: {absurd.body[:100]}"))
            elif not NO_RESULT_HELP.search(page_text(absurd.body)):
                findings.append(finding(self, "search-no-help", absurd.url, [page], "", {"form": form.describe()}))
        if known is not None:
            title, target = known
            answer = ask(title)
            if answer is None:
                cut.append("known-item")
            else:
                listed = answer.status is not None and answer.status < 400 and target in {
                    urljoin(answer.url, a.get("href", "")).split("#", 1)[0]
                    for a in BeautifulSoup(answer.body, "lxml").find_all("a")}
                result.update(known_item=title, known_item_page=target, known_item_url=answer.url,
                              known_item_found=listed)
                if not listed:
                    findings.append(finding(self, "search-known-item-missed", answer.url, [target], f"「{title}」",
                                            {"query": title, "page": target, "status": answer.status,
                                             "form": form.describe()}, detail_en=f"query {title!r}, page {target}"))
        result["complete"] = not cut
        if cut:
            result["not_asked"] = cut
            result["reason"] = f"search.max_queries reached before the {' and '.join(cut)} quer{'ies' if len(cut) > 1 else 'y'}"
        return result

    def results_page(self, url: str, body: str, home: str, findings: list[Finding]) -> dict[str, Any]:
        """What a results page with many results offers: paging (links to other pages of the same search, or a
        「共N筆…每頁N筆」 line), a result count, sort controls."""
        soup = BeautifulSoup(body, "lxml")
        text = page_text(body)
        path = urlsplit(url).path
        paging = any(PAGING_TEXT.match(a.get_text(" ", strip=True)) and urlsplit(urljoin(url, a["href"])).path == path
                     and urljoin(url, a["href"]) != url for a in soup.find_all("a", href=True))
        per_page = bool(PER_PAGE.search(text))
        counted = bool(RESULT_COUNT.search(text))
        controls = " ".join([text] + [o.get_text(" ", strip=True) for o in soup.find_all("option")]
                            + [str(i.get("name", "")) for i in soup.find_all(["select", "input"])])
        sort = [w for w in SORT_WORDS if w.lower() in controls.lower()]
        if not (paging or per_page):
            findings.append(finding(self, "search-no-paging", url, [home], "", {}))
        if not counted:
            findings.append(finding(self, "search-no-count", url, [home], "", {}))
        if not sort:
            findings.append(finding(self, "search-no-sort", url, [home], "", {"looked_for": list(SORT_WORDS)}))
        return {"paging": paging or per_page, "result_count": counted, "sort": sort}

    def search_help_examples(self, ctx: CheckContext, session: requests.Session, help_page: str | None,
                             search: dict[str, Any], findings: list[Finding]) -> None:
        """Usage examples (範例, 例如…) on the search-help page, read with one request of the check's own."""
        if not help_page:
            return
        got = self.fetch(ctx, session, help_page)
        if got.error:
            search["help_examples"] = None
            return
        search["help_examples"] = bool(EXAMPLE_WORDS.search(page_text(got.text())))
        if not search["help_examples"]:
            findings.append(finding(self, "search-no-examples", help_page, [help_page], "", {}))

    def https(self, ctx: CheckContext, session: requests.Session, opts: dict[str, Any],
              findings: list[Finding]) -> dict[str, Any]:
        start = urlsplit(ctx.config.site.start_urls[0])
        https_url = opts["https_url"] or urlunsplit(("https", start.netloc, start.path or "/", "", ""))
        http_url = opts["http_url"] or urlunsplit(("http", start.netloc, start.path or "/", "", ""))
        timeout = ctx.config.crawl.download_timeout
        state: dict[str, Any] = {"https_url": https_url}
        r = self.fetch(ctx, session, http_url, head_only=True, allow_redirects=False)
        if r.error:
            state["http_error"] = r.error
        else:
            location = r.headers.get("location", "")
            redirected = r.status in (301, 302, 303, 307, 308) and urljoin(http_url, location).startswith("https://")
            state["http_redirects_to_https"] = redirected
            if not redirected:
                findings.append(finding(self, "http-not-redirected", http_url, [], f"HTTP {r.status}",
                                        {"status": r.status, "location": location}))
        try:
            conn = measure_connection(https_url, timeout, opts["ca_file"])
        except OSError as exc:
            findings.append(finding(self, "https-missing", https_url, [], str(exc)[:200], {}))
            state["https"] = False
            return state
        state.update(https=True, cert_days_left=conn.get("cert_days_left"), cert_expires=conn.get("cert_expires"))
        if conn.get("tls_error"):
            findings.append(finding(self, "certificate-invalid", https_url, [], conn["tls_error"], conn))
        elif conn.get("cert_days_left") is not None and conn["cert_days_left"] < opts["cert_warn_days"]:
            findings.append(finding(self, "certificate-expiring", https_url, [], f"{conn['cert_days_left']} 天",
                                    conn, detail_en=f"{conn['cert_days_left']} days"))
        r = self.fetch(ctx, session, https_url, head_only=True)
        if r.error:
            state["https_get_error"] = r.error
        else:
            hsts = r.headers.get("strict-transport-security")
            state["hsts"] = hsts
            if not hsts:
                findings.append(finding(self, "hsts-missing", https_url, [], "", {}))
        return state

def known_item(home: str, by_page: dict[str, list[tuple[str, str, str]]], targets: dict[str, Any]
               ) -> tuple[str, str] | None:
    """A page the search must find: of the pages the home page links, the one with the longest <h1> that is
    specific (4 to 30 characters, no other page has it), with that heading as the query."""
    headings: dict[str, int] = {}
    for target in targets.values():
        if target.is_html and target.h1:
            headings[target.h1.strip()] = headings.get(target.h1.strip(), 0) + 1
    low, high = KNOWN_ITEM_LENGTH
    linked = list(dict.fromkeys(u for _, u, _ in by_page.get(home, [])))
    for url in sorted(linked, key=lambda u: -len((getattr(targets.get(u), "h1", None) or "").strip())):
        target = targets.get(url)
        if target is None or not target.is_html or url == home or target.status != 200 or not target.h1:
            continue
        title = target.h1.strip()
        if low <= len(title) <= high and headings[title] == 1 and SEARCH_HELP_TEXTS[0] not in title:
            return title, target.final_url or url
    return None


def reach_pages(home: str, sitemap: str | None, by_page: dict[str, list[tuple[str, str, str]]],
                crawled: set[str]) -> list[str]:
    """Where a visitor finds an element: the home page, the site map (網站導覽), then every crawled page one
    link away from either, in link order."""
    first = [home] + ([sitemap] if sitemap and sitemap != home else [])
    out = list(first)
    for page in first:
        for _, url, _ in by_page.get(page, []):
            if url in crawled and url not in out:
                out.append(url)
    return out
