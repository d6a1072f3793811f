"""Screenshots of the elements of a run's accessibility findings, taken from the run's own WARC files replayed on
127.0.0.1 and kept as resource records beside them (docs/evidence.md). Loaded only when a run has such findings."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from siteaudit.core.browser import find_browser
from siteaudit.core.config import Config
from siteaudit.core.replay import Archive, make_server, replay_path
from siteaudit.core.shots import Wanted, take_screenshots
from siteaudit.core.warc import SCREENSHOT_URN, Resource
from siteaudit.runevidence import side_warc
from siteaudit.verdict.ids import finding_id, site_origin

SEVERITY_ORDER = {"error": 0, "warning": 1, "notice": 2}


def shot_targets(cfg: Config, findings: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    """(page, selector, finding id) of the accessibility findings whose element is to be shot: errors first, at
    most evidence.screenshots, each element once."""
    origin = site_origin(cfg.site.start_urls)
    chosen: dict[tuple[str, str], str] = {}
    ranked = sorted((f for f in findings if f["check"] == "accessibility"
                     and isinstance(f["evidence"].get("selector"), str) and f["evidence"]["selector"]),
                    key=lambda f: SEVERITY_ORDER.get(f["severity"], 3))
    for f in ranked:
        page = (f["pages"] or [f["url"]])[0]
        if page and (page, f["evidence"]["selector"]) not in chosen and len(chosen) < cfg.evidence.screenshots:
            chosen[(page, f["evidence"]["selector"])] = finding_id(f, origin)
    return [(page, selector, fid) for (page, selector), fid in chosen.items()]


def write_screenshots(cfg: Config, run_id: int, staging: Path, findings: list[dict[str, Any]]) -> list[str]:
    """Shoot the element of each chosen accessibility finding on the page as archived (replayed from `staging` by
    a server of our own on 127.0.0.1) and keep it as a resource record referring to the page's capture; returns
    the notes to print (nothing is silent: elements not shot are counted)."""
    targets = shot_targets(cfg, findings) if cfg.evidence.screenshots else []
    if not targets or not staging.is_dir():
        return []
    opts = cfg.checks.get("accessibility") if isinstance(cfg.checks.get("accessibility"), dict) else {}
    paths = find_browser(str(opts.get("chromium_path", "")), str(opts.get("chromedriver_path", "")))
    if paths.missing:
        return [f"evidence: {len(targets)} element screenshots not taken: {paths.missing} not found"]
    archive = Archive.staged(staging, [staging.parent])  # revisits refer to WACZs in the archive folder
    server = make_server(archive, 0)
    thread = threading.Thread(target=server.serve_forever, name="siteaudit-replay", daemon=True)
    thread.start()
    try:
        pages: dict[str, Wanted] = {}
        captures: dict[str, dict[str, Any]] = {}   # page -> the capture its screenshots refer to
        for page, selector, _ in targets:
            found = archive.nearest(page, "99999999999999")
            if found is None or found[1].get("mime") == "warc/metadata":
                continue   # not archived: counted among the screenshots not taken
            captures[page] = found[1]
            address = f"http://127.0.0.1:{server.server_address[1]}{replay_path(found[0], page)}"
            pages.setdefault(page, Wanted(address, page, [])).selectors.append(selector)
        shots, problems = take_screenshots(list(pages.values()), paths, cfg.evidence.screenshot_bytes,
                                           min(300.0, 20.0 + 5.0 * len(pages)))
    finally:
        server.shutdown()
        server.server_close()
    ids = {(page, selector): fid for page, selector, fid in targets}
    warc = side_warc(cfg, staging, run_id, "screenshots")
    try:
        for shot in shots:
            entry = captures[shot.page]
            fid = ids[(shot.page, shot.selector)]
            warc.put(Resource(SCREENSHOT_URN + fid, time.time(), shot.image, shot.mime, entry.get("id", ""), shot.page,
                              entry.get("date", ""), about={"page": shot.page, "selector": shot.selector,
                                                             "finding": fid, "width": shot.width,
                                                             "height": shot.height}))
    finally:
        warc.close()
    missed = len(targets) - len(shots)
    if not missed:
        return []
    first = problems[0] if problems else "the page was not archived"
    return [f"evidence: {missed} of {len(targets)} element screenshots not taken ({first})"]
