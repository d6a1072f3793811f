"""Site essentials (required pages, search, HTTPS) and freshness on fixture sites served from 127.0.0.1."""

from __future__ import annotations

import json
from datetime import date, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from conftest import NOW, TODAY, as_of, run_cli, write_config
from siteaudit.checks.freshness import displayed_date
from siteaudit.demo.server import send, set_file_times
from tlsutil import make_cert, server_context

FOOTER = """<footer><p>地址：220 新北市板橋區示範路1號　電話：(02)2345-6789　傳真：(02)2345-6790
電子郵件：<a href="mailto:service@example.gov.tw">service@example.gov.tw</a></p>
<a href="/contact.html">聯絡我們</a> <a href="/sitemap.html">網站導覽</a> <a href="/security.html">資訊安全政策</a>
<a href="/open-data.html">政府網站資料開放宣告</a> <a href="/faq.html">常見問答</a> <a href="/a11y.html">無障礙聲明</a>
<a href="/search-help.html">搜尋說明</a></footer>"""


def page(title: str, body: str = "", stamp: str | None = "更新日期：115年11月1日") -> str:
    shown = f"<p>{stamp}</p>" if stamp else ""
    return f'<html lang="zh-Hant"><head><title>{title}</title></head><body><h1>{title}</h1>{body}{shown}{FOOTER}</body></html>'


def search_ok(handler):
    q = parse_qs(urlsplit(handler.path).query).get("q", [""])[0]
    if "水" in q:
        send(handler, 200, page(f"搜尋 {q}", '<ul><li><a href="/water.html">用水申請</a></li></ul>').encode())
    else:
        send(handler, 200, page("搜尋", "<p>查無資料，建議改用其他關鍵字。</p>").encode())


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    from siteaudit.demo.server import SiteServer

    root = tmp_path_factory.mktemp("essentials")
    announce_day = TODAY - timedelta(days=5)
    pages = {
        "contact.html": page("聯絡資訊", "<p>歡迎來信</p>"),
        "sitemap.html": page("網站導覽"), "security.html": page("資訊安全政策"), "open-data.html": page("資料開放"),
        "faq.html": page("常見問答"), "a11y.html": page("無障礙聲明"), "search-help.html": page("搜尋說明"),
        "water.html": page("用水申請"),
        "roc.html": page("民國日期", stamp="更新日期：115/10/20"),
        "ad.html": page("西元日期", stamp="最後更新 2026-09-30 14:00"),
        "stale.html": page("舊頁", stamp="更新日期：112年1月5日"),
        "nodate.html": page("沒有日期", stamp=None),
        "future.html": page("未來", stamp="發布日期：125年3月1日"),
        "notice.html": page("停水公告", stamp="發布日期：115年11月20日"),
        "clock.html": page("伺服器時鐘錯誤", stamp=None),
        # 更新 inside a sentence is a word, not an update label: the page's date is its 發布日期
        "works.html": page("加壓站工程", "<p>預定於115年12月6日停水，因辦理加壓站設備更新，請預先儲水。</p>",
                           stamp="發布日期：115年11月20日"),
    }
    for name, html in pages.items():
        (root / name).write_text(html, encoding="utf-8")
    set_file_times(root, NOW - timedelta(days=3))
    # 00:30 in Taipei: still the day before in UTC; the page is dated by its Taipei day
    set_file_times(root / "nodate.html", NOW - timedelta(days=200, hours=11, minutes=30))
    set_file_times(root / "clock.html", NOW + timedelta(days=40))  # a server clock or file copy gone wrong
    links = "".join(f'<a href="/{n}">{n}</a> ' for n in ("roc.html", "ad.html", "stale.html", "nodate.html",
                                                           "future.html", "water.html", "clock.html", "works.html"))
    links += f'<a href="/notice.html">停水公告（{announce_day.year - 1911}年{announce_day.month}月{announce_day.day}日）</a>'
    form = '<form action="/search" method="get" role="search"><label for="q">搜尋</label><input id="q" name="q"></form>'
    (root / "index.html").write_text(page("首頁", form + links), encoding="utf-8")
    set_file_times(root / "index.html", NOW - timedelta(days=3))
    good_cert, good_key = make_cert(root, "good", hostname="good.test", days_left=200)
    soon_cert, soon_key = make_cert(root, "soon", hostname="soon.test", days_left=10)
    bundle = root / "bundle.pem"
    bundle.write_text(good_cert.read_text() + soon_cert.read_text())
    servers = {
        "plain": SiteServer(root, {"/search": search_ok}),
        "broken": SiteServer(root, {"/search": lambda h: send(h, 500, b"oops")}),
        "tls": SiteServer(root, ssl_context=server_context(good_cert, good_key)),
        "soon": SiteServer(root, ssl_context=server_context(soon_cert, soon_key)),
    }
    for s in servers.values():
        s.start()
    yield root, servers, bundle
    for s in servers.values():
        s.stop()


def audit(root, servers, bundle, name: str, https: str, tmp_path, checks: str = "essentials,freshness"):
    base = servers[name].base
    cfg = write_config(tmp_path / f"{name}.toml", base, tmp_path / f"{name}.sqlite3", crawl={"sitemaps": False},
                       extra=f'[checks.essentials]\nhttps_url = "{servers[https].base}/"\nca_file = "{bundle}"\n'
                             + as_of("freshness"))
    result = run_cli("audit", "--config", str(cfg), "--checks", checks, "--out", str(tmp_path / f"out-{name}"))
    doc = json.loads((tmp_path / f"out-{name}" / "findings.json").read_text(encoding="utf-8"))
    rules: dict[str, set[str]] = {}
    for f in doc["findings"]:
        rules.setdefault(f["rule"], set()).add(f["url"].rsplit("/", 1)[-1] if f["url"] else "")
    return result, doc, rules


def test_required_pages_contact_details_search_and_https(site, tmp_path):
    root, servers, bundle = site
    result, doc, rules = audit(root, servers, bundle, "plain", "tls", tmp_path, "essentials")
    summary = doc["summary"]["essentials"]
    assert "privacy" not in summary["elements_found"] and "sitemap" in summary["elements_found"]
    assert {f["evidence"].get("element") for f in doc["findings"] if f["rule"] == "element-missing"} == {"privacy"}
    assert summary["contact"]["address"] and summary["contact"]["phone"] and summary["contact"]["fax"]
    assert summary["contact"]["email"] and "contact-details-missing" not in rules
    assert summary["search"]["form"] and summary["search"]["query_status"] == 200
    assert not {"search-missing", "search-broken", "search-no-results", "search-no-help",
                "search-help-missing"} & set(rules)
    https = summary["https"]
    assert https["https"] and 190 <= https["cert_days_left"] <= 200
    assert "http-not-redirected" in rules and "hsts-missing" in rules
    assert "certificate-invalid" not in rules and "certificate-expiring" not in rules
    assert result.returncode == 1  # the privacy policy is missing


def test_a_broken_search_and_an_expiring_certificate(site, tmp_path):
    root, servers, bundle = site
    _, doc, rules = audit(root, servers, bundle, "broken", "soon", tmp_path, "essentials")
    assert "search-broken" in rules and "certificate-expiring" in rules


def test_freshness_reads_roc_and_ad_update_dates_and_flags_stale_future_and_undated_pages(site, tmp_path,
                                                                                          machine_zone):
    root, servers, bundle = site
    _, doc, rules = audit(root, servers, bundle, "plain", "tls", tmp_path, "freshness")
    assert rules["stale-page"] == {"stale.html"}
    assert rules["future-date"] == {"future.html"}  # what the page shows, never its Last-Modified header
    undated = next(f for f in doc["findings"] if f["rule"] == "no-displayed-date")
    assert [p.rsplit("/", 1)[-1] for p in undated["pages"]] == ["clock.html", "nodate.html"]
    assert rules["expired-announcement"] == {"notice.html"}
    summary = doc["summary"]["freshness"]
    assert summary["stalest"][0]["url"].endswith("/stale.html") and summary["status"] == "fail"
    dates = {r["url"].rsplit("/", 1)[-1]: r for r in summary["stalest"]}
    assert dates["roc.html"]["date"] == "2026-10-20" and dates["ad.html"]["date"] == "2026-09-30"
    # the undated page is still judged, by its Last-Modified header
    assert dates["nodate.html"]["source"] == "Last-Modified" and dates["nodate.html"]["date"] == (TODAY - timedelta(days=200)).isoformat()
    assert summary["pages_dated"] == 16 and summary["pages_without_displayed_date"] == 2
    # the figures add up to the pages audited: shown date, server date only (nodate.html), none (clock.html)
    assert (summary["pages_showing_date"], summary["pages_dated_by_server"], summary["pages_undated"]) == (15, 1, 1)
    assert summary["pages_audited"] == 17 == sum(summary[k] for k in ("pages_showing_date", "pages_dated_by_server",
                                                                      "pages_undated"))


def test_a_last_modified_after_the_audit_day_is_a_server_clock_notice_not_a_displayed_future_date(site, tmp_path,
                                                                                                  machine_zone):
    root, servers, bundle = site
    _, doc, rules = audit(root, servers, bundle, "plain", "tls", tmp_path, "freshness")
    assert rules["future-last-modified"] == {"clock.html"}
    clock = next(f for f in doc["findings"] if f["rule"] == "future-last-modified")
    assert clock["severity"] == "notice" and "2027" in clock["evidence"]["last_modified"]
    assert "clock.html" not in {r["url"].rsplit("/", 1)[-1] for r in doc["summary"]["freshness"]["stalest"]}


@pytest.mark.parametrize("stamp, shown", [
    ("更新日期：115年11月1日", date(2026, 11, 1)),
    ("發布單位：工務課｜最後更新 2026-09-30 14:00", date(2026, 9, 30)),
    ("資料更新:115.10.20", date(2026, 10, 20)),
    ("上版日期 1151002", date(2026, 10, 2)),
    ("預定於115年12月6日停水，因辦理加壓站設備更新，請預先儲水。", None),
    ("本頁更新日期另行公告", None),
    ("設備更新日期115年12月6日", None),
    ("更新日期：請洽承辦人", None),
])
def test_an_update_label_counts_only_as_a_label_followed_by_a_date(stamp, shown):
    got = displayed_date([stamp])
    assert (got[0] if got else None) == shown


def test_an_update_label_wins_over_a_publish_label():
    got = displayed_date(["發布日期：115年1月2日", "更新日期：115年3月4日"])
    assert got is not None and got[0] == date(2026, 3, 4)


def test_elements_count_from_the_site_map_or_one_hop_and_search_help_from_a_heading(serve, tmp_path):
    simple = lambda title, body="": (f'<html lang="zh-Hant"><head><title>{title}</title></head><body><h1>{title}</h1>'  # noqa: E731
                                     f'{body}</body></html>')
    mark = ('<a href="https://accessibility.moda.gov.tw/Applications/Detail?category=20261126" title="無障礙網站">'
            '<img src="https://accessibility.moda.gov.tw/Content/images/mark.png" alt="通過AA檢測等級無障礙網頁檢測"></a>')
    pages = {
        "index.html": simple("首頁", '<a href="/sitemap.html">網站導覽</a><a href="/open.html">主動公開資訊</a>'
                                     f'<a href="/guide.html">網站使用說明</a>{mark}'),
        "sitemap.html": simple("網站導覽", '<a href="/services.html">便民服務</a>'),
        "services.html": simple("便民服務", '<a href="/faq.html">常見問答</a>'),  # one hop from the site map
        "open.html": simple("主動公開資訊", '<a href="/whitepaper.html">為民服務白皮書</a><a href="/deeper.html">更多</a>'),
        "deeper.html": simple("更多", '<a href="/privacy.html">隱私權政策</a>'),  # two hops from home: not counted
        "guide.html": simple("網站使用說明", "<h2>操作說明</h2><p>…</p><h2>檢索說明</h2><p>輸入關鍵字…</p>"),
        "faq.html": simple("常見問答"), "whitepaper.html": simple("為民服務白皮書"), "privacy.html": simple("隱私權政策"),
    }
    for name, html in pages.items():
        (tmp_path / name).write_text(html, encoding="utf-8")
    server = serve(tmp_path)
    cfg = write_config(tmp_path / "c.toml", server.base, tmp_path / "s.sqlite3", crawl={"sitemaps": False},
                       site={"exclude": ["^https://accessibility"]},
                       extra=f'[checks.essentials]\nhttps_url = "{server.base}/"\n')
    run_cli("audit", "--config", str(cfg), "--checks", "essentials", "--out", str(tmp_path / "out"))
    doc = json.loads((tmp_path / "out" / "findings.json").read_text(encoding="utf-8"))
    summary = doc["summary"]["essentials"]
    found, found_on = summary["elements_found"], summary["elements_found_on"]
    assert found_on["faq"] == server.base + "/services.html"
    assert found_on["whitepaper"] == server.base + "/open.html"
    assert found["accessibility"].startswith("https://accessibility.moda.gov.tw/Applications/Detail")
    assert summary["search_help_on"] == server.base + "/guide.html"
    missing = {f["evidence"]["element"] for f in doc["findings"] if f["rule"] == "element-missing"}
    assert "privacy" in missing and "faq" not in missing
    assert not any(f["rule"] == "search-help-missing" for f in doc["findings"])
