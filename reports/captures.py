"""Where each finding's evidence is in the run's WACZ: the record of its URL (or of the first page it is on), and
the address that replays it through `siteaudit evidence serve`."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from siteaudit.core.wacz import EvidenceError, read_index, resource_path
from siteaudit.core.warc import SCREENSHOT_URN

REPLAY_ORIGIN = "http://127.0.0.1:8470"   # siteaudit evidence serve's default address
KIND_ORDER = {"warc/metadata": 0}           # a response or revisit is preferred to a failure's metadata record


def capture_index(evidence: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    """URL -> its capture in the run's WACZ: the crawl's last response (or revisit) of it, else a check's own
    request, else the failure's metadata record; and an element screenshot's URN -> the screenshot."""
    if not evidence or not evidence.get("file"):
        return {}
    path = Path(evidence["archive"]) / evidence["file"]
    try:
        entries = read_index(path)
    except (OSError, KeyError, ValueError, EvidenceError):
        return {}
    best: dict[str, tuple[tuple[int, bool, str], dict[str, Any]]] = {}
    for _, ts, e in entries:
        if e.get("kind") == "accessibility":  # a judgement, not a capture of what the site answered
            continue
        if e["url"].startswith(SCREENSHOT_URN):
            best[e["url"]] = ((0, False, ""), {"uri": e["url"], "page": e.get("page", ""),
                                                "selector": e.get("selector", ""), "mime": e.get("mime", ""),
                                                "timestamp": e["date"], "width": e.get("width"),
                                                "height": e.get("height"), "wacz": evidence["file"],
                                                "replay": f"{REPLAY_ORIGIN}{resource_path(e['url'])}"})
            continue
        record = "metadata" if e.get("mime") == "warc/metadata" else "revisit" if e.get("refers") else "response"
        rank = (KIND_ORDER.get(e.get("mime", ""), 1), e.get("kind") != "check", e["date"])
        if e["url"] not in best or rank > best[e["url"]][0]:
            capture = {"url": e["url"], "timestamp": e["date"], "record": record, "wacz": evidence["file"],
                       "replay_ts": ts}
            if e.get("status"):
                capture["status"] = int(e["status"])
            best[e["url"]] = (rank, capture)
    return {url: capture for url, (_, capture) in best.items()}


def capture_of(index: dict[str, dict[str, Any]], finding: dict[str, Any], fid: str = "") -> dict[str, Any] | None:
    """The capture of a finding's URL, else of the first of its pages that has one; with the screenshot of its
    element when one was taken (`fid`: the finding's id)."""
    shot = index.get(SCREENSHOT_URN + fid) if fid else None
    for url in [finding.get("url"), *(finding.get("pages") or [])]:
        if url and url in index:
            found = {k: v for k, v in index[url].items() if k != "replay_ts"} | {"replay": replay_href(index[url])}
            return found | ({"screenshot": shot} if shot else {})
    return None


def screenshots_by_element(index: dict[str, dict[str, Any]]) -> dict[tuple[str, str], str]:
    """(page, selector) -> the replay address of that element's screenshot."""
    return {(c["page"], c["selector"]): c["replay"] for url, c in index.items() if url.startswith(SCREENSHOT_URN)}


def replay_href(capture: dict[str, Any] | None) -> str:
    """The replay address of a capture (empty without one)."""
    if not capture:
        return ""
    return f"{REPLAY_ORIGIN}/replay/{capture['replay_ts']}/{quote(capture['url'], safe=':/?&=%#+,;~@!$*()')}"
