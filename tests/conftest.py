"""Shared fixtures: servers on 127.0.0.1, the demo site built and crawled once per session, CLI runs."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from time import tzset
from typing import Any

import pytest

from services import fresh_pg_schema
from siteaudit.demo.server import SiteServer
from siteaudit.demo.site import build, fix_sitemap, routes

ROOT = Path(__file__).resolve().parent.parent
# The one "today" of the suite: fixture sites are built, dated and file-timed from it, and the checks judge as
# of it, so the suite gives the same result on any day it runs.
TODAY = date(2026, 11, 26)
NOW = datetime.combine(TODAY, time(12), tzinfo=timezone(timedelta(hours=8)))


# The machine zones every date a person reads must not depend on: a UTC server and one set to Taipei.
MACHINE_ZONES = ("UTC", "Asia/Taipei")


@pytest.fixture(params=MACHINE_ZONES)
def machine_zone(request: pytest.FixtureRequest) -> Iterator[str]:
    """Run the test, and the commands it starts (run_cli passes os.environ on), with the machine's own zone set
    to UTC, then to Asia/Taipei (TZ, applied in this process with time.tzset())."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = request.param
    tzset()
    yield request.param
    if before is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = before
    tzset()


def as_of(*checks: str) -> str:
    """Config tables that make `checks` judge as of TODAY."""
    return "".join(f'[checks.{name}]\ntoday = "{TODAY.isoformat()}"\n' for name in checks)


def run_cli(*args: str, timeout: float = 180, env: dict[str, str] | None = None,
            cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run `python -m siteaudit ARGS` the way a user would, from the installed package, in the test session's
    working directory (never the checkout)."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "siteaudit", *args], capture_output=True, text=True,
                          timeout=timeout, env=full_env, cwd=cwd or Path.cwd())


@pytest.fixture(scope="session", autouse=True)
def work_outside_the_checkout(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Every test runs in a temporary working directory: default outputs never land in the checkout."""
    work = tmp_path_factory.mktemp("cwd")
    before = Path.cwd()
    os.chdir(work)
    yield work
    os.chdir(before)


LOG_ERROR = re.compile(r"^\S+ \S+ \[[^\]]+\] (ERROR|CRITICAL): ", re.MULTILINE)
CRAWL_LOGS = ("crawl.log", "crawl-resources.log")


def crawl_log_errors(root: Path, since: float) -> list[str]:
    """ERROR and CRITICAL lines of the crawl logs under `root` written since `since` (a file time)."""
    found = []
    for name in CRAWL_LOGS:
        for log in root.rglob(name):
            if log.is_file() and log.stat().st_mtime >= since:
                text = log.read_text(encoding="utf-8", errors="replace")
                found += [f"{log}: {m.group(0)}{text[m.end():].split(chr(10), 1)[0]}" for m in LOG_ERROR.finditer(text)]
    return found


@pytest.fixture(autouse=True)
def no_error_in_a_crawl_log(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
                            ) -> Iterator[None]:
    """Every crawl a test runs must log no ERROR: Scrapy catches and logs what a component raises (a signal
    handler, a pipeline), so an error there passes unseen unless its log is read. A test that provokes an
    ERROR on purpose is marked `crawl_log_errors_expected`."""
    since = datetime.now().timestamp() - 1
    yield
    if request.node.get_closest_marker("crawl_log_errors_expected"):
        return
    errors = crawl_log_errors(tmp_path_factory.getbasetemp(), since)
    assert not errors, "ERROR in a crawl log:\n" + "\n".join(errors[:5])


def write_config(path: Path, base: str, store: Path, crawl: dict[str, Any] | None = None,
                 site: dict[str, Any] | None = None, extra: str = "") -> Path:
    """A site config for a fixture server: loopback, no throttling."""
    crawl = {"autothrottle": False, "concurrency": 8, "concurrency_per_host": 8, **(crawl or {})}
    site = {"name": "fixture", "start_urls": [base + "/"], **(site or {})}

    def toml_value(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, (int, float)):
            return str(v)
        if isinstance(v, list):
            return "[" + ", ".join(toml_value(x) for x in v) + "]"
        return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'

    lines = ["[site]"] + [f"{k} = {toml_value(v)}" for k, v in site.items()]
    lines += ["[crawl]"] + [f"{k} = {toml_value(v)}" for k, v in crawl.items()]
    if "[evidence]" not in extra:  # element screenshots have tests of their own; elsewhere they would only add
        lines += ["[evidence]", "screenshots = 0"]   # a browser start to every audit with accessibility findings
    lines += ["[store]", f"path = {toml_value(str(store))}", extra]  # [store] last: tests append to its tables
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def judged_clean(result: subprocess.CompletedProcess[str]) -> None:
    """An audit whose selected checks passed: never 通過 while the plan's other items were not decided (checks
    switched off, no nightly probe), so it ends incomplete with exit 1 and no failed item."""
    assert result.returncode == 1, result.stderr
    last = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
    assert " incomplete — " in last and "failed:" not in last, last


def audit_fixture(root: Path, base: str, checks: str, extra: str = ""
                  ) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    """Audit a fixture site (sitemaps off) with `checks`, store and output under `root`: the CLI's result and
    its findings.json."""
    cfg = write_config(root / "c.toml", base, root / "s.sqlite3", crawl={"sitemaps": False}, extra=extra)
    result = run_cli("audit", "--config", str(cfg), "--checks", checks, "--out", str(root / "out"))
    findings = root / "out" / "findings.json"
    assert findings.exists(), result.stderr
    return result, json.loads(findings.read_text(encoding="utf-8"))


@pytest.fixture(params=["sqlite", "postgresql"])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A store location on each backend: an SQLite file, then a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield str(tmp_path / "s.sqlite3")
    else:
        with fresh_pg_schema() as url:
            yield url


@pytest.fixture
def serve() -> Iterator[Callable[..., SiteServer]]:
    servers: list[SiteServer] = []

    def start(root: str | Path, routes: dict | None = None, **kwargs: Any) -> SiteServer:
        server = SiteServer(root, routes or {}, **kwargs)
        server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture(scope="session")
def demo_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[SiteServer, Path, dict]]:
    root = tmp_path_factory.mktemp("demo-site")
    truth = build(root, today=TODAY)
    server = SiteServer(root, routes(), content_types={"/big5.html": "text/html"})
    server.start()
    fix_sitemap(root, server.base)
    yield server, root, truth
    server.stop()


@pytest.fixture(scope="session")
def demo_run(demo_site: tuple[SiteServer, Path, dict], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The demo site audited once through the CLI; tests read its store and outputs."""
    server, root, truth = demo_site
    work = tmp_path_factory.mktemp("demo-run")
    store = work / "store.sqlite3"
    cfg = write_config(work / "demo.toml", server.base, store, site={
        "name": "demo", "exclude": [r"^https?://(?!127\.0\.0\.1[:/]|[^/]*\.invalid[:/])"]},
        extra="[checks.documents]\nmax_document_bytes = 1048576\n" + as_of("freshness", "accessibility", "disclosure", "publication", "opendata")
              + "[checks.disclosure.not_applicable]\nminutes = \"本處非合議制機關\"\n")
    result = run_cli("audit", "--config", str(cfg), "--out", str(work / "out"))
    db = sqlite3.connect(store)
    db.row_factory = sqlite3.Row
    run_id = db.execute("SELECT MAX(id) FROM runs").fetchone()[0]
    return {"result": result, "db": db, "run_id": run_id, "base": server.base, "out": work / "out", "db_path": store,
            "truth": truth, "root": root, "server": server}
