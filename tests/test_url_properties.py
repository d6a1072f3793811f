"""Random and malformed hrefs never raise: the URL resolver, the crawl's link extraction and the links check.

A malformed href (an unbalanced bracket, a port out of range, a bad percent-escape, a control character, an
IDN, userinfo, an IPv6 literal) is one `invalid-href` finding on its page, and every other link is judged.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from siteaudit.checks.base import CheckContext, merged_options
from siteaudit.checks.links import CHECK as LINKS
from siteaudit.core.config import from_dict
from siteaudit.core.results import Status
from siteaudit.core.store import Store
from siteaudit.core.urls import UrlRules, authority_problem, port_is_invalid
from siteaudit.crawler.extract import extract, parse_html

BASE = "http://www.example.gov.tw/dir/page.html"
CONFIG = from_dict({"site": {"start_urls": ["http://www.example.gov.tw/"]}})

hosts = st.one_of(
    st.sampled_from(["www.example.gov.tw", "水利署.tw", "xn--", "host]", "[host", "[::1", "::1]", "[::1]",
                     "[fe80::1%25eth0]", "[v1.x]", "h%zz", "a..b", "-a.tw", "127.0.0.1", "999.1.1.1", "",
                     "[2001:db8::1]", "ex ample.tw", "ex\x00ample.tw", "例子.測試", "\u200b.tw"]),
    st.text(min_size=0, max_size=12),
)
ports = st.one_of(st.just(""), st.integers(-5, 100_000).map(lambda p: f":{p}"),
                  st.sampled_from([":", ":abc", ":0", ":65535", ":65536", ": 80"]))
userinfo = st.sampled_from(["", "u@", "u:p@", ":@", "a:b:c@", "@", "u%zz@"])
paths = st.one_of(
    st.sampled_from(["/", "/a%zz", "/%", "/a%2", "/%E5%B9%B4.pdf", "/a b", "/\x01\x7f", "/a\\b", "/../../x",
                     "/?q=%zz#frag", "/#", "/a?b=1&b=2#x y"]),
    st.text(max_size=16).map(lambda t: "/" + t),
)
structured = st.builds(lambda scheme, ui, host, port, path: f"{scheme}{ui}{host}{port}{path}",
                       st.sampled_from(["http://", "https://", "//", "HTTP://", "http:", "http:///", "ftp://",
                                        "javascript:", "mailto:", ""]), userinfo, hosts, ports, paths)
hrefs = st.one_of(structured, st.text(max_size=40))


@settings(max_examples=400, deadline=None)
@given(hrefs, st.sampled_from(["a", "img", "link", "script", "form", "iframe"]))
def test_the_resolver_never_raises_and_gives_only_well_formed_urls(href: str, element: str) -> None:
    resolved = UrlRules(CONFIG).resolve(BASE, href, element)
    if resolved.url is not None:
        assert authority_problem(resolved.url) is None, (href, resolved)
        assert urlsplit(resolved.url).scheme in ("http", "https")
    else:
        assert resolved.scope in ("invalid", "unchecked")


@settings(max_examples=150, deadline=None)
@given(st.lists(hrefs, min_size=1, max_size=8))
def test_link_extraction_keeps_every_href_and_never_raises(batch: list[str]) -> None:
    anchors = "".join(f'<a href="{escape(h)}">x</a>' for h in batch)
    doc = parse_html(f"<html><body>{anchors}<img src=\"{escape(batch[0])}\"></body></html>")
    data = extract(doc, BASE, UrlRules(CONFIG))
    assert len([link for link in data.links if link["element"] == "a"]) == len(doc.findall(".//a"))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(hrefs, min_size=1, max_size=10))
def test_the_links_check_makes_each_malformed_href_one_finding_and_judges_the_rest(
        tmp_path: Path, batch: list[str]) -> None:
    rules = UrlRules(CONFIG)
    anchors = "".join(f'<a href="{escape(h)}">x</a>' for h in batch) + '<a href="/ok.html">ok</a>'
    doc = parse_html(f"<html><body>{anchors}</body></html>")
    data = extract(doc, BASE, rules)
    with Store(tmp_path / "s.sqlite3") as store:
        run_id = store.create_run("fuzz", {}, "x", {})
        store.insert_page(run_id, {"url": BASE, "status": 200, "verdict": "ok", "is_html": 1}, data.links)
        store.insert_page(run_id, {"url": "http://www.example.gov.tw/ok.html", "status": 200, "verdict": "ok",
                                   "is_html": 1}, [])
        result = LINKS.run(CheckContext(store, run_id, CONFIG, merged_options(LINKS, CONFIG)))
    assert result.summary["status"] != Status.ERROR
    invalid = {f.url for f in result.findings if f.rule == "invalid-href"}
    for link in data.links:
        if link["scope"] == "invalid" and (link["raw"] or "").strip() not in ("", "#"):
            assert link["raw"] in invalid, (link, invalid)


def test_malformed_authorities_are_invalid_never_another_url() -> None:
    rules = UrlRules(CONFIG)
    for href in ("http://host]/", "http://[::1/x", "http://127.0.0.1:99999/", "http://127.0.0.1:0/", "http://h%zz/",
                 "http://[fe80::1%25eth0]/", "http://xn--/", "http://u:p@[::1]:0/", "http://:80/", "//host:-1/"):
        assert rules.resolve(BASE, href, "a").scope == "invalid", href
    for href, url in (("http://[2001:DB8::1]:8080/a", "http://[2001:db8::1]:8080/a"),
                      ("http://水利署.tw/", "http://xn--kcrt84djtn.tw/"), ("HTTP://Example.gov.tw:80", "http://example.gov.tw/")):
        assert rules.resolve(BASE, href, "a").url == url, href


plain_urls = st.builds(
    lambda scheme, host, port, path, query, fragment: f"{scheme}{host}{port}{path}{query}{fragment}",
    st.sampled_from(["http://", "https://"]),
    st.sampled_from(["www.example.gov.tw", "WWW.Example.GOV.tw", "127.0.0.1", "a..b", "-a.tw", "x", "h.tw."]),
    st.sampled_from(["", ":", ":80", ":443", ":0", ":8080", ":99999", ":abc"]),
    st.sampled_from(["", "/", "//x", "/a/./b/../c", "/a;jsessionid=1/b", "/doc.PDF", "/a;b", "/[x]", "/@"]),
    st.sampled_from(["", "?", "?a=1", "?sid=9&a=1", "?a=1?b", "??"]),
    st.sampled_from(["", "#", "#top", "#a?b", "##", "#a#"]),
)
SESSION_CONFIG = from_dict({"site": {"start_urls": ["http://www.example.gov.tw/"], "path_prefixes": ["/a/"]},
                            "crawl": {"session_params": ["sid"]}})


@settings(max_examples=300, deadline=None)
@given(plain_urls, st.sampled_from(["a", "img", "link", "form"]))
def test_plain_urls_take_a_shortcut_with_the_same_result_as_the_general_path(url: str, element: str) -> None:
    rules = UrlRules(SESSION_CONFIG)
    assert outcome(rules.canonical, url) == outcome(rules.canonical_general, url)
    resolved = rules.resolve(BASE, url, element)
    absolute = urljoin(BASE, url)
    general = outcome(rules.canonical_general, absolute)
    if resolved.url is not None:
        assert (resolved.url, resolved.fragment) == general
        assert resolved.scope == ("form" if element == "form" else rules.scope_of(resolved.url, element))
    else:
        assert port_is_invalid(absolute) or not isinstance(general, tuple) or authority_problem(general[0])


def outcome(call: Any, *args: Any) -> Any:
    """What `call` returns, or the type of the ValueError it raises."""
    try:
        return call(*args)
    except ValueError as exc:
        return type(exc)


segments = st.lists(st.sampled_from(["a", "b.html", ".", "..", "", "x-y_z~"]), max_size=6).map("/".join)


@settings(max_examples=300, deadline=None)
@given(segments, segments, st.booleans())
def test_plain_relative_and_root_relative_hrefs_resolve_as_urljoin_does(folder: str, href: str, rooted: bool) -> None:
    base = f"http://www.example.gov.tw/{folder}"
    href = "/" + href if rooted else href.lstrip("/")
    if not href or href.startswith("//"):
        return
    expected = UrlRules(CONFIG).canonical_general(urljoin(base, href))[0]
    assert UrlRules(CONFIG).resolve(base, href, "a").url == expected, (base, href)


def test_dot_segments_up_to_the_root_resolve_to_the_root() -> None:
    rules = UrlRules(CONFIG)
    for base, href in (("http://www.example.gov.tw/x.html", ".."), ("http://www.example.gov.tw/a/x.html", "../.."),
                       ("http://www.example.gov.tw/x.html", "."), ("http://www.example.gov.tw/a/x.html", "/")):
        assert rules.resolve(base, href, "a").url == "http://www.example.gov.tw/", (base, href)
