"""The disclosure check on a fixture 主動公開資訊 zone served from 127.0.0.1."""

from __future__ import annotations

import json

import pytest

from conftest import TODAY, audit_fixture, run_cli, write_config
from siteaudit.demo import documents as make

CATALOGUE = """
[checks.disclosure]
today = "{today}"
start_year = 100

[checks.disclosure.not_applicable]
minutes = "非合議制機關"

[[checks.disclosure.items]]
id = "budget"
name = "預算書"
category = "6"
texts = ["預算"]
zone = "/open/"
yearly = true

[[checks.disclosure.items]]
id = "regulations"
name = "法規"
category = "1"
urls = ["/open/laws\\\\.html$"]

[[checks.disclosure.items]]
id = "contracts"
name = "採購契約"
category = "8"
texts = ["採購契約"]

[[checks.disclosure.items]]
id = "subsidies"
name = "補助"
category = "9"
titles = ["補助一覽"]

[[checks.disclosure.items]]
id = "petitions"
name = "訴願決定"
category = "7"
texts = ["訴願"]

[[checks.disclosure.items]]
id = "minutes"
name = "會議紀錄"
category = "10"
texts = ["會議紀錄"]

[[checks.disclosure.items]]
id = "whitepaper"
name = "為民服務白皮書"
category = "plan"
texts = ["白皮書"]
""".replace("{today}", TODAY.isoformat())


@pytest.fixture(scope="module")
def disclosure_audit(tmp_path_factory):
    from siteaudit.demo.server import SiteServer

    root = tmp_path_factory.mktemp("open")
    (root / "open" / "files").mkdir(parents=True)
    rows = []
    for roc in range(100, 116):  # 民國100-115, gaps at 104, 105, 106
        if roc in (104, 105, 106):
            continue
        name = f"budget-{roc}.pdf" if roc % 2 else f"預算-{roc + 1911}.pdf"
        (root / "open" / "files" / name).write_bytes(make.pdf(f"budget {roc}"))
        rows.append(f'<tr><td><a href="files/{name}">預算書檔案</a></td></tr>')
    (root / "open" / "budget.html").write_text(
        f"<html><head><title>預算書</title></head><body><table>{''.join(rows)}</table></body></html>", encoding="utf-8")
    (root / "open" / "laws.html").write_text("<html><head><title>法規</title></head><body>法規</body></html>",
                                             encoding="utf-8")
    (root / "open" / "subsidy.html").write_text("<html><head><title>補助一覽</title></head><body>x</body></html>",
                                                encoding="utf-8")
    (root / "open" / "whitepaper.pdf").write_bytes(b"")  # found but empty
    (root / "open" / "index.html").write_text(
        "<html><head><title>主動公開資訊</title></head><body>"
        '<a href="budget.html">預算書</a><a href="laws.html">相關規定</a><a href="contracts.html">採購契約</a>'
        '<a href="subsidy.html">補助</a><a href="whitepaper.pdf">為民服務白皮書</a></body></html>', encoding="utf-8")
    (root / "index.html").write_text('<html><head><title>首頁</title></head><body><a href="/open/index.html">主動公開'
                                     '</a><a href="/news.html">預算新聞</a></body></html>', encoding="utf-8")
    (root / "news.html").write_text("<html><head><title>99年度預算新聞</title></head><body>x</body></html>",
                                    encoding="utf-8")
    server = SiteServer(root)
    server.start()
    try:
        result, doc = audit_fixture(root, server.base, "disclosure", extra=CATALOGUE)
    finally:
        server.stop()
    return {"result": result, "doc": doc, "summary": doc["summary"]["disclosure"], "root": root}


def test_each_item_is_judged_found_broken_missing_or_not_applicable(disclosure_audit):
    items = {k: v["status"] for k, v in disclosure_audit["summary"]["items"].items()}
    assert items == {"budget": "found", "regulations": "found", "contracts": "broken", "subsidies": "found",
                     "petitions": "missing", "minutes": "not_applicable", "whitepaper": "broken"}


def test_the_ratio_is_published_over_required_as_a_hand_count(disclosure_audit):
    summary = disclosure_audit["summary"]
    # 7 items, 1 not applicable -> 6 required; budget, regulations, subsidies published -> 3/6
    assert (summary["published"], summary["required"], summary["ratio"]) == (3, 6, 50.0)
    assert summary["status"] == "fail" and disclosure_audit["result"].returncode == 1


def test_a_yearly_item_reports_exactly_its_gap_years(disclosure_audit):
    gaps = [f for f in disclosure_audit["doc"]["findings"] if f["rule"] == "missing-years"]
    assert len(gaps) == 1 and gaps[0]["evidence"]["roc_years"] == [104, 105, 106]
    grid = disclosure_audit["summary"]["years"]["budget"]
    assert list(grid) == [str(y) for y in range(2011, TODAY.year + 1)]
    assert [y for y, s in grid.items() if s != "present"] == ["2015", "2016", "2017"]


def test_findings_name_the_rule_and_the_not_applicable_reason(disclosure_audit):
    rules = sorted((f["rule"], f["evidence"].get("item")) for f in disclosure_audit["doc"]["findings"])
    assert rules == [("item-broken", "contracts"), ("item-broken", "whitepaper"), ("item-missing", "petitions"),
                     ("missing-years", "budget"), ("not-applicable", "minutes")]
    na = next(f for f in disclosure_audit["doc"]["findings"] if f["rule"] == "not-applicable")
    assert na["evidence"]["reason"] == "非合議制機關"


@pytest.mark.parametrize("item,error", [
    ('id = "x"\nname = "X"\ncategory = "11"\ntexts = ["x"]', "item x: unknown category '11'"),
    ('id = "y"\nname = "Y"\ncategory = "3"', "item y: no way to find it"),
    ('id = "z"\nname = "Z"\ncategory = "3"\ntexts = ["z"]\ncolour = 1', "item z: unknown key colour"),
])
def test_a_bad_catalogue_is_a_one_line_error_naming_the_item(tmp_path, item, error):
    cfg = write_config(tmp_path / "c.toml", "http://127.0.0.1:9", tmp_path / "s.sqlite3",
                       extra=f"[[checks.disclosure.items]]\n{item}\n")
    result = run_cli("audit", "--config", str(cfg))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and error in result.stderr


def test_the_demo_zone_shows_its_gap_years_and_not_applicable_item(demo_run):
    summary = json.loads((demo_run["out"] / "findings.json").read_text(encoding="utf-8"))["summary"]["disclosure"]
    assert summary["items"]["minutes"]["status"] == "not_applicable"
    assert [int(y) - 1911 for y, s in summary["years"]["budget"].items() if s != "present"] == [101, 102, 103]
    html = (demo_run["out"] / "report.html").read_text(encoding="utf-8")
    assert "民國101年" in html


def budget_gap_years(root, serve, listing) -> list[int]:
    """Serve a 預算書 page whose download links (files/b1.pdf … b16.pdf, 民國100-115) are laid out by
    `listing(roc, link)` (None: that year is left out); audit it and return the ROC years reported missing."""
    (root / "open" / "files").mkdir(parents=True)
    parts = []
    for roc in range(100, 116):
        name = f"b{roc - 99}.pdf"
        part = listing(roc, f'<a href="files/{name}">')
        if part is not None:
            (root / "open" / "files" / name).write_bytes(make.pdf(f"budget {roc}"))
            parts.append(part)
    (root / "open" / "budget.html").write_text(
        f"<html><head><title>預算書</title></head><body>{''.join(parts)}</body></html>", encoding="utf-8")
    (root / "open" / "index.html").write_text('<html><head><title>主動公開資訊</title></head><body>'
                                              '<a href="budget.html">預算書</a></body></html>', encoding="utf-8")
    (root / "index.html").write_text('<html><body><a href="/open/index.html">主動公開</a></body></html>',
                                     encoding="utf-8")
    _, doc = audit_fixture(root, serve(root).base, "disclosure", extra=CATALOGUE)
    gaps = [f for f in doc["findings"] if f["rule"] == "missing-years"]
    assert len(gaps) == 1, gaps
    return gaps[0]["evidence"]["roc_years"]


def test_years_written_only_in_the_table_row_of_a_download_link_count(tmp_path, serve):
    def row(roc: int, link: str) -> str | None:  # the year is only in a cell beside a plain 下載 link
        if roc in (103, 110):
            return None
        uploaded = "上傳日期 103-01-05" if roc == 102 else ""  # a day is an upload date, not a record year
        return f"<table><tr><td>{roc}年度</td><td>{link}下載</a></td><td>{uploaded}</td></tr></table>"

    assert budget_gap_years(tmp_path, serve, row) == [103, 110]


def test_a_year_naming_the_whole_listing_counts_for_its_links_but_a_range_does_not(tmp_path, serve):
    def listing(roc: int, link: str) -> str | None:
        link += "預算書下載</a>"
        if roc == 109:
            return None
        if roc == 100:  # a range names no year: 100 is reported missing
            return f"<h3>歷年預算書（100年度起）</h3><ul><li>{link}</li></ul>"
        if roc % 3 == 0:
            return f"<h3>{roc}年度</h3><!-- list --><ul><li>{link}</li></ul>"
        if roc % 3 == 1:
            return f"<table><caption>民國{roc}年預算</caption><tr><td>{link}</td></tr></table>"
        return f"<dl><dt>{roc}年度</dt><dd>總預算</dd><dd>{link}</dd></dl>"

    assert budget_gap_years(tmp_path, serve, listing) == [100, 109]


def test_a_full_date_under_a_year_or_announcement_date_header_gives_its_year(tmp_path, serve):
    forms = {101: "101/01/01", 102: "102.01.01", 104: "1040101", 105: "2016-01-01", 106: "民國106年1月1日"}

    def row(roc: int, link: str) -> str | None:
        link += "下載</a>"
        if roc == 103:  # only an upload day, under 上傳日期: not a record year
            return (f"<table><thead><tr><th>上傳日期</th><th>檔案</th></tr></thead>"
                    f"<tr><td>{roc}/01/01</td><td>{link}</td></tr></table>")
        if roc == 108:
            return None
        if roc % 2:
            day = forms.get(roc, f"{roc}/01/01")
            return f"<table><tr><th>年度</th><th>檔案</th></tr><tr><td>{day}</td><td>{link}</td></tr></table>"
        return f"<h4>公告日期</h4><ul><li>{roc + 1911}-07-01 {link}</li></ul>"

    assert budget_gap_years(tmp_path, serve, row) == [103, 108]


def test_a_year_column_headed_by_a_combination_gives_the_year_of_every_roc_and_ad_date_form(tmp_path, serve):
    """年度／公告日期, 年度(民國), 年份（西元）: a header is read by its parts. Every date form under it gives its
    year, a bare year too; a 7-digit number that is not a date, or a date under 上傳日期(民國), gives none."""
    cells = {100: ("年度／公告日期", "100/01/01"), 101: ("年度(民國)", "101.01.01"), 102: ("年度（民國）", "1020101"),
             104: ("年度 / 公告日期", "104-01-01"), 105: ("年份（西元）", "2016-01-01"), 106: ("年度(民國)", "106"),
             107: ("年度（西元）", "2018"), 109: ("公告日期｜年度", "民國109年1月1日"), 110: ("年度(民國)", "110年度"),
             111: ("年度／公告日期", "20220101"), 112: ("年度/公告日期", "112/1/1"),
             103: ("上傳日期(民國)", "103/01/01"),   # an upload day, not a record year
             108: ("年度(民國)", "1081399")}         # seven digits, not a date

    def row(roc: int, link: str) -> str | None:
        header, cell = cells.get(roc, ("年度", f"{roc}/01/01"))
        return (f"<table><thead><tr><th>{header}</th><th>檔案</th></tr></thead>"
                f"<tbody><tr><td>{cell}</td><td>{link}下載</a></td></tr></tbody></table>")

    assert budget_gap_years(tmp_path, serve, row) == [103, 108]


def test_years_linked_only_to_hosts_an_audit_machine_without_dns_cannot_resolve_are_not_missing_nor_passed(
        tmp_path, serve):
    """Budget files of 民國113-115 kept on other hosts that no name resolves for: not missing, not present."""
    def listing(roc: int, link: str) -> str | None:
        if roc >= 113:
            link = f'<a href="http://files{roc % 2}.budget.invalid/b{roc}.pdf">'
        return f"<ul><li>{link}{roc}年度預算書</a></li></ul>"

    (tmp_path / "open" / "files").mkdir(parents=True)
    parts = []
    for roc in range(100, 116):
        (tmp_path / "open" / "files" / f"b{roc}.pdf").write_bytes(make.pdf(f"budget {roc}"))
        parts.append(listing(roc, f'<a href="files/b{roc}.pdf">'))
    (tmp_path / "open" / "budget.html").write_text(
        f"<html><head><title>預算書</title></head><body>{''.join(parts)}</body></html>", encoding="utf-8")
    (tmp_path / "open" / "index.html").write_text('<html><head><title>主動公開資訊</title></head><body>'
                                                  '<a href="budget.html">預算書</a></body></html>', encoding="utf-8")
    (tmp_path / "index.html").write_text('<html><body><a href="/open/index.html">主動公開</a></body></html>',
                                         encoding="utf-8")
    result, doc = audit_fixture(tmp_path, serve(tmp_path).base, "disclosure", extra=CATALOGUE)
    assert not [f for f in doc["findings"] if f["rule"] == "missing-years"]
    grid = doc["summary"]["disclosure"]["years"]["budget"]
    assert [int(y) - 1911 for y, s in grid.items() if s == "unresolved"] == [113, 114, 115]
    items = {i["id"]: i["status"] for i in doc["inspection"]}
    assert items["disclosure-years"] == "incomplete"
