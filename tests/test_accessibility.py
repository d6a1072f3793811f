"""The accessibility check drives the real headless Chromium over fixture pages on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import as_of, audit_fixture
from siteaudit.core.browser import find_browser
from siteaudit.demo.site import PNG_1PX

CLEAN = """<!DOCTYPE html><html lang="zh-Hant"><head><title>{title}</title></head><body>
<header><a href="#main" class="skip">跳到主要內容區塊</a> <a href="#main" accesskey="C" title="中央內容區塊"
style="display:inline-block;min-width:24px;min-height:24px">:::</a></header>
<main id="main"><h1>{title}</h1>{body}</main></body></html>"""
DEFECTS = {
    "alt.html": '<img src="/pic.png" width="10" height="10">',
    "contrast.html": '<p style="color:#ccc;background:#fff">淺灰色的字</p>',
    "label.html": '<form action="/s"><input type="text" name="q"><button>送出</button></form>',
    "empty-link.html": '<p><a href="/clean.html"></a></p>',
    "dup.html": '<p id="x">一</p><p id="x">二</p>',
    "script.html": '<p id="out"></p><script>document.getElementById("out").textContent = "動態內容";</script>',
}


@pytest.fixture(scope="module")
def a11y_audit(tmp_path_factory):
    from siteaudit.demo.server import SiteServer

    assert not find_browser().missing, "chromium and chromedriver must be installed (scripts/setup.sh --with-browser)"
    root = tmp_path_factory.mktemp("a11y")
    (root / "pic.png").write_bytes(bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
                                                 "0000000d49444154789c6360000000000500010d0a2db40000000049454e44ae426082"))
    for name, body in DEFECTS.items():
        (root / name).write_text(CLEAN.format(title=name, body=body), encoding="utf-8")
    (root / "nolang.html").write_text(CLEAN.format(title="nolang", body="<p>沒有語言</p>").replace(' lang="zh-Hant"', ""),
                                      encoding="utf-8")
    (root / "clean.html").write_text(CLEAN.format(title="乾淨的頁面", body="<p>一切正常。</p>"), encoding="utf-8")
    links = "".join(f'<li><a href="/{n}">{n}</a></li>' for n in [*DEFECTS, "nolang.html", "clean.html"])
    (root / "index.html").write_text(CLEAN.format(title="首頁", body=f"<ul>{links}</ul>"), encoding="utf-8")
    server = SiteServer(root)
    server.start()
    try:
        result, doc = audit_fixture(root, server.base, "accessibility",
                                    extra="[checks.accessibility]\nworkers = 2\n")
    finally:
        server.stop()
    axe: dict[str, set[str]] = {}
    for f in doc["findings"]:  # a rule merged into another's finding on the same element counts as found
        rules = [r for r in (f["rule"], *f["evidence"].get("also", [])) if r.startswith("axe-") and r != "axe-needs-review"]
        for page in f["pages"]:
            axe.setdefault(page.rsplit("/", 1)[-1], set()).update(r[4:] for r in rules)
    return {"result": result, "doc": doc, "axe": axe, "summary": doc["summary"]["accessibility"]}


@pytest.mark.parametrize("page,rule", [
    ("alt.html", "image-alt"), ("contrast.html", "color-contrast"), ("label.html", "label"),
    ("nolang.html", "html-has-lang"), ("empty-link.html", "link-name"),
])
def test_known_violations_are_found_in_real_chromium(a11y_audit, page, rule):
    assert rule in a11y_audit["axe"].get(page, set()), a11y_audit["axe"]


def test_the_clean_page_has_no_violation(a11y_audit):
    assert "clean.html" not in a11y_audit["axe"]


def test_findings_carry_wcag_criterion_level_impact_and_help(a11y_audit):
    f = next(f for f in a11y_audit["doc"]["findings"] if f["rule"] == "axe-image-alt")
    ev = f["evidence"]
    assert ev["wcag"] == ["1.1.1"] and ev["level"] == "A" and ev["impact"] == "critical"
    assert ev["help_url"].startswith("https://dequeuniversity.com/rules/axe/") and ev["selector"]
    assert ev["codes"] == {"115.11": ["HM1110100C"], "110.07": ["HM1110100C"]} and ev["target_version"] == "115.11"
    assert f["severity"] == "error" and "1.1.1" in f["message"] and "HM1110100C" in f["message"]
    assert "網站無障礙規範 (115.11)" in f["message"] and "圖片必須有替代文字" in f["message"]  # axe's zh_TW help


def test_under_115_11_the_obsolete_parsing_rules_are_off(a11y_audit):
    assert "duplicate-id" not in a11y_audit["axe"].get("dup.html", set())
    assert a11y_audit["summary"]["target_version"] == "115.11" and a11y_audit["summary"]["wcag"] == "2.2"


def test_summary_counts_pages_and_violations_by_level(a11y_audit):
    s = a11y_audit["summary"]
    assert s["pages_tested"] == 9 and s["pages_not_tested"] == 0 and s["axe_core"].startswith("4."), s
    assert s["pages_with_violations_by_level"]["A"] == 4 and s["pages_with_violations_by_level"]["AA"] == 2
    assert {p for p, rules in a11y_audit["axe"].items() if "target-size" in rules} == {""}  # 2.5.8: the home page's tight link list
    assert s["status"] == "fail" and a11y_audit["result"].returncode == 1


def test_a_problem_on_every_page_is_one_finding_listing_the_pages(tmp_path, serve):
    nav = '<nav><a href="/a.html"><img src="/x.png"></a></nav>'
    for name in ("index.html", "a.html", "b.html"):
        (tmp_path / name).write_text(CLEAN.format(title=name, body=nav + '<a href="/b.html">b</a>'), encoding="utf-8")
    (tmp_path / "x.png").write_bytes(b"")
    server = serve(tmp_path)
    _, doc = audit_fixture(tmp_path, server.base, "accessibility",
                           extra="[checks.accessibility]\nworkers = 1\n")
    names = [f for f in doc["findings"] if f["rule"] == "axe-link-name"]
    assert len(names) == 1 and len(names[0]["pages"]) == 3
    assert names[0]["evidence"]["selector"] == 'a[href="/a.html"]'


MARKS = {
    "moda": '<a href="https://accessibility.moda.gov.tw/Applications/Detail?category=20250301120000" '
            'title="無障礙網站"><img src="/m.png" width="88" height="31" alt="通過AA無障礙網頁檢測"></a>',
    "ncc": '<a href="https://accessibility.ncc.gov.tw/Applications/Detail?category=20150301120000">'
           '<img src="/m.png" width="88" height="31" alt="通過AA+優先等級無障礙網頁檢測"></a>',
    "none": "<p>沒有標章</p>",
    "low": '<a href="https://accessibility.moda.gov.tw/Applications/Detail?category=20250301120000">'
           '<img src="/m.png" width="88" height="31" alt="通過A無障礙網頁檢測"></a>',
}


@pytest.mark.parametrize("case,expected", [
    ("moda", set()), ("ncc", {"mark-outdated-link", "mark-expired"}), ("none", {"mark-missing"}),
    ("low", {"mark-level-below-target"}),
])
def test_the_accessibility_mark_on_the_home_page(tmp_path, serve, case, expected):
    (tmp_path / case).mkdir()
    (tmp_path / case / "index.html").write_text(CLEAN.format(title="首頁", body=MARKS[case]), encoding="utf-8")
    server = serve(tmp_path)
    _, doc = audit_fixture(tmp_path, f"{server.base}/{case}", "accessibility",
                           extra=as_of("accessibility") + "browser = false\n")
    assert {f["rule"] for f in doc["findings"] if f["rule"].startswith("mark-")} == expected
    mark = doc["summary"]["accessibility"]["mark"]
    if case == "moda":
        assert mark["level"] == "AA" and mark["passed"] == "2025-03-01"


def test_without_chromium_the_check_is_not_run_and_the_run_is_incomplete(tmp_path, serve):
    (tmp_path / "index.html").write_text(CLEAN.format(title="首頁", body="<p>x</p>"), encoding="utf-8")
    server = serve(tmp_path)
    result, doc = audit_fixture(tmp_path, server.base, "links,accessibility",
                                extra='[checks.accessibility]\nchromium_path = "/nonexistent/chromium"\n')
    assert result.returncode == 1, result.stderr  # a check that could not run never makes a pass
    assert doc["status"] == "incomplete"
    last = result.stdout.strip().splitlines()[-1]
    assert "incomplete" in last and "accessibility not run" in last and "apt-get install chromium" in last
    summary = doc["summary"]
    assert "mark-missing" in {f["rule"] for f in doc["findings"]}  # what needs no browser is still judged
    assert summary["accessibility"]["status"] == "not_run"
    assert "apt-get install chromium chromium-driver" in summary["accessibility"]["reason"]
    assert summary["links"]["status"] == "pass"


def test_pages_with_scripts_and_no_noscript_are_listed(a11y_audit):
    f = next(f for f in a11y_audit["doc"]["findings"] if f["rule"] == "noscript-missing")
    assert [p.rsplit("/", 1)[-1] for p in f["pages"]] == ["script.html"]


def test_a_stopped_browser_leaves_no_process_and_no_profile_behind(tmp_path, serve):
    from siteaudit.checks.browser import Browser
    from siteaudit.core.browser import process_tree, running

    (tmp_path / "index.html").write_text(CLEAN.format(title="首頁", body="<p>內容</p>"), encoding="utf-8")
    server = serve(tmp_path)
    browser = Browser(find_browser(), timeout=30)
    browser.start()
    assert browser.audit(server.base + "/index.html")["violations"] == []
    processes = process_tree(browser.driver.service.process.pid)
    profile = browser.profile
    assert len(processes) > 2 and profile and list(Path(profile).iterdir())
    browser.stop()
    assert not any(running(pid) for pid in processes)
    assert not Path(profile).exists()


def test_the_headless_shell_is_preferred_when_installed():
    shell = Path("/usr/lib/chromium/chromium-headless-shell")
    if not shell.exists():
        pytest.skip("chromium-headless-shell is not packaged on this Debian release")
    assert find_browser().chromium == str(shell)


@pytest.mark.parametrize("text,passed", [
    ("本網站於113年5月1日通過無障礙AA檢測", "2024-05-01"),
    ("通過 AA 等級 檢測日期 112.03.04", "2023-03-04"),
    ("更新日期：115-11-20 無障礙標章 通過檢測日期：2023/10/19", "2023-10-19"),
    ("更新日期：115-11-20　｜　瀏覽人次 1234", None),
    ("本網站於108年3月1日通過無障礙AA檢測　更新日期：115-11-20", "2019-03-01"),
])
def test_a_pass_date_written_beside_the_mark_is_read(text, passed):
    from siteaudit.checks.accessibility import shown_pass_date

    found = shown_pass_date(text)
    assert (found[0].isoformat() if found else None) == passed


def test_a_shown_pass_date_older_than_three_years_expires_the_mark(tmp_path, serve):
    mark = ('<footer><p><a href="https://accessibility.moda.gov.tw/Applications/Detail" title="無障礙網站">'
            '<img src="/m.png" width="88" height="31" alt="通過AA無障礙網頁檢測"></a> '
            '本網站於108年3月1日通過無障礙AA檢測　更新日期：115-11-20</p></footer>')
    (tmp_path / "index.html").write_text(CLEAN.format(title="首頁", body=mark), encoding="utf-8")
    (tmp_path / "m.png").write_bytes(PNG_1PX)
    server = serve(tmp_path)
    _, doc = audit_fixture(tmp_path, server.base, "accessibility",
                           extra=as_of("accessibility") + "workers = 1\n")
    expired = [f for f in doc["findings"] if f["rule"] == "mark-expired"]
    assert len(expired) == 1 and expired[0]["evidence"]["passed_from"] == "page text"
    assert doc["summary"]["accessibility"]["mark"]["passed"] == "2019-03-01"
    assert doc["summary"]["accessibility"]["mark"]["size"] == "88x31"
    assert not [f for f in doc["findings"] if f["rule"] == "mark-size"]


def test_a_page_that_times_out_is_listed_not_tested_and_the_next_pages_are_tested(tmp_path, serve):
    import threading

    from siteaudit.checks.accessibility import CHECK
    from siteaudit.demo.server import send

    release = threading.Event()

    def slow_script(handler):
        release.wait(10)  # longer than the page timeout: the page never finishes loading
        send(handler, 200, b"", {"Content-Type": "text/javascript"})

    pages = [f"p{i}.html" for i in range(5)]
    for name in pages:
        body = '<script src="/slow.js"></script>' if name == "p1.html" else "<p>內容</p>"
        (tmp_path / name).write_text(CLEAN.format(title=name, body=body), encoding="utf-8")
    server = serve(tmp_path, {"/slow.js": slow_script})
    opts = {**CHECK.options, "workers": 1, "page_timeout": 3, "restart_every": 2}
    try:
        results, not_tested, version = CHECK.test_pages([f"{server.base}/{n}" for n in pages], find_browser(), opts)
    finally:
        release.set()
    assert not_tested == {f"{server.base}/p1.html": "timeout after 3 s"}
    assert sorted(results) == sorted(f"{server.base}/{n}" for n in pages if n != "p1.html")
    assert all(r["violations"] == [] for r in results.values()) and version.startswith("4.")


def test_a_document_link_to_another_host_must_say_its_file_type_too(tmp_path, serve):
    body = ('<a href="http://127.0.0.2:9/plan.pdf">年度計畫</a> '
            '<a href="http://127.0.0.2:9/budget.pdf">預算書（PDF，120KB）</a>')
    (tmp_path / "index.html").write_text(CLEAN.format(title="首頁", body=body), encoding="utf-8")
    server = serve(tmp_path)
    _, doc = audit_fixture(tmp_path, server.base, "accessibility", extra=as_of("accessibility") + "browser = false\n")
    unlabelled = [f for f in doc["findings"] if f["rule"] == "file-link-unlabelled"]
    assert [f["evidence"]["href"] for f in unlabelled] == ["http://127.0.0.2:9/plan.pdf"]
    assert unlabelled[0]["url"] == server.base + "/" and unlabelled[0]["evidence"]["selector"] == \
        'a[href="http://127.0.0.2:9/plan.pdf"]' and unlabelled[0]["evidence"]["html"] == \
        '<a href="http://127.0.0.2:9/plan.pdf">年度計畫</a>'

