"""One clock: every date and time a person reads (report, PDF header, console, `runs`, exports, crawl.log, fleet
status, portfolio) is in the site's zone (site.timezone, default Asia/Taipei) and says so, whatever the machine's
own zone; checks and waivers judge against that zone's today. The store keeps UTC epoch seconds.

The instant used throughout is the documented nightly audit: 02:30 in Taipei on 2026-11-26, which is still
2026-11-25 on a UTC server (and 07:30 in Auckland, on daylight saving time in November)."""

from __future__ import annotations

import csv
import io
import json
import logging
import re
import tomllib
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from lxml import html as lxml_html

from conftest import MACHINE_ZONES, run_cli, write_config
from siteaudit.core.config import ConfigError, from_dict
from siteaudit.core.dates import format_local, iso_local, labelled, local_time, run_zone, zone_label

NIGHTLY = "2026-11-25T18:30:00+00:00"
INSTANT = datetime.fromisoformat(NIGHTLY).timestamp()
PAGE = "<html lang='zh-Hant'><head><title>{title}</title></head><body><h1>{title}</h1>{body}</body></html>"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Two pages and a broken link, so every export has a row."""
    from siteaudit.demo.server import SiteServer

    root = tmp_path_factory.mktemp("clock-site")
    links = '<a href="/a.html">甲</a><a href="/missing.html">壞</a>'
    (root / "index.html").write_text(PAGE.format(title="首頁", body=links), encoding="utf-8")
    (root / "a.html").write_text(PAGE.format(title="甲", body=links), encoding="utf-8")
    server = SiteServer(root, {})
    server.start()
    yield server
    server.stop()


def nightly_audit(site: Any, tmp_path: Path, machine: str, zone: str | None = None) -> dict[str, Any]:
    """Audit the site at the nightly instant on a machine set to `machine`, into the default output folder; then
    list the runs and re-render the report in English, the same way."""
    env = {"TZ": machine, "SITEAUDIT_NOW": NIGHTLY}
    store = tmp_path / "s.sqlite3"
    cfg = write_config(tmp_path / "c.toml", site.base, store, crawl={"sitemaps": False},
                       site={"timezone": zone} if zone else None)
    audit = run_cli("audit", "--config", str(cfg), "--checks", "links", env=env, cwd=tmp_path)
    assert audit.returncode == 1, audit.stderr   # the broken link fails the run
    (out,) = (tmp_path / "siteaudit-out").iterdir()
    runs = run_cli("runs", "--store", str(store), env=env)
    english = run_cli("report", "latest", "--store", str(store), "--lang", "en", "--format", "html", "--out",
                      str(tmp_path / "en"), env=env)
    assert runs.returncode == 0 and english.returncode == 0, runs.stderr + english.stderr
    text = (out / "findings.csv").read_text(encoding="utf-8")
    return {"out": out, "console": audit.stderr, "runs": runs.stdout,
            "csv": list(csv.reader(io.StringIO(text.lstrip("\ufeff")))),
            "json": json.loads((out / "findings.json").read_text(encoding="utf-8")),
            "report": lxml_html.fromstring((out / "report.html").read_bytes()),
            "report_en": lxml_html.fromstring((tmp_path / "en" / "report.html").read_bytes()),
            "crawl_log": (out / "crawl.log").read_text(encoding="utf-8")}


def verdict_and_cover(tree: Any) -> tuple[str, str]:
    return tree.get_element_by_id("verdict").text_content(), tree.xpath("string(//table[@class='cover'])")


@pytest.mark.parametrize("machine", MACHINE_ZONES)
def test_the_nightly_audit_shows_its_taipei_date_and_time_everywhere_whatever_the_server_clock(site, tmp_path,
                                                                                               machine):
    got = nightly_audit(site, tmp_path, machine)
    assert got["out"].name.startswith("fixture-20261126-0230")
    assert "run 1 of fixture, started 2026-11-26 02:30 Taipei time:" in got["console"]
    assert "2026-11-26 02:30 Taipei time" in got["runs"] and "2026-11-25" not in got["runs"]
    verdict, cover = verdict_and_cover(got["report"])
    assert "中華民國115年11月26日 02:30 臺北時間" in verdict
    assert "中華民國115年11月26日（2026-11-26 02:30 臺北時間）" in cover
    verdict_en, cover_en = verdict_and_cover(got["report_en"])
    assert "2026-11-26 02:30 Taipei time" in verdict_en and "2026-11-26 02:30 Taipei time" in cover_en
    header, *rows = got["csv"]
    assert header[-2] == "稽核時間（臺北時間）" and rows and {row[-2] for row in rows} == {"2026-11-26 02:30"}
    run = got["json"]["run"]
    assert run["started"].startswith("2026-11-26T02:30:") and run["started"].endswith("+08:00")
    assert run["timezone"] == "Asia/Taipei" and abs(run["started_ts"] - INSTANT) < 60
    assert datetime.fromisoformat(run["finished"]).timestamp() == pytest.approx(run["finished_ts"], abs=1)
    offsets = re.findall(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\S*) \[", got["crawl_log"], re.MULTILINE)
    assert offsets and set(offsets) == {"+0800"}


def test_a_site_in_auckland_shows_auckland_times_named_by_its_zone(site, tmp_path):
    got = nightly_audit(site, tmp_path, "Asia/Taipei", zone="Pacific/Auckland")
    assert got["out"].name.startswith("fixture-20261126-0730")
    assert "started 2026-11-26 07:30 Pacific/Auckland:" in got["console"]
    assert "2026-11-26 07:30 Pacific/Auckland" in got["runs"]
    verdict, cover = verdict_and_cover(got["report"])
    assert "中華民國115年11月26日 07:30 Pacific/Auckland" in verdict and "臺北時間" not in verdict + cover
    assert "2026-11-26 07:30 Pacific/Auckland" in verdict_and_cover(got["report_en"])[0]
    header, *rows = got["csv"]
    assert header[-2] == "稽核時間（Pacific/Auckland）" and {row[-2] for row in rows} == {"2026-11-26 07:30"}
    run = got["json"]["run"]
    assert run["started"].startswith("2026-11-26T07:30:") and run["started"].endswith("+13:00")
    assert run["timezone"] == "Pacific/Auckland"
    assert set(re.findall(r"^\S+ \d\d:\d\d:\d\d(\S*) \[", got["crawl_log"], re.MULTILINE)) == {"+1300"}


def test_an_unknown_zone_is_a_config_error_naming_site_timezone(site, tmp_path):
    cfg = write_config(tmp_path / "c.toml", site.base, tmp_path / "s.sqlite3", site={"timezone": "Asia/Taipeh"})
    result = run_cli("audit", "--config", str(cfg), "--out", str(tmp_path / "out"))
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert "site.timezone" in result.stderr and "Asia/Taipeh" in result.stderr
    assert not (tmp_path / "s.sqlite3").exists()
    for zone in ("", "../../etc/passwd", "Taipei", 8):
        with pytest.raises(ConfigError, match=r"^site\.timezone: "):
            from_dict({"site": {"start_urls": ["https://www.example.gov.tw/"], "timezone": zone}})


def test_the_init_template_and_the_default_name_asia_taipei_and_keep_earlier_config_hashes():
    from siteaudit.config_template import CONFIG_TEMPLATE

    data = tomllib.loads(CONFIG_TEMPLATE)
    assert data["site"]["timezone"] == "Asia/Taipei" and from_dict(data).site.timezone == "Asia/Taipei"
    site = {"start_urls": ["https://www.example.gov.tw/"]}
    default, taipei = from_dict({"site": site}), from_dict({"site": {**site, "timezone": "Asia/Taipei"}})
    auckland = from_dict({"site": {**site, "timezone": "Pacific/Auckland"}})
    assert default.hash() == taipei.hash() != auckland.hash()
    snapshot = default.snapshot()
    snapshot["site"].pop("timezone")  # a run stored before the key existed
    from siteaudit.core.config import audit_hash

    assert audit_hash(snapshot) == default.audit_hash() != auckland.audit_hash()
    assert run_zone({"config": snapshot}) == "Asia/Taipei" and run_zone(None) == "Asia/Taipei"


# -- in this process, under either machine zone (time.tzset) -------------------------------------------------

def test_a_stored_time_reads_the_same_in_its_zone_on_any_machine(machine_zone):
    assert local_time(INSTANT).isoformat() == "2026-11-26T02:30:00+08:00"
    assert format_local(INSTANT, "Asia/Taipei", "%Y-%m-%d") == "2026-11-26"
    assert iso_local(INSTANT, "Pacific/Auckland") == "2026-11-26T07:30:00+13:00"
    assert iso_local(INSTANT, "UTC") == "2026-11-25T18:30:00+00:00"
    assert labelled(INSTANT) == "2026-11-26 02:30 臺北時間"
    assert labelled(INSTANT, "Asia/Taipei", "en") == "2026-11-26 02:30 Taipei time"
    assert labelled(INSTANT, "Pacific/Auckland", "en") == "2026-11-26 07:30 Pacific/Auckland"
    assert zone_label("Pacific/Auckland", "zh") == "Pacific/Auckland"


def test_the_checks_today_is_the_site_zones_today_not_the_machines(machine_zone, monkeypatch):
    from siteaudit.checks.base import today_option
    from siteaudit.checks.freshness import _http_date

    monkeypatch.setenv("SITEAUDIT_NOW", NIGHTLY)
    assert today_option({"today": ""}, "Asia/Taipei") == date(2026, 11, 26)
    assert today_option({"today": ""}, "UTC") == date(2026, 11, 25)
    assert today_option({"today": "2026-01-02"}, "Asia/Taipei") == date(2026, 1, 2)
    # a Last-Modified at 02:30 in Taipei is that Taipei day's, as a reader there dates the page
    assert _http_date("Wed, 25 Nov 2026 18:30:00 GMT", "Asia/Taipei") == date(2026, 11, 26)


def test_a_waiver_that_expired_yesterday_in_taipei_counts_again_after_taipei_midnight(machine_zone, monkeypatch):
    from siteaudit.verdict.waivers import Waiver, apply_waivers

    monkeypatch.setenv("SITEAUDIT_NOW", NIGHTLY)
    waiver = Waiver("links", "broken-link", None, None, "舊檔已申請下架", "資訊小組 王小明", date(2026, 11, 25))
    finding = {"check": "links", "rule": "broken-link", "url": "https://x.gov.tw/a", "evidence": {}}
    taipei, _ = apply_waivers([finding], {}, [waiver])
    utc, _ = apply_waivers([finding], {}, [waiver], zone="UTC")
    assert taipei[0]["evidence"]["waiver"]["active"] is False and utc[0]["evidence"]["waiver"]["active"] is True


def test_the_incremental_run_names_its_base_run_in_the_site_zone(machine_zone):
    from siteaudit.reports.plan import plan_line, plan_text

    plan = {"mode": "incremental", "base_run": 3, "base_started": INSTANT}
    assert "incremental run against run 3 of 2026-11-26 02:30 Taipei time:" in plan_line(plan)
    assert "與第 3 次（2026-11-26 02:30 臺北時間）比對" in plan_text(plan, {}, "zh")
    assert "run 3 (2026-11-26 07:30 Pacific/Auckland)" in plan_text(plan, {}, "en", "Pacific/Auckland")


def test_reused_accessibility_results_are_dated_in_the_site_zone(machine_zone):
    from siteaudit.checks.a11y_reuse import TestPlan, evidence

    plan = TestPlan(reused={"https://x.gov.tw/": {"tested_run": 1, "tested_at": INSTANT}})
    assert evidence(plan, 0, 2, "Asia/Taipei")["reused_from"] == [{"run": 1, "tested": "2026-11-26", "pages": 1}]


def test_the_pdf_header_and_the_exports_date_the_run_in_the_site_zone(machine_zone):
    from siteaudit.reports.export import Audited, to_csv
    from siteaudit.reports.render import report_templates

    run = {"id": 5, "site": "region1", "started": INSTANT, "config": {"site": {"agency": "第一區管理處"}}}
    assert "region1　執行編號 5　2026-11-26 02:30 臺北時間" in report_templates(run, "zh")[0]
    assert "run 5　2026-11-26 02:30 Taipei time" in report_templates(run, "en")[0]
    finding = {"check": "links", "rule": "r", "severity": "error", "url": "u", "pages": [], "message": "m",
               "evidence": {}}
    header, row = list(csv.reader(io.StringIO(to_csv([finding], "en", Audited.of(run, "en")).lstrip("\ufeff"))))
    assert (header[-2], row[-2]) == ("Audited (Taipei time)", "2026-11-26 02:30")


def test_fleet_status_and_the_portfolio_date_each_site_in_its_zone(machine_zone):
    from siteaudit.fleet.commands import status_lines
    from siteaudit.fleet.portfolio import SiteRow, page_zone

    lines = status_lines({"north": {"state": "complete", "updated": INSTANT},
                          "kiwi": {"state": "queued", "updated": INSTANT, "timezone": "Pacific/Auckland"}})
    assert "2026-11-26 02:30 Taipei time" in lines[0] and "2026-11-26 07:30 Pacific/Auckland" in lines[1]
    taipei = SiteRow("north", None, {"started": INSTANT, "config": {"site": {}}}, {}, [], "")
    kiwi = SiteRow("kiwi", None, {"started": INSTANT, "config": {"site": {"timezone": "Pacific/Auckland"}}}, {}, [],
                   "")
    assert page_zone([taipei, kiwi, taipei]) == "Asia/Taipei"
    assert taipei.last_run("Asia/Taipei") == "2026-11-26 02:30"   # the page's zone, named in its header
    assert kiwi.last_run("Asia/Taipei", "en") == "2026-11-26 07:30 Pacific/Auckland"


def test_log_records_are_dated_in_the_site_zone_with_its_offset(machine_zone):
    from siteaudit.crawler.configure import date_log_records

    before = logging.Formatter.converter
    try:
        date_log_records("Asia/Taipei")
        record = logging.LogRecord("scrapy.core.engine", logging.INFO, __file__, 1, "Spider opened", None, None)
        record.created = INSTANT
        shown = logging.Formatter("%(asctime)s [%(name)s]", "%Y-%m-%d %H:%M:%S%z").format(record)
        assert shown == "2026-11-26 02:30:00+0800 [scrapy.core.engine]"
    finally:
        logging.Formatter.converter = before  # type: ignore[method-assign]
