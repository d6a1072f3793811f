"""`siteaudit demo`: build the bundled demo site, serve it on 127.0.0.1 and audit it like any other site."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from siteaudit.audit import audit
from siteaudit.core import config as config_mod
from siteaudit.core.store import Store, is_database_url
from siteaudit.demo.server import SiteServer
from siteaudit.demo.site import build, fix_sitemap, routes
from siteaudit.schedules.uptime import run_uptime

DEMO_CHECKS: dict[str, Any] = {
    "documents": {"max_document_bytes": 1024 * 1024},
    "disclosure": {"not_applicable": {"minutes": "本處非合議制機關，無合議制會議紀錄"}},
}


def demo_config(base: str, store_path: str | None = None) -> config_mod.Config:
    """The demo profile: loopback, so no throttling; never fetch hosts other than the demo's own."""
    data: dict[str, Any] = {
        "site": {"name": "demo", "agency": "台灣自來水公司第一區管理處（示範）", "start_urls": [base + "/"],
                 # Only loopback and the deliberately dead .invalid host may be contacted.
                 "exclude": [r"^https?://(?!127\.0\.0\.1[:/]|[^/]*\.invalid[:/])"]},
        "crawl": {"autothrottle": False, "concurrency": 8, "concurrency_per_host": 8, "max_pages": 500},
        "checks": DEMO_CHECKS,
        "uptime": {"tries": 1, "retry_wait": 0},
    }
    if store_path:  # an SQLite file, or a postgresql:// URL (store.url)
        data["store"] = {"url": store_path} if is_database_url(store_path) else {"path": store_path}
    return config_mod.from_dict(data, source="demo")


def run_demo(out_dir: Path | None = None, store_path: str | None = None, lang: str = "zh") -> Any:

    with tempfile.TemporaryDirectory(prefix="siteaudit-demo-") as tmp:
        build(tmp)
        with SiteServer(tmp, routes(), content_types={"/big5.html": "text/html"}) as server:
            fix_sitemap(tmp, server.base)
            cfg = demo_config(server.base, store_path)
            store = Store(cfg.store_path())
            try:
                # The nightly availability check of the demo site, as cron would run it: with it, the demo's
                # report decides every item of the plan (網站運轉情形 included).
                run_uptime(cfg, store)
                return audit(cfg, store, out_dir, progress=True, lang=lang)
            finally:
                store.close()
