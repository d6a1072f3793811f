"""Audit runs: versions of the tool and its libraries, creating a run row, and who owns a run."""

from __future__ import annotations

import os
import socket
from importlib import metadata
from typing import Any

from siteaudit import __version__
from siteaudit.core.config import Config
from siteaudit.core.store import Store

LIBRARIES = ("scrapy", "twisted", "lxml", "beautifulsoup4", "requests", "jinja2", "selenium", "axe-selenium-python")


def versions() -> dict[str, str]:
    out = {"siteaudit": __version__}
    for name in LIBRARIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def start_run(store: Store, cfg: Config) -> int:
    return store.create_run(cfg.site.name, cfg.snapshot(), cfg.hash(), versions())


def this_owner() -> str:
    """This process, as it is written into a run's owner lock: host and pid."""
    return f"{socket.gethostname()}:{os.getpid()}"


def owner_alive(owner: str) -> bool:
    """Is the process that wrote `owner` still running? A process on another host cannot be seen from here, so it
    is taken to be alive."""
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def abandoned_runs(store: Store, site: str | None = None) -> dict[int, str]:
    """Runs still marked running whose owner process has ended (killed, never resumed): run id -> that owner."""
    owners = store.run_owners()
    return {run["id"]: owners[run["id"]] for run in store.runs(site, limit=1000)
            if run["status"] == "running" and run["id"] in owners and not owner_alive(owners[run["id"]])}


def shown_status(run: dict[str, Any], abandoned: dict[int, str]) -> str:
    """A run's status as a person should read it: a running run whose process has ended is interrupted."""
    return "interrupted" if run["id"] in abandoned else str(run["status"])


def settle_abandoned_runs(store: Store, site: str) -> list[tuple[int, str]]:
    """Mark `site`'s abandoned runs interrupted (they stay resumable); returns (run id, dead owner) of each."""
    settled = []
    for run_id, owner in sorted(abandoned_runs(store, site).items()):
        store.finish_run(run_id, "interrupted", error=f"process {owner} ended without finishing the run")
        store.release_run(run_id, owner)
        settled.append((run_id, owner))
    return settled
