"""The shared ROC/AD date module against real-world strings, dates and non-dates."""

from __future__ import annotations

from datetime import date

import pytest

from siteaudit.core.dates import (
    cell_years,
    find_dates,
    find_years,
    headed_years,
    is_year_header,
    parse_date,
    roc_date_label,
    roc_to_ad,
)

DATES = [
    ("中華民國105年2月16日", date(2016, 2, 16)),
    ("民國105年2月16日", date(2016, 2, 16)),
    ("105年2月16日", date(2016, 2, 16)),
    ("105 年 2 月 16 日", date(2016, 2, 16)),
    ("發布日期：115年10月28日", date(2026, 10, 28)),
    ("105/02/16", date(2016, 2, 16)),
    ("105.02.16", date(2016, 2, 16)),
    ("105-02-16", date(2016, 2, 16)),
    ("88.1.25", date(1999, 1, 25)),
    ("97.1.25", date(2008, 1, 25)),
    ("1050216", date(2016, 2, 16)),
    ("0970101", date(2008, 1, 1)),
    ("2016-02-16", date(2016, 2, 16)),
    ("2016/02/16", date(2016, 2, 16)),
    ("20160216", date(2016, 2, 16)),
    ("2016年2月16日", date(2016, 2, 16)),
    ("更新時間:2024-04-08 14:54", date(2024, 4, 8)),
    ("更新日期：113/12/31", date(2024, 12, 31)),
    ("最後更新 2025.01.05", date(2025, 1, 5)),
    ("公告日期 114年1月2日 停水", date(2025, 1, 2)),
    ("budget-1050216.pdf", date(2016, 2, 16)),
    ("2026-11-26T20:00:00+08:00", date(2026, 11, 26)),
    ("民國 99 年 12 月 1 日", date(2010, 12, 1)),
    ("109年02月29日", date(2020, 2, 29)),
]

NOT_DATES = [
    "台水企字第1050004602號",
    "電話：02-2345-6789",
    "傳真 (02)2345-6790",
    "金額 1,050,216元",
    "1050216元",
    "第1050216號函",
    "版本 10.5.1",
    "分機 1234",
    "105/13/40",
    "110年2月30日",
    "郵遞區號 220",
    "nodeId=8148",
    "14:54",
    "ISBN 978-986-5432-10-1",
]

YEARS = [
    ("97年度預算書", {2008}),
    ("民國97年", {2008}),
    ("114年度決算書（PDF）", {2025}),
    ("2016年統計", {2016}),
    ("中華民國105年2月16日", {2016}),
    ("99年至101年計畫", {2010, 2012}),
]


@pytest.mark.parametrize("text,expected", DATES)
def test_dates_in_roc_and_ad_forms_parse(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", NOT_DATES)
def test_document_numbers_phones_amounts_and_bad_dates_are_not_dates(text):
    assert parse_date(text) is None, find_dates(text)


@pytest.mark.parametrize("text,years", YEARS)
def test_years_are_found_in_roc_and_ad_forms(text, years):
    assert find_years(text) == years


def test_roc_year_97_is_2008_and_labels_use_the_roc_calendar():
    assert roc_to_ad(97) == 2008
    assert roc_date_label(date(2026, 11, 26)) == "中華民國115年11月26日"


def test_several_dates_in_one_text_come_in_order():
    found = find_dates("自105年1月1日起至2016-12-31止")
    assert [f.date for f in found] == [date(2016, 1, 1), date(2016, 12, 31)]
    assert [f.calendar for f in found] == ["roc", "ad"]


@pytest.mark.parametrize("name,years", [
    ("budget-105.pdf", {2016}), ("stats_2016.ods", {2016}), ("plan-1050216.pdf", {2016}),
    ("105年度預算書.pdf", {2016}), ("form-a.odt", set()), ("v3.docx", set()),
])
def test_years_in_file_names(name, years):
    from siteaudit.core.dates import years_in_file_name

    assert years_in_file_name(name) == years


@pytest.mark.parametrize("header", ["年度", "年度／公告日期", "公告日期/年度", "年度(民國)", "年度（民國）", "年份（西元）",
                                    "年別 ", "年度 | 公告日期", "年度："])
def test_a_year_header_is_recognised_by_its_parts(header):
    assert is_year_header(header)


@pytest.mark.parametrize("header", ["上傳日期(民國)", "年度預算書", "檔案／年度說明", "民國", "日期", ""])
def test_a_header_with_a_part_that_is_not_a_year_word_is_no_year_header(header):
    assert not is_year_header(header)


@pytest.mark.parametrize(("cell", "year"), [("103/01/01", 2014), ("106.01.01", 2017), ("1090101", 2020),
                                            ("111-01-01", 2022), ("2023-01-01", 2023), ("2023/1/1", 2023),
                                            ("20230101", 2023), ("民國103年1月1日", 2014), ("103年度", 2014),
                                            ("103", 2014), (" 2014 ", 2014), ("97", 2008)])
def test_every_roc_and_ad_date_form_under_a_year_header_gives_its_year(cell, year):
    assert cell_years(cell) == {year}
    assert headed_years(f"年度：{cell}｜ 預算書 下載") == {year}


@pytest.mark.parametrize("cell", ["1081399", "1234567", "0970", "12345", "第1050101號"])
def test_a_number_that_is_not_a_date_under_a_year_header_gives_no_year(cell):
    assert cell_years(cell) == set()
