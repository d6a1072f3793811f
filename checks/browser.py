"""axe-core in headless Chromium, through Selenium and axe-selenium-python.

A fresh profile directory per browser; the browser is restarted after a crash or every `restart_every` pages.
The launcher (paths, flags, stopping) is `siteaudit.core.browser`.
"""

from __future__ import annotations

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
# Only what the check reads comes back through chromedriver: axe's full result is several hundred KB.
AXE_RUN = """
var done = arguments[arguments.length - 1];
if (typeof window.axe !== 'object') { done({inject: true}); return; }
function slim(items) {
  return items.map(function (i) {
    return {id: i.id, impact: i.impact, nodes: i.nodes.map(function (n) {
      return {target: n.target, html: (n.html || '').slice(0, 300), failureSummary: (n.failureSummary || '').slice(0, 300)};
    })};
  });
}
axe.run(document, arguments[0]).then(function (r) {
  done({violations: slim(r.violations), incomplete: slim(r.incomplete), version: r.testEngine.version,
        dom: probe()});
}, function (e) { done({error: String(e)}); });
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
        # Send axe-core (about 500 KB) to the browser once; it is then evaluated in every new document,
        # instead of travelling through chromedriver for every page.
        self.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": self.axe_source()})

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

    def audit(self, url: str) -> dict[str, Any]:
        """Load `url`, run axe-core and the DOM probe; returns axe's results plus `dom`."""
        if self.driver is None:
            self.start()
        self.driver.get(url)
        results = self.driver.execute_async_script(DOM_PROBE + AXE_RUN, AXE_OPTIONS)
        if results.get("inject"):  # the page replaced its document: inject by hand
            self.driver.execute_script(self.axe_source())
            results = self.driver.execute_async_script(DOM_PROBE + AXE_RUN, AXE_OPTIONS)
        if results.get("error"):
            raise RuntimeError(f"axe failed: {results['error']}")
        return results

    def axe_version(self) -> str:
        if self.driver is None:
            self.start()
        self.driver.get("about:blank")
        self.driver.execute_script(self.axe_source())
        return str(self.driver.execute_script("return axe.version"))  # about:blank is not a new document
