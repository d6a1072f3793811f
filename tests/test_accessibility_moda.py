"""網站無障礙規範 115.11 and 110.07: 檢測碼 on every finding, the machine checks axe-core lacks (a failing and a
passing page each, real headless Chromium on 127.0.0.1), template-wide rules judged once, the mark's version."""

from __future__ import annotations

import pytest

from conftest import as_of, audit_fixture
from siteaudit.demo.site import PNG_1PX

# Every page shares a header whose logo link has no name: one template element failing on every page.
TEMPLATE = """<!DOCTYPE html><html lang="zh-Hant"><head><title>{title}</title></head><body>
<header><a href="#main" class="skip">跳到主要內容區塊</a> {anchor}
<nav><a href="/index.html" class="logo"><img src="/pic.png" width="30" height="30"></a></nav></header>
<main id="main"><h1>{title}</h1>{body}</main></body></html>"""
ANCHORS = ['<a href="#C" accesskey="C" title="中央內容區塊">:::</a>', '<a href="#U" accesskey="U">:::上方連結區</a>',
           '<a href="#C" accesskey="C" title="中央內容區塊">中央</a>']
SMALL = 'style="width:12px;height:12px;padding:0;margin:0;font-size:8px"'
# rule: (failing body, passing body)
OWN = {
    "label-missing": ('<form><input type="text" name="q" placeholder="關鍵字"></form>',
                      '<form><label for="q">關鍵字</label><input id="q" type="text" name="q">'
                      '<input type="text" name="r" title="地址"></form>'),
    "fieldset-missing": ('<form><input type="radio" name="g" value="1" title="是"><input type="radio" name="g" '
                         'value="2" title="否"></form>',
                         '<form><fieldset><legend>是否同意</legend><input type="radio" name="g" value="1" title="是">'
                         '<input type="radio" name="g" value="2" title="否"></fieldset></form>'),
    "legend-empty": ('<form><fieldset><legend> </legend><input type="checkbox" name="c" title="同意"></fieldset></form>',
                     '<form><fieldset><legend>同意事項</legend><input type="checkbox" name="c" title="同意">'
                     '</fieldset></form>'),
    "meta-refresh-delay": ('<meta http-equiv="refresh" content="600"><p>每十分鐘重新整理</p>', "<p>不會自動重新整理</p>"),
    "deprecated-element": ("<center>置中</center><p><font>舊字型</font></p>",
                           '<p style="text-align:center">置中</p>'),
    "table-no-headers": ("<table><tr><td>月份</td><td>水量</td></tr><tr><td>1月</td><td>30</td></tr></table>",
                         '<table><tr><th scope="col">月份</th><th scope="col">水量</th></tr>'
                         "<tr><td>1月</td><td>30</td></tr></table>"),
    "alt-is-filename": ('<img src="/pic.png" alt="DSC_0012.JPG" width="10" height="10">',
                        '<img src="/pic.png" alt="淨水場外觀" width="10" height="10">'),
    "empty-alt-with-title": ('<img src="/pic.png" alt="" title="裝飾線" width="10" height="10">',
                             '<img src="/pic.png" alt="" width="10" height="10">'),
    "vague-link-text": ('<p><a href="/index.html">更多</a> <a href="/index.html">click here</a></p>',
                        '<p><a href="/index.html" title="更多最新消息">更多</a> '
                        '<a href="/index.html">最新消息列表</a></p>'),
    "href-hash": ('<p><a href="#">回上頁</a></p>', '<p><a href="#main">回到內容</a></p>'),
    "reflow": ('<div style="width:900px">寬版內容</div>', '<div style="max-width:100%">會重排的內容</div>'),
    "focus-not-visible": ('<style>#go:focus { outline: none; }</style><p><a id="go" href="/index.html">前往</a></p>',
                          '<p><a id="go" href="/index.html">前往</a></p>'),
    "focus-obscured": ('<div style="position:fixed;top:0;left:0;right:0;height:80px;background:#fff">固定頁首</div>',
                       '<div style="position:fixed;bottom:0;right:0;width:40px;height:20px;background:#fff">頁尾</div>'),
}
EXTRA = {"target-size.html": f'<p><button {SMALL}>甲</button><button {SMALL}>乙</button></p>',
         "dup.html": '<p id="x">一</p><p id="x">二</p>'}
# The home page's mark image does not load: reported as broken, not as the wrong size.
MARK = ('<footer><a href="https://accessibility.moda.gov.tw/Applications/Detail?category=20241015093012">'
        '<img src="/missing-mark.png" width="88" height="31" alt="通過AA無障礙網頁檢測"></a></footer>')


def _site(root, version: str):
    from siteaudit.demo.server import SiteServer

    (root / "pic.png").write_bytes(PNG_1PX)
    pages = {f"{kind}-{rule}.html": bodies[i] for rule, bodies in OWN.items() for i, kind in enumerate(("fail", "pass"))}
    pages.update(EXTRA)
    for i, (name, body) in enumerate(pages.items()):
        (root / name).write_text(TEMPLATE.format(title=name, anchor=ANCHORS[i % 3], body=body), encoding="utf-8")
    links = "".join(f'<li><a href="/{n}">{n}</a></li>' for n in pages)
    (root / "index.html").write_text(TEMPLATE.format(title="首頁", anchor=ANCHORS[0], body=f"<ul>{links}</ul>" + MARK),
                                     encoding="utf-8")
    server = SiteServer(root)
    server.start()
    try:
        options = f'[checks.accessibility]\nworkers = 2\ntarget_version = "{version}"\ntoday = "2026-11-26"\n'
        _, doc = audit_fixture(root, server.base, "accessibility", extra=options)
    finally:
        server.stop()
    found: dict[str, set[str]] = {}
    for f in doc["findings"]:
        rule = f["evidence"].get("axe_rule", f["rule"]) if f["rule"].startswith("axe-") else f["rule"]
        for also in (rule, *f["evidence"].get("also", [])):  # rules merged into one finding on one element
            for page in f["pages"]:
                found.setdefault(also, set()).add(page.rsplit("/", 1)[-1])
    return {"doc": doc, "found": found, "summary": doc["summary"]["accessibility"]}


@pytest.fixture(scope="module")
def v115(tmp_path_factory):
    return _site(tmp_path_factory.mktemp("v115"), "115.11")


@pytest.fixture(scope="module")
def v110(tmp_path_factory):
    return _site(tmp_path_factory.mktemp("v110"), "110.07")


@pytest.mark.parametrize("rule", sorted(OWN))
def test_each_taiwan_machine_check_fails_its_failing_page_and_passes_its_passing_page(v115, rule):
    pages = v115["found"].get(rule, set())
    assert f"fail-{rule}.html" in pages, (rule, pages)
    assert f"pass-{rule}.html" not in pages, (rule, pages)


def test_every_finding_carries_its_criterion_level_and_codes_of_both_versions(v115):
    for f in v115["doc"]["findings"]:
        ev = f["evidence"]
        assert {"wcag", "level", "codes"} <= set(ev) and set(ev["codes"]) == {"115.11", "110.07"}, f
    label = next(f for f in v115["doc"]["findings"] if f["rule"] == "label-missing")
    assert label["evidence"]["wcag"] == ["1.3.1"] and label["evidence"]["level"] == "A"
    assert label["evidence"]["codes"] == {"115.11": ["HM1130104C"], "110.07": []}
    assert "HM1130104C" in label["message"] and label["severity"] == "error"


def test_under_115_11_target_size_is_an_aa_error_and_the_parsing_rules_are_off(v115):
    size = next(f for f in v115["doc"]["findings"] if f["rule"] == "axe-target-size")
    assert size["evidence"]["wcag"] == ["2.5.8"] and size["evidence"]["level"] == "AA" and size["severity"] == "error"
    assert size["evidence"]["codes"]["115.11"] == ["CS2250800E"] and size["evidence"]["codes"]["110.07"] == []
    assert "duplicate-id" not in v115["found"] and "網站無障礙規範 (115.11)" in size["message"]


def test_the_110_07_view_has_the_parsing_rules_and_no_wcag_2_2_only_rule(v110):
    assert "dup.html" in v110["found"]["duplicate-id"]
    dup = next(f for f in v110["doc"]["findings"] if f["rule"] == "axe-duplicate-id")
    assert dup["evidence"]["codes"] == {"115.11": [], "110.07": ["HM1410100C"]} and dup["evidence"]["wcag"] == ["4.1.1"]
    assert "網站無障礙規範 (110.07)" in dup["message"] and dup["evidence"]["target_version"] == "110.07"
    assert "target-size" not in v110["found"] and "focus-obscured" not in v110["found"]
    assert v110["summary"]["target_version"] == "110.07" and v110["summary"]["wcag"] == "2.1"
    assert "fail-reflow.html" in v110["found"]["reflow"]  # 1.4.10 is in WCAG 2.1 too


def test_an_axe_rule_failing_on_the_same_template_element_of_most_pages_is_one_finding_n_of_m(v115):
    names = [f for f in v115["doc"]["findings"] if f["rule"] == "axe-link-name"]
    assert len(names) == 1
    template = names[0]["evidence"]["template"]
    pages = v115["summary"]["pages_tested"]
    assert template == {"pages": pages, "of": pages, "element": names[0]["evidence"]["selector"]}
    assert f"{pages}/{pages} 頁共用的版型元素" in names[0]["message"]


def test_accesskey_anchors_as_taiwanese_templates_write_them_count(v115):
    assert "missing-accesskey" not in v115["found"]


def test_a_rule_missing_on_every_page_is_one_finding_naming_the_template_element(tmp_path, serve):
    page = '<!DOCTYPE html><html lang="zh-Hant"><head><title>{0}</title></head><body><div id="top"><a href="/{1}">{1}</a>' \
           '</div><main><h1>{0}</h1></main><script>1</script></body></html>'
    for name, other in (("index.html", "a.html"), ("a.html", "b.html"), ("b.html", "index.html")):
        (tmp_path / name).write_text(page.format(name, other), encoding="utf-8")
    server = serve(tmp_path)
    _, doc = audit_fixture(tmp_path, server.base, "accessibility", extra="[checks.accessibility]\nworkers = 1\n")
    pages = doc["summary"]["accessibility"]["pages_tested"]  # "/" and "/index.html" are both crawled
    for rule in ("missing-accesskey", "missing-skip-link", "noscript-missing"):
        found = [f for f in doc["findings"] if f["rule"] == rule]
        assert len(found) == 1 and found[0]["evidence"]["template"] == {"pages": pages, "of": pages,
                                                                       "element": "#top"}, found
        assert f"{pages}/{pages} 頁" in found[0]["message"] and found[0]["severity"] == "warning"
    testing = next(i for i in doc["inspection"] if i["id"] == "accessibility")
    assert testing["status"] == "pass"  # grouped, they still judge as before: warnings, not errors


def test_a_mark_image_that_does_not_load_is_broken_not_the_wrong_size(v115):
    rules = {f["rule"] for f in v115["doc"]["findings"] if f["rule"].startswith("mark-")}
    assert rules == {"mark-broken"} and v115["summary"]["mark"]["broken"] is True
    assert "size" not in v115["summary"]["mark"]  # the alt text it renders instead is no size of the mark


@pytest.mark.parametrize("stamp,alt,scheme,words,expires", [
    ("20150301120000", "通過AA+優先等級無障礙網頁檢測", "1.0", "無障礙標章1.0 AA+ 等級", "2018-03-01"),
    ("20190301120000", "通過A+優先等級無障礙網頁檢測", "1.0", "無障礙標章1.0 A+ 等級", "2022-03-01"),
    ("20190301120000", "通過AA無障礙網頁檢測", "2.0", "無障礙標章2.0（2017 年版） AA 等級", "2022-03-01"),
    ("20241015093012", "通過AA無障礙網頁檢測", "110.07", "110.07 版 AA 等級", "2027-10-15"),
    ("20261129235959", "通過AA無障礙網頁檢測", "110.07", "110.07 版 AA 等級", "2029-11-29"),
    ("20261130080000", "通過AA無障礙網頁檢測", "115.11", "115.11 版 AA 等級", "2029-11-30"),
])
def test_the_mark_names_the_scheme_it_was_issued_under_from_its_date_and_level(tmp_path, serve, stamp, alt, scheme,
                                                                              words, expires):
    mark = (f'<a href="https://accessibility.moda.gov.tw/Applications/Detail?category={stamp}">'
            f'<img src="/m.png" width="88" height="31" alt="{alt}"></a>')
    (tmp_path / "index.html").write_text(TEMPLATE.format(title="首頁", anchor=ANCHORS[0], body=mark), encoding="utf-8")
    server = serve(tmp_path)
    _, doc = audit_fixture(tmp_path, server.base, "accessibility", extra=as_of("accessibility") + "browser = false\n")
    mark = doc["summary"]["accessibility"]["mark"]
    assert (mark["mark_scheme"], mark["expires"]) == (scheme, expires) and "version" not in mark
    item = next(i for i in doc["inspection"] if i["id"] == "accessibility-mark")
    assert words in item["measured_zh"] and expires in item["measured_zh"], item["measured_zh"]
    assert "110.07 版 A+" not in item["measured_zh"] and not any(
        "無障礙標章" in c for c in item["measured_en"]), item["measured_en"]
    for f in doc["findings"]:  # a finding's target version and the mark's scheme are two keys
        if f["rule"].startswith("mark-"):
            assert f["evidence"]["target_version"] == "115.11" and f["evidence"]["mark_scheme"] == scheme
