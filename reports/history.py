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
    gone: list[dict[str, Any]] = field(default_factory=list)  # vanished with every page it was found on
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
    vanished = [f for k, f in old_keys.items() if k not in now_keys]
    crawled = {u.replace(origin_of(run), "//") for u in store.page_urls(run["id"])}

    def still_there(f: dict[str, Any]) -> bool:
        """A finding is fixed only where its page is still on the site: one whose every page is gone is not."""
        pages = [p.replace(origin_of(prev), "//") for p in f.get("pages") or []]
        return not pages or any(p in crawled for p in pages)

    diff.fixed = [f for f in vanished if still_there(f)]
    diff.gone = [f for f in vanished if not still_there(f)]
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


PERCENT_ITEMS = frozenset({"disclosure", "documents", "metadata", "freshness", "uptime"})  # figures in %


def figure_text(value: float | None, percent: bool = False) -> str:
    """A headline figure as read: 6 not 6.0, 94.12%, "—" for none."""
    if value is None:
        return "—"
    return f"{value:g}%" if percent else f"{value:g}"


def sparkline(values: list[float], percent: bool = False, width: int = 170, height: int = 26) -> str:
    """A small inline SVG line with its first and last values written at its ends; a percentage is drawn on a
    0–100 scale, and a flat series across the middle. Numbers only, so nothing to escape."""
    if len(values) < 2:
        return ""
    lo, hi = (0.0, 100.0) if percent else (min(values), max(values))
    span = hi - lo
    left, right = 38, width - 38
    step = (right - left) / (len(values) - 1)

    def y(v: float) -> float:
        return height / 2 if not span else height - 3 - (v - lo) / span * (height - 6)

    points = " ".join(f"{left + i * step:.1f},{y(v):.1f}" for i, v in enumerate(values))
    first, last = figure_text(values[0], percent), figure_text(values[-1], percent)
    return (f'<svg class="spark" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
            f'aria-label="{first} → {last}"><text x="{left - 3}" y="{height / 2 + 3:.0f}" font-size="9" '
            f'text-anchor="end">{first}</text><polyline fill="none" stroke="#035" stroke-width="1.5" '
            f'points="{points}"/><circle cx="{right:.1f}" cy="{y(values[-1]):.1f}" r="2" fill="#035"/>'
            f'<text x="{right + 3}" y="{height / 2 + 3:.0f}" font-size="9">{last}</text></svg>')
