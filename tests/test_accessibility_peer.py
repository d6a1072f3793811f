"""The barriers peer checkers report and axe-core does not (checks/a11y_peer_rules.py): data tables, link text,
media, text, forms and markup. A failing and a passing page each, real headless Chromium on 127.0.0.1."""

from __future__ import annotations

import re

import pytest

from conftest import audit_fixture
from siteaudit.checks import a11y_rules as a11y
from siteaudit.checks.a11y_peer_rules import PEER_IDS, markup_nodes
from siteaudit.demo.site import PNG_1PX

TEMPLATE = """<!DOCTYPE html><html lang="zh-Hant"><head><title>{title}</title></head><body>
<header><a href="#main" class="skip">跳到主要內容區塊</a> <a href="#U" accesskey="U" title="上方功能區塊">:::</a></header>
<main id="main"><h1>{title}</h1>{body}</main></body></html>"""


def gif(frames: int, loop: bool) -> bytes:
    """A 1x1 GIF of `frames` frames, 0.5 s each, played once or looping forever."""
    out = b"GIF89a\x01\x00\x01\x00\x80\x00\x00" + b"\x00\x00\x00\xff\xff\xff"
    if loop:
        out += b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"
    for _ in range(frames):
        out += b"\x21\xf9\x04\x00\x32\x00\x00\x00" + b"\x2c\x00\x00\x00\x00\x01\x00\x01\x00\x00" + b"\x02\x02\x44\x01\x00"
    return out + b"\x3b"


LONG = "各區營運處依用水量與水質監測結果，定期公告供水資訊，並說明停水及減壓供水的範圍與時間。" * 3
HEADED = ('<table><caption>各月用水量</caption><tr><th scope="col">月份</th><th scope="col">水量</th></tr>'
          "<tr><td>1月</td><td>30</td></tr></table>")
# rule: (failing body, passing body)
PEER = {
    "table-no-caption": ('<table><tr><th scope="col">月份</th><th scope="col">水量</th></tr>'
                         "<tr><td>1月</td><td>30</td></tr></table>", HEADED),
    "table-complex-no-scope": ('<table><caption>上半年用水量</caption><tr><th colspan="2">上半年</th></tr>'
                               "<tr><th>1月</th><th>2月</th></tr><tr><td>30</td><td>31</td></tr></table>",
                               '<table><caption>上半年用水量</caption><tr><th colspan="2" scope="colgroup">上半年</th>'
                               '</tr><tr><th scope="col">1月</th><th scope="col">2月</th></tr>'
                               "<tr><td>30</td><td>31</td></tr></table>"),
    "table-only-th": ("<table><caption>服務項目</caption><tr><th>申請</th><th>查詢</th></tr>"
                      "<tr><th>繳費</th><th>停水</th></tr></table>", HEADED),
    "layout-table-data-markup": ('<table role="presentation"><tr><th>版面</th><td>內容</td></tr></table>',
                                 '<table role="presentation"><tr><td>版面</td><td>內容</td></tr></table>'),
    "table-nested": ('<table role="presentation"><tr><td><table role="presentation"><tr><td>內</td><td>層</td></tr>'
                     "</table></td></tr></table>",
                     '<table role="presentation"><tr><td>單層</td><td>版面</td></tr></table>'),
    "link-text-punctuation": ('<p>最新消息 <a href="/index.html">&gt;&gt;</a></p>',
                              '<p><a href="/index.html" title="最新消息列表">&gt;&gt;</a></p>'),
    "link-title-same-as-text": ('<p><a href="/index.html" title="最新消息">最新消息</a></p>',
                                '<p><a href="/index.html" title="最新消息列表（共 20 則）">最新消息</a></p>'),
    "link-adjacent-same-target": ('<p><a href="/index.html"><img src="/pic.png" alt="首頁" width="10" height="10"></a> '
                                  '<a href="/index.html">回首頁</a></p>',
                                  '<p><a href="/index.html"><img src="/pic.png" alt="" width="10" height="10"> 回首頁'
                                  "</a></p>"),
    "link-same-text-other-target": ('<p><a href="/index.html">水質資訊</a></p><p>另見 <a href="/pic.png">水質資訊</a></p>',
                                    '<p><a href="/index.html">水質資訊</a></p><p>另見 '
                                    '<a href="/pic.png" title="水質檢驗照片">水質資訊</a></p>'),
    "audio-link-no-transcript": ('<ul><li><a href="/talk.mp3">局長談話錄音</a></li></ul>',
                                 '<ul><li><a href="/talk.mp3">局長談話錄音</a>（<a href="/talk.html">逐字稿</a>）</li></ul>'),
    "video-link-no-transcript": ('<ul><li><a href="/clip.mp4">節約用水宣導短片</a></li></ul>',
                                 '<ul><li><a href="/clip.mp4">節約用水宣導短片</a>（<a href="/talk.html">文字版</a>）'
                                 "</li></ul>"),
    "audio-no-text-alternative": ('<audio controls src="/talk.mp3"></audio>',
                                  '<figure><audio controls src="/talk.mp3"></audio><figcaption>'
                                  '<a href="/talk.html">錄音逐字稿</a></figcaption></figure>'),
    "video-no-captions": ('<video controls src="/clip.mp4" width="100" height="60"></video>',
                          '<video controls src="/clip.mp4" width="100" height="60"><track kind="captions" '
                          'src="/clip.vtt" srclang="zh-Hant" label="中文字幕"></video>'),
    "animated-gif": ('<img src="/spin.gif" alt="處理中" width="10" height="10">',
                     '<img src="/still.gif" alt="處理中" width="10" height="10">'),
    "text-too-small": ('<p style="font-size:10px">注意事項小字</p>', '<p style="font-size:13px">注意事項</p>'),
    "text-justified": (f'<p style="text-align:justify;width:240px">{LONG}</p>',
                       f'<p style="text-align:left;width:240px">{LONG}</p>'),
    "label-duplicate-text": ('<form><label for="a">電話</label><input id="a" name="a"><label for="b">電話</label>'
                             '<input id="b" name="b"></form>',
                             '<form><label for="a">電話（住家）</label><input id="a" name="a">'
                             '<label for="b">電話（公司）</label><input id="b" name="b"></form>'),
    "image-button-vague-alt": ('<form><input type="text" name="q" title="關鍵字">'
                               '<input type="image" src="/pic.png" alt="button" width="10" height="10"></form>',
                               '<form><input type="text" name="q" title="關鍵字">'
                               '<input type="image" src="/pic.png" alt="搜尋" width="10" height="10"></form>'),
    "markup-tag-mismatch": ("<div><p>段落文字</span></p></div>", "<div><p>段落文字</p></div>"),
}
SMALL_PRINT = "".join(f'<p style="font-size:9px">第 {i} 則小字</p>' for i in range(30))
TITLED = "".join(f'<p><a href="/talk.html?n={i}" title="第 {i} 則公告">第 {i} 則公告</a></p>' for i in range(6))


@pytest.fixture(scope="module")
def peer(tmp_path_factory):
    from siteaudit.demo.server import SiteServer

    root = tmp_path_factory.mktemp("peer")
    (root / "pic.png").write_bytes(PNG_1PX)
    (root / "spin.gif").write_bytes(gif(2, loop=True))
    (root / "still.gif").write_bytes(gif(1, loop=False))
    (root / "brief.gif").write_bytes(gif(4, loop=False))
    (root / "talk.mp3").write_bytes(b"ID3" + bytes(64))
    (root / "clip.mp4").write_bytes(bytes(64))
    (root / "clip.vtt").write_text("WEBVTT\n", encoding="utf-8")
    (root / "talk.html").write_text(TEMPLATE.format(title="逐字稿", body="<p>逐字稿內容</p>"), encoding="utf-8")
    pages = {f"{kind}-{rule}.html": bodies[i] for rule, bodies in PEER.items() for i, kind in enumerate(("fail", "pass"))}
    pages["small-print.html"] = SMALL_PRINT
    pages["titled.html"] = TITLED
    pages["layered.html"] = ('<table aria-label="各區用水量"><tr><th></th><th>北區</th><th>南區</th></tr>'
                             "<tr><th></th><th>生活</th><th>工業</th></tr><tr><th>1月</th><td>30</td><td>31</td></tr>"
                             "</table>")
    pages["menu.html"] = ('<ul><li><a href="/index.html">首頁</a></li><li><a href="/index.html">回首頁</a></li></ul>'
                          '<p><a href="/index.html">\ufffd\ufffd</a></p>')
    for name in ("footer-a.html", "footer-b.html"):
        pages[name] = '<p>內文</p><footer><p style="font-size:10px">版權所有</p></footer>'
    pages["brief.html"] = '<img src="/brief.gif" alt="處理中" width="10" height="10">'
    for name, body in pages.items():
        (root / name).write_text(TEMPLATE.format(title=name, body=body), encoding="utf-8")
    big5 = TEMPLATE.format(title="舊版公告", body="<p>舊版公告內文</span></p>").replace("<head>", '<head><meta charset="big5">')
    (root / "big5.html").write_bytes(big5.encode("big5"))
    pages["big5.html"] = ""
    links = "".join(f'<li><a href="/{n}">{n}</a></li>' for n in pages)
    (root / "index.html").write_text(TEMPLATE.format(title="首頁", body=f"<ul>{links}</ul>"), encoding="utf-8")
    server = SiteServer(root, content_types={"/big5.html": "text/html"})  # the charset only in <meta>
    server.start()
    try:
        _, doc = audit_fixture(root, server.base, "accessibility", extra='[checks.accessibility]\nworkers = 2\n'
                               'today = "2026-12-01"\n')
    finally:
        server.stop()
    found: dict[str, set[str]] = {}
    for f in doc["findings"]:
        for page in f["pages"]:
            found.setdefault(f["rule"], set()).add(page.rsplit("/", 1)[-1])
    return {"doc": doc, "found": found}


@pytest.mark.parametrize("rule", sorted(PEER))
def test_each_peer_barrier_fails_its_failing_page_and_passes_its_passing_page(peer, rule):
    pages = peer["found"].get(rule, set())
    assert f"fail-{rule}.html" in pages, (rule, pages)
    assert f"pass-{rule}.html" not in pages, (rule, pages)


def test_the_template_pages_and_their_accesskey_anchor_raise_no_peer_barrier(peer):
    for rule in PEER_IDS:
        assert not peer["found"].get(rule, set()) & {"index.html", "talk.html", ""}, rule


def test_every_peer_finding_names_its_page_selector_snippet_criterion_and_codes(peer):
    findings = [f for f in peer["doc"]["findings"] if f["rule"] in PEER_IDS]
    assert {f["rule"] for f in findings} >= set(PEER)
    for f in findings:
        ev = f["evidence"]
        assert f["url"].startswith("http://127.0.0.1") and f["url"] in f["pages"], f
        assert ev["selector"] and ev["html"] and len(ev["html"]) <= 200, f
        assert ev["wcag"] == a11y.criteria(f["rule"]) and ev["level"] == a11y.level(f["rule"]), f
        for version, codes in ev["codes"].items():  # a code's criterion is the finding's criterion
            assert all([a11y.MODA["codes"][c]["sc"]] == ev["wcag"] for c in codes), (f, version)


def test_only_the_certain_barrier_with_a_machine_code_is_an_error(peer):
    severities = {f["rule"]: f["severity"] for f in peer["doc"]["findings"] if f["rule"] in PEER_IDS}
    assert {r for r, s in severities.items() if s == "error"} == {"table-complex-no-scope"}
    scope = next(f for f in peer["doc"]["findings"] if f["rule"] == "table-complex-no-scope")
    assert scope["evidence"]["codes"] == {"115.11": ["HM1130101C"], "110.07": ["HM1130101C"]}
    assert "HM1130101C" in scope["message"] and "1.3.1" in scope["message"]


def test_a_layout_table_with_data_markup_carries_the_new_115_11_failure_code(peer):
    f = next(f for f in peer["doc"]["findings"] if f["rule"] == "layout-table-data-markup")
    assert f["evidence"]["codes"] == {"115.11": ["FA1130114E"], "110.07": []} and f["severity"] == "warning"


def test_small_text_many_times_on_one_page_is_one_finding_with_the_count_and_first_selectors(peer):
    small = [f for f in peer["doc"]["findings"] if f["rule"] == "text-too-small"
             and f["url"].endswith("/small-print.html")]
    assert len(small) == 1, small
    assert "30 處" in small[0]["message"] and len(small[0]["evidence"]["nodes"]) == 10
    assert small[0]["message_en"] == "Text smaller than 9 pt (12 CSS px): 30 elements"
    assert small[0]["evidence"]["selector"].startswith("#main > p")
    assert "無障礙最佳實務" in small[0]["message"] and small[0]["evidence"]["wcag"] == []


def test_mismatched_tags_are_read_from_the_parser_error_log_with_line_and_snippet(peer):
    f = next(f for f in peer["doc"]["findings"] if f["rule"] == "markup-tag-mismatch"
             and f["url"].endswith("/fail-markup-tag-mismatch.html"))
    node = f["evidence"]["nodes"][0]
    assert re.fullmatch(r"line \d+, column \d+", node["selector"]) and "span" in node["detail"]
    assert "</span>" in node["html"]


def test_the_parser_log_reports_mismatched_end_tags_and_nothing_for_clean_html():
    nodes = markup_nodes("<!DOCTYPE html><html><body><div><b><i>x</b></i></div></div></body></html>")
    assert [n["detail"] for n in nodes] == ["Opening and ending tag mismatch: b and i", "Unexpected end tag : i",
                                            "Unexpected end tag : div"]
    assert markup_nodes(TEMPLATE.format(title="t", body="<main><section><p>段落</p></section></main>")) == []
    assert markup_nodes("") == []



def test_one_rule_on_many_elements_of_one_page_is_one_finding_with_the_count_and_first_selectors(peer):
    titled = [f for f in peer["doc"]["findings"] if f["rule"] == "link-title-same-as-text"
              and f["pages"] == [f["url"]] and f["url"].endswith("/titled.html")]
    assert len(titled) == 1, titled
    ev = titled[0]["evidence"]
    assert ev["count"] == 6 and len(ev["nodes"]) == 5 and ev["selector"] == ev["nodes"][0]["selector"]
    assert "6 處：" in titled[0]["message"] and ": 6 elements: " in titled[0]["message_en"]


def test_the_axe_notices_these_rules_decide_are_not_reported_twice(peer):
    notices = {(f["evidence"]["axe_rule"], p.rsplit("/", 1)[-1]) for f in peer["doc"]["findings"]
               if f["rule"] == "axe-needs-review" for p in f["pages"]}
    assert ("video-caption", "fail-video-no-captions.html") not in notices
    assert ("th-has-data-cells", "fail-table-only-th.html") not in notices


def test_layered_header_rows_without_scope_are_a_complex_table_and_aria_label_names_a_table(peer):
    assert "layered.html" in peer["found"]["table-complex-no-scope"]
    assert "layered.html" not in peer["found"].get("table-no-caption", set())


def test_an_animation_that_stops_within_five_seconds_is_not_flagged(peer):
    assert "brief.html" not in peer["found"].get("animated-gif", set())
    gif_finding = next(f for f in peer["doc"]["findings"] if f["rule"] == "animated-gif")
    assert gif_finding["evidence"]["nodes"][0]["detail"] == "2 frames, loops"


def test_the_source_of_a_big5_page_is_read_in_its_own_charset(peer):
    f = next(f for f in peer["doc"]["findings"] if f["rule"] == "markup-tag-mismatch" and f["url"].endswith("/big5.html"))
    assert "舊版公告內文</span>" in f["evidence"]["html"]


def test_the_same_link_in_consecutive_menu_items_and_undecodable_link_text_are_left_alone(peer):
    assert "menu.html" not in peer["found"].get("link-adjacent-same-target", set())
    assert "menu.html" not in peer["found"].get("link-text-punctuation", set())


def test_every_peer_rule_is_registered_and_its_codes_name_its_own_criterion_and_level():
    from siteaudit.checks.accessibility import CHECK

    for rule in PEER_IDS:
        assert rule in CHECK.rules and rule in a11y.OWN, rule
        for version, codes in a11y.codes(rule).items():
            for code in codes:
                assert [a11y.MODA["codes"][code]["sc"]] == a11y.criteria(rule), (rule, code)
                assert a11y.MODA["codes"][code]["level"] == a11y.level(rule), (rule, code)
                assert version in a11y.MODA["codes"][code]["versions"], (rule, code)
        for version in a11y.VERSIONS:  # no code: a written reason
            assert a11y.codes(rule)[version] or a11y.no_code_reason(rule, version), (rule, version)
    assert a11y.codes("table-no-caption") == {"115.11": [], "110.07": ["HM1130108E"]}
    assert a11y.criteria("markup-tag-mismatch") == [] and a11y.heading("markup-tag-mismatch", "115.11") == "無障礙最佳實務"


def test_the_same_small_print_of_the_template_on_several_pages_is_one_finding_listing_them(peer):
    footers = [f for f in peer["doc"]["findings"] if f["rule"] == "text-too-small"
               and {"footer-a.html", "footer-b.html"} & {p.rsplit("/", 1)[-1] for p in f["pages"]}]
    assert len(footers) == 1 and [p.rsplit("/", 1)[-1] for p in footers[0]["pages"]] == ["footer-a.html",
                                                                                          "footer-b.html"]
    assert footers[0]["url"] == footers[0]["pages"][0]
