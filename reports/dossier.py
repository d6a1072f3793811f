"""The year's evidence pack for the inspection (`siteaudit dossier`): one folder holding every plan item's result,
its trend over the year and its 查核網址 (index.html, index.pdf), the latest full run's report and exports, one
全球資訊網運轉情形紀錄表 per month, the public results page as of the latest run, and MANIFEST.sha256.

Bounded: the trend reads only the verdicts kept with the year's runs (never their pages or findings); the report
is the printed, folded one; each month's form is one page. The folder is built beside `--out` and renamed into
place, so nobody ever sees half a pack.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from siteaudit.core.browser import BrowserPaths
from siteaudit.core.config import Config, ConfigError
from siteaudit.core.dates import (
    TAIPEI,
    ad_to_roc,
    format_local,
    local_time,
    roc_date_label,
    run_zone,
    zone_label,
)
from siteaudit.core.results import InspectionItem, Status
from siteaudit.core.store import Store
from siteaudit.reports import uptime_log
from siteaudit.reports.history import PERCENT_ITEMS, figure_text
from siteaudit.reports.publish import publish
from siteaudit.reports.render import (
    atomic_write,
    environment,
    page_templates,
    print_pdf,
    print_report,
    write_outputs,
)
from siteaudit.verdict.availability import month_days, month_figures
from siteaudit.verdict.judge import DID_NOT_DECIDE, Verdict, stored_items

INDEX, INDEX_PDF, MANIFEST = "index.html", "index.pdf", "MANIFEST.sha256"
REPORT_DIR, UPTIME_DIR, PUBLIC_DIR = "report", "uptime", "public"
# Items whose headline figure is better when lower (broken links, accessibility errors, days since the published
# results); every other figure is better when higher (a share in %, a count found, the plan's year).
LOWER_IS_BETTER = frozenset({"links", "accessibility", "publication-results"})
# How bad a result is, for the year's worst: a failure first, then anything undecided, then a waiver, then a pass.
STATUS_RANK = {Status.PASS: 0, Status.WAIVED: 1, Status.NOT_RUN: 2, Status.INCOMPLETE: 3, Status.ERROR: 3,
               Status.FAIL: 4}
YEAR_FORMS = "115 (ROC) or 2026 (AD)"


def parse_year(text: str) -> int:
    """The AD year of `--year`: a ROC year (under 1912) or an AD one."""
    value = text.strip()
    if value.startswith("民國"):
        value = value[2:].removesuffix("年").strip()
    if not value.isdigit():
        raise ConfigError(f"--year: expected {YEAR_FORMS}, got {text!r}")
    year = int(value)
    year = year + 1911 if 0 < year < 1912 else year
    if not 1912 <= year <= 9999:
        raise ConfigError(f"--year: expected {YEAR_FORMS}, got {text!r}")
    return year


def year_span(year: int) -> tuple[float, float]:
    """Epoch seconds of the year's first and the next year's first moment, in Taipei (the plan's year)."""
    return (dt.datetime(year, 1, 1, tzinfo=TAIPEI).timestamp(), dt.datetime(year + 1, 1, 1, tzinfo=TAIPEI).timestamp())


def months_of(year: int, now: dt.datetime) -> list[int]:
    """The months of `year` up to `now` (Taipei): all twelve of a past year; a future year is refused."""
    if year > now.year:
        raise ConfigError(f"--year: {ad_to_roc(year)} ({year}) has not begun (today is {now.date()} Asia/Taipei)")
    return list(range(1, 13 if year < now.year else now.month + 1))


@dataclass(frozen=True)
class Point:
    """One run's result of an item, as judged when that run ended."""

    run: int
    day: dt.date          # the run's date in its site's zone
    status: Status
    figure: float | None
    measured_zh: str
    measured_en: str

    def text(self, item_id: str, lang: str) -> str:
        """The value as read: the headline figure, else the measured words; then the date."""
        value = figure_text(self.figure, item_id in PERCENT_ITEMS) if self.figure is not None else \
            (self.measured_zh if lang == "zh" else self.measured_en)
        return f"{value}（{day_text(self.day, lang)}）" if lang == "zh" else f"{value} ({day_text(self.day, lang)})"


@dataclass(frozen=True)
class Trend:
    """An item over the year: first, last and worst of the runs that decided it (None when none did)."""

    first: Point | None
    last: Point | None
    worst: Point | None
    runs: int             # runs of the year that decided the item
    undecided: int        # runs whose check was not selected, did not run or failed to run


def day_text(day: dt.date, lang: str) -> str:
    """115/03/02 in zh-TW (the ROC date of government forms), 2026-03-02 in English."""
    return f"{ad_to_roc(day.year)}/{day.month:02d}/{day.day:02d}" if lang == "zh" else day.isoformat()


def badness(item_id: str, point: Point) -> tuple[int, float]:
    """How bad a point is: its status first, then its figure in the item's bad direction."""
    if point.figure is None:
        return STATUS_RANK.get(point.status, 2), float("-inf")
    return STATUS_RANK.get(point.status, 2), point.figure if item_id in LOWER_IS_BETTER else -point.figure


def trends(runs: list[dict[str, Any]]) -> dict[str, Trend]:
    """Each item's first, last and worst result over `runs` (oldest first), from the verdicts kept with them; the
    earliest of equally bad results is the worst. Runs judged before verdicts were kept add nothing."""
    series: dict[str, list[Point]] = {}
    for run in runs:
        day = local_time(run.get("finished") or run["started"], run_zone(run)).date()
        for item in stored_items(run):
            series.setdefault(item.id, []).append(
                Point(run["id"], day, item.status, item.figure, item.measured_zh, item.measured_en))
    out = {}
    for item_id, points in series.items():
        decided = [p for p in points if p.status not in DID_NOT_DECIDE]
        worst = decided[0] if decided else None
        for p in decided[1:]:
            if badness(item_id, p) > badness(item_id, worst):
                worst = p
        out[item_id] = Trend(decided[0] if decided else None, decided[-1] if decided else None, worst,
                             len(decided), len(points) - len(decided))
    return out


def latest_full(runs: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The year's latest complete run that was a full audit (not incremental)."""
    full = [r for r in runs if (r.get("plan") or {}).get("mode") != "incremental"]
    return full[-1] if full else None


def evidence_files(item: InspectionItem, months: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    """(file in the pack, zh-TW label, English label) holding an item's evidence."""
    section = f"#{item.section}" if item.section else ""
    files = [(f"{REPORT_DIR}/report.html{section}", "稽核報告", "Audit report"),
             (f"{REPORT_DIR}/report.pdf", "稽核報告 PDF", "Audit report PDF")]
    if item.id == "uptime" and months:
        last = months[-1]
        files = [("#uptime", "各月運轉情形紀錄表", "Monthly record forms"),
                 (last["pdf"], f"{last['roc_label']}紀錄表", f"{last['ad_label']} record form")] + files
    if item.id == "publication-results":
        files.insert(0, (f"{PUBLIC_DIR}/index.html", "檢測結果公布頁", "Public results page"))
    return files


def month_entries(store: Store, site: str, year: int, months: list[int], now: dt.datetime) -> list[dict[str, Any]]:
    """Each month's figures by the verdict's day rule, and the names of its form's files in the pack."""
    out = []
    for month in months:
        figures = month_figures(month_days(store, site, year, month, now))
        stem = f"{UPTIME_DIR}/uptime-{year}-{month:02d}"
        out.append({"year": year, "month": month, "figures": figures, "probed": figures.checked > 0,
                    "roc_label": f"{ad_to_roc(year)}年{month}月", "ad_label": f"{year}-{month:02d}",
                    "pdf": f"{stem}.pdf", "csv": f"{stem}.csv"})
    return out


def pack_files(root: Path) -> list[Path]:
    """Every file of the pack but its manifest, in a stable order."""
    return sorted((p for p in root.rglob("*") if p.is_file() and p.name != MANIFEST), key=lambda p: p.as_posix())


def manifest(root: Path) -> str:
    """`sha256sum -c` lines for every file of the pack, paths relative to it."""
    lines = []
    for path in pack_files(root):
        digest = hashlib.sha256()
        with path.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
        lines.append(f"{digest.hexdigest()}  {path.relative_to(root).as_posix()}")
    return "\n".join(lines) + "\n"


def check_out(out: Path) -> None:
    """Refuse an --out that is a file, or a folder holding anything but an earlier pack (it would be replaced)."""
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out: {out} is a file, not a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / MANIFEST).is_file():
        raise ConfigError(f"--out: {out} is not empty and holds no earlier dossier ({MANIFEST}); choose a new folder")


@contextmanager
def staged(out: Path) -> Iterator[Path]:
    """A new folder beside `out` to build the pack in, renamed into place when it is whole; removed on failure."""
    check_out(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    try:
        yield tmp
        tmp.chmod(0o755)
        old = out.with_name(f".{out.name}.{os.getpid()}.old")
        if out.exists():
            out.rename(old)
        tmp.rename(out)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


@dataclass
class Pack:
    """What the index shows."""

    year: int
    site: str
    agency: str
    full_run: dict[str, Any]
    latest_run: dict[str, Any]
    verdict: Verdict
    trends: dict[str, Trend]
    months: list[dict[str, Any]]
    runs: int
    made: dt.datetime


def render_index(pack: Pack, lang: str) -> str:
    """index.html: every plan item with its result, measured value, trend, 查核網址 and evidence file."""
    zone = run_zone(pack.full_run)
    full_at = pack.full_run.get("finished") or pack.full_run["started"]
    return environment().get_template("dossier.html.j2").render(
        p=pack, lang=lang, roc_year=ad_to_roc(pack.year), zone_label=zone_label(zone, lang),
        full_at=format_local(full_at, zone), full_roc=roc_date_label(local_time(full_at, zone).date()),
        made=pack.made.strftime("%Y-%m-%d %H:%M"), made_label=zone_label("Asia/Taipei", lang),
        evidence=lambda item: evidence_files(item, pack.months), percent_items=PERCENT_ITEMS,
        files=[REPORT_DIR, UPTIME_DIR, PUBLIC_DIR, MANIFEST])


def index_templates(pack: Pack, lang: str) -> tuple[str, str]:
    if lang == "zh":
        return page_templates(f"{pack.agency}　民國{ad_to_roc(pack.year)}年度網站稽核佐證資料", pack.site)
    return page_templates(f"{pack.agency} — {pack.year} website inspection evidence", pack.site, lang)


def build(store: Store, cfg: Config, site: str, year: int, verdict_of: Any, out: Path, printer: BrowserPaths,
          now: dt.datetime, lang: str = "zh") -> list[Path]:
    """Write the year's pack of `site` into `out` (replacing an earlier pack there) and return its files.

    `verdict_of(run_id)` is the one judge, waivers applied; `now` (Taipei) decides the months up to now."""
    months = months_of(year, now)
    runs = store.runs_between(site, *year_span(year))
    full = latest_full(runs)
    if full is None:
        raise ConfigError(f"no complete full audit of site {site} in {ad_to_roc(year)} ({year}) in {store.name}: "
                          f"run `siteaudit audit --full` first")
    full_run, latest = store.run(full["id"]) or full, store.run(runs[-1]["id"]) or runs[-1]
    verdict = verdict_of(full_run["id"])
    entries = month_entries(store, site, year, months, now)
    pack = Pack(year, site, cfg.site.agency, full_run, latest, verdict, trends(runs), entries, len(runs), now)
    with staged(out) as root:
        write_outputs(store, full_run["id"], root / REPORT_DIR, verdict, lang=lang)
        print_report(store, full_run["id"], verdict, root / REPORT_DIR / "report.pdf", printer, lang)
        (root / UPTIME_DIR).mkdir()
        for m in entries:
            html = root / UPTIME_DIR / "form.html"
            html.write_text(uptime_log.render_html(store, site, cfg.site.agency, year, m["month"], now, lang),
                            encoding="utf-8")
            print_pdf(html, root / m["pdf"], printer,
                      *uptime_log.form_templates(site, cfg.site.agency, year, m["month"], lang), landscape=True)
            html.unlink()
            atomic_write(root / m["csv"], uptime_log.render_csv(store, site, year, m["month"], now, lang))
        publish(store, latest, verdict_of(latest["id"]) if latest["id"] != full_run["id"] else verdict, cfg,
                root / PUBLIC_DIR, lang)
        atomic_write(root / INDEX, render_index(pack, lang))
        print_pdf(root / INDEX, root / INDEX_PDF, printer, *index_templates(pack, lang), landscape=True)
        atomic_write(root / MANIFEST, manifest(root))
        names = [p.relative_to(root) for p in pack_files(root)] + [Path(MANIFEST)]
    return [out / n for n in names]
