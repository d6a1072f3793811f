"""Site search is judged only on a real answer: a form that cannot search (empty action, only script-driven
buttons) is "could not be tried", with the reason, never a "no results" page and never a pass."""

from __future__ import annotations

import io
import json
import zipfile
from html import escape
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

from warcio.archiveiterator import ArchiveIterator

from conftest import run_cli, write_config
from siteaudit.demo.server import send


def _page(title: str, body: str) -> str:
    return f'<html lang="zh-Hant"><head><title>{title}</title></head><body><h1>{title}</h1>{body}</body></html>'


def rendered_records(wacz: Path) -> dict[str, bytes]:
    """The resource records of a run's WACZ that keep a page's DOM as Chromium left it: URI -> payload."""
    out = {}
    with zipfile.ZipFile(wacz) as archive:
        for name in archive.namelist():
            if name.startswith("archive/"):
                for record in ArchiveIterator(io.BytesIO(archive.read(name))):
                    if record.rec_type == "resource" and record.rec_headers.get_header("Content-Type", "").startswith(
                            "text/html"):
                        out[record.rec_headers.get_header("WARC-Target-URI")] = record.content_stream().read()
    return out


def _audit(tmp_path, server, extra: str = ""):
    cfg = write_config(tmp_path / "c.toml", server.base, tmp_path / "s.sqlite3", crawl={"sitemaps": False},
                       extra=f'[checks.essentials]\nhttps_url = "{server.base}/"\n{extra}')
    run_cli("audit", "--config", str(cfg), "--checks", "essentials", "--out", str(tmp_path / "out"))
    return json.loads((tmp_path / "out" / "findings.json").read_text(encoding="utf-8"))


def test_a_form_that_cannot_search_is_not_tried_and_not_read_as_no_results(tmp_path, serve):
    form = ('<form action="" method="get" role="search"><input name="q" title="關鍵字">'
            '<button type="button" onclick="siteSearch(this.form)">搜尋</button></form><a href="/h.html">搜尋說明</a>')
    (tmp_path / "index.html").write_text(_page("首頁", form), encoding="utf-8")
    (tmp_path / "h.html").write_text(_page("搜尋說明", "例如：停水"), encoding="utf-8")
    doc = _audit(tmp_path, serve(tmp_path))
    rules = {f["rule"]: f for f in doc["findings"]}
    assert not {"search-no-results", "search-no-help", "search-broken"} & set(rules), sorted(rules)
    untried = rules["search-untried"]
    assert "action" in untried["evidence"]["reason_en"] and "script" in untried["evidence"]["reason_en"]
    assert "action 為空" in untried["message"] and untried["message_en"].startswith("Site search could not be tried")
    summary = doc["summary"]["essentials"]
    assert summary["search"]["tried"] is False and summary["status"] != "pass"
    item = next(i for i in doc["inspection"] if i["id"] == "search")
    assert item["status"] == "incomplete" and item["measured_en"] == "Could not be tried"


def test_a_search_answered_on_its_own_page_with_results_is_judged(tmp_path, serve):
    form = '<form action="/" method="get" role="search"><input name="q" title="關鍵字"><button>搜尋</button></form>'

    def home(handler):
        q = parse_qs(urlsplit(handler.path).query).get("q", [""])[0]
        found = (f"<ul><li><a href='/w.html'>{q}價</a></li></ul>" if "水" in q
                 else "<p>查無資料，建議改用其他關鍵字。</p>") if q else ""
        send(handler, 200, _page("首頁", form + found).encode())

    server = serve(tmp_path, {"/": home})
    doc = _audit(tmp_path, server)
    rules = {f["rule"] for f in doc["findings"]}
    assert not {"search-untried", "search-no-results", "search-no-help", "search-broken"} & rules, sorted(rules)
    assert doc["summary"]["essentials"]["search"]["tried"] is True


TITLES = {"/a.html": "自來水管線汰換工程說明", "/b.html": "停水公告", "/help.html": "搜尋說明"}


GET_FORM = '<form action="/find" method="get" role="search"><input name="q" title="關鍵字"><button>搜尋</button></form>'


def params(handler) -> dict[str, str]:
    """A request's query string and, for a POST, its form body."""
    query = parse_qs(urlsplit(handler.path).query)
    if handler.command == "POST":
        query.update(parse_qs(handler.rfile.read(int(handler.headers.get("Content-Length") or 0)).decode()))
    return {k: v[0] for k, v in query.items()}


def search_site(root, paged: bool, finds_titles: bool, form: str = GET_FORM, sitemap_form: str = "",
                received: list | None = None):
    """A site whose /find (and /find2) answers searches, GET or POST: 25 hits for 水 (paged 10 a page with 共N筆 and
    sort options, or all on one page), the exact title of /a.html (or nothing for it), 查無資料 with advice
    otherwise. `form` is on the home page, `sitemap_form` on its 網站導覽; `received` gets every query's fields."""
    links = "".join(f'<a href="{u}">{t}</a>' for u, t in TITLES.items()) + '<a href="/sitemap.html">網站導覽</a>'
    (root / "index.html").write_text(_page("首頁", form + links), encoding="utf-8")
    (root / "sitemap.html").write_text(_page("網站導覽", sitemap_form + links), encoding="utf-8")
    (root / "a.html").write_text(_page(TITLES["/a.html"], "工程說明"), encoding="utf-8")
    (root / "b.html").write_text(_page(TITLES["/b.html"], "停水"), encoding="utf-8")
    (root / "help.html").write_text(_page("搜尋說明", "<p>輸入關鍵字後按搜尋，例如：停水。</p>"), encoding="utf-8")

    def find(handler):
        query = params(handler)
        if received is not None:
            received.append((handler.command, urlsplit(handler.path).path, query))
        q, page = query.get("q", ""), int(query.get("page", "1"))
        if q == "水":
            hits = [(f"/w{n}.html", f"水資訊第{n}則") for n in range(1, 26)]
            shown = hits[(page - 1) * 10:page * 10] if paged else hits
            body = f"<p>共 {len(hits)} 筆</p><select name='order'><option>相關度</option><option>日期</option></select>"
            body += "".join(f'<p><a href="{u}">{t}</a></p>' for u, t in shown)
            if paged:
                body += f"<p>每頁顯示 10 筆 <a href='/find?q={quote(q)}&page=2'>2</a> <a href='/find?q={quote(q)}&page=3'>3</a></p>"
        elif finds_titles and any(q == t for t in TITLES.values()):
            body = "<p>共 1 筆</p>" + "".join(f'<p><a href="{u}">{t}</a></p>' for u, t in TITLES.items() if t == q)
        else:
            body = "<p>查無資料，建議改用較短的關鍵字。</p>"
        send(handler, 200, _page(f"搜尋：{escape(q)}", body).encode())

    return {"/find": find, "/find2": find}


def test_a_search_that_finds_a_known_page_pages_and_sorts_passes_with_its_urls(tmp_path, serve):
    server = serve(tmp_path, search_site(tmp_path, paged=True, finds_titles=True))
    doc = _audit(tmp_path, server)
    rules = {f["rule"] for f in doc["findings"] if f["rule"].startswith("search")}
    assert not rules, sorted(rules)
    search = doc["summary"]["essentials"]["search"]
    assert search["known_item"] == TITLES["/a.html"] and search["known_item_found"] is True
    assert search["paging"] is True and search["result_count"] is True and "相關度" in search["sort"]
    assert search["help_examples"] is True
    item = next(i for i in doc["inspection"] if i["id"] == "search")
    assert item["status"] == "pass" and item["regulation"] == "提升服務品質執行計畫 一(二)(1)(2)(4)(5)(8)"
    assert item["evidence_urls"][0] == f"{server.base}/find?q={quote(TITLES['/a.html'])}"
    assert f"{server.base}/help.html" in item["evidence_urls"]
    assert not [r for r in server.requests if r[0] == "POST"]


def test_a_search_that_misses_a_known_page_and_does_not_page_fails_naming_both(tmp_path, serve):
    server = serve(tmp_path, search_site(tmp_path, paged=False, finds_titles=False))
    doc = _audit(tmp_path, server)
    rules = {f["rule"]: f for f in doc["findings"] if f["rule"].startswith("search")}
    assert set(rules) == {"search-known-item-missed", "search-no-paging"}, sorted(rules)
    assert rules["search-known-item-missed"]["pages"] == [f"{server.base}/a.html"]
    item = next(i for i in doc["inspection"] if i["id"] == "search")
    assert item["status"] == "fail"
    assert item["measured_en"].startswith("Failing: A search for the exact title of a page")


POST_FORM = ('<form action="/find" method="post" role="search"><input type="hidden" name="lang" value="zh-tw">'
             '<select name="scope"><option value="all">全站</option><option value="news">新聞</option></select>'
             '<label>關鍵字<input name="q"></label><button>搜尋</button></form>')
MAILBOX_FORM = ('<form action="/feedback" method="post"><label>姓名<input name="name"></label>'
                '<label>意見<textarea name="msg"></textarea></label><button>送出</button></form>')
CONTACT_FORM = '<form action="/contact" method="post"><label>意見<input name="q"></label><button>送出</button></form>'


def test_a_post_search_on_the_site_map_is_tried_and_judged_and_no_other_form_is_submitted(tmp_path, serve):
    received: list = []
    routes = search_site(tmp_path, paged=True, finds_titles=True, form=MAILBOX_FORM + CONTACT_FORM,
                         sitemap_form=POST_FORM, received=received)
    server = serve(tmp_path, routes)
    doc = _audit(tmp_path, server)
    rules = {f["rule"]: f for f in doc["findings"] if f["rule"].startswith("search")}
    assert set(rules) == {"search-form-skipped"}, sorted(rules)   # the one-field contact form, as a notice
    assert rules["search-form-skipped"]["url"] == f"{server.base}/contact"
    assert rules["search-form-skipped"]["message_en"].endswith("does not say it is a search "
                                                                "(role=search or the word search): never submitted")
    assert [m for m, path, _ in received] == ["POST"] * 3 and {p for _, p, _ in received} == {"/find"}
    assert [q["q"] for _, _, q in received] == ["水", "zzqx不存在的查詢詞9471", TITLES["/a.html"]]
    assert all(q["lang"] == "zh-tw" and q["scope"] == "all" for _, _, q in received)
    assert not [r for r in server.requests if urlsplit(r[1]).path in ("/feedback", "/contact")]
    search = doc["summary"]["essentials"]["search"]
    assert search["method"] == "post" and search["page"] == f"{server.base}/sitemap.html"
    assert search["known_item_found"] is True and search["paging"] is True
    skipped = {s["action"].replace(server.base, ""): s["reason_en"] for s in search["skipped"]}
    assert "textarea" in skipped["/feedback"] and "does not say it is a search" in skipped["/contact"]
    item = next(i for i in doc["inspection"] if i["id"] == "search")
    assert item["status"] == "pass" and f"{server.base}/find" in item["evidence_urls"]


def test_the_search_requests_stop_at_max_queries_over_all_forms(tmp_path, serve):
    received: list = []
    second = GET_FORM.replace("/find", "/find2")
    server = serve(tmp_path, search_site(tmp_path, paged=True, finds_titles=True, sitemap_form=second,
                                         received=received))
    doc = _audit(tmp_path, server, "max_queries = 2\n")
    assert len(received) == 2 and {p for _, p, _ in received} == {"/find"}
    assert len([r for r in server.requests if urlsplit(r[1]).path in ("/find", "/find2")]) == 2
    search = doc["summary"]["essentials"]["search"]
    assert search["queries"] == 2 and [f["complete"] for f in search["forms"]] == [False, False]
    untried = [f for f in doc["findings"] if f["rule"] == "search-untried"]
    assert len(untried) == 1 and "max_queries" in untried[0]["evidence"]["reason_en"]
    assert "/find2" in untried[0]["evidence"]["form"]["action"]
    item = next(i for i in doc["inspection"] if i["id"] == "search")
    assert item["status"] == "incomplete" and item["measured_en"] == "Not tried in full"


SCRIPT_WIDGET = ('<div class="site-search"><input id="kw" type="search" aria-label="站內搜尋">'
                 '<button type="button" id="go">搜尋</button></div><script>'
                 "document.getElementById('go').addEventListener('click', function () {"
                 "location.href = '/find?q=' + encodeURIComponent(document.getElementById('kw').value); });</script>")
SCRIPT_FORM = ('<form role="search" onsubmit="location.href = \'/find?q=\' + encodeURIComponent(this.elements.k.value);'
               ' return false;"><input name="k" title="關鍵字"><button>搜尋</button></form>')


def test_a_search_that_only_works_with_script_is_typed_and_submitted_in_chromium(tmp_path, serve):
    for name, markup in (("widget", SCRIPT_WIDGET), ("form", SCRIPT_FORM)):
        root = tmp_path / name
        root.mkdir()
        received: list = []
        server = serve(root, search_site(root, paged=True, finds_titles=True, form=markup, received=received))
        doc = _audit(root, server)
        rules = {f["rule"] for f in doc["findings"] if f["rule"].startswith("search")}
        assert not rules, (name, sorted(rules))
        search = doc["summary"]["essentials"]["search"]
        assert search["via"] == "browser" and search["known_item_found"] is True, name
        assert [q["q"] for _, _, q in received] == ["水", "zzqx不存在的查詢詞9471", TITLES["/a.html"]], name
        item = next(i for i in doc["inspection"] if i["id"] == "search")
        assert item["status"] == "pass", name
        assert f"{server.base}/find?q={quote(TITLES['/a.html'])}" in item["evidence_urls"], name
        rendered = rendered_records(root / "out" / "evidence.wacz")
        known = rendered[f"urn:siteaudit:rendered-dom:{server.base}/find?q={quote(TITLES['/a.html'])}"]
        assert "/a.html" in known.decode("utf-8") and len(rendered) == 3, name   # what the check read, archived


def test_a_script_search_without_chromium_stays_could_not_be_tried(tmp_path, serve):
    server = serve(tmp_path, search_site(tmp_path, paged=True, finds_titles=True, form=SCRIPT_WIDGET))
    doc = _audit(tmp_path, server, f'[checks.accessibility]\nchromium_path = "{tmp_path}/no-chromium"\n')
    untried = next(f for f in doc["findings"] if f["rule"] == "search-untried")
    assert "chromium not found" in untried["evidence"]["reason_en"]
    assert not [r for r in server.requests if urlsplit(r[1]).path == "/find"]
    item = next(i for i in doc["inspection"] if i["id"] == "search")
    assert item["status"] == "incomplete" and item["measured_en"] == "Could not be tried"


def test_a_bad_max_queries_is_a_one_line_config_error_before_anything_is_crawled(tmp_path, serve):
    server = serve(tmp_path, search_site(tmp_path, paged=True, finds_titles=True))
    for value in ("-1", "1000", "true"):
        cfg = write_config(tmp_path / "c.toml", server.base, tmp_path / "s.sqlite3",
                           extra=f"[checks.essentials]\nmax_queries = {value}\n")
        result = run_cli("audit", "--config", str(cfg), "--checks", "essentials", "--out", str(tmp_path / "out"))
        err = result.stderr.strip()
        assert result.returncode == 2 and len(err.splitlines()) == 1 and "Traceback" not in err, (value, err)
        assert "checks.essentials.max_queries" in err, err
    assert not server.requests
