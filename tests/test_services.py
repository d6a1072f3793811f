"""Online services (貳、二(一)) and e-participation (貳、二(二)) on fixture sites served from 127.0.0.1: found from
links, judged by how they answered; a channel that could not be verified is never a pass, and no form is ever
submitted."""

from __future__ import annotations

from conftest import audit_fixture
from siteaudit.demo.server import send

PAGE = "<html lang='{lang}'><head><title>{title}</title></head><body><h1>{title}</h1>{body}</body></html>"
MAILBOX_FORM = ('<form action="/mail/send" method="post"><label>主旨<input name="subject"></label>'
                '<label>驗證碼<input name="captcha"></label><button type="submit">送出</button></form>')
CONTACT_FORM = ('<form action="/contact/send" method="post"><label>意見<input name="q"></label>'
                '<button type="submit">送出</button></form>')


def write(root, pages: dict[str, tuple[str, str]], lang: str = "zh-Hant") -> None:
    for name, (title, body) in pages.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(PAGE.format(lang="en" if name.startswith("en") else lang, title=title, body=body),
                        encoding="utf-8")


def items_and_rules(doc) -> tuple[dict, dict]:
    items = {i["id"]: i for i in doc["inspection"] if i["id"].startswith("services-")}
    rules = {f["rule"]: f for f in doc["findings"] if f["check"] == "services"}
    return items, rules


def login(handler) -> None:
    send(handler, 401, b"<html><body>login</body></html>", {"WWW-Authenticate": 'Basic realm="e-service"'})


def test_working_services_and_channels_pass_with_their_urls_and_no_form_is_submitted(serve, tmp_path):
    write(tmp_path, {
        "index.html": ("首頁", '<a href="/apply">線上申辦</a><a href="/pay.html">網路繳費</a>'
                              '<a href="/mail.html">處長信箱</a><a href="/survey.html">滿意度調查</a>'
                              '<a href="tel:1910">客服專線 1910</a><a href="/en/index.html">English</a>' + CONTACT_FORM),
        "pay.html": ("網路繳費", "<p>信用卡繳費。</p>"),
        "mail.html": ("處長信箱", MAILBOX_FORM),
        "survey.html": ("滿意度調查", "<p>問卷。</p>"),
        "en/index.html": ("Water Supply", "<p>English version.</p>"),
    })
    server = serve(tmp_path, {"/apply": login})
    _, doc = audit_fixture(tmp_path, server.base, "services,essentials",
                           extra=f'[checks.essentials]\nhttps_url = "{server.base}/"\n')
    items, rules = items_and_rules(doc)
    assert not rules, rules
    assert items["services-online"]["status"] == "pass", items
    assert items["services-online"]["evidence_urls"] == [f"{server.base}/apply", f"{server.base}/pay.html",
                                                         f"{server.base}/en/index.html"]
    assert items["services-online"]["regulation"] == "提升服務品質執行計畫 貳、二(一)"
    part = items["services-participation"]
    assert part["status"] == "pass" and part["measured_zh"].startswith("可用 3 類") and part["measured_en"].startswith(
        "3 working")
    assert part["evidence_urls"] == [f"{server.base}/mail.html", f"{server.base}/survey.html"]
    assert [r for r in server.requests if r[0] == "POST"] == []   # neither the mailbox nor the contact form


def test_missing_and_broken_services_and_a_dead_mailbox_fail_and_a_refusing_social_site_is_unverified(serve, tmp_path):
    social = serve(tmp_path / "social", {"/fanpage": lambda h: send(h, 403, b"forbidden")}, host="localhost")
    write(tmp_path, {"index.html": ("首頁", '<a href="/gone.html">線上申辦</a><a href="/box.html">民意信箱</a>'
                                            f'<a href="{social.base}/fanpage">粉絲專頁</a>')})
    server = serve(tmp_path)
    _, doc = audit_fixture(tmp_path, server.base, "services",
                           extra=f'[checks.services.channel_texts]\nsocial = ["{social.base}"]\n')
    items, rules = items_and_rules(doc)
    assert {"service-broken", "service-missing", "foreign-missing", "channel-broken", "channel-unverified",
            "channels-too-few"} <= set(rules), sorted(rules)
    assert rules["service-missing"]["message_en"] == "No link to this kind of online service: Online payment"
    assert rules["channel-broken"]["url"] == f"{server.base}/box.html"
    assert rules["channel-unverified"]["url"] == f"{social.base}/fanpage"
    assert items["services-online"]["status"] == "fail" and items["services-participation"]["status"] == "fail"
    assert "未能驗證：社群網站" in items["services-participation"]["measured_zh"]


def test_a_required_mailbox_that_could_only_be_found_unverified_is_never_a_pass(serve, tmp_path):
    other = serve(tmp_path / "other", {"/mail": lambda h: send(h, 429, b"slow down")}, host="localhost")
    write(tmp_path, {
        "index.html": ("首頁", '<a href="/a.html">線上申辦</a><a href="/p.html">網路繳費</a><a href="/en.html">EN</a>'
                              f'<a href="{other.base}/mail">首長信箱</a>'),
        "a.html": ("線上申辦", "x"), "p.html": ("網路繳費", "x"), "en.html": ("English", "x"),
    })
    server = serve(tmp_path)
    _, doc = audit_fixture(tmp_path, server.base, "services", extra="[checks.services]\nmin_channels = 1\n")
    items, rules = items_and_rules(doc)
    assert set(rules) == {"channel-unverified"}, rules
    assert items["services-online"]["status"] == "pass"
    assert items["services-participation"]["status"] == "incomplete"
    assert doc["summary"]["services"]["status"] == "incomplete" and doc["status"] != "pass"


def test_siteaudit_init_documents_every_services_and_opendata_key_and_their_plan_lines_read_in_english():
    from siteaudit.checks import REGISTRY
    from siteaudit.config_template import CONFIG_TEMPLATE
    from siteaudit.reports.regulations import regulation_en

    for name in ("services", "opendata"):
        block = CONFIG_TEMPLATE.split(f"[checks.{name}]", 1)[1].split("\n[", 1)[0]
        for key in REGISTRY[name].options:
            assert f"# {key} = " in block, (name, key)
        for rule in REGISTRY[name].rules.values():
            english = regulation_en(rule.regulation).replace("(提升服務品質執行計畫)", "")
            assert not any("\u4e00" <= ch <= "\u9fff" for ch in english + rule.en), rule.id
    assert regulation_en("提升服務品質執行計畫 貳、二(二)") == \
        "Service Quality Improvement Plan (提升服務品質執行計畫) section II, 2(2)"


def test_a_foreign_language_version_is_found_from_hreflang_alternates_and_links(serve, tmp_path):
    for name, markup in (("link", '<link rel="alternate" hreflang="en" href="/global/home.html">'),
                         ("anchor", '<a hreflang="en-US" href="/global/home.html">Welcome</a>')):
        root = tmp_path / name
        write(root, {
            "index.html": ("首頁", markup + '<link rel="alternate" hreflang="zh-Hant" href="/">'
                                  '<a href="/a.html">線上申辦</a><a href="/p.html">網路繳費</a>'),
            "a.html": ("線上申辦", "x"), "p.html": ("網路繳費", "x"),
            "global/home.html": ("Taipei Water", "<p>Water supply information.</p>"),   # lang zh-Hant: not read
        })
        server = serve(root)
        _, doc = audit_fixture(root, server.base, "services", extra="[checks.services]\nmin_channels = 0\n")
        items, rules = items_and_rules(doc)
        assert "foreign-missing" not in rules, (name, rules)
        online = doc["summary"]["services"]["online"]
        assert online["foreign"] == f"{server.base}/global/home.html" and online["foreign_by"] == "hreflang", name
        assert f"{server.base}/global/home.html" in items["services-online"]["evidence_urls"], name
