"""Tell an audit machine without DNS from dead hosts, once the crawl has ended.

Every external URL that failed DNS is a broken link only when the machine could resolve names: when every
external host name failed to resolve (at least two, none answered, none even refused a connection), or a control
lookup of the site's own host name fails, the machine has no resolver. Those URLs are then marked `unresolved`:
not checked, never broken and never a pass (docs/checks/links.md). One dead host among resolvable ones stays
broken, and so does a lone external host name with nothing to compare it with (a dead host and a missing resolver
look the same from one name).
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from siteaudit.core.config import Config
from siteaudit.core.store import Store

MIN_FAILED_HOSTS = 2   # "every external host failed" needs at least this many to tell from one dead host
CONTROL_TIMEOUT = 5.0  # seconds for the control lookup of the site's own host name
CACHED_MARK = "cached result of run"  # an external result reused from an earlier run (crawler.spiders.site)
# A failure past name resolution: the host name resolved.
RESOLVED_ERRORS = frozenset({"refused", "timeout", "tls", "connection", "encoding", "oversize"})


@dataclass
class Resolver:
    """What the run says of the audit machine's resolver."""

    failed_hosts: list[str] = field(default_factory=list)   # external host names that never resolved
    resolved_hosts: int = 0                                  # external host names that did
    control_host: str | None = None                          # the site's own host name, looked up again
    control_ok: bool | None = None                           # None: not looked up (no failure, or an address)

    @property
    def no_resolver(self) -> bool:
        if not self.failed_hosts:
            return False
        return self.control_ok is False or (self.resolved_hosts == 0 and len(self.failed_hosts) >= MIN_FAILED_HOSTS)

    def detail(self) -> str:
        """The evidence every unresolved URL carries, in English (the checks word it for reports)."""
        why = (f"control lookup of the site's own host {self.control_host} failed" if self.control_ok is False
               else f"none of the {len(self.failed_hosts)} external host names resolved")
        return f"not checked: the audit machine has no working DNS resolver ({why})"


def is_name(host: str) -> bool:
    """A host name that needs DNS, not an address literal."""
    try:
        ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return bool(host)
    return False


def lookup(host: str, timeout: float = CONTROL_TIMEOUT) -> bool:
    """Does `host` resolve within `timeout` seconds? (getaddrinfo has no deadline of its own: it runs in a
    daemon thread that is left behind if it hangs.)"""
    answer: list[bool] = []

    def resolve() -> None:
        try:
            answer.append(bool(socket.getaddrinfo(host, None)))
        except (OSError, UnicodeError):
            answer.append(False)

    worker = threading.Thread(target=resolve, name="siteaudit-control-lookup", daemon=True)
    worker.start()
    worker.join(timeout)
    return bool(answer and answer[0])


def judge_resolver(store: Store, run_id: int, cfg: Config) -> Resolver:
    """Read the run's external outcomes; when the machine has no resolver, mark the DNS failures `unresolved`."""
    failed: set[str] = set()
    resolved: set[str] = set()
    for url, status, error, detail in store.external_outcomes(run_id):
        host = (urlsplit(url).hostname or "").lower()
        if not is_name(host) or CACHED_MARK in (detail or ""):
            continue
        if error == "dns":
            failed.add(host)
        elif status is not None or error in RESOLVED_ERRORS:
            resolved.add(host)
    state = Resolver(sorted(failed - resolved), len(resolved))
    if state.failed_hosts:
        own = next((h for h in ((urlsplit(u).hostname or "").lower() for u in cfg.site.start_urls) if is_name(h)),
                   None)
        if own is not None:
            state.control_host, state.control_ok = own, lookup(own)
    if state.no_resolver:
        store.mark_unresolved(run_id, state.detail())
    return state
