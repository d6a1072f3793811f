"""A run's evidence: where its crawl writes WARC files, and the WACZ packaged from them once the crawl is whole."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from siteaudit.core import lazy
from siteaudit.core.config import Config, ConfigError
from siteaudit.core.dates import labelled
from siteaudit.core.runs import versions
from siteaudit.core.store import Store
from siteaudit.core.wacz import OUTPUT_NAME, archive_folder, keep_last, package, parse_index, run_wacz
from siteaudit.core.warc import Judgement, WarcFile
from siteaudit.crawler.capture import EvidenceSetup

SCREENSHOTS = "siteaudit.runshots:write_screenshots"   # a browser of its own: loaded only when there is one to take


def folder_of(cfg: Config, store: Store, out: Path) -> Path:
    return archive_folder(cfg.evidence.dir, store.path, cfg.site.name, out)


def staging_of(cfg: Config, store: Store, run_id: int, out: Path) -> Path:
    """Where the run's processes write their WARC files until the run's WACZ is packaged."""
    return folder_of(cfg, store, out) / f"run-{run_id}"


def check_archive(cfg: Config, store: Store, out: Path) -> None:
    """The archive folder can be written: checked before any run row exists, like --out."""
    if not cfg.evidence.warc:
        return
    folder = folder_of(cfg, store, out)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise ConfigError(f"evidence.dir: cannot write in {folder} ({exc.strerror or exc})")


def evidence_setup(cfg: Config, store: Store, run_id: int, base_run: int | None, out: Path
                   ) -> EvidenceSetup | None:
    """What the crawl processes need to capture run `run_id` (None when evidence.warc is off)."""
    if not cfg.evidence.warc:
        return None
    folder = folder_of(cfg, store, out)
    earlier = run_wacz(folder, base_run) if base_run is not None else None
    info = {"software": f"siteaudit/{versions()['siteaudit']}",
            "versions": ", ".join(f"{k}/{v}" for k, v in sorted(versions().items())),
            "format": "WARC File Format 1.1", "conformsTo": "https://iipc.github.io/warc-specifications/",
            "isPartOf": cfg.site.name, "run": str(run_id), "config-hash": cfg.hash(),
            "robots": "obey" if cfg.crawl.obey_robots else "ignore", "http-header-user-agent": cfg.user_agent}
    return EvidenceSetup(folder=str(staging_of(cfg, store, run_id, out)), max_bytes=cfg.evidence.max_bytes, info=info,
                         earlier=str(earlier) if earlier is not None and earlier.is_file() else "")


def checks_recorder(cfg: Config, store: Store, run_id: int, out: Path) -> WarcFile | None:
    """The WARC file of the checks' own requests (search probe, contact page, documents...), beside the crawl's;
    a quarter of evidence.max_bytes is theirs. None when evidence.warc is off."""
    setup = evidence_setup(cfg, store, run_id, None, out)
    if setup is None:
        return None
    folder = Path(setup.folder)
    path = folder / f"checks-{os.getpid()}.warc.gz"
    n = 1
    while path.exists():
        n += 1
        path = folder / f"checks-{os.getpid()}-{n}.warc.gz"
    return WarcFile(path, {**setup.info, "crawl-process": "checks"}, quarter_cap(cfg))


def quarter_cap(cfg: Config) -> int:
    """The byte cap of a WARC file written beside the crawl's: a quarter of evidence.max_bytes (0: no cap)."""
    return max(1, cfg.evidence.max_bytes // 4) if cfg.evidence.max_bytes else 0


def side_warc(cfg: Config, staging: Path, run_id: int, role: str) -> WarcFile:
    """A WARC file of what the tool made after the crawl (`role`: judgements, screenshots), in the run's staging
    folder: its own warcinfo, and a quarter of evidence.max_bytes."""
    return WarcFile(staging / f"{role}-{os.getpid()}-{run_id}.warc.gz",
                    {"software": f"siteaudit/{versions()['siteaudit']}", "run": str(run_id), "crawl-process": role},
                    quarter_cap(cfg))


def write_judgements(cfg: Config, store: Store, run_id: int, staging: Path) -> None:
    """The accessibility stage's result for each page (axe and the tool's own probes) as a metadata record
    concurrent to the page's response; a result reused from an earlier run says which run tested it."""
    tests = store.a11y_tests(run_id)
    if not tests or not staging.is_dir():
        return
    results = store.a11y_results(run_id)
    responses = {}
    for _, _, entry in parse_index(line for index in sorted(staging.glob("*.cdxj"))
                                   for line in index.read_text(encoding="utf-8", errors="replace").splitlines()
                                   if line.strip()):
        if entry.get("kind") == "page" and entry.get("mime") != "warc/metadata":
            responses[entry["url"]] = entry["id"]
    warc = side_warc(cfg, staging, run_id, "judgements")
    try:
        for url, test in sorted(tests.items()):
            payload = {"check": "accessibility", "tested_run": test["tested_run"], "tested_at": test["tested_at"],
                       "result": results.get(url)}
            warc.put(Judgement(url, test["tested_at"], json.dumps(payload, ensure_ascii=False).encode("utf-8"),
                               responses.get(url, "")))
    finally:
        warc.close()


def package_run(cfg: Config, store: Store, run_id: int, out: Path) -> tuple[dict[str, Any], list[str]]:
    """Package the run's WARC files as run-N.wacz in the archive folder, apply evidence.keep_runs, and return
    what the run records of it and the notes to print (a cap reached is never a silent cut)."""
    folder = folder_of(cfg, store, out)
    staging = staging_of(cfg, store, run_id, out)
    pages = [{"url": row["url"], "title": row["title"]} for row in store.pages(run_id, html_only=True)]
    about = {"run": run_id, "site": cfg.site.name, "config_hash": cfg.hash(), "title": f"{cfg.site.name} run {run_id}",
             "max_bytes": cfg.evidence.max_bytes}
    write_judgements(cfg, store, run_id, staging)
    try:
        findings = store.findings(run_id) if cfg.evidence.screenshots else []
        shot_notes = (lazy.load(SCREENSHOTS)(cfg, run_id, staging, findings)
                      if any(f["check"] == "accessibility" for f in findings) else [])
    except Exception as exc:  # one part of the evidence failing never takes the run's archive down
        shot_notes = [f"evidence: element screenshots not taken ({type(exc).__name__}: {exc})"]
    summary = package(staging, run_wacz(folder, run_id), pages, about)
    shutil.rmtree(staging, ignore_errors=True)  # its files are all in the WACZ now
    keep_last(folder, cfg.evidence.keep_runs)
    notes = list(shot_notes)
    if summary["dropped"]:
        when = labelled(summary["cut_at"], cfg.site.timezone, "en") if summary["cut_at"] else "the start"
        notes.append(f"evidence.max_bytes ({cfg.evidence.max_bytes} bytes) was reached at {when}: "
                     f"{summary['dropped']} records were not archived, so {OUTPUT_NAME} is incomplete")
    for name in summary.get("unfinished", []):
        notes.append(f"evidence: {name} was left by a crawl process that stopped without closing it: the records "
                     f"of its last seconds may be missing from {OUTPUT_NAME}")
    keys = ("file", "sha256", "bytes", "records", "revisits", "failures", "dropped", "cut_at", "complete",
            "references", "archive")
    return {k: summary.get(k) for k in keys}, notes

