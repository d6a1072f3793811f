"""Audit runs: versions of the tool and its libraries, and creating a run row."""

from __future__ import annotations

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
