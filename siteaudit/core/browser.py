"""Headless Chromium: where it is, the flags that work offline and as root, and stopping every process of it.

Used by the accessibility check (axe-core through Selenium) and by PDF printing (DevTools Page.printToPDF).
"""

from __future__ import annotations

import base64
import ctypes
import itertools
import json
import os
import resource
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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
OWNER_VARIABLE = "SITEAUDIT_BROWSER_OWNER"   # PID:START of the process a chromedriver (and its Chromium) serves
PR_SET_PDEATHSIG = 1
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
        # No Origin header: Chromium refuses WebSocket clients whose Origin it was not told to allow. No UTF-8
        # validation in pure Python before the text is decoded: decoding fails on invalid UTF-8 anyway, and the
        # validation cost more CPU per page than anything else this side of the socket.
        self.socket = websocket.create_connection(url, suppress_origin=True, enable_multithread=True,
                                                  skip_utf8_validation=True, timeout=max(0.1, timeout))
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
        return self.call_all([(method, params or {})], deadline)[0]

    def call_all(self, commands: list[tuple[str, dict[str, Any]]], deadline: float | None = None
                 ) -> list[dict[str, Any]]:
        """Send `commands` at once (one target carries them out in order) and wait for every result until
        `deadline`: one round trip instead of one each. The first error raises, as `call` would."""
        numbers = [next(self.ids) for _ in commands]
        with self.changed:
            for n in numbers:
                self.replies[n] = None
        for n, (method, params) in zip(numbers, commands, strict=True):
            self.socket.send(json.dumps({"id": n, "method": method, "params": params}))
        replies: list[dict[str, Any]] = []
        with self.changed:
            try:
                for n, (method, _) in zip(numbers, commands, strict=True):
                    while self.replies[n] is None:
                        if self.closed:
                            raise ConnectionError(f"DevTools connection closed during {method}")
                        left = None if deadline is None else deadline - time.monotonic()
                        if left is not None and left <= 0:
                            raise DevToolsTimeout(f"{method}: no answer in time")
                        self.changed.wait(left)
                    replies.append(self.replies[n] or {})
            finally:
                for n in numbers:
                    self.replies.pop(n, None)
        for (method, _), reply in zip(commands, replies, strict=True):
            if "error" in reply:
                raise RuntimeError(f"{method}: {reply['error'].get('message', reply['error'])}")
        return [dict(reply.get("result", {})) for reply in replies]

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


def chromedriver_service(paths: BrowserPaths, profile_parent: str, preexec: Callable[[], None] | None = None) -> Any:
    """chromedriver makes a fresh profile in its temporary directory: point that at `profile_parent`, a
    directory the caller removes even after a crash. (An explicit --user-data-dir leaves
    chromium-headless-shell without a page for chromedriver to attach to.) `preexec` runs in the driver's
    process before it starts (resource limits)."""
    from selenium.webdriver.chrome.service import Service

    def start() -> None:
        die_with_parent()
        if preexec:
            preexec()

    env = {**os.environ, "TMPDIR": profile_parent, OWNER_VARIABLE: owner_mark(os.getpid())}
    return Service(paths.chromedriver or "", env=env, popen_kw={"preexec_fn": start})


def die_with_parent() -> None:
    """In a child before exec: SIGKILL it when the thread that started it ends (Linux PR_SET_PDEATHSIG), so a
    killed process leaves no chromedriver or audit process behind."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, ctypes.c_ulong(signal.SIGKILL),
                                                ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0))
    except (OSError, AttributeError):
        pass


def start_time(pid: int) -> str | None:
    """The kernel's start time of `pid` (clock ticks since boot): with the pid, names one process for good."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def owner_mark(pid: int) -> str:
    """PID:START of the process that starts a browser, put in the browser's environment."""
    return f"{pid}:{start_time(pid) or 0}"


def owner_alive(mark: str) -> bool:
    pid, _, started = mark.partition(":")
    return pid.isdigit() and running(int(pid)) and start_time(int(pid)) == started


def orphaned_browsers() -> list[int]:
    """chromedriver and Chromium processes marked with an owner that has died (SIGKILLed): Chromium outlives a
    killed chromedriver, adopted by init, holding its memory."""
    needle = OWNER_VARIABLE.encode() + b"="
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if "chrom" not in (entry / "comm").read_text():
                continue
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        for item in environ.split(b"\0"):
            if item.startswith(needle) and not owner_alive(item[len(needle):].decode("ascii", "replace")):
                out.append(int(entry.name))
    return out


def reap_orphaned_browsers() -> list[int]:
    """Kill every orphaned browser process and its descendants (zygotes, renderers); returns the pids."""
    killed: list[int] = []
    for pid in orphaned_browsers():
        killed += kill_tree(pid)
    return killed


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


PDF_MEMORY_MB = 2048   # data cap of each process of the printing browser: a folded report needs a tenth of it
PDF_SECONDS = 120.0    # the whole print, browser start to the last byte of the PDF
PR_SET_CHILD_SUBREAPER, PR_GET_CHILD_SUBREAPER = 36, 37
CRASHED = ("crash", "not reachable", "closed the connection", "disconnected", "session deleted")


class PrintError(RuntimeError):
    """No PDF: the browser went over its memory cap or its deadline, or failed; the message says which."""


def memory_cap(limit_mb: int) -> Callable[[], None]:
    """A preexec_fn capping the driver, and so every browser process it starts (rlimits are inherited), at
    `limit_mb` MiB of data each. RLIMIT_DATA, not RLIMIT_AS: Chromium reserves tens of GiB of address space it
    never touches and does not even start under an address-space cap, while layout and printing memory is
    private writable memory, which RLIMIT_DATA counts. A renderer over the cap crashes, the print fails."""
    limit = limit_mb * 1024 * 1024

    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
    return apply


@contextmanager
def adopting_orphans() -> Iterator[None]:
    """Be the child subreaper while the browser runs: a killed browser's processes are reparented here, not to
    an init that may never reap them (a container's), so `reap` can collect every one."""
    libc = ctypes.CDLL(None, use_errno=True)
    before = ctypes.c_int(0)
    libc.prctl(PR_GET_CHILD_SUBREAPER, ctypes.byref(before), ctypes.c_ulong(0), ctypes.c_ulong(0),
               ctypes.c_ulong(0))
    libc.prctl(PR_SET_CHILD_SUBREAPER, ctypes.c_ulong(1), ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0))
    try:
        yield
    finally:
        libc.prctl(PR_SET_CHILD_SUBREAPER, ctypes.c_ulong(before.value), ctypes.c_ulong(0), ctypes.c_ulong(0),
                   ctypes.c_ulong(0))


def reap(pids: list[int], timeout: float = 5.0) -> None:
    """Collect the exit status of each of `pids` that is this process's child, so none is left a zombie; a pid
    that is not (its own live parent reaps it) is skipped."""
    pending, deadline = set(pids), time.monotonic() + timeout
    while pending and time.monotonic() < deadline:
        for pid in list(pending):
            try:
                if os.waitpid(pid, os.WNOHANG)[0]:
                    pending.discard(pid)
            except ChildProcessError:
                pending.discard(pid)
        if pending:
            time.sleep(0.05)


class Deadline:
    """Kill the driver's whole process tree once `seconds` have passed: an overrunning print is stopped, and
    the driver call waiting on it returns at once with an error."""

    def __init__(self, seconds: float, service: Any) -> None:
        self.seconds = seconds
        self.service = service
        self.fired = False
        self.killed: set[int] = set()
        self.timer = threading.Timer(seconds, self.kill)
        self.timer.daemon = True
        self.timer.start()

    def kill(self) -> None:
        self.fired = True
        process = getattr(self.service, "process", None)
        if process:
            self.killed |= set(kill_tree(process.pid))

    def check(self) -> None:
        if self.fired:
            raise TimeoutError

    def cancel(self) -> None:
        self.timer.cancel()


def print_failure(exc: BaseException, deadline: Deadline, memory_mb: int) -> str:
    """Why a print gave no PDF, in one line."""
    if deadline.fired or isinstance(exc, TimeoutError) or type(exc).__name__ == "TimeoutException":
        return f"no PDF within {deadline.seconds:g} s; the browser was stopped"
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if any(marker in text.lower() for marker in CRASHED):
        return f"the browser went over its {memory_mb} MB memory cap and stopped ({text.removeprefix('Message: ')})"
    return f"the browser failed: {text.removeprefix('Message: ')}"


def print_to_pdf(url: str, paths: BrowserPaths, header: str, footer: str, landscape: bool = False,
                 timeout: float = PDF_SECONDS, memory_mb: int = PDF_MEMORY_MB) -> bytes:
    """Print `url` through DevTools' Page.printToPDF in headless Chromium: A4, backgrounds, and the given
    header and footer templates (Chromium fills `<span class="pageNumber">` and `totalPages`).

    Bounded: every browser process under `memory_mb` of data and the whole print within `timeout` seconds;
    on overrun the browser is killed and reaped and PrintError says why (a huge page would otherwise take
    the renderer to many GiB and minutes, then fail anyway)."""
    try:
        with bounded_driver(paths, timeout, memory_mb, "siteaudit-pdf-") as (driver, deadline):
            driver.set_page_load_timeout(timeout)
            driver.get(url)
            deadline.check()
            width, height = A4_INCHES
            printed = driver.execute_cdp_cmd("Page.printToPDF", {
                "landscape": landscape, "printBackground": True, "preferCSSPageSize": False,
                "paperWidth": width, "paperHeight": height, "marginTop": 0.6, "marginBottom": 0.6,
                "marginLeft": 0.5, "marginRight": 0.5, "displayHeaderFooter": True,
                "headerTemplate": header, "footerTemplate": footer})
            deadline.check()
            return base64.b64decode(printed["data"])
    except BoundedBrowserError as exc:
        raise PrintError(print_failure(exc.cause, exc.deadline, memory_mb)) from None


class BoundedBrowserError(RuntimeError):
    """What stopped a bounded browser: the driver's error (or TimeoutError) and the deadline that watched it."""

    def __init__(self, cause: BaseException, deadline: Deadline) -> None:
        super().__init__(str(cause))
        self.cause = cause
        self.deadline = deadline


@contextmanager
def bounded_driver(paths: BrowserPaths, timeout: float, memory_mb: int, prefix: str,
                   configure: Callable[[Any], None] | None = None) -> Iterator[tuple[Any, Deadline]]:
    """A Selenium driver of headless Chromium whose processes stay under `memory_mb` and are killed after
    `timeout` seconds; on leaving, every process of it has exited and is reaped. Any error inside (or the
    deadline firing) comes out as BoundedBrowserError. `configure` may change the options first."""
    from selenium import webdriver

    with tempfile.TemporaryDirectory(prefix=prefix) as profile, adopting_orphans():
        ours_before = set(process_tree(os.getpid()))
        service = chromedriver_service(paths, profile, memory_cap(memory_mb))
        deadline = Deadline(timeout, service)
        driver = None
        failed = True
        try:
            options = chromium_options(paths)
            if configure is not None:
                configure(options)
            driver = webdriver.Chrome(service=service, options=options)
            deadline.check()
            yield driver, deadline
            failed = False
        except BoundedBrowserError:
            raise
        except Exception as exc:  # whatever the driver raises once its browser is gone
            raise BoundedBrowserError(exc, deadline) from None
        finally:
            deadline.cancel()
            close_printer(driver, service, failed, deadline.killed, ours_before)


def close_printer(driver: Any, service: Any, failed: bool, killed: set[int], ours_before: set[int]) -> None:
    """Quit a browser that printed; kill one that failed without asking its driver (a dead driver would only
    be retried); then make sure every process of it has exited and is reaped: those started under the
    driver, and any orphan of theirs that came to this process."""
    process = getattr(service, "process", None)
    tree = set(killed) | set(process_tree(process.pid) if process else [])
    if failed and process:
        tree |= set(kill_tree(process.pid))
    try:
        if driver is not None and not failed:
            driver.quit()
        else:
            service.stop()
    except Exception:  # a driver just killed may still be asked over a socket that is gone: it is reaped below
        pass
    tree |= set(process_tree(os.getpid())) - ours_before
    stop_all(sorted(tree), 10)
    reap(sorted(tree))
    reap_strays(ours_before)


def reap_strays(ours_before: set[int], timeout: float = 5.0, settle: float = 0.3) -> None:
    """Kill and reap every child of this process that printing left (a browser process whose parent died is
    reparented here, possibly after `reap` looked), until none has appeared for `settle` seconds."""
    me = os.getpid()
    deadline = quiet_since = time.monotonic()
    deadline += timeout
    while time.monotonic() < deadline:
        strays = [pid for pid in process_tree(me) if pid != me and pid not in ours_before]
        for pid in strays:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:  # a grandchild: its own parent, killed above, is reaped first
                pass
        if strays:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since > settle:
            return
        time.sleep(0.05)
