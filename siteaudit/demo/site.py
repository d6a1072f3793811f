"""The bundled demo site: a mock regional water-utility office site in Traditional Chinese.

`build(root)` writes it (about 50 pages, documents, robots.txt, sitemap) and returns the ground truth:
every deliberate defect, so tests and checks can be held to it. `routes()` adds the dynamic parts
(redirects, a redirect loop, search).
"""

from __future__ import annotations

import html
import json
import re
from datetime import date, datetime, time, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from siteaudit.core.dates import local_today
from siteaudit.demo import documents
from siteaudit.demo.server import Route, redirect, send, set_file_times

AGENCY = "台灣自來水公司第一區管理處（示範）"
AGENCY_CODE = "A35010000G"
MARK = ('<a href="https://accessibility.moda.gov.tw/Applications/Detail?category=20241015093012" title="無障礙網站">'
        '<img src="/images/accessibility-aa.png" width="88" height="31" alt="通過AA無障礙網頁檢測"></a>')
DEAD_EXTERNAL = "http://dead-host.example.invalid/"
BUDGET_GAPS = (101, 102, 103)


class _DemoDay:
    """The day the demo site is built for: its dates are relative to it (today in Taipei, the demo's zone, unless
    `build` is given one)."""

    today: date = local_today()


def default_updated() -> date:
    """The update date most pages show: ten days before the demo day."""
    return _DemoDay.today - timedelta(days=10)

PNG_1PX = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                        "1f15c4890000000d49444154789c6360000000000500010d0a2db40000000049454e44ae426082")


def meta_block(title: str, date: str, theme: str = "770", cake: str = "C21", service: str = "E41",
               categories: bool = True) -> str:
    fields = [
        ("DC.Title", f"{AGENCY}-{title}"), ("DC.Creator", AGENCY), ("DC.Subject", title),
        ("DC.Description", f"{title}相關資訊"), ("DC.Contributor", AGENCY), ("DC.Type", "網頁"),
        ("DC.Format", "text/html"), ("DC.Source", AGENCY), ("DC.Language", "中文"),
        ("DC.coverage.t.min", date), ("DC.coverage.t.max", "2027-12-31"), ("DC.Publisher", AGENCY),
        ("DC.Date", date), ("DC.Identifier", AGENCY_CODE), ("DC.Relation", " "), ("DC.Rights", AGENCY),
        ("DC.Keywords", f"自來水,{title}"),
    ]
    if categories:
        fields += [("Category.Theme", theme), ("Category.Cake", cake), ("Category.Service", service)]
    return "\n".join(f'<meta name="{n}" content="{html.escape(v)}">' for n, v in fields)


NAV = """<a href="#main" class="skip">跳到主要內容區塊</a>
<div id="top"><a href="#top" accesskey="U" title="上方功能區塊">:::</a>
<nav><ul>
<li><a href="/index.html">首頁</a></li><li><a href="/about/index.html">關於本處</a></li>
<li><a href="/disclosure/index.html">主動公開資訊</a></li><li><a href="/news/index.html">最新消息</a></li>
<li><a href="/services/index.html">為民服務</a></li><li><a href="/sitemap.html">網站導覽</a></li>
</ul></nav>
<form action="/search" method="get" role="search"><label for="q">站內搜尋</label>
<input id="q" name="q" type="text"><button type="submit">搜尋</button> <a href="/search-help.html">搜尋說明</a></form>
</div>"""

FOOTER = f"""<footer><a href="#footer" accesskey="Z" title="下方功能區塊" id="footer">:::</a>
<p>{AGENCY}　地址：220 新北市板橋區示範路1號　電話：(02)2345-6789　傳真：(02)2345-6790
　電子郵件：<a href="mailto:service@dist1.example.gov.tw">service@dist1.example.gov.tw</a></p>
<p><a href="/privacy.html">隱私權及資訊安全政策</a>｜<a href="/open-data.html">政府網站資料開放宣告</a>｜
<a href="/accessibility.html">無障礙聲明</a>｜<a href="/faq.html">常見問答</a>｜<a href="/about/contact.html">聯絡我們</a>｜
<a href="/opendata.html">開放資料</a></p>
<p>{MARK}</p></footer>"""


def roc(day: date) -> str:
    """115年10月1日."""
    return f"{day.year - 1911}年{day.month}月{day.day}日"


def page(title: str, body: str, date: str = "2026-10-01", meta: bool = True, lang: bool = True,
         categories: bool = True, charset: str = "utf-8", updated: str | None = "", head: str = "") -> str:
    if updated == "":
        updated = roc(default_updated())
    head_meta = meta_block(title, date, categories=categories) if meta else ""
    stamp = f'<p class="updated">更新日期：{updated}</p>' if updated else ""
    lang_attr = ' lang="zh-Hant-TW"' if lang else ""
    return f"""<!DOCTYPE html>
<html{lang_attr}>
<head>
<meta charset="{charset}">
<title>{title}－{AGENCY}</title>
{head_meta}
<meta name="Accessible_website" content="本網站通過AA檢測等級無障礙網頁檢測">{head}
</head>
<body>
{NAV}
<main id="main"><a href="#main" accesskey="C" title="中央內容區塊">:::</a>
<h1>{title}</h1>
{body}
{stamp}
</main>
{FOOTER}
</body>
</html>
"""


def _links(items: list[tuple[str, str]]) -> str:
    return "<ul>\n" + "\n".join(f'<li><a href="{href}">{text}</a></li>' for href, text in items) + "\n</ul>"


def build(root: str | Path, today: date | None = None) -> dict[str, Any]:
    """Write the demo site below `root` with dates relative to `today` (default: the real today); return its
    ground truth."""
    root = Path(root)
    files: dict[str, bytes | str] = {}
    truth: list[dict[str, Any]] = []

    def defect(check: str, rule: str, url: str, note: str) -> None:
        truth.append({"check": check, "rule": rule, "url": url, "note": note})

    today = _DemoDay.today = today or local_today()

    def ago(days: int) -> date:
        return today - timedelta(days=days)

    outage = ago(20)
    news_dates = {"n001": ago(30), "n002": ago(25), "n003": ago(60), "n004": ago(70), "n005": ago(80),
                  "n006": ago(90), "n007": ago(100), "n008": ago(3 * 365 + 100), "n009": ago(15),
                  "n010": ago(20), "n011": ago(40), "n012": ago(5)}
    titles = {
        "n001": "第一季水質檢驗結果公告", "n002": f"板橋區停水公告（{roc(outage)}）", "n003": "自來水管線汰換工程說明",
        "n004": "節約用水宣導", "n005": "水費電子帳單優惠", "n006": "颱風期間供水應變措施", "n007": "用戶滿意度調查結果",
        "n008": "舊版申辦流程說明", "n009": "年度管線巡檢計畫", "n010": "用水設備檢查服務", "n011": "夏季用水高峰提醒",
        "n012": "新版水費試算服務上線",
    }
    news = []
    for slug, when in news_dates.items():
        shown = roc(when) if slug != "n009" else roc(when.replace(year=when.year + 10))  # n009: a typo'd year
        news.append((slug, titles[slug], shown, when.isoformat()))
    defect("freshness", "stale-page", "/news/n008.html", "updated over three years ago")
    defect("freshness", "future-date", "/news/n009.html", "typo: a ROC year ten years ahead")
    defect("freshness", "expired-announcement", "/news/n002.html", "停水公告 for a day already past, on the home page")
    for slug, title, shown, ad in news:
        body = f'<p class="date">發布日期：{shown}</p><p>{title}，詳細內容如下。</p>' \
               f'<p><a href="/news/index.html">回最新消息列表</a></p>'
        if slug == "n003":
            body += '<p>工程位置圖：<a href="/news/n003.html#map">見下方地圖</a></p>'
            defect("links", "missing-fragment", "/news/n003.html#map", "no element with id map")
        if slug == "n004":
            body += '<p><a href="/news/n001.html">請按此</a>查看水質結果。</p>'
            defect("accessibility", "vague-link-text", "/news/n004.html", "link text 請按此 with no title")
        if slug == "n005":
            body += '<p>相關說明：<a href="/services/bill.html">颱風期間停班停課公告</a></p>'
            defect("links", "title-mismatch", "/services/bill.html", "link text unrelated to 水費查詢")
        files[f"news/{slug}.html"] = page(title, body, date=ad, categories=slug not in ("n006", "n007"),
                                          updated=shown)
    defect("metadata", "missing-field", "/news/n006.html", "no Category.* fields")
    defect("metadata", "missing-field", "/news/n007.html", "no Category.* fields")
    news_list = _links([(f"/news/{s}.html", f"{t}（{r}）") for s, t, r, _ in news]
                       + [("/news/2019-water-rates.html", "108年水價調整說明（已下架）")])
    defect("links", "broken-link", "/news/2019-water-rates.html", "missing page")
    files["news/index.html"] = page("最新消息", news_list)
    files["news/orphan.html"] = page("網站地圖專用頁", "<p>只能由 sitemap.xml 找到的頁面。</p>")

    # -- 主動公開資訊 (政府資訊公開法第7條) --------------------------------------------------------
    def yearly(name: str, slug: str, years: range, ext: str, gaps: tuple[int, ...] = ()) -> str:
        rows = []
        for y in years:
            if y in gaps:
                continue
            fname = f"/disclosure/files/{slug}-{y}.{ext}"
            label = f"{y}年度{name}"
            files[fname.lstrip("/")] = documents.pdf(f"{slug} {y}") if ext == "pdf" else \
                documents.odf(ext, f"{name} {y}")
            rows.append(f'<tr><td>{y}年度</td><td><a href="{fname}">{label}（{ext.upper()}）</a></td></tr>')
        return "<table><caption>" + name + "</caption><tr><th>年度</th><th>檔案</th></tr>" + "".join(rows) \
            + "</table>"

    now = today.year - 1911  # the demo's records reach the current ROC year
    files["disclosure/budget.html"] = page("預算書", yearly("預算書", "budget", range(97, now + 1), "pdf", BUDGET_GAPS))
    for y in BUDGET_GAPS:
        defect("disclosure", "missing-years", "/disclosure/budget.html", f"預算書 {y}年度 missing")
    files["disclosure/accounts.html"] = page("決算書", yearly("決算書", "accounts", range(97, now), "pdf"))
    files["disclosure/plans.html"] = page("施政計畫", yearly("施政計畫", "plan", range(97, now + 1), "pdf"))
    files["disclosure/statistics.html"] = page("業務統計", yearly("業務統計", "stats", range(97, now), "ods"))
    simple = {
        "regulations": ("法規及命令", "<p>自來水法、本公司營業章程及相關法規。</p>"
                        '<p><a href="/disclosure/files/charter.pdf">營業章程（PDF）</a></p>'),
        "interpretations": ("解釋性規定及裁量基準", "<p>本處訂頒之解釋性規定及裁量基準。</p>"),
        "guidance": ("行政指導有關文書", "<p>用戶用水設備行政指導文書。</p>"),
        "research": ("研究報告", "<p>委託研究報告及出國報告。</p>"),
        "petitions": ("請願之處理結果及訴願之決定", "<p>本年度無請願案件。</p>"),
        "subsidies": ("支付或接受之補助", "<p>補助資訊一覽。</p>"),
        "minutes": ("合議制機關之會議紀錄", "<p>本處非合議制機關，不適用。</p>"),
    }
    for slug, (title, body) in simple.items():
        files[f"disclosure/{slug}.html"] = page(title, body)
    files["disclosure/files/charter.pdf"] = documents.pdf("charter")
    files["disclosure/files/whitepaper.pdf"] = documents.pdf("whitepaper")
    last_plan = f"disclosure/files/service-quality-plan-{now - 1}.odt"  # this year's plan is not up yet
    files[last_plan] = documents.odf("odt", f"{now - 1}年度提升服務品質執行計畫")
    defect("publication", "plan-old-year", "/" + last_plan, "only last year's 提升服務品質執行計畫 is published")
    zone = _links([
        ("/disclosure/regulations.html", "法規及命令"), ("/disclosure/interpretations.html", "解釋性規定及裁量基準"),
        ("/about/organization.html", "組織職掌、地址、電話、傳真、網址及電子郵件"),
        ("/disclosure/guidance.html", "行政指導有關文書"), ("/disclosure/plans.html", "施政計畫"),
        ("/disclosure/statistics.html", "業務統計"), ("/disclosure/research.html", "研究報告"),
        ("/disclosure/budget.html", "預算書"), ("/disclosure/accounts.html", "決算書"),
        ("/disclosure/petitions.html", "請願之處理結果及訴願之決定"),
        ("/disclosure/contracts.html", "書面之公共工程及採購契約"),
        ("/disclosure/subsidies.html", "支付或接受之補助"), ("/disclosure/minutes.html", "合議制機關之會議紀錄"),
        ("/disclosure/files/whitepaper.pdf", "為民服務白皮書（PDF）"),
        ("/" + last_plan, f"{now - 1}年度提升服務品質執行計畫（ODT）"),
    ])
    defect("links", "broken-link", "/disclosure/contracts.html", "missing page: 採購契約 item broken")
    defect("disclosure", "item-broken", "/disclosure/contracts.html", "採購契約 link is broken")
    files["disclosure/index.html"] = page("主動公開資訊", "<p>依政府資訊公開法第7條主動公開下列資訊：</p>" + zone)

    # -- 關於本處 -----------------------------------------------------------------------------------
    files["about/index.html"] = page("關於本處", _links([
        ("/about/organization.html", "組織架構"), ("/about/duties.html", "業務職掌"), ("/about/contact.html", "聯絡資訊"),
        ("/about/maintenance.html", "網站內容定期更新作業規定"), ("/about/site-check.html", "網站檢測結果"),
    ]))
    files["about/maintenance.html"] = page("網站內容定期更新作業規定", "<p>各單位每月檢視所屬網頁，最新消息隨時更新，"
                                          "其餘網頁至少每年更新一次；更新依本處網頁異動標準作業程序辦理。</p>")
    checked = ago(45)  # the published results are older than the plan's month
    files["about/site-check.html"] = page("網站檢測結果", f"<p>{roc(checked)}網站內容檢查及連結檢測：失效連結 0 個，"
                                          "過期資訊 0 則。</p>", updated=roc(checked))
    defect("publication", "results-stale", "/about/site-check.html", "test results dated 45 days before the demo day")
    files["about/organization.html"] = page("組織架構", "<p>處長、副處長，下設業務課、工務課、給水廠。</p>")
    files["about/duties.html"] = page("業務職掌", "<p>負責轄區供水、管線維護與用戶服務。</p>")
    files["about/contact.html"] = page("聯絡資訊", f"""<p>地址：220 新北市板橋區示範路1號</p>
<p>電話：(02)2345-6789　傳真：(02)2345-6790</p>
<p>電子郵件：<a href="mailto:service@dist1.example.gov.tw">service@dist1.example.gov.tw</a></p>
<p>舊版網站：<a href="{DEAD_EXTERNAL}">舊版網站（已停用）</a></p>
<p>客服專線：<a href="tel:1910">1910</a>　錯誤示範：<a href="mailto:service@@example">寫錯的信箱</a></p>""")
    defect("links", "broken-link", DEAD_EXTERNAL, "dead external host (DNS)")
    defect("links", "invalid-href", "", "malformed mailto: service@@example")

    # -- 為民服務與下載 -------------------------------------------------------------------------------
    files["services/index.html"] = page("為民服務", _links([
        ("/services/apply.html", "用水申請"), ("/services/bill.html", "水費查詢"), ("/services/forms.html", "表單下載"),
        ("/faq.html", "常見問答"), ("/old-services", "舊版服務專區"), ("/activities/index.html", "機關活動"),
        ("/services/promotion.html", "文宣品"), ("/eservice/apply.html", "線上申辦"), ("/eservice/pay.html", "網路繳費"),
        ("/services/booking.html", "臨櫃預約"), ("/services/participation.html", "民眾參與"),
    ]))
    defect("links", "permanent-redirect", "/old-services", "301 to /services/index.html")
    files["services/apply.html"] = page("用水申請", "<p>需備文件：身分證明、建物使用執照。規費：依營業章程收費。</p>"
                                        '<p><a href="javascript:void(0)">線上申辦（建置中）</a></p>')
    defect("links", "invalid-href", "", "javascript: pseudo-link")
    files["services/bill.html"] = page("水費查詢", "<p>輸入水號查詢水費。</p>")
    # 貳、二(一) online services (a login page counts as answering) and 二(二) e-participation
    files["eservice/apply.html"] = page("線上申辦", "<p>請以自然人憑證或會員帳號登入後申辦。</p>")
    files["eservice/pay.html"] = page("網路繳費", "<p>信用卡、金融卡及行動支付繳納水費。</p>")
    files["services/booking.html"] = page("預約服務", "<p>臨櫃預約：請選擇日期及服務項目。</p>")
    files["services/participation.html"] = page("民眾參與", _links([
        ("/a11y/form.html", "意見信箱"), ("/mailbox/director.html", "處長信箱"),
        ("/news/n007.html", "用戶滿意度調查結果"), ("tel:1910", "1910 客服專線"),
        ("https://www.facebook.com/demo.water.example", "Facebook 粉絲專頁"),
    ]))
    defect("services", "channel-broken", "/mailbox/director.html", "the 處長信箱 link is dead")
    defect("links", "broken-link", "/mailbox/director.html", "missing page: the 處長信箱")

    # 貳、盤點(2) open data: a CSV with its ODS, a JSON API, and a dataset offered only as XLS
    files["opendata/files/water-quality.csv"] = "日期,區域,濁度\n" + f"{ago(12).isoformat()},板橋,0.3\n"
    files["opendata/files/water-quality.ods"] = documents.odf("ods", "水質檢驗資料")
    files["opendata/files/usage-stats.xls"] = documents.ole2("用水量統計")
    files["opendata.html"] = page("開放資料專區", "<table><caption>本處開放資料集</caption>"
                                  "<tr><th>資料集</th><th>格式</th><th>更新日期</th></tr>"
                                  f"<tr><td>水質檢驗資料</td><td><a href=\"/opendata/files/water-quality.csv\">CSV</a> "
                                  f"<a href=\"/opendata/files/water-quality.ods\">ODS</a></td><td>{roc(ago(12))}</td></tr>"
                                  f"<tr><td>停水資訊</td><td><a href=\"/api/outages\">API（JSON）</a></td>"
                                  f"<td>{roc(ago(3))}</td></tr>"
                                  f"<tr><td>用水量統計</td><td><a href=\"/opendata/files/usage-stats.xls\">XLS</a></td>"
                                  f"<td>{roc(ago(40))}</td></tr></table>")
    defect("opendata", "dataset-closed-only", "/opendata/files/usage-stats.xls", "用水量統計 only as XLS")
    defect("documents", "office-without-odf", "/opendata/files/usage-stats.xls", "XLS with no ODF sibling")
    # 盤點(1) 資訊目錄: activities over three listing pages, promotional materials; no 出版品 listing at all
    events = [(f"/news/{s}.html", f"{t}（{r}）") for s, t, r, _ in news]   # 12 activities, 5 + 5 + 2 a page
    for n in range(3):
        name = "index.html" if n == 0 else f"page{n + 1}.html"
        pager = "".join(f'<a href="/activities/{"index.html" if k == 0 else f"page{k + 1}.html"}">{k + 1}</a> '
                        for k in range(3) if k != n)
        files[f"activities/{name}"] = page("機關活動", _links(events[5 * n:5 * n + 5]) + f"<p>{pager}</p>")
    files["services/promotion.html"] = page("文宣品", _links([
        ("/services/files/handbook.pdf", f"節約用水宣導手冊（{roc(ago(50))}）"),
        ("/services/files/safe-water.pdf", f"安全用水須知（{roc(ago(120))}）"),
    ]))
    files["services/files/handbook.pdf"] = documents.pdf("handbook")
    files["services/files/safe-water.pdf"] = documents.pdf("safe water")
    defect("publication", "catalogue-missing", "", "no 出版品 listing: the 資訊目錄 misses a category")
    defect("publication", "catalogue-uncounted", "/faq.html", "the FAQ's answers are not links: counted by hand")
    forms = [
        ("apply-form.odt", documents.odf("odt", "用水申請書"), "用水申請書（ODT）"),
        ("apply-form.pdf", documents.pdf("apply form"), "用水申請書（PDF）"),
        ("change-form.docx", documents.ooxml("docx", "過戶申請書"), "過戶申請書（DOCX）"),
        ("meter.xlsx", documents.ooxml("xlsx", "水表資料"), "水表資料（XLSX）"),
        ("meter.ods", documents.odf("ods", "水表資料"), "水表資料（ODS）"),
        ("scanned-notice.pdf", documents.pdf(None), "掃描公告（PDF）"),
        ("renamed.odt", documents.ooxml("docx", "其實是docx"), "退費申請書（ODT）"),
        ("loose.odt", documents.odf("odt", "不合規的ODF", conformant=False), "用戶意見表（ODT）"),
        ("empty.pdf", b"", "空白表單（PDF）"),
        ("photo-notice.pdf", PNG_1PX, "公告照片（PDF）"),
        ("all-forms.zip", documents.zipped({"readme.txt": "表單說明"}), "全部表單壓縮檔（ZIP）"),
        ("annual-report.pdf", documents.pdf("annual report") + b"%" + b"0" * 1_200_000 + b"\n", "年報（PDF，1.2MB）"),
    ]
    for name, data, _ in forms:
        files[f"services/files/{name}"] = data
    defect("documents", "office-without-odf", "/services/files/change-form.docx", "DOCX with no ODF sibling")
    defect("documents", "pdf-without-text", "/services/files/scanned-notice.pdf", "scanned, no text layer")
    defect("documents", "type-mismatch", "/services/files/renamed.odt", ".odt that is really a .docx")
    defect("documents", "odf-nonconformant", "/services/files/loose.odt", "mimetype not first")
    defect("documents", "empty-document", "/services/files/empty.pdf", "zero bytes")
    defect("documents", "not-pdf-publication", "/services/files/photo-notice.pdf", "a PNG named .pdf")
    defect("documents", "type-mismatch", "/services/files/photo-notice.pdf", "a PNG named .pdf")
    defect("documents", "archive-listed", "/services/files/all-forms.zip", "zip to check by hand")
    defect("documents", "oversize-document", "/services/files/annual-report.pdf", "over the demo's 1 MB limit")
    defect("documents", "broken-document", "/services/files/refund-2019.pdf", "missing document")
    form_rows = "".join(f'<li><a href="/services/files/{n}">{label}</a></li>' for n, _, label in forms)
    form_rows += '<li><a href="/services/files/refund-2019.pdf">退費申請書（PDF，已移除）</a></li>'
    defect("links", "broken-link", "/services/files/refund-2019.pdf", "missing document")
    files["services/forms.html"] = page("表單下載", f"<ul>{form_rows}</ul>")

    # -- 網站必要資訊 -------------------------------------------------------------------------------
    # the site map's own search: a POST form (a query, a hidden field and a category select), tried like the GET one
    sitemap_search = ('<form action="/search" method="post" role="search"><input type="hidden" name="from" '
                      'value="sitemap"><label for="scope">範圍</label><select id="scope" name="scope"><option '
                      'value="all">全站</option><option value="news">最新消息</option></select> <label for="sq">'
                      '網站導覽搜尋</label><input id="sq" name="q" type="search"><button type="submit">搜尋</button>'
                      '</form>')
    defect("essentials", "search-no-paging", "/search", "the site map's POST search: all results on one page too")
    files["sitemap.html"] = page("網站導覽", "<p>本網站依無障礙規範設置快速鍵：U 上方、C 中央、Z 下方。</p>" + sitemap_search + _links([
        ("/index.html", "首頁"), ("/about/index.html", "關於本處"), ("/disclosure/index.html", "主動公開資訊"),
        ("/news/index.html", "最新消息"), ("/services/index.html", "為民服務"), ("/big5.html", "舊版公告（Big5）"),
        ("/a11y/gallery.html", "活動花絮"), ("/a11y/form.html", "意見信箱"), ("/a11y/nolang.html", "English"),
        ("/a11y/links.html", "相關連結"), ("/private/internal.html", "內部專區"),
    ]))
    files["privacy.html"] = page("隱私權及資訊安全政策", "<p>本網站重視您的隱私權與資訊安全。</p>")
    files["open-data.html"] = page("政府網站資料開放宣告", "<p>本網站資料以政府資料開放授權條款第1版提供。</p>")
    files["accessibility.html"] = page("無障礙聲明", "<p>本網站通過AA檢測等級。</p>")
    files["faq.html"] = page("常見問答", "<dl><dt>如何申請用水？</dt><dd>請見用水申請。</dd></dl>", updated=None)
    defect("freshness", "no-displayed-date", "/faq.html", "no 更新日期 shown")
    defect("essentials", "https-missing", "", "the demo is served over plain http")
    defect("essentials", "http-not-redirected", "", "http:// is not redirected to https://")
    files["search-help.html"] = page("搜尋說明", "<p>輸入關鍵字後按搜尋；查無資料時請改用較短的關鍵字。"
                                     "例如：輸入「停水」可找到停水公告。結果可依相關度或日期排序。</p>")
    defect("essentials", "search-no-paging", "/search?q=%E6%B0%B4", "many results for 水, all on one page: no paging")
    files["private/internal.html"] = page("內部專區", "<p>robots.txt 排除。</p>")

    # -- Big5 page: charset declared only in <meta> ----------------------------------------------------
    big5_body = '<p>本頁為舊系統公告，使用 Big5 編碼。</p><p><a href="/news/big5-missing.html">舊公告附件說明</a></p>'
    files["big5.html"] = page("舊版公告", big5_body, charset="big5").encode("big5")
    defect("links", "broken-link", "/news/big5-missing.html", "missing page, linked only from the Big5 page")

    # -- accessibility defects ------------------------------------------------------------------------
    files["images/accessibility-aa.png"] = PNG_1PX
    files["images/event.png"] = PNG_1PX
    files["a11y/gallery.html"] = page("活動花絮", '<p><img src="/images/event.png"></p>'
                                      '<p style="color:#bbb;background:#fff">淺灰色的說明文字</p>'
                                      '<p><img src="/images/missing-photo.jpg" alt="淨水場參訪"></p>'
                                      '<p><img src="/images/event.png" alt="IMG_2301.jpg"></p>', meta=False)
    defect("links", "broken-resource", "/images/missing-photo.jpg", "missing image")
    defect("accessibility", "axe-image-alt", "/a11y/gallery.html", "img without alt")
    defect("accessibility", "axe-color-contrast", "/a11y/gallery.html", "light grey text")
    defect("accessibility", "alt-is-filename", "/a11y/gallery.html", "alt text IMG_2301.jpg (HM1110100E)")
    defect("metadata", "missing-field", "/a11y/gallery.html", "no metadata at all")
    files["a11y/form.html"] = page("意見信箱", '<form action="/feedback" method="post"><input type="text" name="msg">'
                                   '<button type="submit">送出</button></form>'
                                   '<p><a href="/loop-a">意見處理進度</a></p>', meta=False)
    defect("accessibility", "axe-label", "/a11y/form.html", "input without label")
    defect("accessibility", "label-missing", "/a11y/form.html", "input with neither label nor title (HM1130104C)")
    defect("links", "redirect-loop", "/loop-a", "loop-a -> loop-b -> loop-a")
    files["a11y/nolang.html"] = page("English", "<p>Water supply information in English.</p>", lang=False)
    defect("accessibility", "axe-html-has-lang", "/a11y/nolang.html", "no lang attribute")
    files["a11y/links.html"] = page("相關連結", '<p><a href="/about/index.html"><img src="/images/event.png" alt=""></a>'
                                    '</p><p id="dup">第一段</p><p id="dup">第二段</p>'
                                    '<p><a href="https://www.gov.tw/" target="_blank">我的E政府</a></p>'
                                    '<p><a href="#">回上頁</a></p>')
    defect("accessibility", "axe-link-name", "/a11y/links.html", "link with no text")
    defect("accessibility", "href-hash", "/a11y/links.html", 'link whose only target is href="#"')

    # -- home page ------------------------------------------------------------------------------------
    home = "<h2>最新消息</h2>" + _links([(f"/news/{s}.html", f"{t}（{r}）") for s, t, r, _ in news[:6]]) + \
        '<p><a href="/news/index.html">更多</a></p>' + "<h2>快速連結</h2>" + _links([
            ("/disclosure/index.html", "主動公開資訊"), ("/services/forms.html", "表單下載"),
            ("/sitemap.html", "網站導覽"), ("/big5.html", "舊版公告"), ("/about/contact.html", "聯絡資訊"),
        ])
    defect("accessibility", "vague-link-text", "/", "link text 更多 with no title (HM1240403E)")
    # the English version announced as an alternate (hreflang): how the services check finds it first
    files["index.html"] = page("首頁", home, head='\n<link rel="alternate" hreflang="en" href="/a11y/nolang.html">')

    files["robots.txt"] = "User-agent: *\nDisallow: /private/\nSitemap: /sitemap.xml\n"
    urls = ["/", "/news/orphan.html", "/about/index.html"]
    files["sitemap.xml"] = ('<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/'
                            'schemas/sitemap/0.9">' + "".join(f"<url><loc>SITE_BASE{u}</loc></url>" for u in urls)
                            + "</urlset>\n")
    index = [(f"/{rel}", title) for rel, data in files.items() if rel.endswith(".html")
             and isinstance(data, str) for title in re.findall(r"<h1>(.*?)</h1>", data)[:1]]
    files["search-index.json"] = json.dumps(index, ensure_ascii=False)
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    result = {"site": "demo", "pages_min": sum(1 for r in files if r.endswith(".html")) - 1, "defects": truth}
    (root / "truth.json").write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    set_file_times(root, file_time())
    return result


def file_time() -> datetime:
    """When the demo's files were last changed (their Last-Modified): the default update day, 09:00 Taipei."""
    return datetime.combine(default_updated(), time(9), tzinfo=timezone(timedelta(hours=8)))


def search_route(handler: Any) -> None:
    """The demo's site search over its page headings, by GET (every page's header) or POST (the site map): a result
    count and sort options, but every result on one page (no paging: a deliberate defect); advice when nothing is
    found."""
    fields = parse_qs(urlsplit(handler.path).query)
    if handler.command == "POST":   # the site map's POST search form
        length = min(int(handler.headers.get("Content-Length") or 0), 4096)
        fields.update(parse_qs(handler.rfile.read(length).decode("utf-8", "replace")))
    query = fields.get("q", [""])[0].strip()
    index = json.loads((Path(handler.directory) / "search-index.json").read_text(encoding="utf-8"))
    hits = [(url, title) for url, title in index if query and query in title]
    if hits:
        body = (f"<p>搜尋結果：共 {len(hits)} 筆</p><label for='sort'>排序</label><select id='sort' name='sort'>"
                "<option>相關度</option><option>日期</option></select>" + _links(hits))
    else:
        body = '<p>查無資料。建議：改用較短的關鍵字，或參考<a href="/search-help.html">搜尋說明</a>。</p>'
    send(handler, 200, page(f"搜尋：{html.escape(query)}", body).encode("utf-8"))


def api_route(handler: Any) -> None:
    """An open-data API: today's outages as JSON."""
    send(handler, 200, json.dumps({"outages": [{"area": "板橋區", "date": _DemoDay.today.isoformat()}]},
                                  ensure_ascii=False).encode("utf-8"),
         {"Last-Modified": format_datetime(file_time(), usegmt=False)}, content_type="application/json")


def routes() -> dict[str, Route]:
    return {
        "/old-services": redirect("/services/index.html", 301),
        "/loop-a": redirect("/loop-b", 302),
        "/loop-b": redirect("/loop-a", 302),
        "/search": search_route,
        "/api/outages": api_route,
    }


def fix_sitemap(root: str | Path, base: str) -> None:
    """The sitemap needs absolute URLs: put the server's base URL in once the port is known."""
    path = Path(root) / "sitemap.xml"
    path.write_text(path.read_text(encoding="utf-8").replace("SITE_BASE", base), encoding="utf-8")
    set_file_times(path, file_time())
