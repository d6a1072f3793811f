"""Site essentials: the pages an inspector looks for, a working search, and HTTPS.

Elements are found from the links (text, title, URL) of the home page, the site map and the pages one link
away from either; search and HTTPS are tried with a few requests of the check's own (a search form is the only
form ever submitted: checks/sitesearch.py). Rules and options: docs/checks/essentials.md.
"""

from __future__ import annotations

import re
from typing import Any

from siteaudit.checks.base import (
    CheckContext,
    CheckResult,
    Rule,
    inspection_item,
    rule_table,
    status_of,
)
from siteaudit.core import lazy
from siteaudit.core.config import ConfigError
from siteaudit.core.results import InspectionItem, Status, SummaryField

RUNNER = "siteaudit.checks.essentials_run:EssentialsRunner"   # the search and HTTPS tries
GUIDE = "政府網站服務管理規範；提升服務品質執行計畫"
SEARCH_LINE = "提升服務品質執行計畫 一(二)(1)(2)(4)(5)(8)"
LEVELS = ("required", "recommended", "off")
ELEMENTS: dict[str, dict[str, Any]] = {
    "sitemap": {"name": "網站導覽", "name_en": "Site map", "texts": ["網站導覽", "網站地圖", "sitemap"], "level": "required"},
    "privacy": {"name": "隱私權政策", "name_en": "Privacy policy", "texts": ["隱私權"], "level": "required"},
    "security": {"name": "資訊安全政策", "name_en": "Information security policy", "texts": ["資訊安全", "資安政策"], "level": "required"},
    "open-data": {"name": "政府網站資料開放宣告", "name_en": "Open data declaration", "texts": ["資料開放宣告", "開放資料宣告"], "level": "required"},
    "contact": {"name": "聯絡資訊", "name_en": "Contact details", "texts": ["聯絡資訊", "聯絡我們", "聯絡方式", "交通位置"], "level": "required"},
    "faq": {"name": "常見問答", "name_en": "FAQ", "texts": ["常見問答", "常見問題", "FAQ"], "level": "required"},
    "whitepaper": {"name": "為民服務白皮書", "name_en": "Public service white paper", "texts": ["服務白皮書"], "level": "recommended"},
    "accessibility": {"name": "無障礙聲明或標章", "name_en": "Accessibility statement or mark", "texts": ["無障礙"], "urls": ["accessibility.moda.gov.tw"],
                      "level": "required"},
    "facebook": {"name": "Facebook 粉絲專頁", "name_en": "Facebook page", "urls": ["facebook.com"], "level": "off"},
    "youtube": {"name": "YouTube 頻道", "name_en": "YouTube channel", "urls": ["youtube.com", "youtu.be"], "level": "off"},
}
CONTACT_PATTERNS = {
    "address": re.compile(r"地址|住址|\d{3,5}\s*\S{2,3}[市縣]"),
    "phone": re.compile(r"(電話|總機|Tel)[^0-9(]{0,6}\(?0\d{1,2}\)?[-\s]?\d{3,4}[-\s]?\d{3,4}", re.I),
    "fax": re.compile(r"(傳真|Fax)[^0-9(]{0,6}\(?0\d{1,2}\)?[-\s]?\d{3,4}[-\s]?\d{3,4}", re.I),
    "email": re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+"),
}
SEARCH_HELP_TEXTS = ("搜尋說明", "檢索說明", "查詢說明", "搜尋幫助", "檢索功能說明", "search help")
HELP_PAGE_WORDS = ("說明", "使用", "導覽", "幫助", "help", "Help")  # links to pages that may hold a search-help section
HELP_PAGE_READS = 5
# The search item fails on these rules still in force; the others of the check are the essentials item's.
SEARCH_FAILING = ("search-missing", "search-broken", "search-no-results", "search-no-help", "search-help-missing",
                  "search-known-item-missed", "search-no-paging", "search-no-sort", "search-no-examples")
SEARCH_RULES = (*SEARCH_FAILING, "search-untried", "search-no-count", "search-form-skipped")
RESULT_COUNT = re.compile(r"共\s*\d[\d,]*\s*筆|\d[\d,]*\s*筆(資料|結果)|找到\s*\d[\d,]*|搜尋結果\s*[:：]?\s*\d[\d,]*|"
                          r"\d[\d,]*\s+results?|of\s+(about\s+)?\d[\d,]*", re.I)
PER_PAGE = re.compile(r"每頁\s*(顯示)?\s*\d+\s*筆|\d+\s*筆\s*/\s*頁|per page", re.I)
PAGING_TEXT = re.compile(r"^(\d{1,4}|第\s*\d{1,4}\s*頁|[上下次前]一?頁|最[前末後]頁|末頁|[‹›«»<>]{1,2}|next|prev(ious)?|"
                         r"first|last)$", re.I)
SORT_WORDS = ("相關度", "相關性", "依日期", "依時間", "日期排序", "時間排序", "依主題", "排序", "sort", "relevance")
EXAMPLE_WORDS = re.compile(r"範例|例如|例：|例:|舉例|example", re.I)
# Ways of searching the plan names (一(二)(1)(2)), found in the words and URLs of the home page and the results.
MODES = {
    "fulltext": ("全文", "Full text", re.compile(r"全文檢索|全文搜尋|全文查詢|full.?text", re.I)),
    "advanced": ("進階或交叉", "Advanced or cross", re.compile(r"進階(搜尋|檢索|查詢)|交叉(查詢|檢索)|advanced", re.I)),
    "category": ("分類（主題／施政／服務）", "By category (theme, policy, service)",
                 re.compile(r"分類檢索|主題分類|施政分類|服務分類|govsearch", re.I)),
}
MAX_QUERIES = 60              # search.max_queries above this would be a load test, not an inspection
KNOWN_ITEM_LENGTH = (4, 30)   # a page title used as the known-item query: long enough to be specific

RULES = rule_table(
    Rule("element-missing", "error", "首頁、網站導覽及其連結頁面都找不到必要的網站資訊",
         "Required site element linked neither from the home page, the site map nor a page one link away", GUIDE),
    Rule("element-recommended", "warning", "首頁、網站導覽及其連結頁面都找不到建議的網站資訊",
         "Recommended site element not found", GUIDE),
    Rule("element-broken", "error", "必要網站資訊的連結失效", "Link to a required site element is broken", GUIDE),
    Rule("element-unresolved", "warning", "必要網站資訊的連結未能驗證：稽核主機無法解析網域名稱（DNS）",
         "Link to a required site element not checked: the audit machine could not resolve host names (DNS)", GUIDE),
    Rule("contact-details-missing", "error", "聯絡資訊頁缺少地址、電話、傳真或電子郵件",
         "Contact page lacks address, phone, fax or e-mail", "政府資訊公開法第7條第1項第3款"),
    Rule("search-missing", "error", "首頁及網站導覽都沒有可試查的站內搜尋",
         "No site search on the home page or the site map that can be tried",
         "提升服務品質執行計畫：多元及便利的資料檢索服務"),
    Rule("search-broken", "error", "站內搜尋無法使用", "Site search does not work",
         "提升服務品質執行計畫：多元及便利的資料檢索服務"),
    Rule("search-untried", "warning", "站內搜尋無法自動試查", "Site search could not be tried",
         "提升服務品質執行計畫：多元及便利的資料檢索服務"),
    Rule("search-no-results", "warning", "站內搜尋查詢常用詞沒有結果", "Site search lists nothing for a common query",
         "提升服務品質執行計畫：多元及便利的資料檢索服務"),
    Rule("search-no-help", "warning", "查無資料時沒有提供建議或說明", "No help when a search finds nothing",
         "提升服務品質執行計畫：檢索功能說明"),
    Rule("search-help-missing", "warning", "缺少檢索功能說明頁", "No search help page",
         "提升服務品質執行計畫：檢索功能說明"),
    Rule("search-known-item-missed", "error", "以網站既有頁面標題查詢，結果沒有列出該頁",
         "A search for the exact title of a page the site has does not list that page", SEARCH_LINE),
    Rule("search-no-paging", "warning", "多筆結果沒有分頁（頁碼連結或「共N筆／每頁N筆」）",
         "Many results but no paging (page links or a 'N results, N per page' line)", SEARCH_LINE),
    Rule("search-no-sort", "warning", "搜尋結果無法排序（相關度、日期、時間、主題）",
         "Search results cannot be sorted (relevance, date, time, subject)", SEARCH_LINE),
    Rule("search-form-skipped", "notice", "首頁或網站導覽上像搜尋的表單未送出試查（只送出站內搜尋）",
         "A form on the home page or site map that may be a search was not submitted (only site searches are)",
         SEARCH_LINE),
    Rule("search-no-count", "notice", "搜尋結果未顯示筆數", "Search results show no result count", SEARCH_LINE),
    Rule("search-no-examples", "warning", "檢索功能說明沒有使用範例", "The search help gives no usage examples",
         SEARCH_LINE),
    Rule("https-missing", "error", "網站未以 HTTPS 提供", "Site not served over HTTPS", GUIDE),
    Rule("certificate-invalid", "error", "HTTPS 憑證無效", "Invalid HTTPS certificate", GUIDE),
    Rule("certificate-expiring", "warning", "HTTPS 憑證即將到期", "HTTPS certificate expires soon", GUIDE),
    Rule("http-not-redirected", "warning", "http:// 未轉址到 https://", "http:// does not redirect to https://", GUIDE),
    Rule("hsts-missing", "notice", "未設定 HSTS 標頭", "No Strict-Transport-Security header", GUIDE),
    Rule("mixed-content", "warning", "https 頁面引用 http 資源（詳見連結檢查）", "http resources on https pages", GUIDE),
)


class EssentialsCheck:
    name = "essentials"
    title_zh = "網站必要資訊與檢索服務"
    title_en = "Site essentials, search and HTTPS"
    rules = RULES
    options: dict[str, Any] = {
        "elements": {},              # {"faq" = "recommended", "facebook" = "required", ...}
        "matchers": {},              # {"privacy" = ["隱私"], ...}: extra link texts per element
        "search_query": "水",          # a query that must list results
        "absurd_query": "zzqx不存在的查詢詞9471",
        "max_queries": 6,            # search requests in all, over every search form (spaced by the crawl's pace)
        "network": True,             # false: judge only what the crawl stored (no search, no HTTPS probes)
        "https_url": "",             # default: the first start URL with https://
        "http_url": "",              # default: the first start URL with http://
        "ca_file": "",               # extra trusted certificates (PEM) for the HTTPS probe
        "cert_warn_days": 30,
    }

    fields = (
        SummaryField("elements_required", "必要項目", "Required elements", "項"),
        SummaryField("mixed_content_resources", "https 頁面的 http 資源", "http resources on https pages", "個"),
    )

    def inspection(self, summary: dict[str, Any], findings: list[dict[str, Any]]) -> list[InspectionItem]:
        """Two items: the site's essentials (elements, contact details, HTTPS) and its search as tried (一(二)); each
        measured value names what failed rather than only what was found."""
        return [self.essentials_item(summary, [f for f in findings if f["rule"] not in SEARCH_RULES]),
                self.search_item(summary, [f for f in findings if f["rule"] in SEARCH_RULES])]

    def essentials_item(self, summary: dict[str, Any], findings: list[dict[str, Any]]) -> InspectionItem:
        found = len(summary.get("elements_found", {}))
        failing = sorted({f["rule"] for f in findings if f["severity"] == "error"})
        if failing:
            measured = ("未通過：" + "、".join(self.rules[r].zh for r in failing[:3]),
                        "Failing: " + "; ".join(self.rules[r].en for r in failing[:3]))
        else:
            measured = (f"找到 {found} 項", f"{found} elements found")
        status = status_of(summary)
        if status in (Status.PASS, Status.FAIL, Status.INCOMPLETE):
            status = Status.FAIL if failing else Status.INCOMPLETE if summary.get("elements_unchecked") else Status.PASS
        if summary.get("elements_unchecked"):
            measured = (f"{measured[0]}；部分連結未能驗證", f"{measured[1]}; some links not verified")
        return inspection_item(self, "essentials", "網站必要資訊", "Site essentials",
                               ("必要項目齊全、HTTPS", "Every required element present, HTTPS"), measured, status,
                               "政府網站服務管理規範", urls=(summary.get("elements_found") or {}).values())

    def search_item(self, summary: dict[str, Any], findings: list[dict[str, Any]]) -> InspectionItem:
        """The search as an inspector tries it: a known item found, advice when nothing is, paging, sorting, help
        and examples; 未完成 when it could not be tried."""
        search = summary.get("search") or {}
        status = status_of(summary)
        failing = sorted({f["rule"] for f in findings if f["rule"] in SEARCH_FAILING})
        if status in (Status.PASS, Status.FAIL, Status.INCOMPLETE):
            status = Status.FAIL if failing else Status.PASS if search.get("judged") else Status.INCOMPLETE
        if failing:
            measured = ("未通過：" + "、".join(self.rules[r].zh for r in failing[:2]),
                        "Failing: " + "; ".join(self.rules[r].en for r in failing[:2]))
        elif search.get("judged"):
            modes = search.get("modes") or []
            measured = ("查得既有頁面、有分頁、排序、說明及範例" + ("；另有" + "、".join(MODES[m][0] for m in modes)
                                                     if modes else ""),
                        "Finds a known page; paging, sorting, help and examples" + (
                            "; also " + ", ".join(MODES[m][1] for m in modes) if modes else ""))
        elif search.get("tried"):
            measured = ("未能完整試查", "Not tried in full")
        else:
            measured = ("無法試查", "Could not be tried")
        return inspection_item(self, "search", "資料檢索服務", "Site search",
                               ("查得到、可分頁排序、有說明範例及查無建議",
                                "Finds pages; paging, sorting, help, examples, advice on no result"),
                               measured, status, SEARCH_LINE,
                               urls=[*(u for form in search.get("forms") or [search]
                                       for u in (form.get("known_item_url", ""), form.get("query_url", ""),
                                                 form.get("absurd_url", ""))),
                                     summary.get("search_help_url") or ""])

    def validate(self, opts: dict[str, Any]) -> None:
        for key, level in opts["elements"].items():
            if key not in ELEMENTS:
                raise ConfigError(f"checks.essentials.elements.{key}: unknown element (known: {', '.join(ELEMENTS)})")
            if level not in LEVELS:
                raise ConfigError(f"checks.essentials.elements.{key}: {level!r} is not required, recommended or off")
        for key in opts["matchers"]:
            if key not in ELEMENTS:
                raise ConfigError(f"checks.essentials.matchers.{key}: unknown element")
        if isinstance(opts["max_queries"], bool) or not 0 <= opts["max_queries"] <= MAX_QUERIES:
            raise ConfigError(f"checks.essentials.max_queries: expected a whole number from 0 to {MAX_QUERIES}, "
                              f"got {opts['max_queries']!r}")
        for key in ("search_query", "absurd_query"):
            if not opts[key].strip():
                raise ConfigError(f"checks.essentials.{key}: must not be empty")

    def run(self, ctx: CheckContext) -> CheckResult:
        """Tried with requests and read with BeautifulSoup: both are imported when the check runs (RUNNER)."""
        return lazy.load(RUNNER)().run(ctx)


CHECK = EssentialsCheck()
