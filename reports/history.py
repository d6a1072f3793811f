"""Over time: the diff with the previous run of the same site, and the headline figures' trend (inline SVG)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from siteaudit.core.results import InspectionItem
from siteaudit.core.store import Store
from siteaudit.verdict.judge import stored_items


def finding_key(f: dict[str, Any], origin: str = "") -> tuple[str, str, str]:
    """What makes a finding the same one in two runs: check, rule and the thing judged.

    The site's own origin is dropped, so a site served at another address (the demo's free port) compares.
    """
    thing = f["url"] or f["message"]
    return f["check"], f["rule"], thing.replace(origin, "//") if origin else thing


def origin_of(run: dict[str, Any]) -> str:
    """`//host:port` of the run's first start URL (any scheme)."""
    starts = (run.get("config") or {}).get("site", {}).get("start_urls") or [""]
    parts = starts[0].split("/", 3)
    return "//" + parts[2] if len(parts) >= 3 and parts[2] else ""


@dataclass
class Diff:
    previous_run: int | None
    new: list[dict[str, Any]] = field(default_factory=list)
    fixed: list[dict[str, Any]] = field(default_factory=list)
    persisting: int = 0
    figures: dict[str, tuple[float | None, float | None]] = field(default_factory=dict)


def diff_runs(store: Store, run: dict[str, Any], findings: list[dict[str, Any]],
              items: list[InspectionItem]) -> Diff:
    """What changed since the previous complete run: findings by key, and the headline figures (the previous
    run's as judged when it ended)."""
    prev = store.previous_complete_run(run["site"], run["id"])
    if prev is None:
        return Diff(None)
    before = store.findings(prev["id"])
    now_keys = {finding_key(f, origin_of(run)): f for f in findings}
    old_keys = {finding_key(f, origin_of(prev)): f for f in before}
    diff = Diff(prev["id"])
    diff.new = [f for k, f in now_keys.items() if k not in old_keys]
    diff.fixed = [f for k, f in old_keys.items() if k not in now_keys]
    diff.persisting = len(set(now_keys) & set(old_keys))
    now_items = {i.id: i.figure for i in items}
    old_items = {i.id: i.figure for i in stored_items(prev)}
    diff.figures = {k: (old_items.get(k), v) for k, v in now_items.items() if v is not None or old_items.get(k)}
    return diff


def trend(store: Store, run: dict[str, Any], items: list[InspectionItem], limit: int = 10) -> dict[str, list[float]]:
    """Headline figures of the last `limit` complete runs of the site, oldest first: earlier runs as they were
    judged when they ended, this run as `items`."""
    series: dict[str, list[float]] = {}
    earlier = [r for r in store.complete_runs(run["site"], run["id"], limit) if r["id"] != run["id"]]
    for judged in [*(stored_items(r) for r in earlier[-(limit - 1):]), items]:
        for item in judged:
            if item.figure is not None:
                series.setdefault(item.id, []).append(float(item.figure))
    return series


def sparkline(values: list[float], width: int = 120, height: int = 24) -> str:
    """A small inline SVG polyline; numbers only, so nothing to escape."""
    if len(values) < 2:
        return ""
    lo, hi = min(values), max(values)
    span = (hi - lo) or 1.0
    step = width / (len(values) - 1)
    points = " ".join(f"{i * step:.1f},{height - 2 - (v - lo) / span * (height - 4):.1f}" for i, v in enumerate(values))
    last_x, last_y = points.split()[-1].split(",")
    return (f'<svg class="spark" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
            f'aria-label="trend {values[0]:g} to {values[-1]:g}"><polyline fill="none" stroke="#035" stroke-width="1.5" '
            f'points="{points}"/><circle cx="{last_x}" cy="{last_y}" r="2" fill="#035"/></svg>')
