"""The fleet's tasks: one site's audit on one worker, under the lock of its hosts, resumed from the store when an
earlier delivery of the same task died mid-way; and one batch of an audit's accessibility stage, taken by any
worker under a lease (docs/fleet.md)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import tomllib
import uuid
from pathlib import Path
from typing import Any

from celery.utils.log import get_task_logger

from siteaudit.checks import a11y_batches
from siteaudit.checks.accessibility import CHECK as ACCESSIBILITY
from siteaudit.core import config as config_mod
from siteaudit.core.browser import die_with_parent, find_browser
from siteaudit.core.config import Config
from siteaudit.core.names import folder_name
from siteaudit.core.results import ExitCode
from siteaudit.core.store import Store, StoreError
from siteaudit.fleet.app import app
from siteaudit.fleet.state import FleetState, connect, state_url

logger = get_task_logger(__name__)
A11Y_QUEUE = "siteaudit-a11y"       # accessibility batches; every worker takes them besides whole audits
OUTCOMES = {ExitCode.PASS: "complete", ExitCode.FAIL: "complete", ExitCode.UNCRAWLABLE: "uncrawlable"}


def out_root() -> Path:
    """Where this worker writes each audit's outputs (`siteaudit worker --out`)."""
    return Path(app.conf.get("siteaudit_out") or "siteaudit-out/fleet")


def worker_id(hostname: str | None = None) -> str:
    """This worker process in host locks and liveness: NAME@HOST:PID (a restarted worker is another one)."""
    return f"{hostname or app.conf.get('siteaudit_hostname') or socket.gethostname()}:{os.getpid()}"


def fleet_state(job: dict[str, Any] | None = None) -> FleetState:
    """The fleet's Redis: the one the job was queued with, else this worker's."""
    url = (job or {}).get("state") or app.conf.get("siteaudit_state") or state_url(app.conf.broker_url)
    return FleetState(connect(url))


@app.task(bind=True, name="siteaudit.fleet.audit_site", acks_late=True)
def audit_site(self: Any, job: dict[str, Any]) -> dict[str, Any]:
    """Audit one queued site. A busy host defers the site in the fleet state (not in this worker's memory);
    whoever frees a host, or any worker's periodic look, queues it again. Any error ends the site `failed`."""
    state = fleet_state(job)
    site, token = job["site"], job["token"]
    if state.pending(site) != token:
        return {"site": site, "skipped": "done by an earlier delivery"}
    try:
        return audit_locked(state, job, self.request.hostname or socket.gethostname())
    except Exception as exc:  # never a site wedged as running: failed with the reason, queued again next time
        reason = f"{type(exc).__name__}: {exc}".strip()
        state.record(site, state="failed", error=f"siteaudit: fleet task failed: {reason}", finished=time.time())
        state.release_pending(site, token)
        logger.warning("%s failed: %s", site, reason)
        return {"site": site, "state": "failed", "error": reason}


def audit_locked(state: FleetState, job: dict[str, Any], worker: str) -> dict[str, Any]:
    site, token = job["site"], job["token"]
    cfg = config_mod.from_dict(tomllib.loads(job["config"]), source=job["source"])
    hosts = cfg.site.allowed_hosts
    # Each delivery holds the host locks under a name of its own, with its worker's: a second delivery of a task
    # whose first still runs waits for it; one whose first delivery's worker died takes the locks over.
    holder = f"{token}:{uuid.uuid4().hex[:12]}:{worker_id(worker)}"
    if not state.lock_hosts(hosts, holder, cfg.fleet.lock_seconds):
        state.defer(site, job, hosts)
        if not state.hosts_held_by(hosts, token):
            state.record(site, state="waiting", reason="another crawl of the same host is running",
                         deferred_by=worker)
        requeue_deferred(state)  # the host may have been freed while this was deferred
        return {"site": site, "deferred": True}
    if state.pending(site) != token:  # the delivery that held the hosts until now has just done this audit
        state.unlock_hosts(hosts, holder)
        return {"site": site, "skipped": "done by an earlier delivery"}
    keeper = state.keep_locked(hosts, holder, cfg.fleet.lock_seconds)
    try:
        return run_job(state, job, cfg, worker)
    finally:
        keeper.set()
        state.unlock_hosts(hosts, holder)
        requeue_deferred(state)


def requeue_deferred(state: FleetState) -> list[str]:
    """Queue again every deferred site whose hosts are free (or held by a dead worker); returns them."""
    sent = []
    for site, entry in state.deferred().items():
        if not state.hosts_free(entry["hosts"]):
            continue
        taken = state.take_deferred(site)
        if taken is None:
            continue  # another worker queued it
        job = taken["job"]
        if state.pending(site) != job["token"]:
            continue  # audited meanwhile
        try:
            send(job)
        except Exception:  # kombu's connection errors vary by transport: deferred still, the next look retries
            state.defer(site, job, taken["hosts"])
            continue
        sent.append(site)
    return sent


def requeue_dead(state: FleetState) -> list[str]:
    """Queue again the audit of every site `running` on a worker that is gone (no word from it for
    ALIVE_SECONDS): a Redis broker would give its message back only after the visibility timeout."""
    sent = []
    for site, st in state.sites().items():
        job = state.job(site) if st.get("state") == "running" else None
        if not job or state.pending(site) != job["token"] or state.is_alive(st.get("holder") or ""):
            continue
        if not st.get("holder") or not state.claim_requeue(site, st["holder"]):
            continue
        try:
            send(job)
        except Exception:  # kombu's connection errors vary by transport: the next look retries
            continue
        state.record(site, state="queued", reason="its worker died; queued again")
        sent.append(site)
    return sent


def send(job: dict[str, Any]) -> None:
    """Queue `job` on this worker's broker over a connection of its own."""
    with app.connection_for_write() as conn:
        audit_site.apply_async((job,), connection=conn, task_id=job["token"], retry=True)


def site_folder(root: Path, site: str, token: str) -> Path:
    """The folder of one audit under `root`: named from the site's name, never a path taken from it."""
    out = root / f"{folder_name(site)}-{token[:8]}"
    if not out.resolve().is_relative_to(root.resolve()):
        raise ValueError(f"output folder outside {root}")
    return out


def run_job(state: FleetState, job: dict[str, Any], cfg: Config, worker: str) -> dict[str, Any]:
    site, token = job["site"], job["token"]
    resume = interrupted_since(cfg, job["enqueued"])
    out = site_folder(out_root(), site, token)
    state.keep_job(site, job)
    state.record(site, state="running", worker=worker, holder=worker_id(worker), started=time.time(),
                 resumed=resume, out=str(out.resolve()), reason=None, error=None)
    code, error = run_audit(job, out, resume, worker)
    outcome = OUTCOMES.get(code, "failed")
    run_id = None
    try:
        with Store(cfg.store_path(), create=False) as store:
            run = store.latest_run(site)
            run_id = run["id"] if run else None
    except StoreError as exc:
        error = error or str(exc)
    if outcome == "failed" and not error:
        error = f"siteaudit: the audit process ended with exit code {code}"
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
