"""The public results page (`siteaudit publish`): what the plan asks the agency to state on its own site, with a
URL for the inspector (更新(2)◎4: regular updates, content-check and link-test results), plus its search help and
its accessibility mark with the latest pass date.

It is written from a stored run, never from a new crawl: the figures are the run's, judged by the one verdict. The
page is static, self-contained and accessible, and carries the government metadata and the three classification
codes from `[publish]`, so it passes the site's own inspection. `results.json` beside it holds the same figures.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from siteaudit.core.config import Config, ConfigError
from siteaudit.core.dates import format_local, local_time, roc_date_label, run_zone, zone_label
from siteaudit.core.results import Status
from siteaudit.core.store import Store
from siteaudit.reports.history import diff_runs
from siteaudit.reports.render import atomic_write, environment
from siteaudit.verdict.availability import DUE, DayState, as_of, month_days
from siteaudit.verdict.judge import Verdict

PAGE = "index.html"
DATA = "results.json"
AVAILABILITY_DAYS = 30
BROKEN_RULES = ("broken-link", "broken-resource")
REQUIRED_KEYS = ("identifier", "theme", "cake", "service")


def require_metadata(cfg: Config) -> None:
    """The page's own metadata must come from the agency: a missing code is one clear line, before writing."""
    missing = [k for k in REQUIRED_KEYS if not getattr(cfg.publish, k).strip()]
    if missing:
        raise ConfigError(f"publish.{missing[0]}: needed for the public page's metadata "
                          f"(DC.Identifier and Category.Theme/Cake/Service; missing: {', '.join(missing)})")
    if not cfg.site.agency.strip():
        raise ConfigError("site.agency: needed for the public page (DC.Creator, DC.Publisher)")


def last_days(store: Store, site: str, now: dt.datetime, days: int = AVAILABILITY_DAYS) -> dict[str, Any]:
    """The last `days` days whose 20:00 check is due by `now`, by the record form's own day rule."""
    last = now.date() if now.time() >= DUE else now.date() - dt.timedelta(days=1)
    first = last - dt.timedelta(days=days - 1)
    months = sorted({(first.year, first.month), (last.year, last.month)})
    window = [d for y, m in months for d in month_days(store, site, y, m, now) if first <= d.day <= last]
    normal = sum(1 for d in window if d.state == DayState.NORMAL)
    abnormal = sum(1 for d in window if d.state == DayState.ABNORMAL)
    checked = normal + abnormal
    return {"from": first.isoformat(), "to": last.isoformat(), "days": len(window), "checked": checked,
            "normal": normal, "abnormal": abnormal, "not_checked": len(window) - checked,
            "availability": round(100.0 * normal / checked, 2) if checked else None}


def public_figures(store: Store, run: dict[str, Any], verdict: Verdict, cfg: Config) -> dict[str, Any]:
    """Every figure the page states, from the run and its verdict (nothing re-judged here)."""
    zone = run_zone(run)
    ended = run.get("finished") or run["started"]
    summaries = verdict.checks
    links = summaries.get("links") or {}
    fresh = summaries.get("freshness") or {}
    essentials = summaries.get("essentials") or {}
    mark = (summaries.get("accessibility") or {}).get("mark") or {}
    diff = diff_runs(store, {**run, "summary": run.get("summary", {})}, store.findings(run["id"]), verdict.items)
    fixed = [f for f in diff.fixed if f["rule"] in BROKEN_RULES] if diff.previous_run else []
    items = {i.id: i for i in verdict.items}
    return {
        "site": run["site"],
        "agency": cfg.site.agency,
        "run": run["id"],
        "audited_at": dt.datetime.fromtimestamp(ended, dt.UTC).isoformat(),
        "audited_local": format_local(ended, zone),
        "audited_roc": roc_date_label(local_time(ended, zone).date()),
        "timezone": zone,
        "frequency": {"zh": cfg.publish.frequency, "en": cfg.publish.frequency_en},
        "update_rule": {"zh": cfg.publish.update_rule, "en": cfg.publish.update_rule_en},
        "freshness": {"pages_audited": fresh.get("pages_audited"), "pages_dated": fresh.get("pages_dated"),
                      "within_limit_share": fresh.get("within_limit_share"),
                      "result": str(items["freshness"].status) if "freshness" in items else str(Status.NOT_RUN)},
        "links": {"checked": links.get("targets_checked"), "broken": links.get("broken"),
                  "could_not_verify": links.get("could_not_verify"),
                  "fixed_since_previous": len(fixed) if diff.previous_run else None,
                  "previous_run": diff.previous_run,
                  "result": str(items["links"].status) if "links" in items else str(Status.NOT_RUN)},
        "availability": last_days(store, run["site"], as_of(run)),
        "search_help_url": cfg.publish.search_help_url or essentials.get("search_help_on") or "",
        "mark": {"found": bool(mark.get("found")), "level": mark.get("level"), "passed": mark.get("passed"),
                 "expires": mark.get("expires"), "href": mark.get("href") or ""},
    }


def render_page(figures: dict[str, Any], cfg: Config, lang: str = "zh") -> str:
    """The page: static, self-contained, zh-TW first (or English), with the government metadata."""
    audited = dt.date.fromisoformat(figures["audited_local"][:10])
    meta = {
        "DC.Title": ("網站檢測結果" if lang == "zh" else "Website test results") + f"－{cfg.site.agency}",
        "DC.Creator": cfg.site.agency, "DC.Subject": cfg.publish.subject,
        "DC.Description": "本網站定期更新、資訊內容檢測及連結測試結果" if lang == "zh"
        else "This site's regular updates, content checks and link-test results",
        "DC.Contributor": cfg.site.agency, "DC.Type": "資料" if lang == "zh" else "Dataset",
        "DC.Format": "text/html", "DC.Source": cfg.site.agency, "DC.Language": "中文" if lang == "zh" else "英文",
        "DC.coverage.t.min": (audited - dt.timedelta(days=AVAILABILITY_DAYS - 1)).isoformat(),
        "DC.coverage.t.max": audited.isoformat(), "DC.Publisher": cfg.site.agency,
        "DC.Date": audited.isoformat(), "DC.Identifier": cfg.publish.identifier, "DC.Relation": "",
        "DC.Rights": cfg.site.agency, "Category.Theme": cfg.publish.theme, "Category.Cake": cfg.publish.cake,
        "Category.Service": cfg.publish.service,
    }
    return environment().get_template("public.html.j2").render(
        f=figures, lang=lang, meta=meta, zone_label=zone_label(figures["timezone"], lang),
        keywords="網站檢測,連結測試,無障礙" if lang == "zh" else "website test,link test,accessibility")


def publish(store: Store, run: dict[str, Any], verdict: Verdict, cfg: Config, out_dir: Path,
            lang: str = "zh") -> list[Path]:
    """index.html and results.json of `run` in `out_dir`, each replaced atomically."""
    require_metadata(cfg)
    figures = public_figures(store, run, verdict, cfg)
    page = render_page(figures, cfg, lang)
    out_dir.mkdir(parents=True, exist_ok=True)
    return [atomic_write(out_dir / DATA, json.dumps(figures, ensure_ascii=False, indent=1)),
            atomic_write(out_dir / PAGE, page)]
