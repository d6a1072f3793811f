"""The evidence report: summary values, escaping, Chromium rendering and PDF, diffs, waivers and exports."""

from __future__ import annotations

import csv
import datetime
import io
import json
import re
import sqlite3
import unicodedata
import zipfile
from pathlib import Path
from typing import Any

import pytest
from lxml import html as lxml_html
from pypdf import PdfReader

from conftest import NOW, TODAY, audit_fixture, judged_clean, run_cli, write_config
from siteaudit.checks import REGISTRY
from siteaudit.core.browser import chromedriver_service, chromium_options, find_browser
from siteaudit.core.dates import TAIPEI
from siteaudit.core.store import Store
from siteaudit.reports.history import sparkline
from siteaudit.reports.render import print_pdf, render_html
from siteaudit.reports.uptime_form import month_form
from siteaudit.reports.uptime_log import render_html as uptime_page
from siteaudit.verdict.judge import judge

AGENCY = "台灣自來水公司第一區管理處"
PAGE = "<html lang='zh-Hant'><head><title>{title}</title></head><body><h1>{title}</h1>{body}</body></html>"


def test_the_demo_report_holds_every_section_and_the_inspection_table(demo_run):
    tree = lxml_html.fromstring((demo_run["out"] / "report.html").read_bytes())
    for name in REGISTRY:
        assert tree.get_element_by_id(f"check-{name}") is not None, name
    rows = tree.xpath("//section[@id='summary']/table[1]//tr[td]")
    assert len(rows) == 18
    labels = [r.xpath("string(td[1])").strip() for r in rows]
    assert labels[:2] == ["連結有效性", "主動公開資訊比例"] and "網站運轉情形" in labels
    doc = json.loads((demo_run["out"] / "findings.json").read_text(encoding="utf-8"))
    metadata_row = rows[labels.index("詮釋資料通過比率")]
    assert f"{doc['summary']['metadata']['pass_rate']}%" in metadata_row.xpath("string(td[3])")
    assert metadata_row.xpath("string(td[4])").strip() == "未通過"
    cover = tree.xpath("string(//table[@class='cover'])")
    assert "中華民國" in cover and "axe-core 4." in cover and doc["run"]["config_hash"] in cover


def ods_sheets(path) -> dict[str, list[list[str]]]:
    from odf.opendocument import load
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    sheets = {}
    for table in load(str(path)).spreadsheet.getElementsByType(Table):
        sheets[table.getAttribute("name")] = [
            ["\n".join(str(p) for p in cell.getElementsByType(P)) for cell in row.getElementsByType(TableCell)]
            for row in table.getElementsByType(TableRow)]
    return sheets


def test_exports_csv_and_ods_hold_the_same_rows(demo_run):
    text = (demo_run["out"] / "findings.csv").read_text(encoding="utf-8")
    assert text.startswith("\ufeff編號,檢查,規則,嚴重度,網址")  # headers in the report's language
    csv_rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    sheets = ods_sheets(demo_run["out"] / "findings.ods")
    names = list(sheets)
    items = json.loads((demo_run["out"] / "findings.json").read_text(encoding="utf-8"))["inspection"]
    assert names[0] == "考核項目" and len(sheets["考核項目"]) == 1 + len(items) and "連結有效性" in names
    assert [row[0] for row in sheets["考核項目"][1:]] == [i["zh"] for i in items]
    ods_rows = [row for name in names[1:] for row in sheets[name][1:]]
    assert sorted(ods_rows) == sorted(csv_rows[1:]) and len(ods_rows) > 1
    assert all(sheets[name][0] == csv_rows[0] for name in names[1:])
    for row in csv_rows[1:]:
        json.loads(row[-1])  # evidence is always valid JSON


def test_ods_has_a_frozen_header_row_and_column_widths(demo_run):
    archive = zipfile.ZipFile(demo_run["out"] / "findings.ods")
    settings = archive.read("settings.xml").decode("utf-8")
    assert 'config:name="VerticalSplitMode"' in settings and 'config:name="Tables"' in settings
    assert "style:column-width" in archive.read("content.xml").decode("utf-8")


def test_long_evidence_is_summarised_into_valid_json():
    from siteaudit.reports.export import evidence_json

    evidence = {"referrers": [{"page": f"https://x.gov.tw/{i}", "text": "連結" * 50} for i in range(5000)],
                "html": "<div>" * 20000}
    text = evidence_json(evidence)
    assert len(text) <= 30_000
    data = json.loads(text)
    assert data["referrers"][-1].startswith("… +") and data["html"].endswith(")")


def test_findings_have_a_stable_id_across_runs_and_addresses():
    from siteaudit.verdict.ids import finding_id

    a = {"check": "metadata", "rule": "missing-field", "url": "http://127.0.0.1:4001/a.html",
         "evidence": {"fields": [{"field": "DC.Date"}]}}
    b = {**a, "url": "http://127.0.0.1:5002/a.html"}
    assert finding_id(a, "//127.0.0.1:4001") == finding_id(b, "//127.0.0.1:5002")
    assert finding_id(a, "//127.0.0.1:4001") != finding_id({**a, "evidence": {"fields": [{"field": "DC.Title"}]}},
                                                          "//127.0.0.1:4001")


def test_a_second_run_into_the_same_out_replaces_its_files_crawl_log_included(tmp_path, serve):
    (tmp_path / "index.html").write_text(PAGE.format(title="首頁", body="x"), encoding="utf-8")
    server = serve(tmp_path)
    cfg = write_config(tmp_path / "c.toml", server.base, tmp_path / "s.sqlite3", crawl={"sitemaps": False})
    out = tmp_path / "same"
    for _ in range(2):
        run_cli("audit", "--config", str(cfg), "--checks", "links", "--out", str(out))
    log = (out / "crawl.log").read_text(encoding="utf-8")
    assert log.count("Spider opened") == 1, log[:2000]


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    """Run 1: broken links a and b, and a page titled with a script; run 2: a fixed, c broken, a waiver file."""
    from siteaudit.demo.server import SiteServer

    root = tmp_path_factory.mktemp("report")
    evil = "<script>alert(1)</script>"
    (root / "evil.html").write_text(PAGE.format(title=evil.replace("<", "&lt;").replace(">", "&gt;"), body="x"),
                                    encoding="utf-8")
    (root / "index.html").write_text(PAGE.format(title="首頁", body='<a href="/a.html">甲</a><a href="/b.html">乙</a>'
                                                 '<a href="/evil.html">惡意</a>'
                                                 '<a href="/gone.html">&lt;script&gt;alert(1)&lt;/script&gt;</a>'),
                                     encoding="utf-8")
    server = SiteServer(root)
    server.start()
    store = root / "s.sqlite3"
    waivers = root / "waivers.toml"
    waivers.write_text(f"""
[[waiver]]
check = "links"
rule = "broken-link"
url = "{server.base}/b.html"
reason = "已通報廠商"
accepted_by = "資訊小組"
expires = 2099-12-31

[[waiver]]
check = "links"
rule = "broken-link"
url = "{server.base}/c.html"
reason = "過期的豁免"
accepted_by = "資訊小組"
expires = 2020-01-01
""", encoding="utf-8")
    cfg = write_config(root / "c.toml", server.base, store, crawl={"sitemaps": False})
    try:
        first = run_cli("audit", "--config", str(cfg), "--checks", "links", "--out", str(root / "one"))
        (root / "a.html").write_text(PAGE.format(title="甲", body="ok"), encoding="utf-8")
        (root / "index.html").write_text(PAGE.format(title="首頁", body='<a href="/a.html">甲</a><a href="/b.html">乙'
                                                     '</a><a href="/c.html">丙</a>'), encoding="utf-8")
        cfg2 = write_config(root / "c2.toml", server.base, store, crawl={"sitemaps": False},
                            site={"waivers": str(waivers)})
        second = run_cli("audit", "--config", str(cfg2), "--checks", "links", "--out", str(root / "two"))
    finally:
        server.stop()
    return {"root": root, "first": first, "second": second, "base": server.base, "store": store, "evil": evil,
            "cfg2": cfg2}


def test_text_from_crawled_pages_is_escaped(two_runs):
    html = (two_runs["root"] / "one" / "report.html").read_text(encoding="utf-8")
    assert two_runs["evil"] not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_the_diff_lists_new_and_fixed_findings(two_runs):
    tree = lxml_html.fromstring((two_runs["root"] / "two" / "report.html").read_bytes())
    tables = tree.xpath("//section[@id='diff']//table[@class='new-fixed']")
    new_urls = [u.rsplit("/", 1)[-1] for u in tables[0].xpath(".//td[3]//text()")]
    fixed_urls = [u.rsplit("/", 1)[-1] for u in tables[1].xpath(".//td[3]//text()")]
    assert "c.html" in new_urls and sorted(fixed_urls) == ["a.html", "evil.html", "gone.html"]


def test_waived_findings_are_shown_and_do_not_fail_until_they_expire(two_runs):
    doc = json.loads((two_runs["root"] / "two" / "findings.json").read_text(encoding="utf-8"))
    waivers = {f["url"].rsplit("/", 1)[-1]: f["evidence"].get("waiver") for f in doc["findings"]
               if f["rule"] == "broken-link"}
    assert waivers["b.html"]["active"] and waivers["b.html"]["reason"] == "已通報廠商"
    assert waivers["c.html"]["active"] is False  # expired: counts again
    assert doc["summary"]["links"]["status"] == "fail" and two_runs["second"].returncode == 1
    tree = lxml_html.fromstring((two_runs["root"] / "two" / "report.html").read_bytes())
    assert any("已通報廠商" in row.text_content() for row in tree.xpath("//tr[@class='waived']"))


def test_report_command_formats_and_pdf(two_runs, tmp_path):
    result = run_cli("report", "latest", "--config", str(two_runs["cfg2"]), "--out", str(tmp_path / "r"),
                     "--format", "csv")
    assert result.returncode == 0 and (tmp_path / "r" / "findings.csv").exists()
    assert not (tmp_path / "r" / "report.html").exists()
    assert sqlite3.connect(two_runs["store"]).execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 2


def test_the_pdf_has_chinese_text_an_embedded_cjk_font_and_page_numbers(tmp_path, serve):
    (tmp_path / "index.html").write_text(PAGE.format(title="首頁", body='<a href="/gone.html">舊檔</a>'),
                                         encoding="utf-8")
    server = serve(tmp_path)
    cfg = write_config(tmp_path / "c.toml", server.base, tmp_path / "s.sqlite3", crawl={"sitemaps": False},
                       site={"agency": AGENCY})
    assert run_cli("audit", "--config", str(cfg), "--checks", "links", "--out", str(tmp_path / "a")).returncode == 1
    result = run_cli("report", "latest", "--config", str(cfg), "--out", str(tmp_path / "p"), "--pdf")
    assert result.returncode == 0, result.stderr
    reader = PdfReader(tmp_path / "p" / "report.pdf")
    # Chromium's text layer maps some CJK glyphs to their compatibility forms (⾴ for 頁): compare as NFKC.
    texts = [unicodedata.normalize("NFKC", page.extract_text()) for page in reader.pages]
    assert "未通過" in texts[0] and "通過" in texts[0] and AGENCY in texts[0]
    assert "第 1 頁" in texts[0] and f"共 {len(reader.pages)} 頁" in texts[0]
    fonts = {font_name(f) for page in reader.pages for f in font_objects(page)}
    assert any("CJK" in name for name in fonts), fonts  # glyphs drawn from a CJK font, not boxes
    assert all(len(t.strip()) > 300 for t in texts[:-1]), [len(t) for t in texts]  # no forced near-empty page


def font_name(font) -> str:
    """A PDF font's name; Chromium embeds CFF fonts (Noto CJK) as Type 3, named in their descriptor."""
    descriptor = font.get("/FontDescriptor")
    return str(font.get("/BaseFont") or (descriptor.get_object().get("/FontName") if descriptor else ""))


def font_objects(page):
    resources = page.get("/Resources") or {}
    fonts = resources.get("/Font") or {}
    return [fonts[name].get_object() for name in fonts]


def test_pdf_without_a_chinese_font_is_refused_with_the_install_command(demo_run, tmp_path):
    bare = tmp_path / "fonts.conf"
    bare.write_text("<?xml version='1.0'?><fontconfig></fontconfig>", encoding="utf-8")
    store = demo_run["db"].execute("PRAGMA database_list").fetchone()["file"]
    result = run_cli("report", str(demo_run["run_id"]), "--store", store, "--out", str(tmp_path / "p"), "--pdf",
                     env={"FONTCONFIG_FILE": str(bare)})
    assert result.returncode == 2 and "apt-get install fonts-noto-cjk" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and not (tmp_path / "p" / "report.pdf").exists()


def test_the_report_renders_in_chromium_without_console_errors_and_prints(demo_run, tmp_path):
    from selenium import webdriver

    paths = find_browser()
    assert not paths.missing
    options = chromium_options(paths)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=chromedriver_service(paths, str(tmp_path)), options=options)
    try:
        driver.get((demo_run["out"] / "report.html").as_uri())
        assert driver.find_element("id", "summary")
        errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        assert errors == []
    finally:
        driver.quit()
    pdf = tmp_path / "report.pdf"
    print_pdf(demo_run["out"] / "report.html", pdf, paths)
    assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 10_000


def test_a_bad_waiver_file_is_a_config_error(tmp_path):
    bad = tmp_path / "w.toml"
    bad.write_text('[[waiver]]\ncheck = "links"\nrule = "broken-link"\nreason = "x"\naccepted_by = "y"\n'
                   'expires = "someday"\n', encoding="utf-8")
    cfg = write_config(tmp_path / "c.toml", "http://127.0.0.1:9", tmp_path / "s.sqlite3", site={"waivers": str(bad)})
    result = run_cli("audit", "--config", str(cfg))
    assert result.returncode == 2 and "waiver[0]: expires" in result.stderr and "Traceback" not in result.stderr


OTHER_ITEMS = ("disclosure", "disclosure-years", "documents", "publication-plan", "publication-catalogue", "publication-update-rule",
               "publication-results", "opendata", "metadata", "accessibility", "accessibility-mark", "essentials",
               "search", "freshness", "services-online", "services-participation", "uptime")


def item_waivers(path: Path, items: tuple[str, ...], expires: str) -> Path:
    """A waiver file putting `items` out of scope until `expires` (far from any real today either way)."""
    path.write_text("".join(f'[[waiver]]\nitem = "{item}"\nreason = "本次只檢測連結"\naccepted_by = "資訊小組 王小明"\n'
                            f"expires = {expires}\n" for item in items), encoding="utf-8")
    return path


def links_audit(tmp_path: Path, serve, waivers: Path, body: str = "x") -> tuple[Any, dict[str, Any]]:
    """`--checks links` on a one-page site with `waivers`: the CLI's result and findings.json."""
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "index.html").write_text(f"<html lang='zh-Hant'><head><title>首頁</title></head><body>{body}"
                                                  "</body></html>", encoding="utf-8")
    server = serve(tmp_path / "site")
    cfg = write_config(tmp_path / "c.toml", server.base, tmp_path / "s.sqlite3", crawl={"sitemaps": False},
                       site={"waivers": str(waivers)})
    result = run_cli("audit", "--config", str(cfg), "--checks", "links", "--out", str(tmp_path / "o"))
    return result, json.loads((tmp_path / "o" / "findings.json").read_text(encoding="utf-8"))


def test_item_waivers_for_every_item_a_links_run_cannot_decide_let_a_clean_run_pass(tmp_path, serve):
    result, doc = links_audit(tmp_path, serve, item_waivers(tmp_path / "w.toml", OTHER_ITEMS, "9999-12-31"))
    assert result.returncode == 0, result.stderr
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith("siteaudit: run 1 pass — 1/18 items passed — waived (17): disclosure: Waived (本次只檢測連結 / "
                           "資訊小組 王小明 / 9999-12-31)"), last
    assert doc["status"] == "pass"
    items = {i["id"]: i for i in doc["inspection"]}
    assert items["links"]["status"] == "pass" and all(items[i]["status"] == "waived" for i in OTHER_ITEMS)
    assert items["uptime"]["waiver"] == {"reason": "本次只檢測連結", "accepted_by": "資訊小組 王小明", "expires": "9999-12-31"}
    page = lxml_html.fromstring((tmp_path / "o" / "report.html").read_text(encoding="utf-8"))
    cells = [td.text_content() for td in page.xpath('//section[@id="summary"]//td[@class="waived"]')]
    assert cells == ["豁免（本次只檢測連結／資訊小組 王小明／9999-12-31）"] * 17
    results = [row[3] for row in ods_sheets(tmp_path / "o" / "findings.ods")["考核項目"][1:]]
    assert results == ["通過", *["豁免（本次只檢測連結／資訊小組 王小明／9999-12-31）"] * 17]


def test_an_expired_item_waiver_waives_nothing(tmp_path, serve):
    result, doc = links_audit(tmp_path, serve, item_waivers(tmp_path / "w.toml", OTHER_ITEMS, "2000-01-01"))
    judged_clean(result)
    assert doc["status"] == "incomplete" and not [i for i in doc["inspection"] if i["status"] == "waived"]


def test_an_item_waiver_never_turns_a_failed_item_into_a_pass(tmp_path, serve):
    waivers = item_waivers(tmp_path / "w.toml", ("links", *OTHER_ITEMS), "9999-12-31")
    result, doc = links_audit(tmp_path, serve, waivers, body='<a href="/missing.html">不存在</a>')
    assert result.returncode == 1 and doc["status"] == "fail", result.stderr
    links = next(i for i in doc["inspection"] if i["id"] == "links")
    assert links["status"] == "fail" and links.get("waiver") is None


@pytest.mark.parametrize(("body", "error"), [
    ('item = "speed"\nreason = "x"\naccepted_by = "y"\nexpires = 2027-03-31\n', "waiver[0]: unknown item 'speed'"),
    ('item = "links"\ncheck = "links"\nreason = "x"\naccepted_by = "y"\nexpires = 2027-03-31\n',
     "waiver[0]: item cannot go with check"),
    ('item = "uptime"\naccepted_by = "y"\nexpires = 2027-03-31\n', "waiver[0]: reason is required"),
    ('item = "uptime"\nreason = "x"\naccepted_by = "y"\n', "waiver[0]: expires is required"),
])
def test_a_bad_item_waiver_is_a_config_error_naming_it(tmp_path, body, error):
    bad = tmp_path / "w.toml"
    bad.write_text("[[waiver]]\n" + body, encoding="utf-8")
    cfg = write_config(tmp_path / "c.toml", "http://127.0.0.1:9", tmp_path / "s.sqlite3", site={"waivers": str(bad)})
    result = run_cli("audit", "--config", str(cfg))
    assert result.returncode == 2 and error in result.stderr and "Traceback" not in result.stderr, result.stderr


def test_the_inspection_table_says_when_the_mark_is_past_its_validity():
    from siteaudit.checks.accessibility import CHECK

    summary = {"status": "pass", "pages_tested": 3, "mark": {"found": True, "level": "AA", "passed": "2019-03-01"}}
    expired = [{"check": "accessibility", "rule": "mark-expired", "severity": "warning", "evidence": {}}]
    mark = {i.id: i for i in CHECK.inspection(summary, expired)}["accessibility-mark"]
    assert "2019-03-01" in mark.measured_zh and "已逾3年效期" in mark.measured_zh
    assert "past its 3-year validity" in mark.measured_en
    fresh = {i.id: i for i in CHECK.inspection(summary, [])}["accessibility-mark"]
    assert "已逾" not in fresh.measured_zh


def open_in_chromium(path, tmp_path, check) -> None:
    """Load `path` in headless Chromium and call `check(driver)`."""
    from selenium import webdriver

    paths = find_browser()
    assert not paths.missing
    driver = webdriver.Chrome(service=chromedriver_service(paths, str(tmp_path)), options=chromium_options(paths))
    try:
        driver.get(path.as_uri())
        check(driver)
    finally:
        driver.quit()


def test_script_in_a_title_a_link_text_and_a_url_never_runs_in_the_report(tmp_path, serve):
    evil = '<script>window.pwned=1</script><img src=x onerror="window.pwned=2">'
    quoted = evil.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    (tmp_path / "index.html").write_text(PAGE.format(
        title=quoted, body=f'<a href="/gone.html?q={quoted}">{quoted}</a><a href="/x{quoted}.html">x</a>'),
        encoding="utf-8")
    server = serve(tmp_path)
    _, doc = audit_fixture(tmp_path, server.base, "links,metadata")
    assert any("pwned" in f["url"] for f in doc["findings"])

    def no_script_ran(driver) -> None:
        assert driver.execute_script("return window.pwned === undefined")
        assert "pwned" in driver.page_source  # shown as text

    open_in_chromium(tmp_path / "out" / "report.html", tmp_path, no_script_ran)


def test_the_first_screen_is_one_verdict_line(demo_run, tmp_path):
    def verdict_on_first_screen(driver) -> None:
        line = driver.find_element("id", "verdict")
        assert line.location["y"] + line.size["height"] < 700
        text = line.text
        assert "未通過" in text and "18 項中" in text and "項通過" in text and f"執行編號 {demo_run['run_id']}" in text

    open_in_chromium(demo_run["out"] / "report.html", tmp_path, verdict_on_first_screen)


def test_the_verdict_and_the_whole_inspection_table_fit_the_first_screen(demo_run, tmp_path):
    def items_on_first_screen(driver) -> None:
        driver.set_window_size(1280, 800)
        viewport = driver.execute_script("return window.innerHeight")
        bottom = driver.execute_script(
            "return document.querySelector('#summary table.inspection').getBoundingClientRect().bottom")
        rows = driver.execute_script("return document.querySelectorAll('#summary table.inspection tbody tr').length")
        assert rows == 18 and bottom <= viewport <= 800, (bottom, viewport)
        assert driver.find_element("id", "run-details").location["y"] > bottom  # the run's metadata comes after

    open_in_chromium(demo_run["out"] / "report.html", tmp_path, items_on_first_screen)


def test_every_in_report_link_resolves_to_an_element_even_for_checks_not_run(tmp_path, serve):
    (tmp_path / "index.html").write_text(PAGE.format(title="首頁", body="x"), encoding="utf-8")
    server = serve(tmp_path)
    audit_fixture(tmp_path, server.base, "links")
    for lang in ("zh", "en"):
        if lang == "en":
            assert run_cli("report", "latest", "--store", str(tmp_path / "s.sqlite3"), "--out",
                           str(tmp_path / "en"), "--lang", "en", "--format", "html").returncode == 0
        tree = lxml_html.fromstring((tmp_path / ("out" if lang == "zh" else "en") / "report.html").read_bytes())
        ids = set(tree.xpath("//@id"))
        targets = [h[1:] for h in tree.xpath("//a/@href") if h.startswith("#")]
        assert targets and [t for t in targets if t not in ids] == []
        metadata = tree.get_element_by_id("check-metadata")  # a check that was not selected
        assert "not-run" in metadata.get("class")
        text = metadata.text_content()
        assert ("未執行" in text and "未選擇此檢查" in text) if lang == "zh" else \
            ("did not run" in text and "check not selected" in text)


def test_the_disclosure_table_names_categories_and_its_year_grid_has_a_legend(demo_run):
    tree = lxml_html.fromstring((demo_run["out"] / "report.html").read_bytes())
    section = tree.get_element_by_id("check-disclosure")
    categories = [c.text_content() for c in section.xpath(".//table[@class='items']/tbody/tr/td[2]")]
    assert "服務品質計畫指定項目" in categories and "plan" not in categories
    assert any(c.startswith("第7款") for c in categories)
    legend = section.xpath("string(.//p[@class='legend'])")
    for symbol in ("✓", "✗", "損", "綠色", "紅色"):
        assert symbol in legend, symbol


def test_the_report_ends_with_a_sign_off_block_with_seal_boxes(demo_run, tmp_path):
    def seal_boxes(driver) -> None:
        block = driver.find_element("id", "signoff")
        assert "核章" in block.text and "承辦人" in block.text and "單位主管" in block.text
        assert block.text.count("日期") == 2
        sizes = driver.execute_script("return Array.from(document.querySelectorAll('#signoff div.seal'), "
                                      "e => [e.getBoundingClientRect().width, e.getBoundingClientRect().height])")
        assert len(sizes) == 2 and all(96 <= w <= 102 and 96 <= h <= 102 for w, h in sizes)  # 26 mm (98 px) and its border
        last = driver.execute_script("return document.querySelector('body > section:last-of-type').id")
        assert last == "signoff"

    open_in_chromium(demo_run["out"] / "report.html", tmp_path, seal_boxes)


def test_the_printed_report_repeats_table_headers_on_every_page_and_signs_off(tmp_path, serve):
    links = "".join(f'<p><a href="/gone-{i:03d}.html">已移除的公告第 {i} 則（{"很長的連結文字" * 6}）</a></p>'
                    for i in range(120))
    (tmp_path / "index.html").write_text(PAGE.format(title="首頁", body=links), encoding="utf-8")
    server = serve(tmp_path)
    audit_fixture(tmp_path, server.base, "links")
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    tree = lxml_html.fromstring(html)
    for table in tree.xpath("//table[contains(@class, 'findings') or contains(@class, 'inspection')"
                            " or contains(@class, 'index') or contains(@class, 'items')]"):
        assert table.xpath("./thead/tr/th"), table.get("class")
    pdf = tmp_path / "report.pdf"
    print_pdf(tmp_path / "out" / "report.html", pdf, find_browser())
    texts = [unicodedata.normalize("NFKC", page.extract_text()) for page in PdfReader(pdf).pages]
    pages = [t for t in texts if "HTTP 404" in t]  # the rows of the one findings table (URLs wrap in print)
    assert len(pages) >= 3, len(pages)
    for text in pages[1:]:  # each continuation page of the table starts with its header
        assert "證據網址" in text and text.index("證據網址") < text.index("HTTP 404"), text[:300]
    assert "核章" in texts[-1] and "承辦人" in texts[-1] and "單位主管" in texts[-1]


def test_sections_show_labelled_figures_and_severity_words_never_raw_keys_or_json(demo_run):
    tree = lxml_html.fromstring((demo_run["out"] / "report.html").read_bytes())
    text = tree.text_content()
    for raw in ("targets_checked", "odf_share", "pass_rate", "status fail", '{"', "offenders_by_page"):
        assert raw not in text, raw
    links = tree.get_element_by_id("check-links")
    figures = dict(zip(links.xpath(".//table[@class='figures']//th/text()"),
                       links.xpath(".//table[@class='figures']//td/text()"), strict=True))
    assert figures["失效連結"].endswith(" 個") and "檢查的網址" in figures
    severities = {c.text_content().split("豁免")[0].strip() for c in tree.xpath("//td[contains(@class, 'sev')]")}
    assert severities and severities <= {"錯誤", "警告", "提醒"}


def test_trend_charts_label_their_ends_and_scale_percentages_0_to_100():
    flat = sparkline([90.0, 90.0, 90.0], percent=True)
    assert ">90%</text>" in flat
    ys = [float(p.split(",")[1]) for p in flat.split('points="')[1].split('"')[0].split()]
    assert len(set(ys)) == 1 and ys[0] < 26 / 2  # 90 of 100: near the top, not at the bottom
    counts = sparkline([6.0, 3.0])
    assert ">6</text>" in counts and ">3</text>" in counts and "6.0" not in counts


def test_same_cause_on_many_pages_is_one_row_and_the_filter_hides_other_groups(demo_run, tmp_path):
    doc = json.loads((demo_run["out"] / "findings.json").read_text(encoding="utf-8"))
    blank = [f for f in doc["findings"] if f["rule"] == "blank-optional-field"]  # one per page: the same cause
    assert len(blank) > 10  # the exports keep one row per page

    def grouped_and_filtered(driver) -> None:
        group = driver.find_element("id", "metadata-blank-optional-field")
        rows = group.find_elements("css selector", "tr.waived, tr[class='']")
        assert len(rows) == 1
        assert rows[0].find_element("css selector", "b.count").text == f"{len(blank)} 頁"
        assert len(rows[0].find_elements("css selector", "details a")) == len(blank) - 5
        link = driver.find_element("css selector", "#index a.notice[href^='#metadata-']")
        target = driver.find_element("id", link.get_attribute("href").split("#")[1])  # works without script
        assert "提醒" in link.text and target.get_attribute("data-severity") == "notice"
        from selenium.webdriver.support.ui import Select

        Select(driver.find_element("id", "filter-severity")).select_by_value("error")
        assert not group.is_displayed()
        assert driver.find_element("id", "links-broken-link").is_displayed()
        Select(driver.find_element("id", "filter-check")).select_by_value("documents")
        assert not driver.find_element("id", "check-links").is_displayed()

    open_in_chromium(demo_run["out"] / "report.html", tmp_path, grouped_and_filtered)


CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")


def test_the_english_report_is_english_with_chinese_names_only_in_brackets(demo_run, tmp_path):
    store = demo_run["db"].execute("PRAGMA database_list").fetchone()["file"]
    result = run_cli("report", str(demo_run["run_id"]), "--store", store, "--out", str(tmp_path / "en"),
                     "--lang", "en", "--format", "html")
    assert result.returncode == 0, result.stderr
    tree = lxml_html.fromstring((tmp_path / "en" / "report.html").read_bytes())
    assert not CJK.search(tree.xpath("string(//p[@id='verdict'])"))
    for heading in tree.xpath("//h2 | //h3 | //th[not(ancestor::table[@class='grid'])]"):
        assert not CJK.search(re.sub(r"\([^)]*\)", "", heading.text_content())), heading.text_content()
    for row in tree.xpath("//section[@id='summary']/table[1]//tr[td]"):
        cells = [c.text_content() for c in row.xpath("td")]
        assert not CJK.search(cells[0] + cells[1] + cells[2] + cells[3]), cells
        assert not CJK.search(cells[4]) or cells[4].startswith("/"), cells[4]  # a note, or a path of the site
        assert not CJK.search(re.sub(r"\([^)]*\)", "", cells[5])), cells[5]  # Chinese names only in brackets
    messages = tree.xpath("//div[@id='links-broken-link']//tr/td[3]")
    assert messages and all(m.text_content().startswith("Broken link") for m in messages)
    severities = {c.text_content().split("Waiver")[0].strip() for c in tree.xpath("//td[contains(@class, 'sev')]")}
    assert severities <= {"Error", "Warning", "Notice"}


def site_text(root: Path, *extra: Path) -> str:
    """Every text the audited site (and the user's config) holds: what an en report may quote in Chinese."""
    parts = []
    for path in [p for p in root.rglob("*") if p.is_file()] + list(extra):
        data = path.read_bytes()
        parts += [data.decode("utf-8", "replace"), data.decode("big5", "replace")]
    return "\n".join(parts)


def test_the_whole_english_report_has_no_chinese_the_tool_wrote_itself(demo_run, tmp_path):
    result = run_cli("report", str(demo_run["run_id"]), "--store", str(demo_run["db_path"]), "--out",
                     str(tmp_path / "en"), "--lang", "en", "--format", "html")
    assert result.returncode == 0, result.stderr
    tree = lxml_html.fromstring((tmp_path / "en" / "report.html").read_bytes())
    for node in tree.xpath("//style | //script"):
        node.drop_tree()
    text = re.sub(r"\([^()]*\)", "", tree.text_content())  # a regulation's Chinese name in brackets is kept
    quoted = site_text(demo_run["root"], demo_run["out"].parent / "demo.toml")
    own = sorted({run for run in re.findall(CJK.pattern + "+", text) if run not in quoted})
    assert not own, own  # every Chinese run left is text of the site (a title, a link text) or of the config


def test_a_finding_that_vanished_with_its_page_is_not_counted_as_fixed(tmp_path, serve):
    root = tmp_path / "site"
    root.mkdir()
    (root / "index.html").write_text(PAGE.format(title="首頁", body='<a href="/old.html">舊頁</a><a href="/x.html">甲</a>'),
                                     encoding="utf-8")
    (root / "old.html").write_text(PAGE.format(title="舊頁", body='<a href="/missing.html">不見</a>'), encoding="utf-8")
    server = serve(root)
    cfg = write_config(tmp_path / "c.toml", server.base, tmp_path / "s.sqlite3", crawl={"sitemaps": False})
    assert run_cli("audit", "--config", str(cfg), "--checks", "links", "--out", str(tmp_path / "one")).returncode == 1
    (root / "old.html").unlink()  # the page and its broken link are gone; x.html is made: that one is fixed
    (root / "index.html").write_text(PAGE.format(title="首頁", body='<a href="/x.html">甲</a>'), encoding="utf-8")
    (root / "x.html").write_text(PAGE.format(title="甲", body="ok"), encoding="utf-8")
    judged_clean(run_cli("audit", "--config", str(cfg), "--checks", "links", "--out", str(tmp_path / "two")))
    tree = lxml_html.fromstring((tmp_path / "two" / "report.html").read_bytes())
    tables = tree.xpath("//section[@id='diff']//table[@class='new-fixed']")
    headings = [h.text_content() for h in tree.xpath("//section[@id='diff']//h3")]
    assert headings == ["已改善的發現", "隨頁面移除而消失的發現（不計為已改善）"], headings
    assert [u.rsplit("/", 1)[-1] for u in tables[0].xpath(".//td[3]//text()")] == ["x.html"]
    assert [u.rsplit("/", 1)[-1] for u in tables[1].xpath(".//td[3]//text()")] == ["missing.html"]
    summary = tree.xpath("//section[@id='diff']/p")[0].text_content()
    assert "已改善 1" in summary and "另 1 筆因所在頁面已不存在而消失" in summary, summary


CJK = re.compile(r"[\u3400-\u9fff\u3000-\u303f\uff00-\uffef]")


# Rules whose whole message the tool writes (no text of the crawled site in it): all English in an en export.
TOOL_WORDS_ONLY = frozenset({"broken-link", "stale-page", "no-displayed-date", "missing-years", "item-missing",
                             "item-broken", "type-mismatch", "unlisted-code", "missing-field", "archive-listed",
                             "not-pdf-publication", "crawler-trap", "element-missing", "contact-details-missing"})


def export_rows(out) -> list[dict[str, str]]:
    text = (out / "findings.csv").read_text(encoding="utf-8-sig")
    reader = list(csv.reader(io.StringIO(text)))
    return [dict(zip(reader[0], r, strict=True)) for r in reader[1:]]


def test_exports_show_words_not_slugs_and_no_local_paths(demo_run, tmp_path):
    zh = export_rows(demo_run["out"])
    assert {r["檢查"] for r in zh} >= {"連結有效性", "無障礙檢測"}, {r["檢查"] for r in zh}
    assert {r["嚴重度"] for r in zh} <= {"錯誤", "警告", "提醒"}
    broken = next(r for r in zh if r["規則"].endswith("（broken-link）"))
    assert broken["規則"] == "連結失效（broken-link）"  # the words, and the id a waiver names
    en_out = tmp_path / "en"
    result = run_cli("report", str(demo_run["run_id"]), "--store", str(demo_run["db_path"]), "--out", str(en_out),
                     "--lang", "en", "--format", "csv")
    assert result.returncode == 0, result.stderr
    for row in export_rows(en_out):
        for column in ("Check", "Rule", "Severity", "Waiver"):
            assert not CJK.search(row[column]), (column, row[column])
        assert not CJK.search(row["Message"].split(":", 1)[0]), row["Message"]  # the tool's own words lead
        if row["Rule"].rsplit("(", 1)[-1].rstrip(")") in TOOL_WORDS_ONLY:  # particulars the tool wrote itself
            assert not CJK.search(row["Message"]), row["Message"]
    for out in (demo_run["out"], en_out):
        text = (out / "findings.csv").read_text(encoding="utf-8-sig")
        assert str(Path.cwd()) not in text and "/checks/data/" not in text and "site-packages" not in text


def test_the_ods_has_no_style_named_none_and_whole_word_sheet_names(demo_run, tmp_path):
    result = run_cli("report", str(demo_run["run_id"]), "--store", str(demo_run["db_path"]), "--out", str(tmp_path),
                     "--lang", "en", "--format", "ods")
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(tmp_path / "findings.ods") as z:
        content = z.read("content.xml").decode()
    assert 'style-name="None"' not in content
    names = re.findall(r'<table:table table:name="([^"]+)"', content)
    assert "Proactive disclosure" in names and all(len(n) <= 31 for n in names), names
def test_the_availability_row_and_the_record_form_agree_on_one_rule(tmp_path):
    """Probes at 14:00 and 20:00 all November, failing only at 14:00, none on the 10th; audited on TODAY at noon:
    the row counts the month so far per day by the 20:00 probe, as the form does, and links to the form."""
    store = Store(tmp_path / "s.sqlite3")
    for d in range(1, 26):
        if d == 10:
            continue
        for hour, ok in ((14, False), (20, True)):
            at = datetime.datetime.combine(TODAY.replace(day=d), datetime.time(hour), TAIPEI).timestamp()
            store.add_probes([{"site": "s", "batch": f"{d}-{hour}", "started": at, "url": "https://w.gov.tw/",
                               "attempt": 1, "ok": ok, "status": 200 if ok else 503,
                               "reason": "" if ok else "HTTP 503", "detail": {}}])
    run_id = store.create_run("s", {"site": {"agency": "第一區管理處"}}, "h", {})
    store.finish_run(run_id, "complete", {})
    store.db.execute("UPDATE runs SET started=?, finished=? WHERE id=?",
                     (NOW.timestamp() - 60, NOW.timestamp(), run_id))
    verdict = judge(store, run_id)
    [row] = [i for i in verdict.items if i.id == "uptime"]
    form = month_form(store, "s", "第一區管理處", 2026, 11, NOW)
    f = form.figures
    assert (f.due, f.checked, f.abnormal, f.not_checked, f.availability) == (25, 24, 0, 1, 100.0)
    assert row.measured_zh == "本月 已檢測 24/25 日，異常 0 日，未檢測 1 日（可用率 100.00%）" and row.figure == f.availability
    assert row.measured_en == "This month: 24/25 days checked, 0 abnormal, 1 not checked (availability 100.00%)"
    assert row.status == "fail" and row.section == "uptime-form"  # the 10th was not checked
    report = lxml_html.fromstring(render_html(store, run_id, verdict))
    [link] = report.xpath("//section[@id='summary']//a[@href='#uptime-form']")
    assert link.text_content() == "網站運轉情形"
    shown = report.xpath("//section[@id='uptime-form']//table[@class='days']/tbody/tr")
    printed = lxml_html.fromstring(uptime_page(store, "s", "第一區管理處", 2026, 11, NOW))
    assert [r.text_content() for r in shown] == [r.text_content() for r in printed.xpath("//table[@class='days']/tbody/tr")]
    assert len(shown) == 30 and f"{f.normal} ÷ {f.checked} = 100.00%" in report.text_content()
    english = lxml_html.fromstring(render_html(store, run_id, verdict, lang="en"))
    assert "This month: 24/25 days checked, 0 abnormal" in english.xpath("string(//section[@id='summary'])")
    assert "normal days ÷ days checked = 24 ÷ 24" in english.xpath("string(//section[@id='uptime-form'])")


def test_the_english_report_names_disclosure_items_in_english(demo_run, tmp_path):
    result = run_cli("report", str(demo_run["run_id"]), "--store", str(demo_run["db_path"]), "--out", str(tmp_path),
                     "--lang", "en", "--format", "html")
    assert result.returncode == 0, result.stderr
    section = lxml_html.fromstring((tmp_path / "report.html").read_bytes()).get_element_by_id("check-disclosure")
    names = [td.text_content() for td in section.xpath(".//table//tbody/tr/td[1] | .//table//tbody/tr/th")]
    assert "Budgets" in names and "Final accounts" in names, names
    assert not [n for n in names if CJK.search(n)], names
    assert "損" not in section.text_content()


def test_english_citations_name_success_criteria_in_english():
    from siteaudit.checks.a11y_rules import SC_NAMES
    from siteaudit.reports.regulations import SC_NAMES_EN, regulation_en

    assert set(SC_NAMES) <= set(SC_NAMES_EN)  # every criterion the checks cite has its W3C name
    assert regulation_en("網站無障礙規範 1.4.3 對比(最低)") == \
        "Website Accessibility Guidelines (網站無障礙規範) success criterion 1.4.3 (Contrast (Minimum))"


def test_every_inspection_item_says_where_the_inspector_checks_it(demo_run, tmp_path):
    doc = json.loads((demo_run["out"] / "findings.json").read_text(encoding="utf-8"))
    items = {i["id"]: i for i in doc["inspection"]}
    base = demo_run["base"]
    assert items["disclosure"]["evidence_urls"] == [f"{base}/disclosure/index.html"]  # the 主動公開資訊 area
    assert f"{base}/search?q=%E6%B0%B4" in items["search"]["evidence_urls"]
    assert items["opendata"]["evidence_urls"] == [f"{base}/opendata.html"]
    assert f"{base}/eservice/apply.html" in items["services-online"]["evidence_urls"]
    assert f"{base}/a11y/form.html" in items["services-participation"]["evidence_urls"]
    assert items["accessibility-mark"]["evidence_urls"][0] == f"{base}/"  # the home page showing the mark
    assert items["publication-plan"]["evidence_urls"] == [f"{base}/disclosure/files/service-quality-plan-114.odt"]
    assert items["publication-update-rule"]["evidence_urls"] == [f"{base}/about/maintenance.html"]
    assert items["publication-results"]["evidence_urls"] == [f"{base}/about/site-check.html"]
    for no_single_place in ("links", "documents", "metadata", "freshness"):
        assert not items[no_single_place]["evidence_urls"] and items[no_single_place]["evidence_note_zh"]
    assert all(i["evidence_urls"] or i["evidence_note_zh"] for i in items.values()), items
    tree = lxml_html.fromstring((demo_run["out"] / "report.html").read_bytes())
    heads = [th.text_content() for th in tree.xpath("//table[@class='inspection']//th")]
    where = tree.xpath(f"//table[@class='inspection']//tbody/tr/td[{heads.index('查核網址') + 1}]")
    assert [a.get("href") for a in where[1].xpath(".//a")] == [f"{base}/disclosure/index.html"]
    assert where[1].text_content() == "/disclosure/index.html"  # the path on the audited site; the link is whole
    assert where[0].text_content() == "全站連結，見〈連結有效性〉"
    rows = list(csv.reader(io.StringIO((demo_run["out"] / "inspection.csv").read_text(encoding="utf-8-sig"))))
    assert rows[0][4] == "查核網址" and rows[2][4] == f"{base}/disclosure/index.html"
    assert rows[1][4] == "全站連結，見〈連結有效性〉"
