"""The publication check on fixture sites served from 127.0.0.1: this year's plan, the update rule, the
published test results (as of TODAY, ROC 115)."""

from __future__ import annotations

import json

import pytest
from test_cli import assert_one_line_error

from conftest import TODAY, as_of, audit_fixture, run_cli, write_config
from siteaudit.demo import documents as make

PAGE = "<html lang='zh-Hant'><head><title>{title}</title></head><body><h1>{title}</h1>{body}</body></html>"


def write_site(root, pages: dict[str, tuple[str, str]], files: tuple[str, ...] = ()) -> None:
    for name, (title, body) in pages.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(PAGE.format(title=title, body=body), encoding="utf-8")
    for name in files:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(make.pdf(name) if name.endswith(".pdf") else make.odf("odt", name))


def items_and_rules(doc) -> tuple[dict, dict]:
    items = {i["id"]: i for i in doc["inspection"] if i["id"].startswith("publication-")}
    rules = {f["rule"]: f for f in doc["findings"] if f["check"] == "publication"}
    return items, rules


def test_this_years_plan_from_its_listing_row_the_update_rule_and_recent_results_pass(serve, tmp_path):
    plans = ('<table><caption>提升服務品質執行計畫</caption><tr><th>年度</th><th>檔案</th></tr>'
             '<tr><td>114年度</td><td><a href="files/a.pdf">下載</a></td></tr>'
             '<tr><td>115年度</td><td><a href="files/b.pdf">下載</a></td></tr></table>')
    write_site(tmp_path, {
        "index.html": ("首頁", '<a href="/open.html">主動公開資訊</a><a href="/rule.html">網站定期更新作業規定</a>'
                               '<a href="/results.html">網站檢測結果</a>'),
        "open.html": ("主動公開資訊", plans),
        "rule.html": ("網站定期更新作業規定", "<p>各單位每月檢視所屬網頁。</p>"),
        "results.html": ("網站檢測結果", "<p>失效連結 0 個。</p><p>更新日期：115年11月10日</p>"),
    }, files=("files/a.pdf", "files/b.pdf"))
    server = serve(tmp_path)
    _, doc = audit_fixture(tmp_path, server.base, "publication", extra=as_of("publication"))
    items, rules = items_and_rules(doc)
    assert not rules, rules
    assert [i["status"] for i in items.values()] == ["pass", "pass", "pass"]
    assert items["publication-plan"]["evidence_urls"] == [f"{server.base}/files/b.pdf"]
    assert items["publication-plan"]["measured_zh"] == "已公布民國115年度"
    assert items["publication-plan"]["regulation"] == "提升服務品質執行計畫 一(一)(4)"
    assert items["publication-update-rule"]["evidence_urls"] == [f"{server.base}/rule.html"]
    assert items["publication-results"]["evidence_urls"] == [f"{server.base}/results.html"]
    assert items["publication-results"]["measured_en"] == "2026-11-10 (16 days ago)"
    summary = doc["summary"]["publication"]
    assert summary["roc_year"] == 115 and summary["plan"]["years_roc"] == [114, 115]


def test_only_earlier_plans_a_missing_rule_and_old_results_fail_naming_the_newest_year(serve, tmp_path):
    write_site(tmp_path, {
        "index.html": ("首頁", '<a href="/files/plan-113.odt">113年度提升服務品質執行計畫</a>'
                               '<a href="/files/service-quality-plan-114.odt">提升服務品質執行計畫（ODT）</a>'
                               '<a href="/mgmt.html">網站營運管理要點</a><a href="/check.html">連結檢測結果</a>'),
        "mgmt.html": ("網站營運管理要點", "<p>網頁內容每月檢視。</p>"),
        "check.html": ("連結檢測結果", "<p>更新日期：115年9月1日</p>"),
    }, files=("files/plan-113.odt", "files/service-quality-plan-114.odt"))
    server = serve(tmp_path)
    _, doc = audit_fixture(tmp_path, server.base, "publication", extra=as_of("publication"))
    items, rules = items_and_rules(doc)
    assert set(rules) == {"plan-old-year", "update-rule-missing", "results-stale"}
    assert [i["status"] for i in items.values()] == ["fail", "fail", "fail"]
    old = rules["plan-old-year"]
    assert old["url"] == f"{server.base}/files/service-quality-plan-114.odt"  # the year from its file name
    assert "民國114年度" in old["message"] and old["evidence"]["newest_roc"] == 114
    assert items["publication-plan"]["measured_zh"] == "僅找到民國114年度"
    assert items["publication-plan"]["evidence_urls"] == [old["url"]]
    assert not items["publication-update-rule"]["evidence_urls"]
    assert items["publication-update-rule"]["evidence_note_zh"].startswith("網站上未找到")
    stale = rules["results-stale"]
    assert stale["url"] == f"{server.base}/check.html" and stale["evidence"]["age_days"] == 86


def test_an_agency_word_for_its_update_rule_is_added_in_the_site_config(serve, tmp_path):
    write_site(tmp_path, {
        "index.html": ("首頁", '<a href="/mgmt.html">網站營運管理要點</a>'),
        "mgmt.html": ("網站營運管理要點", "<p>網頁內容每月檢視。</p>"),
    })
    server = serve(tmp_path)
    _, doc = audit_fixture(tmp_path, server.base, "publication",
                           extra=as_of("publication") + 'rule_texts = ["營運管理要點"]\nmax_age_days = 90\n')
    items, rules = items_and_rules(doc)
    assert items["publication-update-rule"]["status"] == "pass"
    assert items["publication-update-rule"]["evidence_urls"] == [f"{server.base}/mgmt.html"]
    assert "update-rule-missing" not in rules and "plan-missing" in rules and "results-missing" in rules
    assert items["publication-results"]["target_zh"] == "90 天內的檢測結果"


def test_a_broken_link_to_this_years_plan_and_undated_results_fail(serve, tmp_path):
    write_site(tmp_path, {
        "index.html": ("首頁", '<a href="/files/gone.pdf">115年度提升服務品質執行計畫</a>'
                               '<a href="/results.html">網站檢測結果</a>'),
        "results.html": ("網站檢測結果", "<p>失效連結 0 個。</p>"),
    })
    server = serve(tmp_path)
    _, doc = audit_fixture(tmp_path, server.base, "publication", extra=as_of("publication"))
    items, rules = items_and_rules(doc)
    assert rules["plan-broken"]["url"] == f"{server.base}/files/gone.pdf"
    assert rules["results-undated"]["url"] == f"{server.base}/results.html"
    assert items["publication-plan"]["status"] == items["publication-results"]["status"] == "fail"
    assert items["publication-results"]["measured_zh"] == "找到，但未標示日期"


@pytest.mark.parametrize("option, key", [('rule_texts = [""]', "checks.publication.rule_texts"),
                                         ("max_age_days = 0", "checks.publication.max_age_days"),
                                         ('plan_texts = "計畫"', "checks.publication.plan_texts"),
                                         ('today = "115-11-26"', "checks.publication.today")])
def test_a_bad_publication_option_is_a_one_line_config_error_naming_the_key(tmp_path, option, key):
    cfg = write_config(tmp_path / "c.toml", "http://127.0.0.1:9", tmp_path / "s.sqlite3",
                       extra=f"[checks.publication]\n{option}\n")
    assert_one_line_error(run_cli("audit", "--config", str(cfg)), 2, key)


def test_the_plan_year_is_this_years_in_the_sites_zone_not_the_machines(serve, tmp_path):
    """As of 2026-12-31 16:30 UTC it is already 2027 (ROC 116) in Taipei: the 115 plan is last year's."""
    write_site(tmp_path, {"index.html": ("首頁", '<a href="/files/p.pdf">115年度提升服務品質執行計畫</a>')},
               files=("files/p.pdf",))
    server = serve(tmp_path)
    cfg = write_config(tmp_path / "c.toml", server.base, tmp_path / "s.sqlite3", crawl={"sitemaps": False})
    result = run_cli("audit", "--config", str(cfg), "--checks", "publication", "--out", str(tmp_path / "out"),
                     env={"SITEAUDIT_NOW": "2026-12-31T16:30:00+00:00", "TZ": "UTC"})
    doc = json.loads((tmp_path / "out" / "findings.json").read_text(encoding="utf-8"))
    assert doc["summary"]["publication"]["roc_year"] == 116, result.stderr
    assert {f["rule"] for f in doc["findings"]} >= {"plan-old-year"}
    assert TODAY.year == 2026


def test_siteaudit_init_documents_every_publication_key_and_the_uncommented_keys_load(tmp_path):
    from siteaudit.checks import REGISTRY, validate_options
    from siteaudit.config_template import CONFIG_TEMPLATE
    from siteaudit.core.config import load

    block = CONFIG_TEMPLATE.split("[checks.publication]", 1)[1]
    for key in REGISTRY["publication"].options:
        assert f"# {key} = " in block, key
    path = tmp_path / "site.toml"
    assert run_cli("init", str(path)).returncode == 0
    text = path.read_text(encoding="utf-8")
    head, tail = text.split("[checks.publication]", 1)
    path.write_text(head + "[checks.publication]" + tail.replace("\n# ", "\n"), encoding="utf-8")
    validate_options(load(path))


def test_the_plan_lines_these_items_cite_read_in_english_numbering():
    from siteaudit.checks import REGISTRY
    from siteaudit.reports.regulations import regulation_en

    assert regulation_en("提升服務品質執行計畫 一(一)(4)") == \
        "Service Quality Improvement Plan (提升服務品質執行計畫) 1(1)(4)"
    assert regulation_en("提升服務品質執行計畫 貳、更新(2)◎4") == \
        "Service Quality Improvement Plan (提升服務品質執行計畫) section II, updates (2) item 4"
    for rule in REGISTRY["publication"].rules.values():
        english = regulation_en(rule.regulation).replace("(提升服務品質執行計畫)", "")
        assert not any("\u4e00" <= ch <= "\u9fff" for ch in english + rule.en), rule.id
