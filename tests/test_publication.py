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


def items_and_rules(doc, catalogue: bool = False) -> tuple[dict, dict]:
    """The check's items and findings by rule; without the catalogue's unless asked (fixtures without listings)."""
    items = {i["id"]: i for i in doc["inspection"] if i["id"].startswith("publication-")
             and (catalogue or i["id"] != "publication-catalogue")}
    rules = {f["rule"]: f for f in doc["findings"] if f["check"] == "publication"
             and (catalogue or not f["rule"].startswith("catalogue-"))}
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
                                         ('today = "115-11-26"', "checks.publication.today"),
                                         ('catalogue_texts = { books = ["書"] }', "checks.publication.catalogue_texts.books"),
                                         ("max_listing_pages = 0", "checks.publication.max_listing_pages")])
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


def catalogue_site(root, with_publications: bool) -> None:
    """Five categories; 機關活動 is 25 items over three listing pages (10, 10, 5) joined by 1 2 3 and 下一頁."""
    nav = '<nav><a href="/services.html">為民服務</a><a href="/act/list.html">機關活動</a><a href="/faq.html">常見問答</a>' \
          '<a href="/promo.html">文宣品</a>' + ('<a href="/pubs.html">出版品</a>' if with_publications else "") + "</nav>"
    pages = {"index.html": ("首頁", nav)}
    names = ["list.html", "list-2.html", "list-3.html"]
    for n, name in enumerate(names):
        first = 10 * n + 1
        rows = "".join(f'<li><a href="/act/e{k}.html">活動{k}（115年{1 + k % 11}月{k}日）</a></li>'
                       for k in range(first, min(first + 10, 26)))
        pager = " ".join(f'<a href="/act/{m}">{i + 1}</a>' for i, m in enumerate(names) if i != n)
        pager += f' <a href="/act/{names[n + 1]}">下一頁</a>' if n < 2 else ""
        pages[f"act/{name}"] = ("機關活動", nav + f"<ul>{rows}</ul><p>{pager}</p>")
    for k in range(1, 26):
        pages[f"act/e{k}.html"] = (f"活動{k}", nav)
    pages["services.html"] = ("為民服務", nav + '<a href="/s1.html">用水申請</a><a href="/s2.html">水費查詢</a>')
    pages["s1.html"], pages["s2.html"] = ("用水申請", nav), ("水費查詢", nav)
    pages["faq.html"] = ("常見問答", nav + '<a href="/q1.html">如何申請</a>')
    pages["q1.html"] = ("如何申請", nav)
    pages["promo.html"] = ("文宣品", nav + '<a href="/files/book.pdf">宣導手冊（115年10月1日）</a>')
    if with_publications:
        pages["pubs.html"] = ("出版品", nav + '<a href="/files/annual.pdf">年報</a>')
    write_site(root, pages, files=("files/book.pdf", "files/annual.pdf"))


def test_a_catalogue_listing_paged_over_three_pages_is_counted_right_with_its_newest_date(serve, tmp_path):
    catalogue_site(tmp_path, with_publications=True)
    server = serve(tmp_path)
    _, doc = audit_fixture(tmp_path, server.base, "publication", extra=as_of("publication"))
    items, rules = items_and_rules(doc, catalogue=True)
    catalogue = {c["id"]: c for c in doc["summary"]["publication"]["catalogue"]}
    activities = catalogue["activities"]
    assert activities["url"] == f"{server.base}/act/list.html"
    assert (activities["count"], activities["listing_pages"]) == (25, 3)
    assert activities["newest"] == "2026-11-21"   # 活動21: 115年11月21日, the latest day of the 25
    assert {c: catalogue[c]["count"] for c in ("services", "faq", "promotion", "publications")} == \
        {"services": 2, "faq": 1, "promotion": 1, "publications": 1}
    assert "catalogue-missing" not in rules and "catalogue-uncounted" not in rules
    item = items["publication-catalogue"]
    assert item["status"] == "pass" and item["measured_zh"] == "5 類齊全，共 30 項"
    assert item["evidence_urls"][1] == f"{server.base}/act/list.html" and len(item["evidence_urls"]) == 5
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "資訊目錄（含項目數統計）" in html


def test_a_catalogue_category_with_no_listing_fails_naming_it(serve, tmp_path):
    catalogue_site(tmp_path, with_publications=False)
    server = serve(tmp_path)
    _, doc = audit_fixture(tmp_path, server.base, "publication",
                           extra=as_of("publication") + "max_listing_pages = 2\n")
    items, rules = items_and_rules(doc, catalogue=True)
    assert rules["catalogue-missing"]["evidence"]["category"] == "publications"
    assert items["publication-catalogue"]["status"] == "fail"
    assert items["publication-catalogue"]["measured_zh"] == "缺：出版品"
    assert items["publication-catalogue"]["measured_en"] == "Missing: Publications"
    activities = next(c for c in doc["summary"]["publication"]["catalogue"] if c["id"] == "activities")
    assert (activities["count"], activities["listing_pages"]) == (20, 2)   # the paging followed no further


def test_the_results_page_siteaudit_publishes_is_found_with_its_date(demo_run, tmp_path, serve):
    from test_publish import publish_config

    www = tmp_path / "www"
    assert run_cli("publish", "--config", str(publish_config(tmp_path, demo_run)), "--out", str(www)).returncode == 0
    audited = json.loads((www / "results.json").read_text(encoding="utf-8"))["audited_local"][:10]
    (www / "home").mkdir()
    write_site(www, {"home/index.html": ("首頁", '<a href="/index.html">網站檢測結果</a>')})
    server = serve(www)
    audit = tmp_path / "audit"
    audit.mkdir()
    cfg = write_config(audit / "c.toml", server.base + "/home", audit / "s.sqlite3", crawl={"sitemaps": False},
                       extra=f'[checks.publication]\ntoday = "{audited}"\n')
    run_cli("audit", "--config", str(cfg), "--checks", "publication", "--out", str(audit / "out"))
    doc = json.loads((audit / "out" / "findings.json").read_text(encoding="utf-8"))
    items, rules = items_and_rules(doc)
    assert items["publication-results"]["status"] == "pass", rules
    assert items["publication-results"]["evidence_urls"] == [f"{server.base}/index.html"]
    assert doc["summary"]["publication"]["results"]["date"] == audited
