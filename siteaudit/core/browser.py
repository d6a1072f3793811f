"""Headless Chromium: where it is, the flags that work offline and as root, and stopping every process of it.

Used by the accessibility check (axe-core through Selenium) and by PDF printing (DevTools Page.printToPDF).
"""

from __future__ import annotations

import base64
import os
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Debian's chromium-headless-shell first: the same Chromium build without the desktop browser layer, made for
# automation; it needs about a quarter less CPU per page than `chromium --headless` (docs/checks/accessibility.md).
# Its /usr/bin wrapper does not exec the binary, so chromedriver could not stop it: the binary itself comes first.
CHROMIUM_NAMES = ("/usr/lib/chromium/chromium-headless-shell", "chromium-headless-shell", "chromium",
                  "chromium-browser", "google-chrome", "google-chrome-stable")
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--no-first-run", "--disable-quic", "--window-size=1280,1024")
INSTALL_HINT = "apt-get install chromium chromium-driver chromium-headless-shell"

@dataclass
class BrowserPaths:
    chromium: str | None
    chromedriver: str | None

    @property
    def missing(self) -> str | None:
        names = [n for n, p in (("chromium", self.chromium), ("chromedriver", self.chromedriver)) if not p]
        return ", ".join(names) or None


def find_browser(chromium: str = "", chromedriver: str = "") -> BrowserPaths:
    """Paths from the config, else from PATH."""
    def pick(given: str, names: tuple[str, ...]) -> str | None:
        if given:
            return given if Path(given).is_file() else None
        for name in names:
            found = shutil.which(name)  # an absolute path is checked as it is
            if found:
                return found
        return None

    return BrowserPaths(pick(chromium, CHROMIUM_NAMES), pick(chromedriver, ("chromedriver",)))


def process_tree(pid: int) -> list[int]:
    """`pid` and its descendants, read from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    tree, stack = [], [pid]
    while stack:
        tree.append(stack.pop())
        stack.extend(children.get(tree[-1], []))
    return tree


def running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (OSError, IndexError):
        return False


def stop_all(pids: list[int], timeout: float) -> None:
    """Give `pids` `timeout` seconds to exit, then kill what is left (a browser chromedriver lost track of)."""
    deadline = time.monotonic() + timeout
    while any(running(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    for pid in pids:
        if running(pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass


def chromium_options(paths: BrowserPaths) -> Any:
    """Selenium options for `paths.chromium` with the offline, run-as-root flags."""
    from selenium.webdriver.chrome.options import Options

    options = Options()
    options.binary_location = paths.chromium or ""
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    return options


def chromedriver_service(paths: BrowserPaths, profile_parent: str) -> Any:
    """chromedriver makes a fresh profile in its temporary directory: point that at `profile_parent`, a
    directory the caller removes even after a crash. (An explicit --user-data-dir leaves
    chromium-headless-shell without a page for chromedriver to attach to.)"""
    from selenium.webdriver.chrome.service import Service

    return Service(paths.chromedriver or "", env={**os.environ, "TMPDIR": profile_parent})


FONT_INSTALL_HINT = "apt-get install fonts-noto-cjk"
A4_INCHES = (8.27, 11.69)


def zh_font_missing() -> bool:
    """True when fontconfig has no font for Traditional Chinese (`fc-list :lang=zh-tw` lists nothing): a PDF
    printed then shows every Chinese character as an empty box."""
    fc_list = shutil.which("fc-list")
    if not fc_list:
        return True
    try:
        listed = subprocess.run([fc_list, ":lang=zh-tw", "family"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return True
    return not listed.stdout.strip()


def print_to_pdf(url: str, paths: BrowserPaths, header: str, footer: str, landscape: bool = False,
                 timeout: float = 300) -> bytes:
    """Print `url` through DevTools' Page.printToPDF in headless Chromium: A4, backgrounds, and the given
    header and footer templates (Chromium fills `<span class="pageNumber">` and `totalPages`)."""
    from selenium import webdriver

    with tempfile.TemporaryDirectory(prefix="siteaudit-pdf-") as profile:
        driver = webdriver.Chrome(service=chromedriver_service(paths, profile), options=chromium_options(paths))
        pid = driver.service.process.pid
        tree = process_tree(pid)
        try:
            driver.set_page_load_timeout(timeout)
            driver.get(url)
            width, height = A4_INCHES
            printed = driver.execute_cdp_cmd("Page.printToPDF", {
                "landscape": landscape, "printBackground": True, "preferCSSPageSize": False,
                "paperWidth": width, "paperHeight": height, "marginTop": 0.6, "marginBottom": 0.6,
                "marginLeft": 0.5, "marginRight": 0.5, "displayHeaderFooter": True,
                "headerTemplate": header, "footerTemplate": footer})
        finally:
            tree = sorted(set(tree) | set(process_tree(pid)))
            driver.quit()
            stop_all(tree, 10)
    return base64.b64decode(printed["data"])
