"""`siteaudit dossier`: the year's evidence pack, from a year of backdated runs and nightly probes in the store."""

from __future__ import annotations

import datetime as dt
import subprocess
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from lxml import html as lxml_html
from pypdf import PdfReader

from conftest import run_cli, write_config
from siteaudit.core.store import Store

TAIPEI = dt.timezone(dt.timedelta(hours=8))
PUBLISH = """[publish]
identifier = "313221200K"
theme = "770"
cake = "C21"
service = "E41"
"""
PAGE = ('<!DOCTYPE html><html lang="zh-Hant-TW"><head><meta charset="utf-8"><title>{title}</title></head>'
        '<body><h1>{title}</h1><p>{body}</p></body></html>')
# The links item over the year: (month, broken links, status); the full audit of 11-22 adds its own result.
LINKS = [(1, 3.0, "fail"), (2, 0.0, "pass"), (3, 7.0, "fail"), (4, 1.0, "fail"), (5, 0.0, "pass")]
METADATA = [(1, 80.0, "fail"), (2, 100.0, "pass"), (3, 100.0, "pass"), (4, 65.5, "fail"), (5, 100.0, "pass")]
NO_PROBES = 3          # March: the probe was not installed, a month without any check
DOWN_DAY = dt.date(2026, 2, 10)
FULL_AUDIT = "2026-11-22T02:30:00+08:00"
LATER_RUN = dt.datetime(2026, 11, 25, 2, 30, tzinfo=TAIPEI)   # an incremental run after the full one
MADE = "2026-11-26T12:00:00+08:00"


def item(id: str, figure: float, status: str) -> dict[str, Any]:
    return {"id": id, "zh": id, "en": id, "target_zh": "", "target_en": "", "measured_zh": f"{figure:g}",
            "measured_en": f"{figure:g}", "status": status, "regulation": "", "figure": figure}


def backdated_run(store: Store, monkeypatch: pytest.MonkeyPatch, when: dt.datetime, items: list[dict[str, Any]],
                  incremental: bool = False) -> int:
    """A complete run started and finished at `when`, written through the store's API with its verdict."""
    monkeypatch.setenv("SITEAUDIT_NOW", when.isoformat())
    run_id = store.create_run("fixture", {"site": {"timezone": "Asia/Taipei"}}, "0" * 16, {})
    if incremental:
        store.set_plan(run_id, {"mode": "incremental", "base_run": run_id - 1, "base_started": when.timestamp()})
    store.finish_run(run_id, "complete", {})
    store.save_verdict(run_id, {"status": "fail", "items": items, "checks": {}})
    monkeypatch.delenv("SITEAUDIT_NOW")
    return run_id


def nightly_probes(store: Store) -> int:
    """A 20:00 probe every day of the year up to 11-21, but none in March; one day down."""
    rows, day = [], dt.date(2026, 1, 1)
    while day <= dt.date(2026, 11, 21):
        if day.month != NO_PROBES:
            at = dt.datetime.combine(day, dt.time(20, 0), TAIPEI).timestamp()
            ok = day != DOWN_DAY
            rows.append({"site": "fixture", "batch": f"b{day:%m%d}", "started": at, "url": "http://127.0.0.1/",
                         "attempt": 1, "ok": ok, "status": 200 if ok else 503, "reason": "" if ok else "HTTP 503",
                         "detail": {"total_ms": 120.0}})
        day += dt.timedelta(days=1)
    store.add_probes(rows)
    return len(rows)


@pytest.fixture
def year_of_runs(tmp_path: Path, serve, monkeypatch: pytest.MonkeyPatch, location: str) -> dict[str, Any]:
    """A year in the store, on SQLite, then PostgreSQL."""
    return a_year(tmp_path, serve, monkeypatch, location)


@pytest.fixture
def sqlite_year(tmp_path: Path, serve, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    return a_year(tmp_path, serve, monkeypatch, str(tmp_path / "year.sqlite3"))


def a_year(tmp_path: Path, serve: Any, monkeypatch: pytest.MonkeyPatch, location: str) -> dict[str, Any]:
    """Five backdated monthly runs, a year of nightly probes, a real full audit of a small site on 11-22 and an
    incremental run on 11-25, all in one store."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text(PAGE.format(title="首頁", body='<a href="/news.html">最新消息</a>'),
                                     encoding="utf-8")
    (site / "news.html").write_text(PAGE.format(title="最新消息", body="本處消息"), encoding="utf-8")
    server = serve(site)
    cfg = write_config(tmp_path / "c.toml", server.base, tmp_path / "unused.sqlite3", crawl={"sitemaps": False},
                       site={"agency": "台灣自來水公司第一區管理處"}, extra=PUBLISH)
    with Store(location) as store:
        for (month, broken, status), (_, rate, meta_status) in zip(LINKS, METADATA, strict=True):
            backdated_run(store, monkeypatch, dt.datetime(2026, month, 5, 2, 30, tzinfo=TAIPEI),
                          [item("links", broken, status), item("metadata", rate, meta_status)])
        probes = nightly_probes(store)
    audit = run_cli("audit", "--config", str(cfg), "--store", location, "--full", "--checks", "links,metadata",
                    "--out", str(tmp_path / "audit"), env={"SITEAUDIT_NOW": FULL_AUDIT})
    assert audit.returncode in (0, 1), audit.stderr
    with Store(location) as store:
        full = store.latest_run("fixture")
        later = backdated_run(store, monkeypatch, LATER_RUN, [item("links", 2.0, "fail"),
                                                              item("metadata", 100.0, "pass")], incremental=True)
    return {"cfg": cfg, "store": location, "full": full, "later": later, "probes": probes}


def dossier(world: dict[str, Any], out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return run_cli("dossier", "--config", str(world["cfg"]), "--store", world["store"], "--out", str(out), *extra,
                   env={"SITEAUDIT_NOW": MADE})


def rows_of(page: Any, table: str) -> dict[str, list[str]]:
    """Each body row of the section `table`'s table: its heading cell -> its cells' text."""
    rows = page.xpath(f"//h2[@id='{table}']/following-sibling::table[1]/tbody/tr")
    return {" ".join(r.xpath("string(th)").split()): [" ".join(c.text_content().split()) for c in r.xpath("td")]
            for r in rows}


def test_a_year_of_runs_gives_each_items_first_last_and_worst_the_months_and_a_manifest_that_verifies(
        year_of_runs, tmp_path):
    out = tmp_path / "dossier-115"
    result = dossier(year_of_runs, out, "--year", "115")
    assert result.returncode == 0, result.stderr
    months = [f"uptime/uptime-2026-{m:02d}.pdf" for m in range(1, 12)]
    for name in ["index.html", "index.pdf", "report/report.html", "report/report.pdf", "report/findings.json",
                 "report/findings.csv", "report/findings.ods", "public/index.html", "public/results.json", *months]:
        assert (out / name).is_file(), name
    assert not (out / "uptime/uptime-2026-12.pdf").exists()  # the month is not over yet
    check = subprocess.run(["sha256sum", "--strict", "-c", "MANIFEST.sha256"], cwd=out, capture_output=True,
                           text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    listed = {line.split("  ", 1)[1] for line in (out / "MANIFEST.sha256").read_text().splitlines()}
    assert listed == {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()} - {"MANIFEST.sha256"}

    page = lxml_html.fromstring((out / "index.html").read_bytes())
    items = rows_of(page, "items")
    links = next(cells for name, cells in items.items() if name.startswith("連結有效性"))
    trend = links[2]
    assert "首次 3（115/01/05）" in trend and "最近 2（115/11/25）" in trend and "最差 7（115/03/05）" in trend, trend
    meta = next(cells for name, cells in items.items() if name.startswith("詮釋資料通過比率"))
    full_meta = next(i for i in year_of_runs["full"]["verdict"]["items"] if i["id"] == "metadata")
    worst = "0%（115/11/22）" if full_meta["figure"] == 0 else "65.5%（115/04/05）"  # the full audit's pages have no
    assert "首次 80%（115/01/05）" in meta[2] and f"最差 {worst}" in meta[2], meta[2]  # metadata: 0% is the worst
    assert "本年度 7 次稽核判定" in meta[2]
    full_links = next(i for i in year_of_runs["full"]["verdict"]["items"] if i["id"] == "links")
    assert links[0] == {"pass": "通過", "fail": "未通過"}[full_links["status"]]
    assert links[3] != ""   # 查核網址: the item's URL or where to look
    uptime = next(cells for name, cells in items.items() if name.startswith("網站運轉情形"))
    assert "各月運轉情形紀錄表" in uptime[4] and "115年11月紀錄表" in uptime[4]

    monthly = rows_of(page, "uptime")
    assert monthly["115年3月"][0].startswith("本月無檢測紀錄")
    assert monthly["115年1月"][:4] == ["31／31", "31", "0", "0"]
    assert monthly["115年2月"][:4] == ["28／28", "27", "1", "0"]
    assert monthly["115年11月"][:4] == ["21／25", "21", "0", "4"]  # probes stop on 11-21; due until 11-25

    # Chromium's text layer maps some CJK glyphs to compatibility forms (⾴ for 頁, ⺠ for 民): compare as NFKC.
    text = unicodedata.normalize("NFKC", "".join(p.extract_text() for p in PdfReader(out / "index.pdf").pages))
    assert "115年度網站稽核佐證資料" in text and "查核項目" in text and "最差 7(115/03/05)" in text


def test_the_pack_is_replaced_whole_and_leaves_no_staging_folder(sqlite_year, tmp_path):
    out = tmp_path / "pack"
    assert dossier(sqlite_year, out, "--year", "2026").returncode == 0
    (out / "stale.txt").write_text("from an earlier pack", encoding="utf-8")
    result = dossier(sqlite_year, out, "--year", "2026", "--lang", "en")
    assert result.returncode == 0, result.stderr
    assert not (out / "stale.txt").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "Website inspection evidence, 2026" in page and "No checks recorded this month" in page


@pytest.fixture
def one_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """A store with one incremental run of 115 and no full one."""
    db = tmp_path / "one.sqlite3"
    with Store(db) as store:
        backdated_run(store, monkeypatch, dt.datetime(2026, 6, 1, 2, 30, tzinfo=TAIPEI),
                      [item("links", 0.0, "pass")], incremental=True)
    cfg = write_config(tmp_path / "one.toml", "http://127.0.0.1:9", db, site={"agency": "第一區管理處"}, extra=PUBLISH)
    return {"cfg": cfg, "store": str(db)}


@pytest.mark.parametrize(("args", "words"), [
    (("--year", "明年"), "--year: expected 115 (ROC) or 2026 (AD)"),
    (("--year", "116"), "has not begun"),
    (("--year", "115"), "no complete full audit of site fixture in 115 (2026)"),
    (("--year", "114", "--site", "other"), "site other: no run in"),
])
def test_a_pack_that_cannot_be_made_is_one_line_and_nothing_written(one_run, tmp_path, args, words):
    out = tmp_path / "pack"
    result = dossier(one_run, out, *args)
    assert result.returncode == 2 and words in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert not out.exists() and [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_a_folder_holding_other_files_is_never_replaced_by_a_pack(one_run, tmp_path):
    out = tmp_path / "documents"
    out.mkdir()
    (out / "keep.odt").write_bytes(b"the office's own file")
    result = dossier(one_run, out, "--year", "115")
    assert result.returncode == 2 and "holds no earlier dossier" in result.stderr, result.stderr
    assert (out / "keep.odt").read_bytes() == b"the office's own file"
