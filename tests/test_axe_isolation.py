"""A page cannot forge what the accessibility check reads: axe-core and the DOM probe run in an isolated world
(the page's DOM, not its JavaScript globals), so a page that hooks axe, prototypes or JSON gets the same
findings as the honest page. Real headless Chromium on 127.0.0.1."""

from __future__ import annotations

from typing import Any

import pytest

from siteaudit.checks.browser import Browser
from siteaudit.core.browser import find_browser

# Eleven violations (rule × element) and a mark shown at the wrong size beside an old pass date.
PAGE = """<!DOCTYPE html><html><head><title>頁面</title>{script}</head><body>
<main><h1>頁面</h1>
<img src="/pic.png" width="10" height="10"><img src="/pic.png" width="12" height="12">
<p style="color:#ccc;background:#fff">淺灰色的字</p><p style="color:#ddd;background:#fff">更淺的字</p>
<form action="/s"><input type="text" name="q"><input type="text" name="r"><button>送出</button></form>
<p><a href="/a.html"></a> <a href="/b.html"></a></p>
<p id="x">一</p><p id="x">二</p><p id="y">三</p><p id="y">四</p>
<footer><p><a href="https://accessibility.moda.gov.tw/Applications/Detail"><img src="/pic.png" width="100"
height="40" alt="通過AA無障礙網頁檢測"></a> 本網站於108年3月1日通過無障礙AA檢測</p></footer>
</main></body></html>"""
FAKE = """var fake = {version: '4.10.2', run: function () {
  return Promise.resolve({violations: [], incomplete: [], passes: [], testEngine: {version: '4.10.2'}});
}};"""
HOSTILE = {
    # a fake axe whose run() finds nothing
    "fake-axe": FAKE + "window.axe = fake;",
    # window.axe pinned to the fake: assigning the real axe afterwards does nothing
    "axe-accessor": FAKE + "Object.defineProperty(window, 'axe', {set: function () {}, get: function () {"
                           "return fake; }});",
    # the real axe.run, with its result emptied
    "wrapped-run": """var real = window.axe && window.axe.run;
if (real) { window.axe.run = function () {
  return real.apply(window.axe, arguments).then(function (r) { r.violations = []; r.incomplete = []; return r; });
}; }""",
    # prototypes and JSON that axe, the probe or a driver's serialisation use
    "array-filter": "Array.prototype.filter = function () { return []; };",
    "array-map": "Array.prototype.map = function () { return []; };",
    "json-stringify": "JSON.stringify = function () { return '{\"violations\":[],\"incomplete\":[]}'; };",
    "promise-then": """var then = Promise.prototype.then;
Promise.prototype.then = function (ok, err) {
  return then.call(this, function (v) {
    if (v && v.violations) { v.violations = []; v.incomplete = []; }
    return ok ? ok(v) : v;
  }, err);
};""",
    # DOM getters the probe reads: no script elements, a mark of the right size, no pass date beside it
    "dom-getters": """var qsa = Document.prototype.querySelectorAll;
Document.prototype.querySelectorAll = function (s) {
  return s === 'script' ? qsa.call(this, 'no-such-element') : qsa.call(this, s);
};
Object.defineProperty(HTMLImageElement.prototype, 'width', {get: function () { return 88; }});
Object.defineProperty(HTMLImageElement.prototype, 'height', {get: function () { return 31; }});
Object.defineProperty(HTMLElement.prototype, 'innerText', {get: function () { return ''; }});""",
    # what the own rules, the keyboard walk and the reflow probe read: styles, labels, boxes, hit tests
    "probe-getters": """window.getComputedStyle = function () { return {visibility: 'hidden', position: 'fixed'}; };
Object.defineProperty(HTMLInputElement.prototype, 'labels', {get: function () { return [document.body]; }});
Element.prototype.getClientRects = function () { return []; };
Document.prototype.elementFromPoint = function () { return null; };
Object.defineProperty(Element.prototype, 'scrollWidth', {get: function () { return 0; }});""",
}
HONEST = "/* nothing */"
# Each hook both before axe-core would be injected (the page's first script) and after the page has loaded.
SCRIPT = "<script>{0}</script>"
LATE = "<script>window.addEventListener('load', function () {{ {0} }});</script>"


def _violations(result: dict[str, Any]) -> set[tuple[str, str]]:
    return {(item["id"], " ".join(map(str, node["target"])))
            for item in result["violations"] for node in item["nodes"]}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    from siteaudit.demo.server import SiteServer
    from siteaudit.demo.site import PNG_1PX

    root = tmp_path_factory.mktemp("forged")
    (root / "pic.png").write_bytes(PNG_1PX)
    (root / "honest.html").write_text(PAGE.format(script=SCRIPT.format(HONEST)), encoding="utf-8")
    for name, hook in HOSTILE.items():
        (root / f"{name}.html").write_text(PAGE.format(script=SCRIPT.format(hook)), encoding="utf-8")
        (root / f"{name}-late.html").write_text(PAGE.format(script=LATE.format(hook)), encoding="utf-8")
    server = SiteServer(root)
    server.start()
    browser = Browser(find_browser(), timeout=30, version="110.07")  # 110.07 keeps the 4.1.1 duplicate-id rules
    try:
        yield server.base, browser
    finally:
        browser.stop()
        server.stop()


@pytest.fixture(scope="module")
def honest(site):
    base, browser = site
    return browser.audit(f"{base}/honest.html")


def test_the_honest_page_has_eleven_violations_and_a_misshapen_mark(honest):
    assert len(_violations(honest)) == 11, sorted(_violations(honest))
    assert {i for i, _ in _violations(honest)} == {"image-alt", "color-contrast", "label", "link-name",
                                                    "duplicate-id", "html-has-lang"}
    dom = honest["dom"]
    assert dom["scripts"] == 1 and dom["noscript"] == 0
    assert (dom["marks"][0]["shown_width"], dom["marks"][0]["shown_height"]) == (100, 40)
    assert "108年3月1日通過" in dom["marks"][0]["context"]
    assert {n["rule"] for n in dom["own"]} == {"label-missing"}


@pytest.mark.parametrize("when", ["first", "late"])
@pytest.mark.parametrize("hook", sorted(HOSTILE))
def test_a_page_that_hooks_axe_prototypes_or_json_gets_the_honest_findings(site, honest, hook, when):
    base, browser = site
    result = browser.audit(f"{base}/{hook}{'-late' if when == 'late' else ''}.html")
    assert _violations(result) == _violations(honest)
    assert {i["id"] for i in result["incomplete"]} == {i["id"] for i in honest["incomplete"]}
    assert result["dom"] == honest["dom"]


def test_an_axe_run_longer_than_the_page_timeout_is_a_timeout_and_the_browser_goes_on(site, honest):
    base, browser = site
    browser.timeout = 0.01  # loading the page and running axe need longer than 10 ms on any page
    try:
        with pytest.raises(TimeoutError, match=r"^timeout after 0\.01 s$"):
            browser.audit(f"{base}/honest.html")
    finally:
        browser.timeout = 30
    assert _violations(browser.audit(f"{base}/honest.html")) == _violations(honest)
