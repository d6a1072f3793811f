"""Render a stored run: findings.json (stable schema) and a self-contained report.html (Jinja2, autoescaped)."""

from __future__ import annotations

import json
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

import checks as registry
from siteaudit.dates import roc_date_label
from siteaudit.store import Store

SEVERITY_ORDER = {"error": 0, "warning": 1, "notice": 2}
DETAIL_KEYS = {"years", "items", "offenders_by_page", "failing_pages"}


def year_grid(summary: dict[str, Any]) -> dict[str, Any] | None:
    """Items x years of a yearly summary (the disclosure check), labelled in ROC and AD years."""
    years = summary.get("years")
    if not years:
        return None
    all_years = sorted({int(y) for row in years.values() for y in row})
    items = summary.get("items", {})
    return {
        "columns": [{"roc": y - 1911, "ad": y} for y in all_years],
        "rows": [{"id": item, "name": items.get(item, {}).get("name", item),
                  "cells": [row.get(str(y), "") for y in all_years]} for item, row in years.items()],
    }


def findings_document(store: Store, run_id: int) -> dict[str, Any]:
    """The findings.json document: {"run", "summary", "pages", "findings"}."""
    run = store.run(run_id)
    if run is None:
        raise KeyError(run_id)
    return {
        "run": {"id": run["id"], "site": run["site"], "started": _iso(run["started"]),
                "finished": _iso(run["finished"]), "status": run["status"], "config_hash": run["config_hash"],
                "versions": run["versions"]},
        "summary": run["summary"],
        "pages": store.count_pages(run_id),
        "findings": store.findings(run_id),
    }


def _iso(ts: float | None) -> str | None:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(ts)) if ts else None


def environment() -> Environment:
    return Environment(loader=PackageLoader("reports", "templates"), autoescape=select_autoescape(["html", "j2"]),
                       trim_blocks=True, lstrip_blocks=True)


def render_html(store: Store, run_id: int, lang: str = "zh") -> str:
    doc = findings_document(store, run_id)
    run = store.run(run_id) or {}
    sections = []
    by_check: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for f in doc["findings"]:
        by_check[f["check"]].append(f)
    for name, summary in doc["summary"].items():
        check = registry.REGISTRY.get(name)
        rules = check.rules if check else {}
        items = sorted(by_check.get(name, []), key=lambda f: (SEVERITY_ORDER.get(f["severity"], 9), f["rule"], f["url"]))
        sections.append({
            "name": name,
            "title": (check.title_zh if lang == "zh" else check.title_en) if check else name,
            "summary": summary,
            "findings": items,
            "rules": {rid: {"label": r.zh if lang == "zh" else r.en, "regulation": r.regulation}
                      for rid, r in rules.items()},
            "figures": {k: v for k, v in summary.items() if k not in DETAIL_KEYS},
            "grid": year_grid(summary),
        })
    started = run.get("started") or time.time()
    return environment().get_template("report.html.j2").render(
        doc=doc, run=run, sections=sections, lang=lang,
        date_ad=time.strftime("%Y-%m-%d %H:%M", time.localtime(started)),
        date_roc=roc_date_label(time.localtime(started)),
        duration=(run.get("finished") or started) - started,
        agency=(run.get("config") or {}).get("site", {}).get("agency", ""),
    )


def write_outputs(store: Store, run_id: int, out_dir: Path, lang: str = "zh") -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    doc = findings_document(store, run_id)
    _atomic_write(out_dir / "findings.json", json.dumps(doc, ensure_ascii=False, indent=1))
    _atomic_write(out_dir / "report.html", render_html(store, run_id, lang))


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
