"""One audit: crawl (or resume) into the store, run the checks, write findings.json and report.html."""

from __future__ import annotations

import signal
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from siteaudit import checks as registry
from siteaudit.checks.base import Fanout
from siteaudit.core.config import Config, ConfigError, audit_hash
from siteaudit.core.console import echo
from siteaudit.core.dates import format_local, labelled, now
from siteaudit.core.results import AuditError, ExitCode, Status
from siteaudit.core.runs import owner_alive, settle_abandoned_runs, start_run, this_owner, versions
from siteaudit.core.stopping import Interrupted
from siteaudit.core.store import Store, write_failure
from siteaudit.core.wacz import OUTPUT_NAME, place_output
from siteaudit.core.warc import WarcFile, recording
from siteaudit.crawler.resolver import judge_resolver
from siteaudit.crawler.runner import crawl
from siteaudit.reports.digest import send_digest
from siteaudit.reports.plan import plan_line
from siteaudit.reports.render import FORMATS, OUTPUT_FILES, check_outputs, write_outputs
from siteaudit.runevidence import check_archive, checks_recorder, evidence_setup, package_run, staging_of
from siteaudit.verdict.judge import Verdict, judge
from siteaudit.verdict.waivers import Waiver, load_waivers

STAMP_READERS = {"freshness", "publication"}   # checks that read the texts around a page's date labels


@dataclass
class AuditOutcome:
    run_id: int
    verdict: Verdict
    out_dir: Path
    pages: int
    written: list[Path]


def plan_run(cfg: Config, store: Store, full: bool, stamps: bool) -> dict[str, Any]:
    """Full or incremental, and why (a code of reports.plan.FULL_REASONS): an incremental run needs a complete
    last run of the same site, audit config and versions, whose crawl read everything this one needs."""
    plan: dict[str, Any] = {"mode": "full", "stamps": stamps, "max_age_days": cfg.incremental.max_age_days}
    base = store.latest_run(cfg.site.name)
    if full:
        reason = "asked"
    elif not cfg.incremental.enabled:
        reason = "disabled"
    elif base is None:
        reason = "no-run"
    elif base["status"] != "complete":
        reason = "incomplete"
    elif not base["plan"]:
        reason = "old-store"
    elif audit_hash(base["config"]) != cfg.audit_hash():
        reason = "config"
    elif base["versions"] != versions():
        reason = "versions"
    elif stamps and not base["plan"].get("stamps"):
        reason = "stamps"
    else:
        return plan | {"mode": "incremental", "base_run": base["id"], "base_started": base["started"]}
    plan["reason"] = reason
    if base is not None:
        plan.update(reason_run=base["id"], reason_status=base["status"])
    return plan


def crawl_into(cfg: Config, store: Store, resume: bool, progress: bool, log_file: Path | None = None,
               stamps: bool = True, full: bool = False, out: Path | None = None) -> int:
    """Crawl (or finish an interrupted crawl) and return the run id; the run is left 'running' until the checks end."""

    resume_state = None
    if resume:
        previous = store.latest_run(cfg.site.name)
        if previous is None or previous["status"] not in ("running", "interrupted"):
            raise AuditError(f"nothing to resume: no interrupted run of site {cfg.site.name!r}", ExitCode.USAGE)
        run_id = previous["id"]
        holder = store.claim_run(run_id, this_owner(), owner_alive)
        if holder:
            raise AuditError(f"run {run_id} of {cfg.site.name!r} is still being crawled by process {holder}; wait "
                             "for it to end (or stop it), then resume", ExitCode.USAGE)
        store.mark_running(run_id)
        resume_state = {"fetched": store.fetched_urls(run_id), "frontier": store.frontier(run_id),
                        "pages": store.scheduled_pages(run_id)}
        plan = previous["plan"] or {"mode": "full", "reason": "resumed-old"}
        store.set_plan(run_id, plan)
    else:
        for stale, owner in settle_abandoned_runs(store, cfg.site.name):
            print(f"siteaudit: note: run {stale} of {cfg.site.name} was left unfinished by process {owner}, which "
                  "has ended: marked interrupted", file=sys.stderr)
        plan = plan_run(cfg, store, full, stamps)
        run_id = start_run(store, cfg)
        store.set_plan(run_id, plan)
        store.claim_run(run_id, this_owner(), owner_alive)
    evidence = evidence_setup(cfg, store, run_id, plan.get("base_run"), out) if out is not None else None
    result = crawl(cfg, str(store.path), run_id, resume=resume_state, progress=progress,
                   log_file=str(log_file) if log_file else None, stamps=stamps, base_run=plan.get("base_run"),
                   evidence=evidence)
    if result.get("store_error") is not None:  # pages were lost: the run stays open, for --resume
        raise result["store_error"]
    for note in result.get("notes", []):
        echo(f"siteaudit: note: {note}", file=sys.stderr)
    if result["finish_reason"] != "finished":
        signum = result.get("signal")
        why = signal.Signals(signum).name if signum else result["finish_reason"]
        store.finish_run(run_id, "interrupted", error=f"crawl stopped: {why}")
        raise AuditError(f"crawl interrupted ({why}); finish it with: siteaudit audit --resume ...",
                         Interrupted(signum).exit_code if signum else ExitCode.INTERRUPTED)
    store.finalize_redirects(run_id)
    resolver = judge_resolver(store, run_id, cfg)
    if resolver.no_resolver:
        echo(f"siteaudit: note: this machine could not resolve host names (DNS): links to "
             f"{len(resolver.failed_hosts)} external hosts are reported as not checked, not as broken", file=sys.stderr)
    return run_id


def record_evidence(cfg: Config, store: Store, run_id: int, out: Path) -> None:
    """Package the run's WARC files (crawl and checks) as its WACZ and record it in the run's plan; a WACZ that
    cannot be written is said, and the run records why it has none. Nothing when the run has no WARC files."""
    if not cfg.evidence.warc or not staging_of(cfg, store, run_id, out).is_dir():
        return
    try:
        evidence, notes = package_run(cfg, store, run_id, out)
    except OSError as exc:
        if write_failure(exc) is not None:
            raise
        evidence, notes = {"error": str(exc)}, [f"evidence: the run's WACZ could not be written ({exc})"]
    store.set_plan(run_id, {**(store.run(run_id) or {}).get("plan", {}), "evidence": evidence})
    for note in notes:
        echo(f"siteaudit: note: {note}", file=sys.stderr)


def close_recorder(recorder: WarcFile | None) -> None:
    """Close the checks' WARC file; one that cannot be written is said (the packaging says what is missing)."""
    if recorder is None:
        return
    try:
        recorder.close()
    except Exception as exc:
        if write_failure(exc) is not None:
            raise
        echo(f"siteaudit: note: evidence: {recorder.path} could not be written ({exc})", file=sys.stderr)


def start_failure(store: Store, run_id: int, cfg: Config) -> str | None:
    """Why the site could not be crawled at all (no start page answered with HTML), or None."""
    if store.count_pages(run_id):
        return None
    reasons = []
    for url in cfg.site.start_urls:
        row = store.page_outcome(run_id, url)
        if row is None:
            reasons.append(f"{url}: no answer")
        elif row["error"]:
            reasons.append(f"{url}: {row['error_detail'] or row['error']}")
        else:
            reasons.append(f"{url}: HTTP {row['status']}, no HTML page reached")
    return "; ".join(reasons)


def stage_printer(check: str) -> Callable[[str], None]:
    """Where a check's long stage reports how far it is: a line on stderr."""
    def say(text: str) -> None:
        echo(f"siteaudit: {check}: {text}", file=sys.stderr, flush=True)
    return say


def run_checks(cfg: Config, store: Store, run_id: int, names: list[str] | None,
               progress: bool = False, fanout: Fanout | None = None) -> dict[str, Any]:
    """Run the selected checks one after another; with `progress`, a line on stderr as each starts and ends;
    with `fanout` (a fleet worker's audit), the accessibility stage's batches are shared with the fleet."""
    selected = registry.select(names, cfg)
    results = {}
    for n, check in enumerate(selected, 1):
        started = time.monotonic()
        if progress:
            print(f"siteaudit: checks {n}/{len(selected)}: {check.name} …", file=sys.stderr, flush=True)
        say = stage_printer(check.name) if progress else None
        results.update(registry.run_checks([check], store, run_id, cfg, fanout, say))
        if progress:
            status = results[check.name].summary.get("status")
            print(f"siteaudit: checks {n}/{len(selected)}: {check.name} {status} in "
                  f"{time.monotonic() - started:.1f} s", file=sys.stderr, flush=True)
    for name, result in results.items():
        if result.summary.get("status") == Status.ERROR:
            echo(f"siteaudit: check {name} failed: {result.summary.get('reason')}", file=sys.stderr)
    findings = [f.as_dict() for r in results.values() for f in r.findings]
    store.replace_findings(run_id, findings)
    return {name: r.summary for name, r in results.items()}


def writable_out(out: Path, names: list[str]) -> None:
    """Make sure every output (`names` in the folder `out`) can be written, then create the folder and try a
    file in it: all before any run row exists, so a wrong --out never costs a crawl."""
    check_outputs(out, names)
    created = not out.exists()
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as exc:
        if created and out.is_dir() and not any(out.iterdir()):
            out.rmdir()
        raise ConfigError(f"--out: cannot write in {out} ({exc.strerror or exc})")


def audit(cfg: Config, store: Store, out_dir: Path | None, check_names: list[str] | None = None,
          resume: bool = False, progress: bool = False, lang: str = "zh",
          formats: tuple[str, ...] | None = None, full: bool = False, fanout: Fanout | None = None) -> AuditOutcome:

    waivers = load_waivers(cfg.site.waivers)
    registry.validate_options(cfg)
    started = time.time()
    stamp = format_local(now(), cfg.site.timezone, "%Y%m%d-%H%M%S")   # the site's local time, as the report dates it
    out = out_dir or Path("siteaudit-out") / f"{cfg.site.name}-{stamp}"
    selected = {c.name for c in registry.select(check_names, cfg)}
    logs = ["crawl.log"] + (["crawl-resources.log"] if cfg.crawl.workers > 1 else [])
    writable_out(out, [OUTPUT_FILES[f] for f in formats or FORMATS] + logs + ([OUTPUT_NAME] if cfg.evidence.warc else []))
    check_archive(cfg, store, out)
    if not resume:  # a new run replaces the outputs of an earlier one in the same folder, its crawl log included
        for name in ("crawl.log", "crawl-resources.log"):
            (out / name).unlink(missing_ok=True)
    earlier = None if resume else store.latest_run(cfg.site.name)
    try:
        run_id = crawl_into(cfg, store, resume, progress, log_file=out / "crawl.log",
                            stamps=bool(selected & STAMP_READERS), full=full, out=out)
        try:
            return finish_audit(cfg, store, run_id, out, check_names, waivers, lang, formats, started, progress,
                                fanout)
        finally:
            release(store, run_id)
    except Exception as exc:
        reason = write_failure(exc)
        if reason is None:
            raise
        raise AuditError(stopped_run(store, cfg.site.name, reason, out, earlier), ExitCode.USAGE) from None


def release(store: Store, run_id: int) -> None:
    """Give up this process's claim on the run; on a full disk the claim stays, and lapses when we exit."""
    try:
        store.release_run(run_id, this_owner())
    except Exception as exc:
        if write_failure(exc) is None:
            raise


def stopped_run(store: Store, site: str, reason: str, out: Path, earlier: dict[str, Any] | None) -> str:
    """The one line for an audit stopped by a full disk: what could not be written and how to go on. A run not
    yet complete is marked interrupted when the store still takes that (else it stays running, its owner gone
    once we exit): either way `--resume` finishes it. `earlier`: the site's last run before this audit."""
    run = store.latest_run(site)
    if run is None or (earlier is not None and run["id"] == earlier["id"]):
        return f"cannot write: {reason}; no run was started"
    if run["status"] == "complete":
        return (f"cannot write: {reason}; run {run['id']} of {site} is complete in the store: free some space, "
                f"then write its outputs with: siteaudit report {run['id']} --out {out}")
    if run["status"] == "running":
        try:
            store.finish_run(run["id"], "interrupted", error=f"stopped: cannot write: {reason}"[:500])
        except Exception as exc:
            if write_failure(exc) is None:
                raise
    return (f"cannot write: {reason}; the crawl of run {run['id']} of {site} stopped and is kept: free some "
            f"space, then finish it with the same audit and --resume")


def finish_audit(cfg: Config, store: Store, run_id: int, out: Path, check_names: list[str] | None,
                 waivers: list[Waiver], lang: str, formats: tuple[str, ...] | None, started: float,
                 progress: bool, fanout: Fanout | None = None) -> AuditOutcome:
    """Checks, verdict and outputs of a crawled run."""
    failure = start_failure(store, run_id, cfg)
    if failure:  # the archive shows what the site answered (or that its host was not found)
        record_evidence(cfg, store, run_id, out)
        place_output((store.run(run_id) or {}).get("plan", {}).get("evidence"), out)
        store.finish_run(run_id, "failed", error=failure)
        raise AuditError(f"could not crawl the site: {failure}", ExitCode.UNCRAWLABLE)
    print(plan_line(store.run(run_id)["plan"], cfg.site.timezone), file=sys.stderr)
    recorder = checks_recorder(cfg, store, run_id, out)
    try:
        with recording(recorder):
            summary = run_checks(cfg, store, run_id, check_names, progress, fanout)
    except Interrupted as stop:  # resumable: the crawl is whole, --resume runs the checks again
        store.finish_run(run_id, "interrupted", error=f"checks stopped: {signal.Signals(stop.signum).name}")
        raise AuditError(f"interrupted during the checks ({signal.Signals(stop.signum).name}); finish it with: "
                         "siteaudit audit --resume ...", stop.exit_code)
    except Exception as exc:  # the run is closed, never left "running"; a full disk leaves it to --resume
        if write_failure(exc) is None:
            store.finish_run(run_id, "failed", error=f"{type(exc).__name__}: {exc}"[:500])
        raise
    finally:
        close_recorder(recorder)
    store.finish_run(run_id, "complete", summary)
    record_evidence(cfg, store, run_id, out)
    verdict = judge(store, run_id, waivers)
    store.save_verdict(run_id, verdict.stored())
    written = write_outputs(store, run_id, out, verdict, lang=lang, formats=formats or FORMATS)
    warning = send_digest(store, cfg, run_id, verdict, out / OUTPUT_FILES["html"], lang)
    if warning:
        echo(f"siteaudit: {warning}", file=sys.stderr)
    begun = labelled((store.run(run_id) or {}).get("started") or now(), cfg.site.timezone, "en")
    echo(f"siteaudit: run {run_id} of {cfg.site.name}, started {begun}: {verdict.pages} pages in "
         f"{time.time() - started:.1f} s, {verdict.status}", file=sys.stderr)
    return AuditOutcome(run_id, verdict, out, verdict.pages, written)
