"""Site-search forms: which ones may be tried, and asking them a query, over HTTP or in headless Chromium.

Only a search is ever submitted: a GET form with a query field, or a POST form to the site's own host whose only
fields are one query field plus hidden or select fields. Any other form (a mailbox with a textarea, a login, a
form with several text fields) is listed as not tried, with the reason. A search that only works with
JavaScript (a script-built URL, a submit handler, an input in no form) is typed into and submitted in Chromium.
Every query counts against one budget (`search.max_queries`), spaced as the crawl spaces its requests. The
essentials check judges what comes back (docs/checks/essentials.md).
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit, urlunsplit

import requests
from bs4 import BeautifulSoup

from siteaudit.checks.browser import Browser, PageTimeout
from siteaudit.core.browser import INSTALL_HINT, BrowserPaths, DevToolsTimeout, find_browser
from siteaudit.core.net import fetch_bytes
from siteaudit.core.pacing import Pacer
from siteaudit.core.warc import RENDERED_URN, Resource

SEARCH_PARAM_NAMES = ("q", "query", "keyword", "keywords", "kw", "search", "s", "text", "key")
# A query field, widget or GET form names itself so (查詢 alone is not enough: a bill or case lookup says it).
SEARCH_WORDS = ("搜尋", "檢索", "關鍵字", "search", "keyword")
# A POST form is a search only when it says so (role=search, or these words in its action, names, labels or text):
# a one-field contact form whose field happens to be named q is not one.
POST_SEARCH_WORDS = ("搜尋", "檢索", "關鍵字", "search")
QUERY_TYPES = ("text", "search")
BUTTON_TYPES = ("submit", "image", "button", "reset")
SUBMIT_TYPES = ("submit", "image")
NEVER_SENT = ("textarea", "password", "file")    # data entry: a form holding one is never submitted, GET or POST
NO_RESULT_HELP = re.compile(r"查無|沒有找到|找不到|無相關|無符合|0\s*筆|建議|搜尋說明|No results|nothing found|Try", re.I)
SETTLE_SECONDS = 1.5   # after a click, how long a page has to start navigating before its own DOM is read


@dataclass
class SearchForm:
    """A search the check may try: a form (GET or POST), or a query field in no form that script drives."""

    page: str                      # the page it is on (home page or site map)
    method: str                    # get | post | script
    action: str                    # where a plain submission goes ("" for a script widget)
    field: str                     # the query field's name ("" when it has none)
    fixed: dict[str, str]          # hidden and select fields sent with the query
    locator: dict[str, Any]        # id, name, index among the page's <input>s: how the browser finds the field
    gaps: list[tuple[str, str]] = field(default_factory=list)  # (zh, en): why a plain submission may not search

    def key(self) -> tuple[str, ...]:
        if self.method == "script":
            return self.method, self.locator.get("id") or self.locator.get("name") or str(self.locator["index"])
        return self.method, self.action, self.field

    def describe(self) -> dict[str, Any]:
        return {"page": self.page, "method": self.method, "action": self.action, "field": self.field}


@dataclass
class SkippedForm:
    """A form on the home page or site map that is never submitted, and why."""

    page: str
    method: str
    action: str
    reason: str
    reason_en: str
    searchlike: bool = False   # it has a query field and no data-entry field: perhaps a search, left untried

    def describe(self) -> dict[str, Any]:
        return {"page": self.page, "method": self.method, "action": self.action, "reason": self.reason,
                "reason_en": self.reason_en, "searchlike": self.searchlike}


@dataclass
class Answer:
    """What one query brought back: HTTP status (None: no usable answer, `body` says why), body, result URL."""

    status: int | None
    body: str
    url: str
    before: str = ""   # in the browser: the page's DOM as it was just before the query was submitted


def _type(el: Any) -> str:
    return (el.get("type") or "text").strip().lower() if el.name == "input" else el.name


def _names_search(el: Any) -> bool:
    words = " ".join(str(el.get(a) or "") for a in ("name", "id", "placeholder", "title", "aria-label", "class"))
    return any(w in words.lower() for w in SEARCH_WORDS) or (el.get("name") or "").lower() in SEARCH_PARAM_NAMES


def page_text(html: str) -> str:
    return " ".join(BeautifulSoup(html, "lxml").get_text(" ").split())


def real_result(page: str, page_html: str, url: str, body: str, query: str) -> bool:
    """Did the search answer? Its URL (without the query) is another than the form's page, or results markup came
    back: text the page did not have, with the query in it or a no-results message."""
    if urlsplit(url)._replace(query="", fragment="").geturl() != urlsplit(page)._replace(query="", fragment="").geturl():
        return True
    before, after = page_text(page_html), page_text(body)
    return after != before and (after.count(query) > before.count(query)
                                or bool(NO_RESULT_HELP.search(after) and not NO_RESULT_HELP.search(before)))


def form_gaps(form: Any, query: Any) -> list[tuple[str, str]]:
    """What keeps a form from searching on its own: an empty action, no submit control (only script buttons), a
    submit handler, a query field without a name."""
    gaps = []
    if not (form.get("action") or "").strip():
        gaps.append(("表單 action 為空（送回同一頁）", "the form's action is empty (it submits to its own page)"))
    submits = [b for b in form.find_all("button") if (b.get("type") or "submit").lower() == "submit"]
    submits += [i for i in form.find_all("input") if (i.get("type") or "").lower() in SUBMIT_TYPES]
    if not submits:
        gaps.append(("表單只有 script 驅動的按鈕，沒有送出按鈕", "the form has only script-driven buttons, no submit button"))
    if form.get("onsubmit"):
        gaps.append(("表單送出時由 script 處理（onsubmit）", "a script handles the form's submission (onsubmit)"))
    if not query.get("name"):
        gaps.append(("查詢欄位沒有 name，一般送出不會帶查詢詞", "the query field has no name: a plain submission sends no query"))
    return gaps


def discover(html: str, page: str) -> tuple[list[SearchForm], list[SkippedForm]]:
    """The searches on one page that may be tried, and its other forms with the reason each is never submitted."""
    soup = BeautifulSoup(html, "lxml")
    inputs = soup.find_all("input")
    host = urlsplit(page).netloc
    found: list[SearchForm] = []
    skipped: list[SkippedForm] = []
    for form in soup.find_all("form"):
        method = (form.get("method") or "get").strip().lower()
        action = urljoin(page, (form.get("action") or "").strip() or page)
        fields = [f for f in form.find_all(["input", "textarea", "select"]) if _type(f) not in BUTTON_TYPES]
        texts = [f for f in fields if _type(f) in QUERY_TYPES]
        preferred = [f for f in texts if _type(f) == "search" or (f.get("name") or "").lower() in SEARCH_PARAM_NAMES]
        looks = form.get("role") == "search" or _names_search(form) or any(
            w in f"{form.get('action') or ''} {form.get_text(' ')}".lower() for w in SEARCH_WORDS)
        query = (preferred or (texts if looks else []) or [None])[0]

        def skip(zh: str, en: str, method: str = method, action: str = action, searchlike: bool = True) -> None:
            skipped.append(SkippedForm(page, method, action, f"{zh}，不送出", f"{en}: never submitted", searchlike))

        kinds = sorted({_type(f) for f in fields if f is not query and _type(f) not in ("hidden", "select")})
        if set(kinds) & set(NEVER_SENT):
            shown = ", ".join(k for k in kinds if k in NEVER_SENT)
            skip(f"表單含 {shown} 欄位，不是站內搜尋", f"the form has a {shown} field: not a site search", searchlike=False)
        elif query is None:
            skip("不是站內搜尋（沒有查詢欄位）", "not a site search (no query field)", searchlike=False)
        elif method not in ("get", "post"):
            skip(f"表單方法 {method} 不是 GET 或 POST", f"form method {method} is neither GET nor POST")
        elif method == "post" and not says_search(form, query):
            skip("POST 表單沒有標明是搜尋（role=search 或「搜尋」字樣）",
                 "a POST form that does not say it is a search (role=search or the word search)")
        elif method == "post" and urlsplit(action).netloc != host:
            skip("POST 表單送往其他主機", "a POST form to another host")
        elif method == "post" and kinds:
            shown = ", ".join(kinds)
            skip(f"POST 表單除一個查詢欄位外還有 {shown} 欄位", f"a POST form with {shown} fields besides one query field")
        else:
            fixed = {f["name"]: f.get("value", "") for f in fields if f.get("name") and _type(f) == "hidden"}
            for select in (f for f in fields if f.get("name") and f.name == "select"):
                option = select.find("option", selected=True) or select.find("option")
                fixed[select["name"]] = (option.get("value", option.get_text(strip=True)) if option else "")
            found.append(SearchForm(page, method, action, query.get("name") or "", fixed, _locator(query, inputs),
                                    form_gaps(form, query)))
    for el in inputs:
        if el.find_parent("form") is None and _type(el) in QUERY_TYPES and (_type(el) == "search" or _names_search(el)):
            found.append(SearchForm(page, "script", "", el.get("name") or "", {}, _locator(el, inputs),
                                    [("查詢欄位不在表單中，由 script 組成查詢", "the query field is in no form: a script builds the search")]))
    return found, skipped


def says_search(form: Any, query: Any) -> bool:
    """role=search, a search field, or a search word in the form's action, names, text or the field's labels."""
    if form.get("role") == "search" or _type(query) == "search":
        return True
    words = " ".join([str(form.get(a) or "") for a in ("action", "id", "name", "class", "aria-label", "title")]
                     + [str(query.get(a) or "") for a in ("id", "placeholder", "title", "aria-label")]
                     + [form.get_text(" "), " ".join(str(b.get("value") or "") for b in form.find_all("input"))])
    return any(w in words.lower() for w in POST_SEARCH_WORDS)


def _locator(el: Any, inputs: list[Any]) -> dict[str, Any]:
    index = next(i for i, other in enumerate(inputs) if other is el)  # Tag == compares markup, not identity
    return {"id": el.get("id") or "", "name": el.get("name") or "", "index": index}


class Searcher:
    """Asks searches queries within one budget: `max_queries` requests in all, each waiting for the pacer."""

    def __init__(self, session: requests.Session, max_bytes: int, timeout: float, max_queries: int, pacer: Pacer,
                 browser_paths: tuple[str, str]) -> None:
        self.session = session
        self.max_bytes, self.timeout = max_bytes, timeout
        self.left = max_queries
        self.used = 0
        self.pacer = pacer
        self.browser_paths = browser_paths
        self.browser: SearchBrowser | None = None
        self.browser_missing: tuple[str, str] | None = None   # (zh, en) why Chromium cannot be used

    def take(self) -> bool:
        """One query from the budget, after the pause the crawl's pace asks for; False when none is left."""
        if self.left <= 0:
            return False
        self.pacer.wait()
        self.left -= 1
        self.used += 1
        return True

    def plain(self, form: SearchForm, query: str) -> Answer:
        """The form submitted as a browser without script would: GET with the query string, or POST its fields."""
        data = {**form.fixed, form.field: query}
        if form.method == "get":
            parts = urlsplit(form.action)
            url = urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(data), ""))
            got = fetch_bytes(self.session, url, self.max_bytes, self.timeout)
        else:
            url = form.action
            got = fetch_bytes(self.session, url, self.max_bytes, self.timeout, form=data)
            url = got.url or url
        self.pacer.answered(got.status)
        if got.error:
            return Answer(None, got.error, url)
        if got.truncated:
            return Answer(None, f"answer larger than {self.max_bytes} bytes: not read further", url)
        return Answer(got.status, got.text(), url)

    def scripted(self, form: SearchForm, query: str) -> Answer | None:
        """The query typed into the field in headless Chromium and submitted as a person would (the form's or the
        widget's button, else Enter); None when Chromium cannot be used (`browser_missing` says why)."""
        if self.browser_missing:
            return None
        if self.browser is None:
            paths = find_browser(*self.browser_paths)
            if paths.missing:
                self.browser_missing = (f"找不到 {paths.missing}，無法以瀏覽器試查",
                                        f"{paths.missing} not found ({INSTALL_HINT}): not tried in a browser")
                return None
            self.browser = SearchBrowser(paths, max(self.timeout, 10))
        try:
            answer = self.browser.search(form.page, form.locator, query)
        except (PageTimeout, DevToolsTimeout, RuntimeError, ConnectionError, OSError) as exc:
            self.browser.stop()
            answer = Answer(None, f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:200],
                            form.page)
        except Exception as exc:  # Chromium or chromedriver would not start: as if it were not installed
            self.browser.stop()
            self.browser_missing = (f"瀏覽器無法啟動：{type(exc).__name__}", f"the browser did not start: {exc}"[:200])
            return None
        self.pacer.answered(answer.status)
        self.archive_rendered(answer, query)
        return answer

    def archive_rendered(self, answer: Answer, query: str) -> None:
        """The results page as Chromium left it (what the check read) into the run's evidence, as a resource
        record: the browser's own requests are not archived, so this is the evidence of a script-only search."""
        recorder = getattr(self.session, "recorder", None)
        if recorder is None or answer.status is None or not answer.url.startswith(("http://", "https://")):
            return
        body = answer.body.encode("utf-8")
        recorder.put(Resource(RENDERED_URN + answer.url, time.time(), body[:self.max_bytes], "text/html; charset=utf-8",
                              kind="check", about={"page": answer.url, "query": query},
                              truncated=len(body) > self.max_bytes))

    def close(self) -> None:
        if self.browser is not None:
            self.browser.stop()


FOCUS = """(function (loc) {
  var inputs = document.querySelectorAll('input');
  var el = (loc.id && document.getElementById(loc.id)) || (loc.name && document.getElementsByName(loc.name)[0])
           || inputs[loc.index];
  if (!el) return false;
  el.scrollIntoView(); el.focus(); el.value = '';
  return document.activeElement === el;
})(%s)"""
# The control a person would press: the form's submit button, else its other buttons; for a field in no form, the
# nearest button after it around it (else the nearest before it).
PRESS = """(function () {
  var el = document.activeElement, form = el && el.form, trigger = null;
  var buttons = 'button, input[type=submit], input[type=image], input[type=button], [onclick], a[role=button]';
  if (form) trigger = form.querySelector('button:not([type]), button[type=submit], input[type=submit], '
                                          + 'input[type=image]') || form.querySelector(buttons);
  for (var p = el && el.parentElement, i = 0; !form && p && i < 4 && !trigger; p = p.parentElement, i++) {
    var near = Array.prototype.filter.call(p.querySelectorAll(buttons), function (b) { return b !== el; });
    trigger = near.filter(function (b) {
      return el.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING; })[0] || near[near.length - 1] || null;
  }
  if (!trigger) return false;
  trigger.click();
  return true;
})()"""
READ = "[location.href, document.documentElement.outerHTML]"


class SearchBrowser(Browser):
    """Chromium that types a query into a page's search field and reads the results page's DOM."""

    with_axe = False

    def __init__(self, paths: BrowserPaths, timeout: float) -> None:
        super().__init__(paths, timeout)
        self.started_loading = False
        self.document_status: int | None = None

    def open_tab(self, deadline: float) -> None:
        super().open_tab(deadline)
        assert self.devtools is not None
        self.devtools.on("Page.frameStartedLoading", self._loading)
        self.devtools.on("Network.responseReceived", self._response)

    def _loading(self, params: dict[str, Any]) -> None:
        if params.get("frameId") == self.main_frame:
            self.started_loading = True

    def _response(self, params: dict[str, Any]) -> None:
        if params.get("type") == "Document" and params.get("frameId") == self.main_frame:
            self.document_status = int(params.get("response", {}).get("status") or 0) or None

    def search(self, page: str, locator: dict[str, Any], query: str) -> Answer:
        """Load `page`, type `query` into the field `locator` names, submit, and read where the browser ended up."""
        if self.driver is None:
            self.start()
        deadline = time.monotonic() + self.timeout
        if self.devtools is None:
            self.open_tab(deadline)
        self.navigate(page, deadline)
        status = self.document_status
        context = self.world(deadline)
        if not self.evaluate(FOCUS % json.dumps(locator), context, deadline):
            return Answer(None, "the query field was not found in the browser", page)
        self.cdp("Input.insertText", {"text": query}, deadline)
        before = self.evaluate(READ, context, deadline)[1]
        self.started_loading = False
        if not (self.evaluate(PRESS, context, deadline) and self.settle(before, deadline)):
            self.started_loading = False
            for kind in ("keyDown", "keyUp"):
                self.cdp("Input.dispatchKeyEvent", {"type": kind, "key": "Enter", "code": "Enter",
                                                    "windowsVirtualKeyCode": 13, **({"text": "\r"} if kind == "keyDown"
                                                                                    else {})}, deadline)
            self.settle(before, deadline)
        url, html = self.evaluate(READ, self.world(deadline), deadline)
        return Answer(self.document_status or status, str(html), str(url), str(before))

    def settle(self, before: str, deadline: float) -> bool:
        """Wait for what pressing did: a new document loaded (True), or the page's own DOM changed within
        SETTLE_SECONDS (True), or nothing (False)."""
        assert self.devtools is not None
        loader = self.main_loader
        try:
            self.devtools.wait_for(lambda: self.started_loading or self.main_loader != loader,
                                   min(deadline, time.monotonic() + SETTLE_SECONDS), "navigation")
        except DevToolsTimeout:
            return self.evaluate(READ, self.world(deadline), deadline)[1] != before
        self.devtools.wait_for(lambda: self.main_loader != loader and "load" in self.loads.get(self.main_loader, set()),
                               deadline, "results page load")
        return True
