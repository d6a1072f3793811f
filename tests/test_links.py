"""The link check on a fixture site with one case per rule, plus HTTPS and always-429 servers."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

import pytest

from conftest import judged_clean, run_cli, write_config
from siteaudit.checks.links import bigrams, failure_words
from siteaudit.demo.server import redirect, send
from tlsutil import make_cert, server_context

PAGE = '<html><head><title>{title}</title></head><body><h1>{title}</h1>{body}</body></html>'


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def link_audit(tmp_path_factory):
    """Serve the fixture sites, audit the main one once, return findings by (rule, url)."""
    from siteaudit.demo.server import SiteServer

    tmp = tmp_path_factory.mktemp("links")
    main, alt, secure = tmp / "main", tmp / "alt", tmp / "secure"
    for folder in (main, alt, secure):
        folder.mkdir()
    good_cert, good_key = make_cert(tmp, "good", hostname="localhost")
    bad_cert, bad_key = make_cert(tmp, "bad", hostname="127.0.0.1", expired=True)
    servers = [
        SiteServer(alt, host="localhost"),
        SiteServer(secure, ssl_context=server_context(good_cert, good_key), host="localhost"),
        SiteServer(tmp / "main", ssl_context=server_context(bad_cert, bad_key)),
        SiteServer(tmp / "main", {"/": lambda h: send(h, 429, b"busy", {"Retry-After": "1"})}),
    ]
    alt_srv, secure_srv, bad_srv, busy_srv = servers
    (alt / "x.html").write_text(PAGE.format(title="外部頁面", body="ok"), encoding="utf-8")
    (secure / "secure.html").write_text(PAGE.format(title="安全頁面", body="ok"), encoding="utf-8")
    (main / "ok.html").write_text(PAGE.format(title="正常頁面", body='<p id="present">有錨點</p><p id="a|b">直線</p>'),
                                  encoding="utf-8")
    (main / "base.html").write_text('<html><head><title>基底頁</title><base href="/deep/"></head><body>'
                                    '<a href="C.html">基底連結</a></body></html>', encoding="utf-8")
    (main / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n0000")
    insecure_http = f"http://localhost:{alt_srv.port}/x.html"
    links = {
        "ok.html": "正常頁面",
        "ok.html#present": "正常頁面錨點",
        "missing.html": "不存在的頁面",
        "/gone": "已移除頁面",
        "/error500": "伺服器錯誤頁",
        f"http://127.0.0.1:{closed_port()}/": "拒絕連線網站",
        "http://nohost.invalid/": "不存在網站",
        "/slow": "很慢的頁面",
        f"{bad_srv.base}/": "過期憑證網站",
        f"{busy_srv.base}/": "流量限制網站",
        "/private": "會員專區",
        "/waf": "防火牆頁面",
        "/loop1": "迴圈頁面",
        "/r1": "多次轉址頁面",
        "/moved": "搬家頁面",
        "/to-https": "安全頁面",
        "/other-host": "外部頁面",
        f"{secure_srv.base}/secure.html": "安全頁面",
        insecure_http: "外部頁面",
        "ok.html#absent": "正常頁面不存在錨點",
        "": "空白連結", "#": "井字號", "javascript:void(0)": "腳本連結", "bad page.html": "有空白的網址",
        "foo:bar": "未知協定", "mailto:someone@@example": "錯誤信箱", "tel:call-me": "錯誤電話",
        "mailto:service@example.gov.tw": "正確信箱", "tel:+886-2-2345-6789": "正確電話",
        "http://": "空主機網址", "ok.html#a|b": "正常頁面直線錨點", "base.html": "基底頁",
        "%E5%B9%B4%E5%BA%A6%E9%A0%90%E7%AE%97.pdf": "年度預算（PDF）",
    }
    body = "".join(f'<a href="{href}">{text}</a>\n' for href, text in links.items())
    body += '<a href="ok.html">完全無關的文字</a><a href="ok.html">請按此</a><img src="nope.png" alt="不見的圖">'
    body += '<img src="logo.png" alt="標誌">'
    (main / "index.html").write_text(PAGE.format(title="測試首頁", body=body), encoding="utf-8")
    routes = {
        "/gone": lambda h: send(h, 410, b"gone"),
        "/error500": lambda h: send(h, 500, b"oops"),
        "/slow": lambda h: (time.sleep(3), send(h, 200, b"late")),
        "/private": lambda h: send(h, 401, b"login", {"WWW-Authenticate": "Basic"}),
        "/waf": lambda h: send(h, 403, b"<html><script src='/cdn-cgi/challenge-platform/x.js'></script></html>"),
        "/loop1": redirect("/loop2", 302), "/loop2": redirect("/loop1", 302),
        "/r1": redirect("/r2", 302), "/r2": redirect("/r3", 302), "/r3": redirect("/r4", 302),
        "/r4": redirect("/ok.html", 302),
        "/moved": redirect("/ok.html", 301),
        "/to-https": redirect(f"{secure_srv.base}/secure.html", 302),
        "/other-host": redirect(insecure_http, 302),
    }
    site = SiteServer(main, routes)
    servers.append(site)
    for s in servers:
        s.start()
    try:
        store = tmp / "s.sqlite3"
        cfg = write_config(tmp / "c.toml", site.base, store,
                           crawl={"retries": 1, "download_timeout": 1, "max_retry_after": 5, "sitemaps": False},
                           extra="[checks.links]\nmax_redirects = 2\n")
        started = time.monotonic()
        result = run_cli("audit", "--config", str(cfg), "--checks", "links", "--out", str(tmp / "out"),
                         env={"SSL_CERT_FILE": str(good_cert)})
        elapsed = time.monotonic() - started
        doc = json.loads((tmp / "out" / "findings.json").read_text(encoding="utf-8"))
    finally:
        for s in servers:
            s.stop()
    by_url: dict[str, set[str]] = {}
    for f in doc["findings"]:
        by_url.setdefault(f["url"].replace(site.base, ""), set()).add(f["rule"])
    return {"result": result, "doc": doc, "by_url": by_url, "base": site.base, "bad": bad_srv.base,
            "busy": busy_srv.base, "secure": secure_srv.base, "insecure": insecure_http, "elapsed": elapsed,
            "busy_requests": busy_srv.requests}


EXPECTED = {
    "/missing.html": "broken-link", "/gone": "broken-link", "/error500": "broken-link",
    "http://nohost.invalid/": "broken-link", "/slow": "broken-link", "/nope.png": "broken-resource",
    "/private": "could-not-verify", "/waf": "could-not-verify",
    "/loop1": "redirect-loop", "/r1": "redirect-chain-too-long", "/moved": "permanent-redirect",
    "/to-https": "redirect-other-host", "/other-host": "redirect-other-host",
    "/ok.html#absent": "missing-fragment",
    "": "invalid-href", "#": "invalid-href", "javascript:void(0)": "invalid-href", "foo:bar": "invalid-href",
    "mailto:someone@@example": "invalid-href", "tel:call-me": "invalid-href",
    "bad page.html": "invalid-href", "/bad%20page.html": "broken-link", "http://": "invalid-href",
}


@pytest.mark.parametrize("url,rule", sorted(EXPECTED.items()))
def test_each_case_is_reported_with_its_rule(link_audit, url, rule):
    assert rule in link_audit["by_url"].get(url, set()), (url, link_audit["by_url"].get(url))


def test_connection_refused_dns_and_timeout_have_their_own_reasons(link_audit):
    reasons = {f["url"]: f["evidence"].get("error") for f in link_audit["doc"]["findings"]
               if f["rule"] == "broken-link"}
    assert reasons["http://nohost.invalid/"] == "dns"
    assert "refused" in [v for k, v in reasons.items() if k.startswith("http://127.0.0.1:") and
                         k.endswith("/") and not k.startswith(link_audit["base"])]
    assert reasons[link_audit["base"] + "/slow"] == "timeout"


def test_expired_self_signed_certificate_is_a_tls_failure(link_audit):
    f = next(f for f in link_audit["doc"]["findings"] if f["url"] == link_audit["bad"] + "/")
    assert f["rule"] == "broken-link" and f["evidence"]["error"] == "tls"


def test_a_dns_failure_reads_in_plain_words_with_the_raw_text_in_the_evidence(link_audit):
    f = next(f for f in link_audit["doc"]["findings"] if f["url"] == "http://nohost.invalid/")
    assert f["message"] == "連結失效：找不到主機（DNS 查詢失敗）"
    assert f["message_en"] == "Broken link: host not found (DNS lookup failed)"
    assert f["evidence"]["detail"] == "DNS lookup failed (host not found)"


def test_a_certificate_failure_reads_in_plain_words_with_the_raw_text_in_the_evidence(link_audit):
    f = next(f for f in link_audit["doc"]["findings"] if f["url"] == link_audit["bad"] + "/")
    # Twisted's handshake says only that verification failed: the generic words, the raw text kept apart
    assert f["message"] == "連結失效：TLS/SSL 憑證錯誤" and f["message_en"] == "Broken link: TLS/SSL certificate error"
    assert f["evidence"]["detail"] == "certificate verification failed"


@pytest.mark.parametrize(("raw", "zh", "en"), [
    ("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: certificate has expired (_ssl.c:1000)",
     "TLS 憑證錯誤（已過期）", "TLS certificate error (expired)"),
    ("certificate verify failed: self-signed certificate", "TLS 憑證錯誤（自簽）", "TLS certificate error (self-signed)"),
    ("certificate verify failed: Hostname mismatch, certificate is not valid for 'x'", "TLS 憑證錯誤（主機名稱不符）",
     "TLS certificate error (host name mismatch)"),
    ("certificate does not match the host name", "TLS 憑證錯誤（主機名稱不符）", "TLS certificate error (host name mismatch)"),
    ("TLS handshake failed", "TLS/SSL 憑證錯誤", "TLS/SSL certificate error"),
])
def test_a_recognisable_certificate_problem_is_named(raw, zh, en):
    assert failure_words("tls", raw) == (zh, en)


def test_always_429_is_could_not_verify_after_retrying(link_audit):
    assert link_audit["by_url"][link_audit["busy"] + "/"] == {"could-not-verify"}
    gets = [p for _, p in link_audit["busy_requests"] if p == "/"]
    assert len(gets) >= 2  # retried after Retry-After before giving up


def test_no_valid_link_is_flagged(link_audit):
    by_url = link_audit["by_url"]
    for url in ("/ok.html", "/ok.html#present", link_audit["secure"] + "/secure.html", "/logo.png",
                "mailto:service@example.gov.tw", "tel:+886-2-2345-6789"):
        assert not (by_url.get(url, set()) - {"title-mismatch"}), (url, by_url.get(url))


def test_http_link_to_a_host_that_serves_https_is_insecure(link_audit):
    assert "insecure-link" in link_audit["by_url"][link_audit["insecure"]]


def test_link_text_rules_leave_vague_text_to_the_accessibility_check(link_audit):
    ok = link_audit["by_url"]["/ok.html"]
    assert ok == {"title-mismatch"}  # 請按此 is vague-link-text (accessibility), never a title mismatch here
    f = next(f for f in link_audit["doc"]["findings"] if f["rule"] == "title-mismatch")
    assert [r["text"] for r in f["evidence"]["referrers"]] == ["完全無關的文字"]


def test_summary_counts_rules_and_fails_on_errors(link_audit):
    summary = link_audit["doc"]["summary"]["links"]
    assert summary["status"] == "fail" and link_audit["result"].returncode == 1
    assert summary["could_not_verify"] == 3
    assert summary["broken"] == sum(1 for f in link_audit["doc"]["findings"]
                                    if f["rule"] in ("broken-link", "broken-resource"))


def test_one_finding_per_target_lists_every_referrer(serve, tmp_path):
    for i in range(30):
        (tmp_path / f"p{i}.html").write_text(PAGE.format(title=f"頁{i}", body='<a href="/dead.html">頁尾連結</a>'
                                                         + "".join(f'<a href="p{j}.html">頁{j}</a>' for j in range(30))),
                                             encoding="utf-8")
    (tmp_path / "index.html").write_text(PAGE.format(title="首頁", body='<a href="p0.html">頁0</a>'), encoding="utf-8")
    server = serve(tmp_path)
    cfg = write_config(tmp_path / "c.toml", server.base, tmp_path / "s.sqlite3", crawl={"sitemaps": False})
    result = run_cli("audit", "--config", str(cfg), "--checks", "links", "--out", str(tmp_path / "out"))
    assert result.returncode == 1
    doc = json.loads((tmp_path / "out" / "findings.json").read_text(encoding="utf-8"))
    dead = [f for f in doc["findings"] if f["url"].endswith("/dead.html")]
    assert len(dead) == 1 and len(dead[0]["pages"]) == 30
    assert {r["text"] for r in dead[0]["evidence"]["referrers"]} == {"頁尾連結"}


def test_bigrams_compare_chinese_titles():
    assert bigrams("水費查詢") & bigrams("查詢水費的方式")
    assert not bigrams("颱風停班") & bigrams("水費查詢")
    assert bigrams("Water bills") & bigrams("water BILLS online")


def test_ignore_and_accepted_codes_options(serve, tmp_path: Path):
    (tmp_path / "index.html").write_text(PAGE.format(title="首頁", body='<a href="/a.html">甲</a><a href="/b">乙</a>'),
                                         encoding="utf-8")
    server = serve(tmp_path, {"/b": lambda h: send(h, 404, b"no")})
    cfg = write_config(tmp_path / "c.toml", server.base, tmp_path / "s.sqlite3", crawl={"sitemaps": False},
                       extra='[checks.links]\nignore = ["/a\\\\.html$"]\n'
                             f'accepted_codes = {{ "127.0.0.1:{server.port}" = [404] }}\n')
    result = run_cli("audit", "--config", str(cfg), "--checks", "links", "--out", str(tmp_path / "out"))
    judged_clean(result)


def test_external_results_are_cached_between_runs_within_the_ttl(serve, tmp_path):
    ext_root = tmp_path / "ext"
    ext_root.mkdir()
    (ext_root / "ok.html").write_text(PAGE.format(title="外部", body="ok"), encoding="utf-8")
    external = serve(ext_root, host="localhost")
    site_root = tmp_path / "site"
    site_root.mkdir()
    (site_root / "index.html").write_text(PAGE.format(title="首頁", body=f'<a href="{external.base}/ok.html">外部</a>'
                                                      f'<a href="{external.base}/gone.html">外部舊頁</a>'), encoding="utf-8")
    site = serve(site_root)
    store = tmp_path / "s.sqlite3"
    cached = write_config(tmp_path / "a.toml", site.base, store, crawl={"sitemaps": False})
    fresh = write_config(tmp_path / "b.toml", site.base, store, crawl={"sitemaps": False, "external_cache_hours": 0})
    runs = []
    for cfg in (cached, cached, fresh):
        run_cli("audit", "--config", str(cfg), "--checks", "links", "--out", str(tmp_path / f"o{len(runs)}"))
        runs.append(len(external.requests))
        doc = json.loads((tmp_path / f"o{len(runs) - 1}" / "findings.json").read_text(encoding="utf-8"))
        assert [f["url"].rsplit("/", 1)[-1] for f in doc["findings"] if f["rule"] == "broken-link"] == ["gone.html"]
    assert runs[0] > 0 and runs[1] == runs[0] and runs[2] > runs[1]


def test_a_pipe_in_a_fragment_is_a_valid_link_as_browsers_parse_it(link_audit):
    assert "ok.html#a|b" not in link_audit["by_url"]
    assert not {"/ok.html#a|b", "/ok.html#a%7Cb"} & set(link_audit["by_url"])


def test_a_broken_link_shows_the_href_the_page_wrote_beside_the_resolved_url(link_audit):
    base = link_audit["base"]
    through_base = next(f for f in link_audit["doc"]["findings"] if f["url"] == base + "/deep/C.html")
    assert through_base["rule"] == "broken-link"
    assert through_base["evidence"]["referrers"] == [{"page": base + "/base.html", "text": "基底連結", "element": "a",
                                                      "href": "C.html"}]


def test_a_percent_encoded_chinese_file_name_is_shown_decoded(link_audit):
    pdf = next(f for f in link_audit["doc"]["findings"] if "%E5%B9%B4" in f["url"])
    assert pdf["evidence"]["file_name"] == "年度預算.pdf" and "年度預算.pdf" in pdf["message"]


ONLY_CONTACT = """
[checks.disclosure]
today = "2026-11-26"
[[checks.disclosure.items]]
id = "contact"
name = "聯絡資訊"
category = "3"
texts = ["聯絡我們"]
[checks.essentials]
network = false
[checks.essentials.elements]
sitemap = "off"
privacy = "off"
security = "off"
open-data = "off"
faq = "off"
whitepaper = "off"
accessibility = "off"
"""


def dns_audit(serve, tmp_path: Path, external: dict[str, str]) -> tuple[dict, dict]:
    """Audit (links, essentials, disclosure) a site on 127.0.0.1 whose home page links to `external` ({href:
    text}) and to one page of its own; return findings.json and the findings by URL."""
    body = "".join(f'<a href="{href}">{text}</a>' for href, text in external.items()) + '<a href="ok.html">正常頁面</a>'
    (tmp_path / "index.html").write_text(PAGE.format(title="首頁", body=body), encoding="utf-8")
    (tmp_path / "ok.html").write_text(PAGE.format(title="正常頁面", body="ok"), encoding="utf-8")
    site = serve(tmp_path)
    cfg = write_config(tmp_path / "c.toml", site.base, tmp_path / "s.sqlite3", crawl={"sitemaps": False},
                       extra=ONLY_CONTACT)
    result = run_cli("audit", "--config", str(cfg), "--checks", "links,essentials,disclosure",
                     "--out", str(tmp_path / "out"))
    doc = json.loads((tmp_path / "out" / "findings.json").read_text(encoding="utf-8"))
    by_url: dict[str, set[str]] = {}
    for f in doc["findings"]:
        by_url.setdefault(f["url"], set()).add(f["rule"])
    return {"result": result, "doc": doc}, by_url


def test_when_no_external_host_resolves_the_machine_has_no_dns_and_those_links_are_not_verified_not_broken(
        serve, tmp_path):
    external = {"http://www.gone-a.invalid/": "甲網站", "https://gone-b.invalid/x.pdf": "乙文件",
                "http://gone-c.invalid/contact": "聯絡我們"}
    run, by_url = dns_audit(serve, tmp_path, external)
    doc = run["doc"]
    errors = [f for f in doc["findings"] if f["severity"] == "error"]
    assert errors == [], errors  # neither links, essentials (contact element) nor disclosure (contact item)
    for url in external:
        assert {f["rule"] for f in doc["findings"] if f["url"] == url and f["check"] == "links"} == {"unresolved-host"}
    assert by_url["http://gone-c.invalid/contact"] == {"unresolved-host", "element-unresolved", "item-unresolved"}
    notices = [f for f in doc["findings"] if f["rule"] == "no-dns-resolver"]
    assert len(notices) == 1 and notices[0]["severity"] == "notice"
    assert notices[0]["evidence"]["hosts"] == ["gone-b.invalid", "gone-c.invalid", "www.gone-a.invalid"]
    assert "DNS" in notices[0]["message_en"] and "DNS" in notices[0]["message"]
    links = doc["summary"]["links"]
    assert links["status"] == "incomplete" and links["broken"] == 0 and links["unresolved"] == 3
    assert links["targets_checked"] == 1  # ok.html; the three unresolved URLs were not checked
    items = {i["id"]: i["status"] for i in doc["inspection"]}
    assert items["links"] == "incomplete"          # never 通過 on links nobody could check
    assert items["essentials"] == "incomplete"     # the contact element links only to an unresolved host
    assert items["disclosure"] == "incomplete"     # so does the contact item
    assert "DNS" in run["result"].stderr
    en = run_cli("report", "latest", "--store", str(tmp_path / "s.sqlite3"), "--out", str(tmp_path / "en"), "--lang", "en",
                 "--format", "html")
    assert en.returncode == 0, en.stderr
    html = (tmp_path / "en" / "report.html").read_text(encoding="utf-8")
    assert "Not checked (no DNS)" in html and "no working DNS" in html
    for zh in ("稽核主機", "未能驗證", "無 DNS"):  # the tool's own Chinese for this case stays out of English
        assert zh not in html


def test_one_dead_host_among_resolvable_ones_stays_a_broken_link(serve, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    (other / "x.html").write_text(PAGE.format(title="外部頁面", body="ok"), encoding="utf-8")
    resolvable = serve(other, host="localhost")
    site = tmp_path / "site"
    site.mkdir()
    run, by_url = dns_audit(serve, site, {f"{resolvable.base}/x.html": "外部頁面", "http://dead.invalid/": "舊網站"})
    assert by_url["http://dead.invalid/"] == {"broken-link"}
    assert not [f for f in run["doc"]["findings"] if f["rule"] in ("no-dns-resolver", "unresolved-host")]
    assert run["doc"]["summary"]["links"]["status"] == "fail"


def test_a_lone_dead_host_stays_broken_and_a_failed_control_lookup_means_no_resolver():
    from siteaudit.crawler.resolver import Resolver, lookup
    assert not Resolver(["dead.invalid"]).no_resolver                    # one name: a dead host, as before
    assert Resolver(["a.invalid", "b.invalid"]).no_resolver              # every external name failed
    assert not Resolver(["a.invalid", "b.invalid"], resolved_hosts=1).no_resolver
    assert Resolver(["dead.invalid"], 3, "www.site.invalid", control_ok=False).no_resolver
    assert not Resolver([], 0, "www.site.invalid", control_ok=False).no_resolver  # nothing failed: nothing to mark
    assert lookup("localhost") and not lookup("control.invalid", timeout=5)
