"""The fleet's tasks: one site's audit on one worker, under the lock of its hosts, resumed from the store when an
earlier delivery of the same task died mid-way; and one batch of an audit's accessibility stage, taken by any
worker under a lease (docs/fleet.md)."""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
import tomllib
import uuid
from pathlib import Path
from typing import Any

from siteaudit.checks import a11y_batches
from siteaudit.checks.accessibility import CHECK as ACCESSIBILITY
from siteaudit.core import config as config_mod
from siteaudit.core.browser import find_browser
from siteaudit.core.config import Config
from siteaudit.core.results import ExitCode
from siteaudit.core.store import Store, StoreError
from siteaudit.fleet.app import app
from siteaudit.fleet.state import FleetState, connect

A11Y_QUEUE = "siteaudit-a11y"       # accessibility batches; every worker takes them besides whole audits
OUTCOMES = {ExitCode.PASS: "complete", ExitCode.FAIL: "complete", ExitCode.UNCRAWLABLE: "uncrawlable"}


def out_root() -> Path:
    """Where this worker writes each audit's outputs (`siteaudit worker --out`)."""
    return Path(app.conf.get("siteaudit_out") or "siteaudit-out/fleet")


@app.task(bind=True, name="siteaudit.fleet.audit_site", acks_late=True, max_retries=None)
def audit_site(self: Any, job: dict[str, Any]) -> dict[str, Any]:
    """Audit one queued site; a busy host sends the task back to the queue for later."""
    state = FleetState(connect(app.conf.broker_url))
    site, token = job["site"], job["token"]
    if state.pending(site) != token:
        return {"site": site, "skipped": "done by an earlier delivery"}
    cfg = config_mod.from_dict(tomllib.loads(job["config"]), source=job["source"])
    hosts = cfg.site.allowed_hosts
    # Each delivery holds the host locks under a name of its own: a second delivery of a task whose first is still
    # running (the broker's visibility timeout passed) waits for it instead of taking the run from it.
    holder = f"{token}:{uuid.uuid4().hex[:12]}"
    if not state.lock_hosts(hosts, holder, cfg.fleet.lock_seconds):
        if not state.hosts_held_by(hosts, token):
            state.record(site, state="waiting", reason="another crawl of the same host is running")
        raise self.retry(countdown=max(2, cfg.fleet.lock_seconds // 4), max_retries=None)
    if state.pending(site) != token:  # the delivery that held the hosts until now has just done this audit
        state.unlock_hosts(hosts, holder)
        return {"site": site, "skipped": "done by an earlier delivery"}
    keeper = state.keep_locked(hosts, holder, cfg.fleet.lock_seconds)
    try:
        return run_job(state, job, cfg, self.request.hostname or socket.gethostname())
    finally:
        keeper.set()
        state.unlock_hosts(hosts, holder)


def run_job(state: FleetState, job: dict[str, Any], cfg: Config, worker: str) -> dict[str, Any]:
    site, token = job["site"], job["token"]
    resume = interrupted_since(cfg, job["enqueued"])
    out = out_root() / f"{site}-{token[:8]}"
    state.record(site, state="running", worker=worker, started=time.time(), resumed=resume,
                 out=str(out.resolve()))
    code, error = run_audit(job, out, resume, worker)
    outcome = OUTCOMES.get(code, "failed")
    run_id = None
    try:
        with Store(cfg.store_path(), create=False) as store:
            run = store.latest_run(site)
            run_id = run["id"] if run else None
    except StoreError as exc:
        error = error or str(exc)
    state.record(site, state=outcome, exit=code, error=error if outcome != "complete" else None, run_id=run_id,
                 finished=time.time())
    state.release_pending(site, token)
    return {"site": site, "state": outcome, "exit": code, "run_id": run_id}


def interrupted_since(cfg: Config, enqueued: float) -> bool:
    """Did an earlier delivery of this task start a run that never finished? Then the crawl resumes from it."""
    try:
        with Store(cfg.store_path(), create=False) as store:
            run = store.latest_run(cfg.site.name)
    except StoreError:
        return False
    return bool(run and run["status"] in ("running", "interrupted") and run["started"] >= enqueued)


def die_with_parent() -> None:
    """The audit process ends when its worker dies (Linux), so a killed worker leaves no crawl behind."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def run_audit(job: dict[str, Any], out: Path, resume: bool, worker: str = "") -> tuple[int, str | None]:
    """`siteaudit audit` of the job's config in its own process (a fresh Scrapy reactor per audit), its
    accessibility batches offered to the fleet through this worker's broker."""
    out.mkdir(parents=True, exist_ok=True)
    config = out / "site.toml"
    config.write_text(job["config"], encoding="utf-8")
    args = [sys.executable, "-m", "siteaudit", "audit", "--config", str(config), "--out", str(out),
            "--fanout-broker", app.conf.broker_url, "--fanout-name", worker or socket.gethostname()]
    if job.get("checks"):
        args += ["--checks", job["checks"]]
    if resume:
        args.append("--resume")  # the resumed run keeps the plan (full or incremental) it started with
    elif job.get("full"):
        args.append("--full")
    with open(out / "audit.log", "a", encoding="utf-8") as log:
        folder = Path(job.get("source") or ".").parent  # relative paths (waivers) as on the queuing machine
        proc = subprocess.run(args, stdout=log, stderr=subprocess.PIPE, text=True, preexec_fn=die_with_parent,
                              cwd=folder if folder.is_dir() else None)
        log.write(proc.stderr)
    lines = [line for line in proc.stderr.splitlines() if line.startswith("siteaudit:")]
    return proc.returncode, (lines[-1] if lines else None)


@app.task(bind=True, name="siteaudit.fleet.test_batch", acks_late=True)
def a11y_batch(self: Any, job: dict[str, Any]) -> dict[str, Any]:
    """Test one accessibility batch of another worker's audit, if it is still open and nobody holds it; a batch
    done (or dropped, or held by a live lease) returns at once. Results are stored page by page, whole."""
    run_id, stage, n = int(job["run_id"]), job["stage"], int(job["n"])
    opts = job["options"]
    owner = f"{self.request.hostname or socket.gethostname()}:{os.getpid()}"
    try:
        with Store(job["store"], create=False) as store:
            store.count_a11y_delivery(run_id, stage, n)
            paths = find_browser(opts["chromium_path"], opts["chromedriver_path"])
            if paths.missing:  # the auditing worker tests it
                return {"batch": n, "skipped": f"{paths.missing} not found"}
            outcome = a11y_batches.run_batch(ACCESSIBILITY, store, run_id, stage, n, owner, paths, opts,
                                             float(job["lease_seconds"]))
    except StoreError as exc:
        return {"batch": n, "skipped": str(exc)}
    if not outcome.taken:
        return {"batch": n, "skipped": "done, dropped or held by another worker"}
    return {"batch": n, "tested": outcome.tested, "not_tested": len(outcome.not_tested), "by": owner}
