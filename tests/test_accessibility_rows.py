"""Accessibility findings an inspector can act on (real headless Chromium on 127.0.0.1): one element one row,
nothing flagged that the Taiwanese convention requires, every row located, many elements of one page one row,
and reflow measured against 320 CSS px of content on short and long pages alike."""

from __future__ import annotations

import pytest

from conftest import audit_fixture
from siteaudit.demo.site import PNG_1PX

PAGE = """<!DOCTYPE html><html lang="zh-Hant"><head><title>{title}</title>{head}
<style>body {{ margin: 0 }} .key {{ font-size: 8px }}</style></head><body>
<div id="top"><a href="#U" accesskey="U" title="上方功能區" class="key">:::</a>
<a href="#" accesskey="C" title="中央內容區" class="key">:::</a> <a href="#main">跳到主要內容</a></div>
<main id="main"><h1>{title}</h1>{body}</main><noscript>無</noscript></body></html>"""
SMALL = 'style="width:12px;height:12px;padding:0;margin:0;font-size:8px"'
PAGES = {
    "label.html": ("", '<form action="/s"><input type="text" name="q" data-note="<b>x</b>"></form>'),
    "blink.html": ("", "<p><blink>閃爍</blink></p><p><marquee>跑馬燈</marquee></p>"),
    "refresh.html": ('<meta http-equiv="refresh" content="600">', "<p>每十分鐘重新整理</p>"),
    "many.html": ("", "<p>" + "".join(f"<button {SMALL}>{i}</button>" for i in range(6)) + "</p>"),
    "newwin.html": ("", '<p><a href="/label.html" target="_blank">表單</a></p>'),
    "reflow-short.html": ("", '<div style="width:315px">窄欄</div>'),
    "reflow-long.html": ("", '<div style="width:315px">窄欄</div><div style="height:3000px">長頁</div>'),
    "reflow-wide.html": ("", '<div style="width:330px">寬欄</div><div style="height:3000px">長頁</div>'),
}
# Findings that are about no element: the page could not be tested, a dialog, a mark that is not there.
UNLOCATED = ("page-not-tested", "js-dialog-on-load", "mark-missing")


@pytest.fixture(scope="module")
def rows(tmp_path_factory):
    from siteaudit.demo.server import SiteServer

    root = tmp_path_factory.mktemp("rows")
    (root / "pic.png").write_bytes(PNG_1PX)
    for name, (head, body) in PAGES.items():
        (root / name).write_text(PAGE.format(title=name, head=head, body=body), encoding="utf-8")
    links = "".join(f'<li><a href="/{n}">{n}</a></li>' for n in PAGES)
    (root / "index.html").write_text(PAGE.format(title="首頁", head="", body=f"<ul>{links}</ul>"), encoding="utf-8")
    server = SiteServer(root)
    server.start()
    try:
        _, doc = audit_fixture(root, server.base, "accessibility",
                               extra='[checks.accessibility]\nworkers = 2\ntoday = "2026-11-26"\n')
    finally:
        server.stop()
    doc["report_html"] = (root / "out" / "report.html").read_text(encoding="utf-8")
    return doc


def _on(doc, page, rule=None):
    return [f for f in doc["findings"] if any(p.endswith("/" + page) for p in f["pages"])
            and (rule is None or f["rule"] == rule or f["evidence"].get("axe_rule") == rule)]


def test_one_missing_label_is_one_finding_with_both_criteria_and_codes(rows):
    found = [f for f in _on(rows, "label.html") if f["rule"] in ("axe-label", "label-missing")]
    assert len(found) == 1, found
    ev = found[0]["evidence"]
    assert found[0]["rule"] == "label-missing" and ev["also"] == ["axe-label"] and found[0]["severity"] == "error"
    assert ev["wcag"] == ["1.3.1", "4.1.2"] and ev["codes"]["115.11"] == ["HM1130104C", "HM1410200C"]
    assert "HM1130104C、HM1410200C" in found[0]["message"]


@pytest.mark.parametrize("tag", ["blink", "marquee"])
def test_blink_and_marquee_are_each_one_finding(rows, tag):
    found = [f for f in _on(rows, "blink.html") if f["rule"] == f"axe-{tag}"
             or (f["rule"] == "deprecated-element" and f["evidence"]["nodes"][0].get("detail") == tag)]
    assert len(found) == 1, found
    assert found[0]["severity"] == "error" and found[0]["evidence"]["also"] == ["deprecated-element"]
    assert set(found[0]["evidence"]["codes"]["115.11"]) == {"GN1220200E", "CS1130103E"}


def test_a_meta_refresh_is_one_error_with_its_code(rows):
    found = [f for f in _on(rows, "refresh.html") if "FA1220102E" in f["evidence"]["codes"]["115.11"]]
    assert len(found) == 1 and found[0]["severity"] == "error", found


def test_accesskey_anchors_are_flagged_neither_for_their_target_nor_their_size(rows):
    assert not [f for f in rows["findings"] if f["rule"] == "href-hash"]
    assert not [f for f in rows["findings"] if f["rule"] == "missing-accesskey"]
    for f in rows["findings"]:
        if f["rule"] == "axe-target-size":
            assert "accesskey" not in f["evidence"]["html"] and ":::" not in f["evidence"]["html"], f


def test_many_small_targets_on_one_page_are_one_row_with_the_count_and_first_selectors(rows):
    sizes = _on(rows, "many.html", "target-size")
    assert len(sizes) == 1, [f["evidence"]["selector"] for f in sizes]
    ev = sizes[0]["evidence"]
    assert ev["count"] == 6 and len(ev["selectors"]) == 5 and len(ev["nodes"]) == 5
    assert "6 處" in sizes[0]["message"] and "6 elements" in sizes[0]["message_en"]


def test_a_new_window_link_is_located_on_its_page(rows):
    found = _on(rows, "newwin.html", "new-window-unwarned")
    assert len(found) == 1
    f = found[0]
    assert f["url"].endswith("/newwin.html") and f["evidence"]["href"].endswith("/label.html")
    assert f["evidence"]["selector"] == 'a[href="/label.html"][target="_blank"]'
    assert f["evidence"]["html"] == '<a href="/label.html" target="_blank">表單</a>'


def test_reflow_is_measured_against_320_css_px_on_short_and_long_pages_alike(rows):
    assert not _on(rows, "reflow-short.html", "reflow") and not _on(rows, "reflow-long.html", "reflow")
    wide = _on(rows, "reflow-wide.html", "reflow")
    assert len(wide) == 1 and "330 CSS px" in wide[0]["message"] and "320 CSS px" in wide[0]["message"]
    assert "330 CSS px" in wide[0]["message_en"] and wide[0]["evidence"]["nodes"][0]["width"] == 330


def assert_actionable(findings):
    """No finding doubles another; every one is located (page, selector, snippet of at most 200 characters); every
    error at A/AA has a code or its documented reason."""
    seen = set()
    for f in findings:
        if f["check"] != "accessibility":
            continue
        ev = f["evidence"]
        if f["rule"] not in UNLOCATED:
            assert f["url"] in f["pages"] or f["rule"].startswith("mark-"), f
            assert ev.get("selector") and ev.get("html") and len(ev["html"]) <= 200, f
            key = (ev["selector"], tuple(f["pages"]), ev.get("axe_rule") or f["rule"])
            assert key not in seen, f
            seen.add(key)
        assert f["rule"] not in ev.get("also", []), f
        if f["severity"] == "error" and ev.get("level") in ("A", "AA") and not f["rule"].startswith("mark-"):
            assert ev["codes"][ev["target_version"]] or ev.get("no_code"), f


def test_every_accessibility_finding_is_located_and_none_doubles_another(rows):
    assert_actionable(rows["findings"])


def test_on_the_demo_every_accessibility_finding_is_located_and_none_doubles_another(demo_run):
    import json

    doc = json.loads((demo_run["out"] / "findings.json").read_text(encoding="utf-8"))
    found = [f for f in doc["findings"] if f["check"] == "accessibility"]
    assert found and not [f for f in found if f["rule"] == "axe-label"]  # merged into label-missing
    assert_actionable(found)


def test_a_one_page_audit_does_not_claim_a_template(tmp_path, serve):
    page = ('<!DOCTYPE html><html lang="zh-Hant"><head><title>一頁</title></head><body><div id="wrapper">'
            '<main><h1>一頁</h1></main></div></body></html>')
    (tmp_path / "index.html").write_text(page, encoding="utf-8")
    server = serve(tmp_path)
    _, doc = audit_fixture(tmp_path, server.base, "accessibility", extra="[checks.accessibility]\nworkers = 1\n")
    found = [f for f in doc["findings"] if f["rule"] == "missing-accesskey"]
    assert len(found) == 1 and "版型" not in found[0]["message"] and "template" not in found[0]["evidence"], found
    assert found[0]["evidence"]["selector"] == "#wrapper" and found[0]["evidence"]["html"] == '<div id="wrapper">'


def test_the_report_shows_each_rows_selector_and_snippet_escaped(rows):
    from markupsafe import escape

    label = next(f for f in rows["findings"] if f["rule"] == "label-missing")
    assert label["evidence"]["html"].startswith('<input type="text" name="q"')
    report = rows["report_html"]
    assert str(escape(label["evidence"]["html"])) in report and '<input type="text" name="q"' not in report
    assert f"<code>{escape(label['evidence']['selector'])}</code>" in report
