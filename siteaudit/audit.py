"""One audit: crawl (or resume) into the store, run the checks, write findings.json and report.html."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import checks as registry
from siteaudit.config import Config
from siteaudit.runs import start_run
from siteaudit.store import Store

EXIT_PASS, EXIT_FAIL, EXIT_USAGE, EXIT_UNCRAWLABLE, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


class AuditError(RuntimeError):
    """An audit that cannot go on; carries the exit code."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class AuditOutcome:
    run_id: int
    status: str
    summary: dict[str, Any]
    out_dir: Path
    pages: int
    exit_code: int
    written: list[Path]


def crawl_into(cfg: Config, store: Store, resume: bool, progress: bool, log_file: Path | None = None,
               stamps: bool = True) -> int:
    """Crawl (or finish an interrupted crawl) and return the run id; the run is left 'crawled'."""
    from crawler.runner import crawl

    resume_state = None
    if resume:
        previous = store.latest_run(cfg.site.name)
        if previous is None or previous["status"] not in ("running", "interrupted"):
            raise AuditError(f"nothing to resume: no interrupted run of site {cfg.site.name!r}", EXIT_USAGE)
        run_id = previous["id"]
        store.mark_running(run_id)
        resume_state = {"fetched": store.fetched_urls(run_id), "frontier": store.frontier(run_id),
                        "pages": store.scheduled_pages(run_id)}
    else:
        run_id = start_run(store, cfg)
    result = crawl(cfg, str(store.path), run_id, resume=resume_state, progress=progress,
                   log_file=str(log_file) if log_file else None, stamps=stamps)
    for note in result.get("notes", []):
        print(f"siteaudit: note: {note}", file=sys.stderr)
    if result["finish_reason"] not in ("finished", "closespider_pagecount"):
        store.finish_run(run_id, "interrupted", error=f"crawl stopped: {result['finish_reason']}")
        raise AuditError(f"crawl interrupted ({result['finish_reason']}); finish it with: siteaudit audit --resume "
                         f"...", EXIT_INTERRUPTED)
    store.finalize_redirects(run_id)
    return run_id


def start_failure(store: Store, run_id: int, cfg: Config) -> str | None:
    """Why the site could not be crawled at all (no start page answered with HTML), or None."""
    if store.count_pages(run_id):
        return None
    reasons = []
    for url in cfg.site.start_urls:
        row = store.db.execute("SELECT status, error, error_detail, final_url FROM pages WHERE run_id=? AND url=?",
                               (run_id, url)).fetchone() or store.db.execute(
            "SELECT status, error, error_detail, final_url FROM pages WHERE run_id=? ORDER BY id LIMIT 1",
            (run_id,)).fetchone()
        if row is None:
            reasons.append(f"{url}: no answer")
        elif row["error"]:
            reasons.append(f"{url}: {row['error_detail'] or row['error']}")
        else:
            reasons.append(f"{url}: HTTP {row['status']}, no HTML page reached")
    return "; ".join(reasons)


def run_checks(cfg: Config, store: Store, run_id: int, names: list[str] | None) -> dict[str, Any]:
    results = registry.run_checks(registry.select(names, cfg), store, run_id, cfg)
    findings = [f.as_dict() for r in results.values() for f in r.findings]
    store.replace_findings(run_id, findings)
    return {name: r.summary for name, r in results.items()}


def audit(cfg: Config, store: Store, out_dir: Path | None, check_names: list[str] | None = None,
          resume: bool = False, progress: bool = False, lang: str = "zh",
          formats: tuple[str, ...] | None = None) -> AuditOutcome:
    from reports.render import FORMATS, write_outputs
    from reports.waivers import apply_waivers, load_waivers

    waivers = load_waivers(cfg.site.waivers)
    registry.validate_options(cfg)
    started = time.time()
    out = out_dir or Path("siteaudit-out") / f"{cfg.site.name}-{time.strftime('%Y%m%d-%H%M%S')}"
    out.mkdir(parents=True, exist_ok=True)
    selected = {c.name for c in registry.select(check_names, cfg)}
    run_id = crawl_into(cfg, store, resume, progress, log_file=out / "crawl.log", stamps="freshness" in selected)
    failure = start_failure(store, run_id, cfg)
    if failure:
        store.finish_run(run_id, "failed", error=failure)
        raise AuditError(f"could not crawl the site: {failure}", EXIT_UNCRAWLABLE)
    summary = run_checks(cfg, store, run_id, check_names)
    store.finish_run(run_id, "complete", summary)
    _, judged = apply_waivers(store.findings(run_id), summary, waivers)
    status = "fail" if any(s.get("status") == "fail" for s in judged.values()) else "pass"
    written = write_outputs(store, run_id, out, lang=lang, waivers=waivers, formats=formats or FORMATS)
    print(f"siteaudit: run {run_id} of {cfg.site.name}: {store.count_pages(run_id)} pages in "
          f"{time.time() - started:.1f} s, {status}", file=sys.stderr)
    return AuditOutcome(run_id, status, judged, out, store.count_pages(run_id),
                        EXIT_PASS if status == "pass" else EXIT_FAIL, written)
