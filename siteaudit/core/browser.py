"""Headless Chromium: where it is, the flags that work offline and as root, and stopping every process of it.

Used by the accessibility check (axe-core through Selenium) and by PDF printing (DevTools Page.printToPDF).
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
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


def kill_tree(pid: int) -> list[int]:
    """SIGKILL `pid` and every descendant at once (a hung renderer cannot be asked to quit); returns them."""
    tree = process_tree(pid)
    for each in tree:
        try:
            os.kill(each, signal.SIGKILL)
        except OSError:
            pass
    return tree


class DevToolsTimeout(TimeoutError):
    """A DevTools command had no answer by its deadline (the page's main thread is busy or hung)."""


class DevTools:
    """A DevTools connection of our own to one page target, beside chromedriver's.

    Commands wait at most until a deadline the caller gives, so a page that hangs its renderer cannot hold the
    caller longer (chromedriver does not time out a CDP command). Events go to handlers registered with `on`,
    called in the reader thread as they arrive: a handler can answer at once (a JavaScript dialog blocks the page
    until someone does), but must not wait for a reply itself.
    """

    def __init__(self, url: str, address: str, timeout: float = 30) -> None:
        import websocket  # websocket-client, the library Selenium itself speaks WebSocket with

        self.address = address
        # No Origin header: Chromium refuses WebSocket clients whose Origin it was not told to allow.
        self.socket = websocket.create_connection(url, suppress_origin=True, enable_multithread=True,
                                                  timeout=max(0.1, timeout))
        self.socket.settimeout(None)  # the reader waits for events for as long as the page lives
        self.ids = itertools.count(1)
        self.replies: dict[int, dict[str, Any] | None] = {}           # awaited by call(): None until answered
        self.on_reply: dict[int, Callable[[dict[str, Any]], None]] = {}  # answered in the reader thread
        self.handlers: dict[str, list[Callable[[dict[str, Any]], None]]] = {}
        self.changed = threading.Condition()
        self.closed = False
        self.reader = threading.Thread(target=self._read, name="siteaudit-devtools", daemon=True)
        self.reader.start()

    @classmethod
    def for_browser(cls, address: str, deadline: float) -> DevTools:
        """Connect to the browser itself (tabs are opened and closed there), its DevTools listening on `address`
        (host:port)."""
        with urllib.request.urlopen(f"http://{address}/json/version",
                                    timeout=max(0.1, deadline - time.monotonic())) as answer:
            url = json.loads(answer.read())["webSocketDebuggerUrl"]
        return cls(url, address, deadline - time.monotonic())

    @classmethod
    def for_page(cls, address: str, target_id: str, deadline: float) -> DevTools:
        """Connect to page target `target_id` of the browser whose DevTools listen on `address`."""
        return cls(f"ws://{address}/devtools/page/{target_id}", address, deadline - time.monotonic())

    def on(self, event: str, handler: Callable[[dict[str, Any]], None]) -> None:
        self.handlers.setdefault(event, []).append(handler)

    def send(self, method: str, params: dict[str, Any] | None = None,
             on_reply: Callable[[dict[str, Any]], None] | None = None) -> None:
        """Send a command without waiting (safe from an event handler); `on_reply` gets its reply, in the reader
        thread."""
        n = next(self.ids)
        self.on_reply[n] = on_reply or (lambda reply: None)
        self.socket.send(json.dumps({"id": n, "method": method, "params": params or {}}))

    def call(self, method: str, params: dict[str, Any] | None = None, deadline: float | None = None
             ) -> dict[str, Any]:
        """Send a command and wait for its result until `deadline` (time.monotonic()); DevToolsTimeout after."""
        n = next(self.ids)
        with self.changed:
            self.replies[n] = None
        self.socket.send(json.dumps({"id": n, "method": method, "params": params or {}}))
        with self.changed:
            while self.replies[n] is None:
                if self.closed:
                    raise ConnectionError(f"DevTools connection closed during {method}")
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    raise DevToolsTimeout(f"{method}: no answer in time")
                self.changed.wait(left)
            reply = self.replies.pop(n) or {}
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error'].get('message', reply['error'])}")
        return dict(reply.get("result", {}))

    def wait_for(self, ready: Callable[[], bool], deadline: float, what: str) -> None:
        """Wait until `ready()` (checked as events arrive) or raise DevToolsTimeout at `deadline`."""
        with self.changed:
            while not ready():
                if self.closed:
                    raise ConnectionError(f"DevTools connection closed waiting for {what}")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise DevToolsTimeout(f"{what}: not in time")
                self.changed.wait(left)

    def close(self) -> None:
        try:
            self.socket.close()
        except Exception:
            pass
        self.reader.join(timeout=5)

    def _read(self) -> None:
        try:
            while True:
                message = json.loads(self.socket.recv())
                for handler in self.handlers.get(message.get("method", ""), []):
                    handler(message.get("params", {}))
                answered = self.on_reply.pop(message.get("id", -1), None)
                if answered is not None:
                    answered(message)
                with self.changed:
                    if message.get("id") in self.replies:
                        self.replies[message["id"]] = message
                    self.changed.notify_all()
        except Exception:  # the socket closed (the browser stopped or was killed): wake every waiter
            with self.changed:
                self.closed = True
                self.changed.notify_all()


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
