"""SIGINT and SIGTERM end an audit as interrupted in any stage (exit 130 or 143), with every browser reaped, and
`--resume` finishes the run. Real processes, real signals, real Chromium."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from conftest import as_of, judged_clean, run_cli, write_config
from siteaudit.core.browser import find_browser
from siteaudit.demo.server import SiteServer, send

needs_browser = pytest.mark.skipif(bool(find_browser().missing), reason="chromium and chromedriver are not installed")

PAGE = ('<!doctype html><html lang="zh-Hant"><head><meta charset="utf-8"><title>第{n}頁</title></head><body>'
        '<main><h1>第{n}頁</h1>{links}</main></body></html>')


def slow_site(root: Path, serve, pages: int = 30, delay: float = 0.15) -> SiteServer:
    """`pages` pages, each answered `delay` s late: a crawl and a browser stage long enough to be stopped mid-way."""
    links = "".join(f'<a href="/p{i}.html">第{i}頁</a> ' for i in range(pages))

    def page(n: int):
        def route(handler) -> None:
            time.sleep(delay)
            send(handler, 200, PAGE.format(n=n, links=links).encode())
        return route

    root.mkdir(exist_ok=True)
    (root / "index.html").write_text(PAGE.format(n="首", links=links), encoding="utf-8")
    return serve(root, {f"/p{i}.html": page(i) for i in range(pages)})


def processes_marked(mark: str) -> list[int]:
    """Pids of live processes whose environment carries `mark` (the audit and every browser it started)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if mark.encode() in environ and state != "Z":
            found.append(int(entry.name))
    return found


def start_audit(cfg: Path, out: Path, checks: str, mark: str) -> subprocess.Popen[str]:
    env = {**os.environ, "SITEAUDIT_SIGNAL_TEST": mark}
    return subprocess.Popen([sys.executable, "-m", "siteaudit", "audit", "--config", str(cfg), "--checks", checks,
                             "--out", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            start_new_session=True)


def wait_for_line(proc: subprocess.Popen[str], words: str, timeout: float = 90) -> list[str]:
    """Read stderr until a line holds `words`; the lines read."""
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    assert proc.stderr is not None
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        lines.append(line)
        if words in line:
            return lines
    raise AssertionError(f"no line with {words!r}: {lines}")


def stopped(proc: subprocess.Popen[str], sig: int, group: bool, mark: str) -> tuple[int, str]:
    """Send `sig` (to the process group: a terminal's Ctrl-C) and wait; its exit code and the rest of stderr."""
    os.killpg(proc.pid, sig) if group else proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    deadline = time.monotonic() + 10
    while processes_marked(mark) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert processes_marked(mark) == [], "a browser or the audit outlived it"
    return proc.returncode, err


def statuses(store: Path) -> list[str]:
    return [r[0] for r in sqlite3.connect(store).execute("SELECT status FROM runs ORDER BY id")]


@needs_browser
@pytest.mark.parametrize(("sig", "group", "code"), [(signal.SIGTERM, False, 143), (signal.SIGINT, True, 130)],
                         ids=["sigterm", "ctrl-c-to-the-group"])
def test_a_signal_during_the_browser_stage_ends_the_run_interrupted_and_resume_finishes_it(
        tmp_path: Path, serve, sig: int, group: bool, code: int) -> None:
    server = slow_site(tmp_path / "site", serve)
    store, out = tmp_path / "s.sqlite3", tmp_path / "out"
    cfg = write_config(tmp_path / "c.toml", server.base, store, crawl={"sitemaps": False},
                       extra=as_of("accessibility") + "workers = 1\n")
    mark = uuid.uuid4().hex
    proc = start_audit(cfg, out, "links,accessibility", mark)
    wait_for_line(proc, "accessibility")
    time.sleep(3)  # the browsers are up and testing
    exit_code, err = stopped(proc, sig, group, mark)
    assert exit_code == code, err
    assert "Traceback" not in err and "interrupted" in err, err
    assert statuses(store) == ["interrupted"]
    resumed = run_cli("audit", "--config", str(cfg), "--checks", "links,accessibility", "--resume", "--out", str(out),
                      timeout=300)
    assert resumed.returncode in (0, 1), resumed.stderr
    assert statuses(store) == ["complete"]
    assert (out / "findings.json").is_file()


def test_sigterm_during_the_crawl_ends_it_interrupted_with_143_and_resume_finishes_it(tmp_path: Path, serve) -> None:
    server = slow_site(tmp_path / "site", serve, pages=60, delay=0.2)
    store, out = tmp_path / "s.sqlite3", tmp_path / "out"
    cfg = write_config(tmp_path / "c.toml", server.base, store, crawl={"sitemaps": False, "concurrency_per_host": 2,
                                                                       "concurrency": 2})
    mark = uuid.uuid4().hex
    proc = start_audit(cfg, out, "links", mark)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (store.exists() and pages(store) >= 5):
        time.sleep(0.1)
    exit_code, err = stopped(proc, signal.SIGTERM, False, mark)
    assert exit_code == 143, err
    assert "SIGTERM" in err and "Traceback" not in err, err
    assert statuses(store) == ["interrupted"]
    resumed = run_cli("audit", "--config", str(cfg), "--checks", "links", "--resume", "--out", str(out))
    judged_clean(resumed)
    assert statuses(store) == ["complete"] and pages(store) == 61


def pages(store: Path) -> int:
    try:
        return sqlite3.connect(store).execute("SELECT COUNT(*) FROM pages").fetchone()[0]
    except sqlite3.Error:
        return 0
