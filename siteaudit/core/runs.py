"""Audit runs: versions of the tool and its libraries, creating a run row, and who owns a run."""

from __future__ import annotations

import os
import socket
from importlib import metadata

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
