"""The metadata check on fixture pages served from 127.0.0.1, and its code lists."""

from __future__ import annotations

import json
from pathlib import Path

import lxml.html
import pytest

from conftest import audit_fixture
from siteaudit.checks.metadata import DATA, load_code_list
from siteaudit.core.config import ConfigError

# Shaped like a real government page: every field, lower-case coverage names, DC.Keywords, DC.Relation blank.
GOV_META = """
<meta name="DC.Title" content="環境部-空氣污染排放查詢">
<meta name="DC.Creator" content="環境部"><meta name="DC.Subject" content="空氣污染排放">
<meta name="DC.Description" content="固定污染源排放資料"><meta name="DC.Contributor" content="環境部">
<meta name="DC.Type" content="服務"><meta name="DC.Format" content="Text"><meta name="DC.Source" content="環境部">
<meta name="DC.Language" content="中文"><meta name="DC.coverage.t.min" content="{min}">
<meta name="DC.coverage.t.max" content="2009-08-10"><meta name="DC.Publisher" content="環境部">
<meta name="DC.Date" content="{date}"><meta name="DC.Identifier" content="355000000I">
<meta name="DC.Relation" content=" "><meta name="DC.Rights" content="環境部">
<meta name="Category.Theme" content="{theme}"><meta name="Category.Cake" content="{cake}">
<meta name="Category.Service" content="{service}"><meta name="DC.Keywords" content="空污,排放">
"""


def page(title: str, meta: str) -> str:
    return f'<html lang="zh-Hant"><head><title>{title}</title>{meta}</head><body><h1>{title}</h1></body></html>'


def gov(date="2008-02-09", min="2007-11-09", theme="810", cake="B10", service="B11") -> str:
    return GOV_META.format(date=date, min=min, theme=theme, cake=cake, service=service)


@pytest.fixture(scope="module")
def metadata_audit(tmp_path_factory):
    from siteaudit.demo.server import SiteServer

    root = tmp_path_factory.mktemp("meta")
    pages = {
        "gov.html": page("政府頁面", gov()),
        "gov2.html": page("第二頁", gov(date="2008-03-01", theme="820", cake="B20", service="B20")),
        "nothing.html": page("沒有詮釋資料", ""),
        "blank.html": page("空白", gov().replace('name="DC.Subject" content="空氣污染排放"',
                                                 'name="DC.Subject" content=" "')),
        "dates.html": page("日期錯誤", gov(date="明天", min="2010-01-01")),
        "codes.html": page("代碼錯誤", gov(theme="C21", cake="812", service="E41")),
        "repeat.html": page("多個代碼", gov() + '<meta name="Category.Theme" content="8Z0">'
                                             '<meta name="category.theme" content="990">'),
        "case.html": page("大小寫", gov().replace("DC.coverage", "DC.Coverage").replace("DC.Keywords", "Keywords")
                          .replace('name="DC.Identifier" content="355000000I"', 'name="dc.identifier" content="x1"')),
    }
    for name, html in pages.items():
        (root / name).write_text(html, encoding="utf-8")
    (root / "index.html").write_text(page("首頁", gov(date="2008-04-01")) .replace(
        "<body>", "<body>" + "".join(f'<a href="{n}">{n}</a>' for n in pages)), encoding="utf-8")
    server = SiteServer(root)
    server.start()
    try:
        result, doc = audit_fixture(root, server.base, "metadata")
    finally:
        server.stop()
    rules: dict[str, set[str]] = {}
    fields: dict[tuple[str, str], list] = {}
    for f in doc["findings"]:
        name = f["url"].rsplit("/", 1)[-1] if f["url"] else ""
        rules.setdefault(name, set()).add(f["rule"])
        for item in f["evidence"].get("fields", []):
            fields.setdefault((name, f["rule"]), []).append(item)
    return {"result": result, "doc": doc, "rules": rules, "fields": fields, "base": server.base}


def test_a_real_government_page_passes_with_its_blank_relation_noted(metadata_audit):
    assert metadata_audit["rules"]["gov.html"] == {"blank-optional-field"}
    assert [i["field"] for i in metadata_audit["fields"][("gov.html", "blank-optional-field")]] == ["DC.Relation"]


def test_a_page_without_metadata_misses_every_required_field(metadata_audit):
    missing = metadata_audit["fields"][("nothing.html", "missing-field")]
    assert len(missing) == 19
    assert "missing-recommended" in metadata_audit["rules"]["nothing.html"]


def test_blank_content_is_not_the_same_as_missing(metadata_audit):
    assert metadata_audit["rules"]["blank.html"] >= {"blank-field"}
    assert "missing-field" not in metadata_audit["rules"]["blank.html"]


def test_dates_must_parse_and_coverage_must_be_ordered(metadata_audit):
    assert metadata_audit["rules"]["dates.html"] >= {"bad-date", "coverage-order"}


def test_codes_of_the_wrong_scheme_shape_are_errors_and_unlisted_codes_one_site_notice(metadata_audit):
    wrong = {i["field"]: i["value"] for i in metadata_audit["fields"][("codes.html", "wrong-scheme-code")]}
    assert wrong == {"Category.Theme": "C21", "Category.Cake": "812"}
    assert ("codes.html", "unlisted-code") not in metadata_audit["fields"]
    notices = [f for f in metadata_audit["doc"]["findings"] if f["rule"] == "unlisted-code"]
    assert len(notices) == 1 and notices[0]["severity"] == "notice" and notices[0]["url"] == ""
    codes = {(c["field"], c["code"]): c["pages"] for c in notices[0]["evidence"]["codes"]}
    assert codes == {("Category.Service", "E41"): 1, ("Category.Theme", "990"): 1}


def test_repeated_fields_are_each_validated(metadata_audit):
    notice = next(f for f in metadata_audit["doc"]["findings"] if f["rule"] == "unlisted-code")
    assert notice["pages"] == sorted(notice["pages"]) and any(p.endswith("/repeat.html") for p in notice["pages"])
    assert "repeat.html" not in metadata_audit["doc"]["summary"]["metadata"]["failing_pages"]


def test_field_names_are_read_case_insensitively_and_keywords_accept_both_names(metadata_audit):
    assert metadata_audit["rules"]["case.html"] == {"blank-optional-field", "bad-identifier"}


def test_pass_rate_is_passing_pages_over_html_pages(metadata_audit):
    summary = metadata_audit["doc"]["summary"]["metadata"]
    failing = {u.rsplit("/", 1)[-1] for u in summary["failing_pages"]}
    assert failing == {"nothing.html", "blank.html", "dates.html", "codes.html"}
    assert summary["html_pages"] == 9 and summary["pages_passing"] == 5
    assert summary["pass_rate"] == round(500 / 9, 2) and summary["status"] == "fail"
    assert metadata_audit["result"].returncode == 1


def test_a_site_wide_constant_is_one_template_finding(metadata_audit):
    constants = [f for f in metadata_audit["doc"]["findings"] if f["rule"] == "template-constant"]
    # every page of the fixture carries the same coverage end and title, as the generator it mimics does
    assert sorted(f["evidence"]["field"] for f in constants) == ["DC.Title", "DC.coverage.t.max"]
    coverage = next(f for f in constants if f["evidence"]["field"] == "DC.coverage.t.max")
    assert coverage["url"] == "" and coverage["evidence"]["value"] == "2009-08-10"


def test_demo_template_constant_coverage_is_reported(demo_run):
    doc = json.loads((demo_run["out"] / "findings.json").read_text(encoding="utf-8"))
    constants = {f["evidence"]["field"] for f in doc["findings"] if f["rule"] == "template-constant"}
    assert "DC.coverage.t.max" in constants
    summary = doc["summary"]["metadata"]
    assert 0 < summary["pass_rate"] < 100


def test_shipped_code_lists_load_and_are_marked_incomplete():
    for scheme in ("theme", "cake", "service"):
        codes = load_code_list(scheme, DATA / f"codes-{scheme}.tsv")
        assert codes.codes and not codes.complete


def test_a_malformed_code_list_is_an_error_naming_file_and_line(tmp_path: Path):
    bad = tmp_path / "theme.tsv"
    bad.write_text("# complete: true\n800\t衛生福利勞動\nC21\t不是主題\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"theme.tsv:3: 'C21' is not a theme code"):
        load_code_list("theme", bad)
    bad.write_text("800 衛生福利勞動\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"theme.tsv:1: expected"):
        load_code_list("theme", bad)


def test_a_value_on_ninety_percent_of_pages_is_a_template_constant_and_unlisted_codes_are_one_notice(tmp_path, serve):
    pages = {f"p{i}.html": page(f"第{i}頁", gov(date="2026-01-05" if i == 9 else "2008-02-09",
                                                 min="2001-01-01" if i >= 8 else "2007-11-09", service="E41",
                                                 cake="C21" if i % 2 else "B10"))
             for i in range(10)}
    for name, html in pages.items():
        (tmp_path / name).write_text(html.replace("環境部-空氣污染排放查詢", name), encoding="utf-8")
    (tmp_path / "index.html").write_text('<html><body>' + "".join(f'<a href="{n}">{n}</a>' for n in pages)
                                         + "</body></html>", encoding="utf-8")
    _, doc = audit_fixture(tmp_path, serve(tmp_path).base, "metadata")
    constants = {f["evidence"]["field"]: f["evidence"] for f in doc["findings"] if f["rule"] == "template-constant"}
    assert constants["DC.Date"]["value"] == "2008-02-09" and constants["DC.Date"]["pages"] == 9  # one page differs
    assert "DC.coverage.t.min" not in constants  # 8 of 10: not a constant
    notices = [f for f in doc["findings"] if f["rule"] == "unlisted-code"]
    assert len(notices) == 1
    assert {(c["code"], c["pages"]) for c in notices[0]["evidence"]["codes"]} == {("E41", 10), ("C21", 5)}
    assert "E41（Category.Service，10 頁）" in notices[0]["message"]


def test_the_shipped_service_list_holds_all_eighteen_top_classes():
    codes = load_code_list("service", DATA / "codes-service.tsv").codes
    top = [c for c in codes if c.endswith("00")]
    assert len(top) == 18 and codes["100"] == "生育保健" and codes["I00"] == "公共資訊"
    assert len(load_code_list("cake", DATA / "codes-cake.tsv").codes) >= 117


def test_users_point_the_check_at_their_own_code_lists(tmp_path, serve):
    own = tmp_path / "service.tsv"
    own.write_text("# complete: true\nB00\t就醫\nB11\t健保納保\tB00\n", encoding="utf-8")
    (tmp_path / "index.html").write_text(page("首頁", gov(service="E41")), encoding="utf-8")
    _, doc = audit_fixture(tmp_path, serve(tmp_path).base, "metadata",
                           extra=f'[checks.metadata.code_lists]\nservice = "{own}"\n')
    unknown = [f for f in doc["findings"] if f["rule"] == "unknown-code"]
    assert unknown and unknown[0]["evidence"]["fields"][0]["code_list"] == own.name  # named without the local folders


def test_a_site_wide_finding_counts_every_page_it_affects_not_the_few_it_lists(tmp_path, serve):
    pages = {f"p{i}.html": page(f"第{i}頁", gov()) for i in range(60)}
    for name, html in pages.items():
        (tmp_path / name).write_text(html.replace("環境部-空氣污染排放查詢", name), encoding="utf-8")
    (tmp_path / "index.html").write_text('<html><body>' + "".join(f'<a href="{n}">{n}</a>' for n in pages)
                                         + "</body></html>", encoding="utf-8")
    _, doc = audit_fixture(tmp_path, serve(tmp_path).base, "metadata")
    coverage = next(f for f in doc["findings"] if f["rule"] == "template-constant"
                    and f["evidence"]["field"] == "DC.coverage.t.max")
    assert coverage["evidence"]["page_count"] == 60 and len(coverage["pages"]) == 50  # listed: the first 50
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    row = next(tr for tr in lxml.html.fromstring(html).xpath("//tr") if "2009-08-10" in tr.text_content())
    assert row.xpath("string(.//b[@class='count'])") == "60 頁"
    assert "其餘 10 頁見 findings.csv" in row.text_content()  # the 10 not listed are not silently dropped


def test_a_finding_about_the_site_as_a_whole_names_no_page_count(tmp_path, serve):
    (tmp_path / "index.html").write_text(page("首頁", gov()), encoding="utf-8")
    _, doc = audit_fixture(tmp_path, serve(tmp_path).base, "disclosure")
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    missing = [tr for tr in lxml.html.fromstring(html).xpath("//div[@id='disclosure-item-missing']//tbody/tr")]
    assert missing and all(tr.xpath("string(td[4])") == "全站" for tr in missing)
