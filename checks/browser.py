"""axe-core in headless Chromium, through Selenium and axe-selenium-python.

A fresh profile directory per browser; the browser is restarted after a crash or every `restart_every` pages.
The launcher (paths, flags, stopping) is `siteaudit.core.browser`.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

from siteaudit.core.browser import (
    BrowserPaths,
    chromedriver_service,
    chromium_options,
    process_tree,
    stop_all,
)

# Rules that axe 4.10 ships disabled but WCAG 2.1 (and so 網站無障礙規範 110.07) still has: 4.1.1 Parsing.
AXE_OPTIONS = {"resultTypes": ["violations", "incomplete"],
               "rules": {"duplicate-id": {"enabled": True}, "duplicate-id-active": {"enabled": True},
                         "duplicate-id-aria": {"enabled": True}}}
# axe-core and the DOM probe run in an isolated world of their own: the page's DOM, but not its JavaScript
# globals, prototypes or JSON, so a page cannot hook window.axe, Array.prototype or a DOM getter to hide its
# violations (docs/security.md). The world is created with each document, by name, and found again by name.
WORLD = "siteaudit-axe"
# Only what the check reads comes back through chromedriver: axe's full result is several hundred KB.
# Evaluated in the isolated world; resolves with {inject: true} when the document has no axe yet, with
# {timeout: true} when axe has not finished in the page timeout (chromedriver does not time out a CDP command).
AXE_RUN = """
(function (options, timeoutMs) {
  if (typeof axe !== 'object') return {inject: true};
  function slim(items) {
    return items.map(function (i) {
      return {id: i.id, impact: i.impact, nodes: i.nodes.map(function (n) {
        return {target: n.target, html: (n.html || '').slice(0, 300),
                failureSummary: (n.failureSummary || '').slice(0, 300)};
      })};
    });
  }
  var timer, late = new Promise(function (ok) { timer = setTimeout(ok, timeoutMs, {timeout: true}); });
  var run = axe.run(document, options).then(function (r) {
    return {violations: slim(r.violations), incomplete: slim(r.incomplete), version: r.testEngine.version,
            dom: probe()};
  }, function (e) { return {error: String(e)}; });
  return Promise.race([run, late]).then(function (r) { clearTimeout(timer); return r; });
})(%s, %d)
"""
DOM_PROBE = """
function probe() {
  return {
  scripts: document.querySelectorAll('script').length,
  noscript: document.querySelectorAll('noscript').length,
  marks: Array.from(document.querySelectorAll('a img')).filter(function (img) {
    var href = img.closest('a').href || '';
    return /accessibility\\.(moda|ncc)\\.gov\\.tw|handicap-free\\.nat\\.gov\\.tw/.test(href);
  }).map(function (img) {
    var link = img.closest('a'), around = link.parentElement || link;
    return {href: link.href, alt: img.alt, width: img.naturalWidth, height: img.naturalHeight,
            shown_width: img.width, shown_height: img.height,
            context: ((around.innerText || '') + ' ' + (link.title || '')).slice(0, 400)};
  })
  };
}
"""



class Browser:
    """One Chromium driven by chromedriver, auditing pages with axe-core."""

    def __init__(self, paths: BrowserPaths, timeout: float) -> None:
        self.paths = paths
        self.timeout = timeout
        self.driver: Any = None
        self.profile: str | None = None
        self._axe_source: str | None = None

    def start(self) -> None:
        from selenium import webdriver

        self.profile = tempfile.mkdtemp(prefix="siteaudit-chromium-")
        self.driver = webdriver.Chrome(service=chromedriver_service(self.paths, self.profile),
                                       options=chromium_options(self.paths))
        self.driver.set_page_load_timeout(self.timeout)
        self.driver.set_script_timeout(self.timeout)
        # Send axe-core (about 500 KB) to the browser once; it is then evaluated in the isolated world WORLD
        # of every new document, instead of travelling through chromedriver for every page.
        self.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument",
                                    {"source": self.axe_source(), "worldName": WORLD})

    def stop(self) -> None:
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

    def axe_source(self) -> str:
        if self._axe_source is None:
            from axe_selenium_python import Axe

            self._axe_source = Path(Axe(None).script_url).read_text(encoding="utf-8")
        return self._axe_source

    def world(self) -> int:
        """The execution context of WORLD in the current document's main frame: the one axe-core was
        evaluated in when the document was created (a world is found by its name), else a new one."""
        frame = self.driver.execute_cdp_cmd("Page.getFrameTree", {})["frameTree"]["frame"]["id"]
        created = self.driver.execute_cdp_cmd("Page.createIsolatedWorld",
                                              {"frameId": frame, "worldName": WORLD, "grantUniveralAccess": False})
        return int(created["executionContextId"])

    def evaluate(self, expression: str, context: int) -> Any:
        """`expression`'s value (a promise's, once settled) from the isolated world `context`; nothing of it
        is read from the page's own world."""
        reply = self.driver.execute_cdp_cmd("Runtime.evaluate", {
            "expression": expression, "contextId": context, "returnByValue": True, "awaitPromise": True,
            "silent": True})
        if "exceptionDetails" in reply:
            details = reply["exceptionDetails"]
            raise RuntimeError(details.get("exception", {}).get("description") or details.get("text", "error"))
        return reply["result"].get("value")

    def audit(self, url: str) -> dict[str, Any]:
        """Load `url`, run axe-core and the DOM probe in the isolated world; returns axe's results plus `dom`."""
        if self.driver is None:
            self.start()
        self.driver.get(url)
        context = self.world()
        run = DOM_PROBE + AXE_RUN % (json.dumps(AXE_OPTIONS), self.timeout * 1000)
        results = self.evaluate(run, context)
        if results.get("inject"):  # the page replaced its document, or the world is new: inject by hand
            self.evaluate(self.axe_source(), context)
            results = self.evaluate(run, context)
        if results.get("timeout"):
            raise TimeoutError(f"axe did not finish in {self.timeout:g} s")
        if results.get("error"):
            raise RuntimeError(f"axe failed: {results['error']}")
        return dict(results)

    def axe_version(self) -> str:
        if self.driver is None:
            self.start()
        self.driver.get("about:blank")  # about:blank is not a new document: inject by hand
        context = self.world()
        self.evaluate(self.axe_source(), context)
        return str(self.evaluate("axe.version", context))
