"""Where each finding's evidence is in the run's WACZ: the record of its URL (or of the first page it is on), and
the address that replays it through `siteaudit evidence serve`."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from siteaudit.core.wacz import EvidenceError, read_index

REPLAY_ORIGIN = "http://127.0.0.1:8470"   # siteaudit evidence serve's default address
KIND_ORDER = {"warc/metadata": 0}           # a response or revisit is preferred to a failure's metadata record


def capture_index(evidence: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    """URL -> its capture in the run's WACZ: the crawl's last response (or revisit) of it, else a check's own
    request, else the failure's metadata record."""
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
        record = "metadata" if e.get("mime") == "warc/metadata" else "revisit" if e.get("refers") else "response"
        rank = (KIND_ORDER.get(e.get("mime", ""), 1), e.get("kind") != "check", e["date"])
        if e["url"] not in best or rank > best[e["url"]][0]:
            capture = {"url": e["url"], "timestamp": e["date"], "record": record, "wacz": evidence["file"],
                       "replay_ts": ts}
            if e.get("status"):
                capture["status"] = int(e["status"])
            best[e["url"]] = (rank, capture)
    return {url: capture for url, (_, capture) in best.items()}


def capture_of(index: dict[str, dict[str, Any]], finding: dict[str, Any]) -> dict[str, Any] | None:
    """The capture of a finding's URL, else of the first of its pages that has one."""
    for url in [finding.get("url"), *(finding.get("pages") or [])]:
        if url and url in index:
            return {k: v for k, v in index[url].items() if k != "replay_ts"} | {"replay": replay_href(index[url])}
    return None


def replay_href(capture: dict[str, Any] | None) -> str:
    """The replay address of a capture (empty without one)."""
    if not capture:
        return ""
    return f"{REPLAY_ORIGIN}/replay/{capture['replay_ts']}/{quote(capture['url'], safe=':/?&=%#+,;~@!$*()')}"
