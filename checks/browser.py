"""axe-core in headless Chromium, through Selenium and axe-selenium-python.

A fresh profile directory per browser; the browser is restarted after a crash, a page past its time budget, or
every `restart_every` pages.
The launcher (paths, flags, stopping) is `siteaudit.core.browser`.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from siteaudit.checks import a11y_peer_rules as peer
from siteaudit.checks import a11y_rules as a11y
from siteaudit.core.browser import (
    BrowserPaths,
    DevTools,
    DevToolsTimeout,
    chromedriver_service,
    chromium_options,
    kill_tree,
    process_tree,
    stop_all,
)

# Starting a browser and sending it axe-core: not part of any page's budget, but bounded too.
START_SECONDS = 60.0
# A page's dialogs kept as evidence (a page may raise them in a loop until its budget runs out).
MAX_DIALOGS = 10
DIALOG_TEXT = 300
# 1.4.10 Reflow: the content width a page must fit without scrolling sideways (CSS px).
REFLOW_WIDTH = 320


def axe_options(version: str) -> dict[str, Any]:
    """axe's run options for a 網站無障礙規範 version: the 4.1.1 Parsing rules (shipped disabled by axe 4.10) on
    only under 110.07 (WCAG 2.1), WCAG 2.2-only rules (target-size) off there."""
    rules = {**a11y.axe_rule_switches(version), "duplicate-id-aria": {"enabled": True}}
    return {"resultTypes": ["violations", "incomplete"], "rules": rules}


# axe-core and the DOM probe run in an isolated world of their own: the page's DOM, but not its JavaScript
# globals, prototypes or JSON, so a page cannot hook window.axe, Array.prototype or a DOM getter to hide its
# violations (docs/security.md). The world is created with each document, by name, and found again by name.
WORLD = "siteaudit-axe"
# Only what the check reads comes back through chromedriver: axe's full result is several hundred KB.
# Evaluated in the isolated world, one call per page: the GET of the page's source for the markup rule sent first
# (`pageSource`, answered while axe works), axe-core, then the DOM probe (DOM_PROBE), then the probe of
# checks/a11y_peer_rules.py (`peerProbe`, defined before it). Resolves with {inject: true} when the document has no
# axe yet, with {timeout: true} when the whole of it has not finished in the page timeout (chromedriver does not
# time out a CDP command).
AXE_RUN = """
(function (options, timeoutMs, words, walkLimit) {
  if (typeof axe !== 'object') return {inject: true};
  function slim(items) {
    return items.map(function (i) {
      return {id: i.id, impact: i.impact, nodes: i.nodes.map(function (n) {
        return {target: n.target, html: (n.html || '').slice(0, 200),
                failureSummary: (n.failureSummary || '').slice(0, 300)};
      })};
    });
  }
  var timer, late = new Promise(function (ok) { timer = setTimeout(ok, timeoutMs, {timeout: true}); });
  var pending = pageSource();
  var run = axe.run(document, options).then(function (r) {
    var out = {violations: slim(r.violations), incomplete: slim(r.incomplete), version: r.testEngine.version,
               dom: probe(words, walkLimit, r.violations)};
    return peerProbe(pending).then(function (found) { out.peer = found; return out; });
  }, function (e) { if (pending) pending.stop.abort(); return {error: String(e)}; });
  return Promise.race([run, late]).then(function (r) {
    clearTimeout(timer);
    if (r.timeout && pending) pending.stop.abort();  // the source's read ends with the page's budget
    return r;
  });
})(%s, %d, %s, %d)
"""
DOM_PROBE = r"""
function probe(words, walkLimit, violations) {
  function unique(sel) { try { return document.querySelectorAll(sel).length === 1; } catch (e) { return false; } }
  function path(el) {
    var parts = [];
    while (el && el.nodeType === 1 && el !== document.documentElement) {
      if (el.id && unique('#' + CSS.escape(el.id))) { parts.unshift('#' + CSS.escape(el.id)); break; }
      var tag = el.localName, parent = el.parentElement;
      if (parent) {
        var same = Array.prototype.filter.call(parent.children, function (c) { return c.localName === el.localName; });
        if (same.length > 1) tag += ':nth-of-type(' + (same.indexOf(el) + 1) + ')';
      }
      parts.unshift(tag);
      el = parent;
    }
    return parts.join(' > ');
  }
  // The selector axe gave an element it flagged, so a rule of ours flagging the same element names it alike
  // (one element, one row); and which of those elements are accesskey anchors (not flagged for their size).
  var axeSelector = new Map(), accesskeyTargets = [];
  var keyText = new RegExp(words.accesskey_text), keyTitle = new RegExp(words.accesskey_title, 'i');
  function accesskeyAnchor(el) {
    if (el.localName !== 'a') return false;
    var href = el.getAttribute('href') || '';
    return el.hasAttribute('accesskey') || keyText.test(el.textContent || '')
      || (href.charAt(0) === '#' && keyTitle.test(el.getAttribute('title') || ''));
  }
  (violations || []).forEach(function (item) {
    item.nodes.forEach(function (n) {
      if (n.target.length !== 1 || typeof n.target[0] !== 'string') return;
      var el = null;
      try { el = document.querySelector(n.target[0]); } catch (e) { return; }
      if (!el) return;
      if (!axeSelector.has(el)) axeSelector.set(el, n.target[0]);
      if (accesskeyAnchor(el) && accesskeyTargets.indexOf(n.target[0]) < 0) accesskeyTargets.push(n.target[0]);
    });
  });
  var own = [];
  function add(rule, el, detail) {
    own.push({rule: rule, target: axeSelector.get(el) || path(el), html: (el.outerHTML || '').slice(0, 200),
              detail: detail || ''});
  }
  function startTag(el) { var h = el.outerHTML || ''; return h.slice(0, Math.min(200, h.indexOf('>') + 1 || 200)); }
  function shown(el) { return el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden'; }
  function text(el) { return (el.textContent || '').replace(/\s+/g, ' ').trim(); }
  function attr(el, name) { return (el.getAttribute(name) || '').trim(); }
  var each = function (sel, fn) { Array.prototype.forEach.call(document.querySelectorAll(sel), fn); };

  each('input, select, textarea', function (el) {
    var type = (el.getAttribute('type') || '').toLowerCase();
    if (['hidden', 'submit', 'button', 'reset', 'image'].indexOf(type) >= 0 || !shown(el)) return;
    var labelled = Array.prototype.some.call(el.labels || [], function (l) { return text(l) !== ''; });
    if (!labelled && !attr(el, 'title')) add('label-missing', el);
  });
  var groups = {};
  each('input[type=radio][name], input[type=checkbox][name]', function (el) {
    var key = (el.form ? path(el.form) : '') + '|' + el.type + '|' + el.name;
    (groups[key] = groups[key] || []).push(el);
  });
  Object.keys(groups).forEach(function (key) {
    var group = groups[key];
    if (group.length > 1 && !group[0].closest('fieldset')) add('fieldset-missing', group[0], group[0].name);
  });
  each('fieldset', function (fs) {
    var legend = fs.querySelector(':scope > legend');
    if (!legend || text(legend) === '') add('legend-empty', fs);
  });
  var vague = words.vague_links.map(function (w) { return w.toLowerCase(); });
  each('a[href]', function (a) {
    var said = text(a).toLowerCase().replace(/[\s.…>»＞。]+$/, '');
    if (said && vague.indexOf(said) >= 0 && !attr(a, 'title') && !attr(a, 'aria-label')
        && !attr(a, 'aria-labelledby')) add('vague-link-text', a, text(a));
    if (a.getAttribute('href').trim() === '#' && attr(a, 'role') !== 'button' && !accesskeyAnchor(a)) add('href-hash', a);
  });
  each('meta[http-equiv]', function (m) {
    if (m.httpEquiv.toLowerCase() !== 'refresh') return;
    if (parseFloat((m.content || '').split(/[;,]/)[0]) > 0) add('meta-refresh-delay', m, m.content);
  });
  each(words.deprecated.join(','), function (el) { add('deprecated-element', el, el.localName); });
  each('table', function (t) {
    var role = attr(t, 'role').toLowerCase();
    if (role === 'presentation' || role === 'none' || t.querySelector('table')) return;
    if (t.querySelector('th, [role=columnheader], [role=rowheader]') || t.rows.length < 2) return;
    if (Array.prototype.some.call(t.rows, function (r) { return r.cells.length >= 2; })) add('table-no-headers', t);
  });
  var fileName = new RegExp('^[^\\s/\\\\]+\\.(' + words.image_ext.join('|') + ')$', 'i');
  each('img', function (img) {
    var alt = img.getAttribute('alt');
    if (alt === null) return;
    if (fileName.test(alt.trim())) add('alt-is-filename', img, alt);
    if (alt.trim() === '' && attr(img, 'title')) add('empty-alt-with-title', img);
  });
  walk(walkLimit);

  function look(el) {
    var st = getComputedStyle(el);
    return [st.outlineStyle, st.outlineWidth, st.outlineColor, st.boxShadow, st.borderColor, st.borderWidth,
            st.backgroundColor, st.color, st.textDecorationLine].join('|');
  }
  function coveredByFixed(el) {
    var r = el.getBoundingClientRect(), seen = 0;
    var points = [[0.5, 0.5], [0.1, 0.1], [0.9, 0.1], [0.1, 0.9], [0.9, 0.9]];
    for (var i = 0; i < points.length; i++) {
      var x = r.left + r.width * points[i][0], y = r.top + r.height * points[i][1];
      if (x < 0 || y < 0 || x >= innerWidth || y >= innerHeight) continue;
      seen++;
      var top = document.elementFromPoint(x, y);
      if (!top || top === el || el.contains(top) || top.contains(el)) return false;
      var fixed = false;
      for (var n = top; n && n.nodeType === 1; n = n.parentElement) {
        var pos = getComputedStyle(n).position;
        if (pos === 'fixed' || pos === 'sticky') { fixed = true; break; }
      }
      if (!fixed) return false;
    }
    return seen > 0;
  }
  function walk(limit) {
    if (!limit) return;
    var focusable = 'a[href], button, input:not([type=hidden]), select, textarea, [tabindex]:not([tabindex="-1"])';
    var stops = [], all = document.querySelectorAll(focusable);
    for (var i = 0; i < all.length && stops.length < limit; i++) {  // no style read past the last stop
      if (!all[i].disabled && shown(all[i])) stops.push(all[i]);
    }
    stops.forEach(function (el) {
      var before = look(el);
      el.focus();
      if (document.activeElement !== el) return;
      if (look(el) === before) add('focus-not-visible', el);
      else if (coveredByFixed(el)) add('focus-obscured', el);
      el.blur();
    });
  }
  var first = Array.prototype.find.call(document.body ? document.body.children : [], function (el) {
    return ['script', 'style', 'noscript', 'link'].indexOf(el.localName) < 0;
  });
  return {
  scripts: document.querySelectorAll('script').length,
  noscript: document.querySelectorAll('noscript').length,
  accesskeys: document.querySelectorAll('a[accesskey]').length,
  top: first ? path(first) : 'body',
  top_html: startTag(first || document.body || document.documentElement),
  accesskey_targets: accesskeyTargets,
  own: own.slice(0, 500),
  marks: Array.from(document.querySelectorAll('a img')).filter(function (img) {
    var href = img.closest('a').href || '';
    return /accessibility\.(moda|ncc)\.gov\.tw|handicap-free\.nat\.gov\.tw/.test(href);
  }).map(function (img) {
    var link = img.closest('a'), around = link.parentElement || link;
    return {href: link.href, alt: img.alt, width: img.naturalWidth, height: img.naturalHeight,
            shown_width: img.width, shown_height: img.height, src: img.currentSrc || img.src,
            broken: img.complete && img.naturalWidth === 0,
            context: ((around.innerText || '') + ' ' + (link.title || '')).slice(0, 400)};
  })
  };
}
"""



# The width the document's content takes at 320 CSS px, and its start tag. Then the page, now measured, is taken
# out of the layout: the desktop width restored next lays out an empty document, not the whole page again.
REFLOW_MEASURE = """(function () {
  var d = document.documentElement, h = d.outerHTML || '';
  var wide = [d.scrollWidth, d.clientWidth, h.slice(0, Math.min(200, h.indexOf('>') + 1 || 200))];
  d.style.setProperty('display', 'none', 'important');
  return wide;
})()"""


class PageTimeout(TimeoutError):
    """A page past its time budget: "timeout after N s"."""


class TabStuck(RuntimeError):
    """The tab holds a dialog of the page it is leaving that DevTools can no longer answer (raised as the next
    page loads): that load never ends, and closing the tab would crash the browser, so the browser is
    restarted and the page loaded again."""


class Browser:
    """One Chromium driven by chromedriver, auditing pages with axe-core.

    chromedriver starts and stops the browser; the pages are tested one after another in a tab of our own, driven
    over DevTools connections of our own (`DevTools`): every step of a page waits at most until the page's deadline, and JavaScript dialogs
    are accepted the moment they open, even while axe runs. A dialog the last page raises as the next one loads
    is not the next page's: if it holds the tab, the browser is restarted and the page loaded again.
    """

    with_axe = True   # axe-core put into every new document (a browser that only drives forms does without)

    def __init__(self, paths: BrowserPaths, timeout: float, version: str = a11y.DEFAULT_VERSION,
                 focus_walk: int = 20, reflow: bool = True) -> None:
        self.paths = paths
        self.timeout = timeout  # a page's whole budget: its tab, load, axe, the probe and the reflow layout
        self.version = version
        self.focus_walk = focus_walk
        self.reflow = reflow
        self.driver: Any = None
        self.browser: DevTools | None = None   # the browser's own target: opens and closes tabs
        self.devtools: DevTools | None = None  # the tab of the page being tested
        self.tab = ""
        self.profile: str | None = None
        self._axe_source: str | None = None
        self._page_parts: tuple[str, str, str] | None = None
        self.dialogs: list[dict[str, str]] = []
        self.dialog_count = 0
        self.loads: dict[str, set[str]] = {}   # loaderId -> lifecycle events seen in the main frame
        self.main_frame = ""
        self.main_loader = ""                  # the main frame's latest document
        self.dialog_open = False
        self.stuck = False                     # a dialog is open that DevTools refused to answer

    def start(self) -> None:
        from selenium import webdriver

        self.profile = tempfile.mkdtemp(prefix="siteaudit-chromium-")
        self.driver = webdriver.Chrome(service=chromedriver_service(self.paths, self.profile),
                                       options=chromium_options(self.paths))
        self.browser = DevTools.for_browser(self.driver.capabilities["goog:chromeOptions"]["debuggerAddress"],
                                            time.monotonic() + START_SECONDS)

    def open_tab(self, deadline: float) -> None:
        """The tab the pages are tested in, set up before it loads anything."""
        assert self.browser is not None
        self.tab = self.browser.call("Target.createTarget", {"url": "about:blank"}, deadline)["targetId"]
        self.devtools = DevTools.for_page(self.browser.address, self.tab, deadline)
        self.devtools.on("Page.javascriptDialogOpening", self._dialog)
        self.devtools.on("Page.javascriptDialogClosed", self._dialog_closed)
        self.devtools.on("Page.lifecycleEvent", self._lifecycle)
        self.stuck = self.dialog_open = False
        steps: list[tuple[str, dict[str, Any]]] = [
            ("Page.enable", {}), ("Page.setLifecycleEventsEnabled", {"enabled": True}),
            ("Network.enable", {"maxTotalBufferSize": 0, "maxResourceBufferSize": 0}),
            # No cache, so never If-None-Match or If-Modified-Since: a server answering 304
            # would otherwise leave axe an empty document to test.
            ("Network.setCacheDisabled", {"cacheDisabled": True})]
        if self.with_axe:  # axe-core is evaluated in the isolated world WORLD of every new document.
            steps.append(("Page.addScriptToEvaluateOnNewDocument", {"source": self.axe_source(), "worldName": WORLD}))
        for method, params in steps:
            self.devtools.call(method, params, deadline)
        # The main frame keeps its id for the tab's life (its documents change): read once, not per page.
        self.main_frame = self.devtools.call("Page.getFrameTree", {}, deadline)["frameTree"]["frame"]["id"]

    def disconnect(self) -> None:
        """Close our DevTools connections (the tab goes with the browser: closing a tab that holds a dialog
        can crash it)."""
        for connection in (self.devtools, self.browser):
            if connection is not None:
                connection.close()
        self.devtools = self.browser = None
        self.tab = ""

    def stop(self) -> None:
        self.disconnect()
        if self.driver is not None:
            service = getattr(self.driver, "service", None)
            processes = process_tree(service.process.pid) if service and service.process else []
            try:
                self.driver.quit()
            except Exception:  # a crashed browser cannot be quit cleanly; its profile is removed below
                pass
            self.driver = None
            stop_all(processes, timeout=5.0)  # a browser still exiting would write into its profile again
        if self.profile:
            shutil.rmtree(self.profile, ignore_errors=True)
            self.profile = None

    def kill(self) -> None:
        """Kill chromedriver and every browser process at once (a page that hangs its renderer cannot be asked
        to quit), reap chromedriver, remove the profile; the next page starts a new browser."""
        service = getattr(self.driver, "service", None)
        process = service.process if service else None
        self.disconnect()
        if process is not None:
            kill_tree(process.pid)
            try:
                process.wait(timeout=5)
            except Exception:
                pass
        self.stop()

    def axe_source(self) -> str:
        if self._axe_source is None:
            from axe_selenium_python import Axe

            # axe-core with its zh_TW locale, so help texts and failure summaries are Chinese.
            self._axe_source = (Path(Axe(None).script_url).read_text(encoding="utf-8")
                                + f"\n;axe.configure({{locale: {json.dumps(a11y.AXE_ZH, ensure_ascii=False)}}});")
        return self._axe_source

    def cdp(self, method: str, params: dict[str, Any], deadline: float) -> dict[str, Any]:
        assert self.devtools is not None
        return self.devtools.call(method, params, deadline)

    def _dialog(self, params: dict[str, Any]) -> None:
        """Accept a JavaScript dialog as a person would click OK (confirm: true; prompt: its default text). One
        raised by the page under test (its document has committed) is noted: it is a finding."""
        assert self.devtools is not None
        self.dialog_open = True
        self.devtools.send("Page.handleJavaScriptDialog",
                           {"accept": True, "promptText": str(params.get("defaultPrompt") or "")}, self._answered)
        if not self.main_loader:
            return  # the last page's, raised as this one loads
        self.dialog_count += 1
        if len(self.dialogs) < MAX_DIALOGS:
            self.dialogs.append({"type": str(params.get("type", "")),
                                 "message": str(params.get("message", ""))[:DIALOG_TEXT]})

    def _answered(self, reply: dict[str, Any]) -> None:
        if "error" in reply and self.dialog_open:
            self.stuck = True

    def _dialog_closed(self, params: dict[str, Any]) -> None:
        self.dialog_open = self.stuck = False

    def _lifecycle(self, params: dict[str, Any]) -> None:
        if params.get("frameId") != self.main_frame:
            return
        if params.get("name") == "init":
            self.main_loader = str(params.get("loaderId", ""))
        self.loads.setdefault(str(params.get("loaderId", "")), set()).add(str(params.get("name", "")))

    def navigate(self, url: str, deadline: float) -> None:
        """Load `url` and wait for the load event of the main frame's latest document (a page that moves on to
        another document while loading is waited for there), as chromedriver's get() would."""
        self.loads.clear()
        self.main_loader = ""
        reply = self.cdp("Page.navigate", {"url": url}, deadline)
        if reply.get("errorText"):
            raise RuntimeError(f"navigation failed: {reply['errorText']}")
        if not reply.get("loaderId"):
            return  # the same document (a fragment): nothing to load
        assert self.devtools is not None
        self.devtools.wait_for(lambda: self.stuck or "load" in self.loads.get(self.main_loader or reply["loaderId"],
                                                                               set()), deadline, "page load")
        if self.stuck:
            raise TabStuck(url)

    def world(self, deadline: float) -> int:
        """The execution context of WORLD in the current document's main frame: the one axe-core was
        evaluated in when the document was created (a world is found by its name), else a new one."""
        created = self.cdp("Page.createIsolatedWorld",
                           {"frameId": self.main_frame, "worldName": WORLD, "grantUniveralAccess": False}, deadline)
        return int(created["executionContextId"])

    def evaluate(self, expression: str, context: int, deadline: float) -> Any:
        """`expression`'s value (a promise's, once settled) from the isolated world `context`; nothing of it
        is read from the page's own world."""
        reply = self.cdp("Runtime.evaluate", {
            "expression": expression, "contextId": context, "returnByValue": True, "awaitPromise": True,
            "silent": True}, deadline)
        if "exceptionDetails" in reply:
            details = reply["exceptionDetails"]
            raise RuntimeError(details.get("exception", {}).get("description") or details.get("text", "error"))
        return reply["result"].get("value")

    def audit(self, url: str) -> dict[str, Any]:
        """Load `url`, run axe-core and the DOM probe in the isolated world; returns axe's results plus `dom` and
        the JavaScript dialogs the page raised. The whole of it has `timeout` seconds: past that the browser is
        killed (the next page starts a new one) and PageTimeout says so."""
        if self.driver is None:
            self.start()
        deadline = time.monotonic() + self.timeout
        self.dialogs, self.dialog_count = [], 0
        try:
            if self.devtools is None:
                self.open_tab(deadline)
            try:
                results = self.test(url, deadline)
            except TabStuck:
                self.kill()
                self.start()
                self.open_tab(deadline)
                self.dialogs, self.dialog_count = [], 0
                results = self.test(url, deadline)
        except DevToolsTimeout:
            self.kill()
            raise PageTimeout(f"timeout after {self.timeout:g} s") from None
        if self.dialog_count:
            results["dialogs"] = list(self.dialogs)
            results["dialog_count"] = self.dialog_count
        return results

    def test(self, url: str, deadline: float) -> dict[str, Any]:
        self.navigate(url, deadline)
        context = self.world(deadline)
        run = self.page_script(deadline)
        results = self.evaluate(run, context, deadline)
        if results.get("inject"):  # the page replaced its document, or the world is new: inject by hand
            self.evaluate(self.axe_source(), context, deadline)
            results = self.evaluate(run, context, deadline)
        if results.get("timeout"):
            raise DevToolsTimeout("axe did not finish")
        if results.get("error"):
            raise RuntimeError(f"axe failed: {results['error']}")
        found = results.pop("peer", None) or {}
        if results.get("dom") is not None:
            results["dom"].setdefault("own", []).extend([*found.get("nodes", []),
                                                         *peer.markup_nodes(found.get("source") or "")])
        if self.reflow and results.get("dom") is not None:
            self.reflow_at_320(results["dom"], context, deadline)
        return dict(results)

    def page_script(self, deadline: float) -> str:
        """The page's one evaluation: axe-core, the DOM probe and the probe of checks/a11y_peer_rules.py (its
        nodes, and the page's HTML source for the tags the parser cannot match), with what is the same for every
        page built once per browser."""
        if self._page_parts is None:
            self._page_parts = (DOM_PROBE + peer.READ_SCRIPT + "\nfunction peerProbe(pending) { return "
                                + peer.probe_script(a11y.PROBE_WORDS["vague_links"]).strip() + "; }\n"
                                + f"function pageSource() {{ return sourceStart({peer.SOURCE_BYTES}); }}\n",
                                json.dumps(axe_options(self.version)), json.dumps(a11y.PROBE_WORDS))
        functions, options, words = self._page_parts
        return functions + AXE_RUN % (options, max(1, (deadline - time.monotonic()) * 1000), words, self.focus_walk)

    def reflow_at_320(self, dom: dict[str, Any], context: int, deadline: float) -> None:
        """1.4.10: the same document laid out with 320 CSS px of content width must not scroll horizontally.
        Scrollbars are hidden while it is measured, so a long (scrolling) page and a short one get the same
        320 px, and the page's own width is measured against 320, not against what a scrollbar leaves."""
        assert self.devtools is not None
        self.devtools.call_all([("Emulation.setDeviceMetricsOverride", {"width": REFLOW_WIDTH, "height": 640,
                                                                        "deviceScaleFactor": 1, "mobile": False}),
                                ("Emulation.setScrollbarsHidden", {"hidden": True})], deadline)
        try:
            wide = self.evaluate(REFLOW_MEASURE, context, deadline)
        finally:
            self.devtools.call_all([("Emulation.setScrollbarsHidden", {"hidden": False}),
                                    ("Emulation.clearDeviceMetricsOverride", {})], deadline)
        if wide and wide[0] > REFLOW_WIDTH:
            dom.setdefault("own", []).append({
                "rule": "reflow", "target": "html", "html": wide[2],
                "detail": f"內容寬 {wide[0]} CSS px，超過 {REFLOW_WIDTH} CSS px（視窗內容寬 {wide[1]} px）",
                "detail_en": f"content {wide[0]} CSS px wide, more than {REFLOW_WIDTH} CSS px "
                             f"(viewport content width {wide[1]} px)",
                "width": wide[0], "viewport": wide[1]})

    def axe_version(self) -> str:
        """axe-core's version, read in an isolated world of an empty document."""
        if self.driver is None:
            self.start()
        deadline = time.monotonic() + START_SECONDS
        if self.devtools is None:
            self.open_tab(deadline)
        self.navigate("about:blank", deadline)  # about:blank is not a new document: inject by hand
        context = self.world(deadline)
        self.evaluate(self.axe_source(), context, deadline)
        return str(self.evaluate("axe.version", context, deadline))
