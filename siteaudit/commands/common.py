"""What several commands share: the site config from the command line, the stored run's store, the PDF printer."""

from __future__ import annotations

import argparse

from siteaudit.core import config as config_mod
from siteaudit.core.browser import (
    FONT_INSTALL_HINT,
    INSTALL_HINT,
    BrowserPaths,
    find_browser,
    zh_font_missing,
)
from siteaudit.core.config import Config, ConfigError
from siteaudit.core.store import Store, is_database_url


def load_config(args: argparse.Namespace) -> Config:

    if getattr(args, "config", None):
        if getattr(args, "url", None):
            data = config_mod.read_toml(args.config)
            data.setdefault("site", {})
            data["site"]["start_urls"] = [config_mod.validate_url("URL", args.url)]
            data["site"].pop("allowed_hosts", None)
            cfg = config_mod.from_dict(data, source=args.config)
        else:
            cfg = config_mod.load(args.config)
    elif getattr(args, "url", None):
        cfg = config_mod.for_url(args.url)
    else:
        raise ConfigError("give a URL or --config FILE")
    if getattr(args, "max_pages", None) is not None:
        if args.max_pages < 1:
            raise ConfigError("--max-pages: must be at least 1")
        cfg.crawl.max_pages = args.max_pages
    if getattr(args, "store", None):
        if is_database_url(args.store):
            cfg.store.url, cfg.store.path = args.store, ""
        else:
            cfg.store.path, cfg.store.url = args.store, ""
    return cfg


def open_store(args: argparse.Namespace) -> Store:
    """The existing store of `--store`, else of `--config`, else the default one (never created here)."""
    if getattr(args, "store", None):
        return Store(args.store, create=False)
    if getattr(args, "config", None):

        return Store(config_mod.load(args.config).store_path(), create=False)
    return Store(Config().store_path(), create=False)


def pdf_printer() -> BrowserPaths:
    """Chromium and chromedriver to print with, and a Chinese font; else a usage error with the install command."""
    paths = find_browser()
    if paths.missing:
        raise ConfigError(f"--pdf needs {paths.missing}: {INSTALL_HINT}")
    if zh_font_missing():
        raise ConfigError(f"--pdf: no font for Traditional Chinese (fc-list :lang=zh-tw finds none), the PDF would "
                          f"show empty boxes; install one as root: {FONT_INSTALL_HINT}")
    return paths
