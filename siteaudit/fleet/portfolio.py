"""`siteaudit fleet report`: one self-contained page for every site of the store, sites × inspection items,
each cell linking to that site's own report, with its trend and last run date. Read from each run's stored
verdict; nothing is judged again for the matrix. Times are in the sites' zone (site.timezone), labelled; a site
in another zone than the page's says its own."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from siteaudit.core.dates import DEFAULT_ZONE, format_local, labelled, now, run_zone, zone_label
from siteaudit.core.names import folder_name
from siteaudit.core.results import InspectionItem, Status
from siteaudit.core.store import Store
from siteaudit.reports.history import sparkline
from siteaudit.reports.render import write_outputs
from siteaudit.verdict.judge import judge, stored_items

LABELS = {Status.PASS: ("通過", "Pass"), Status.FAIL: ("未通過", "Fail"), Status.NOT_RUN: ("未執行", "Not run"),
          Status.ERROR: ("檢查失敗", "Check failed"), Status.INCOMPLETE: ("未完成", "Incomplete"),
          Status.WAIVED: ("豁免", "Waived")}
RUN_STATES = {"complete": ("已完成", "complete"), "running": ("執行中", "running"),
              "interrupted": ("中斷", "interrupted"), "failed": ("失敗", "failed"),
              "uncrawlable": ("無法連線", "unreachable")}


@dataclass
class SiteRow:
    site: str
    run: dict[str, Any] | None           # the latest complete run, None when the site never completed one
    latest: dict[str, Any]               # the latest run of any status (a failed or uncrawlable one shows)
    items: dict[str, InspectionItem]
    passed: list[float]                  # items passed in each of the last runs, oldest first
    link: str

    @property
    def agency(self) -> str:
        """The agency named in the site's stored config (its latest run's, else its last complete run's)."""
        for run in (self.latest, self.run):
            agency = ((run or {}).get("config") or {}).get("site", {}).get("agency")
            if agency:
                return str(agency)
        return ""

    @property
    def score(self) -> tuple[int, int] | None:
        """(items passed, items) of the latest complete run; None when the site never completed one."""
        if not self.items:
            return None
        return sum(i.status == Status.PASS for i in self.items.values()), len(self.items)

    @property
    def failed(self) -> bool:
        """The latest run did not complete: the site could not be reached or its audit failed."""
        return self.latest.get("status") in ("failed", "interrupted", "uncrawlable")

    def state(self, lang: str = "zh") -> str:
        """The latest run's state in words (失敗, 中斷…)."""
        status = str(self.latest.get("status") or "")
        words = RUN_STATES.get(status)
        return (words[0] if lang == "zh" else words[1]) if words else status

    @property
    def zone(self) -> str:
        return run_zone(self.latest or self.run)

    def last_run(self, page_zone: str = DEFAULT_ZONE, lang: str = "zh") -> str:
        """When the site last ran, in its zone; labelled when that is not the page's zone."""
        ts = self.latest.get("finished") or self.latest.get("started")
        if not ts:
            return "—"
        return format_local(ts, self.zone) if self.zone == page_zone else labelled(ts, self.zone, lang)


def site_rows(store: Store, trend_runs: int = 10) -> tuple[list[SiteRow], list[tuple[str, str, str]]]:
    """Each site's row and the item columns (id, zh, en) in the order the checks declare them."""
    rows, columns = [], {}
    for site in store.sites():
        latest = store.latest_run(site)
        run = store.latest_run(site, status="complete")
        items = {i.id: i for i in stored_items(run)} if run else {}
        for item in items.values():
            columns.setdefault(item.id, (item.id, item.zh, item.en))
        history = store.complete_runs(site, run["id"], trend_runs) if run else []
        passed = [float(sum(i.status == Status.PASS for i in stored_items(r))) for r in history]
        rows.append(SiteRow(site, run, latest or {}, items, passed,
                            f"sites/{folder_name(site)}/report.html" if run else ""))
    return rows, list(columns.values())


def page_zone(rows: list[SiteRow]) -> str:
    """The zone the portfolio page is dated in: the one most of its sites use (Asia/Taipei for none)."""
    zones = Counter(row.zone for row in rows)
    return zones.most_common(1)[0][0] if zones else DEFAULT_ZONE


def write_portfolio(store: Store, out: Path, lang: str = "zh") -> Path:
    """portfolio.html in `out`, and each site's latest report under out/sites/SITE/."""
    rows, columns = site_rows(store)
    for row in rows:
        if row.run:
            verdict = judge(store, row.run["id"])
            write_outputs(store, row.run["id"], out / "sites" / folder_name(row.site), verdict, lang=lang,
                          formats=("html",))
    env = Environment(loader=PackageLoader("siteaudit.fleet", "templates"), autoescape=select_autoescape(["html", "j2"]))
    zone = page_zone(rows)
    html = env.get_template("portfolio.html.j2").render(
        rows=rows, columns=columns, labels=LABELS, lang=lang, sparkline=sparkline, zone=zone,
        zone_label=zone_label(zone, lang), generated=format_local(now(), zone))
    out.mkdir(parents=True, exist_ok=True)
    path = out / "portfolio.html"
    path.write_text(html, encoding="utf-8")
    return path
