"""Link check: every link and embedded resource judged from what the crawl fetched.

One finding per distinct target and rule, listing every page that links to it with its link text.
Rules and options: docs/checks/links.md.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from siteaudit.checks.a11y_rules import PROBE_WORDS
from siteaudit.checks.base import (
    LISTED_PAGES,
    CheckContext,
    CheckResult,
    Finding,
    Rule,
    finding,
    inspection_item,
    listed_in,
    rule_table,
    sort_findings,
    status_from,
    status_of,
    validate_regexes,
)
from siteaudit.core.results import InspectionItem, SummaryField
from siteaudit.core.store import Target
from siteaudit.core.urlparts import has_userinfo
from siteaudit.core.urls import authority_problem, has_illegal_characters, trap_pages

PLAN = "提升服務品質執行計畫：網站資訊內容及連結抽測"
RESOURCE_ELEMENTS = frozenset({"img", "script", "link", "iframe", "frame", "object", "embed", "source", "video",
                               "audio"})
# Vague link texts: the accessibility check reports them (vague-link-text); they say nothing of a title either.
GENERIC_TEXTS = frozenset(w.lower() for w in PROBE_WORDS["vague_links"]) | {"..."}
EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
PHONE = re.compile(r"^\+?[0-9][0-9()\-. ]{2,}(;ext=\d+)?$")
REASONS_ZH = {
    "dns": "找不到主機（DNS 查詢失敗）", "refused": "連線被拒", "timeout": "連線逾時", "tls": "TLS/SSL 憑證錯誤",
    "connection": "連線中斷", "encoding": "內容無法解碼", "oversize": "檔案超過大小上限", "error": "請求失敗",
    "policy": "不予連線（只連 http/https，不連內部網路位址）",
}
REASONS_EN = {
    "dns": "host not found (DNS lookup failed)", "refused": "connection refused", "timeout": "timed out",
    "tls": "TLS/SSL certificate error", "connection": "connection lost", "encoding": "content could not be decoded",
    "oversize": "file over the size limit", "error": "request failed",
    "policy": "not fetched (only http/https, never internal network addresses)",
}
# What a TLS failure's raw text (crawler.errors' label or OpenSSL's words) says, in plain words: (markers, zh, en).
TLS_PROBLEMS = (
    (("expired",), "已過期", "expired"),
    (("self-signed", "self signed"), "自簽", "self-signed"),
    (("mismatch", "does not match"), "主機名稱不符", "host name mismatch"),
    (("local issuer", "untrusted", "unknown ca"), "簽發者不受信任", "untrusted issuer"),
)

RULES = rule_table(
    Rule("broken-link", "error", "連結失效", "Broken link", PLAN),
    Rule("broken-resource", "error", "頁面引用的資源失效（圖片、程式、樣式或框架）",
         "Broken embedded resource (image, script, stylesheet or frame)", PLAN),
    Rule("could-not-verify", "warning", "無法驗證連結（需登入、流量限制或防火牆阻擋）",
         "Link could not be verified (authentication, rate limit or WAF)", PLAN),
    Rule("unresolved-host", "warning", "未能驗證連結：稽核主機無法解析網域名稱（DNS），不是連結失效",
         "Link not checked: the audit machine could not resolve host names (DNS); not a broken link", PLAN),
    Rule("no-dns-resolver", "notice", "稽核主機沒有可用的 DNS：外部網站名稱都無法解析，外部連結未能驗證",
         "The audit machine had no working DNS: no external host name resolved, external links were not checked",
         PLAN),
    Rule("incomplete-response", "warning", "回應不完整（連線中斷、分塊傳輸錯誤）或無法完整解析，內容未能完整檢查",
         "Answer cut short (connection reset, broken chunked body) or not fully parsed: not fully checked", PLAN),
    Rule("redirect-loop", "error", "重新導向迴圈", "Redirect loop", PLAN),
    Rule("redirect-chain-too-long", "error", "重新導向次數過多", "Redirect chain longer than the limit", PLAN),
    Rule("permanent-redirect", "notice", "連結已永久轉址，請更新為新網址", "Permanent redirect: update the link", PLAN),
    Rule("http-to-https", "notice", "連結由 http 轉址至 https，請直接使用 https", "http link upgraded to https", PLAN),
    Rule("redirect-other-host", "notice", "連結轉址至其他網站", "Link redirects to another host", PLAN),
    Rule("credentials-in-link", "error", "連結網址內含帳號或密碼（已遮蔽），公開頁面不得揭露登入資訊",
         "Link with a user name or password in its address (redacted): a public page must not publish credentials",
         "資通安全管理法：機關網站不得公開帳號密碼"),
    Rule("invalid-href", "warning", "連結網址格式不正確", "Invalid link address", PLAN),
    Rule("missing-fragment", "warning", "連結指定的頁內錨點不存在", "Link fragment (#id) not found on the target", PLAN),
    Rule("insecure-link", "warning", "連結使用不安全的 http，該網站亦提供 https", "http link to a host that serves https",
         PLAN),
    Rule("mixed-content", "warning", "https 頁面引用 http 資源（混合內容）", "http resource on an https page", PLAN),
    Rule("title-mismatch", "notice", "連結文字與目標頁標題不一致", "Link text shares nothing with the target's title",
         "提升服務品質執行計畫：資訊標題應與內容一致"),
    Rule("crawler-trap", "notice", "發現爬蟲陷阱（如無限延伸的日曆），已截斷",
         "Crawler trap found (an endless calendar…) and cut", "提升服務品質執行計畫：網站資訊內容及連結抽測"),
)


@dataclass
class Referrers:
    pages: list[str] = field(default_factory=list)
    detail: list[dict[str, str]] = field(default_factory=list)
    seen: set[tuple[str, str]] = field(default_factory=set)
    page_set: set[str] = field(default_factory=set)

    def add(self, page: str, text: str, element: str, raw: str | None = None) -> None:
        key = (page, text)
        if key in self.seen:
            return
        self.seen.add(key)
        if page not in self.page_set:
            self.page_set.add(page)
            self.pages.append(page)
        item = {"page": page, "text": text, "element": element}
        if raw is not None:
            item["href"] = raw
        self.detail.append(item)


def is_mixed_content(page: str, url: str, element: str) -> bool:
    """An http:// resource (image, script, stylesheet, frame…) embedded in an https:// page."""
    return page.startswith("https://") and url.startswith("http://") and element in RESOURCE_ELEMENTS


def bigrams(text: str) -> set[str]:
    """Character bigrams of the CJK runs and lower-cased words of the rest: works for Chinese and English."""
    text = text.lower()
    grams: set[str] = set()
    for run in re.findall(r"[\u3400-\u9fff\uf900-\ufaff]+", text):
        grams |= {run[i:i + 2] for i in range(len(run) - 1)} if len(run) > 1 else {run}
    grams |= {w for w in re.findall(r"[a-z0-9]{2,}", text)}
    return grams


class LinksCheck:
    name = "links"
    title_zh = "連結有效性"
    title_en = "Link validity"
    rules = RULES
    options: dict[str, Any] = {
        "ignore": [],               # regexes of target URLs not to judge
        "accepted_codes": {},       # {"host": [codes]} answers that count as valid for that host
        "external": True,           # judge external links
        "max_redirects": 5,         # longer chains are an error
        "title_consistency": True,  # the title-mismatch notice
    }

    fields = (
        SummaryField("links", "連結數", "Links", "個"),
        SummaryField("targets_checked", "檢查的網址", "Distinct URLs checked", "個"),
        SummaryField("broken", "失效連結", "Broken links", "個"),
        SummaryField("could_not_verify", "無法驗證", "Could not verify", "個"),
        SummaryField("unresolved", "未驗證（稽核主機無 DNS）", "Not checked (no DNS on the audit machine)", "個"),
        SummaryField("trap_pages", "陷阱頁（不列入檢查）", "Trap pages (not audited)", "頁"),
        SummaryField("not_checked", "未檢查（超出頁數或深度上限，未請求）",
                     "Not checked (past the page budget or depth limit, never requested)", "個"),
    )

    def inspection(self, summary: dict[str, Any], findings: list[dict[str, Any]]) -> list[InspectionItem]:
        broken, unknown = summary.get("broken", 0), summary.get("could_not_verify", 0)
        skipped = summary.get("not_checked", 0)
        budget = (f"；{skipped} 個網址超出頁數或深度上限未檢查", f"; {skipped} URLs past the page budget or depth "
                  "limit not checked") if skipped else ("", "")
        unresolved = summary.get("unresolved", 0)
        no_dns = (f"；{unresolved} 個外部網址因稽核主機無 DNS 未驗證",
                  f"; {unresolved} external URLs not checked (no DNS on the audit machine)") if unresolved else ("", "")
        return [inspection_item(self, "links", "連結有效性", "Link validity", ("失效連結 0", "No broken links"),
                     (f"失效 {broken}，無法驗證 {unknown}{budget[0]}{no_dns[0]}",
                      f"{broken} broken, {unknown} could not be verified{budget[1]}{no_dns[1]}"),
                     status_of(summary), "網站資訊內容及連結抽測", float(broken),
                     note=listed_in(self, "全站連結", "Every link"))]

    def validate(self, opts: dict[str, Any]) -> None:
        validate_regexes(self.name, "ignore", opts["ignore"])

    def run(self, ctx: CheckContext) -> CheckResult:
        opts = ctx.options
        title_words: dict[str, set[str]] = {}  # per run, never on the shared check object
        ignore = [re.compile(p) for p in opts["ignore"]]
        accepted = {h.lower(): set(codes) for h, codes in opts["accepted_codes"].items()}
        targets = ctx.store.targets(ctx.run_id)
        https_hosts = {urlsplit(u).hostname for u, t in targets.items()
                       if u.startswith("https://") and t.verdict in ("ok", "redirect")}
        groups: dict[tuple[str, str], Referrers] = defaultdict(Referrers)
        evidence: dict[tuple[str, str], dict[str, Any]] = {}
        checked: set[str] = set()
        not_checked: set[str] = set()
        url_info: dict[str, tuple[Any, ...]] = {}
        text_cache: dict[tuple[str, str], tuple[str, dict[str, Any]] | None] = {}
        traps = ctx.store.traps(ctx.run_id)
        trapped = trap_pages(traps)  # counted apart: no title or text judgement on or about them

        def note_all(rule: str, url: str, pages: list[str], text: str, element: str, ev: dict[str, Any],
                     raw: str | None = None) -> None:
            key = (rule, url)
            for page in pages:
                groups[key].add(page, text, element, raw)
            evidence.setdefault(key, ev)

        https_pages = any(t.is_html and u.startswith("https://") for u, t in targets.items())
        link_count = 0
        columns = ("scope", "url", "raw", "text", "element", "fragment")
        for scope, url, raw, text, element, fragment, pages, occurrences in ctx.store.link_groups(ctx.run_id, columns):
            link_count += occurrences
            text = text or ""
            if scope == "form":
                continue
            if scope == "invalid" or (raw is not None and scope != "unchecked" and has_illegal_characters(raw)):
                note_all("invalid-href", raw or "", pages, text, element, {"href": raw, "problem": _href_problem(raw)},
                     raw=raw)
                if scope == "invalid":
                    continue
            if scope == "unchecked":
                problem = _scheme_problem(raw or "")
                if problem:
                    note_all("invalid-href", raw or "", pages, text, element, {"href": raw, "problem": problem}, raw=raw)
                continue
            if raw is not None and url is not None and has_userinfo(raw):  # judged below without the credentials
                note_all("credentials-in-link", raw, pages, text, element, {"href": raw, "target": url}, raw=raw)
            if url is None or (ignore and any(p.search(url) for p in ignore)):
                continue
            if scope == "external" and not opts["external"]:
                continue
            if url not in targets:  # never requested: past crawl.max_pages or max_depth (or cut as a trap)
                not_checked.add(url)
                continue
            checked.add(url)
            info = url_info.get(url)
            if info is None:
                info = url_info[url] = self.target_info(url, targets, accepted, opts["max_redirects"], https_hosts)
            rule, ev, notices, page_target, http_host = info
            if rule == "broken-link" and element in RESOURCE_ELEMENTS:
                rule = "broken-resource"
            if rule:
                note_all(rule, url, pages, text, element, ev, raw=raw)
            for extra, extra_ev in notices:
                note_all(extra, url, pages, text, element, extra_ev, raw=raw)
            if http_host:
                mixed = [p for p in pages if is_mixed_content(p, url, element)] if https_pages else []
                if mixed:
                    note_all("mixed-content", url, mixed, text, element, {"host": http_host}, raw=raw)
                if http_host in https_hosts and len(mixed) < len(pages):
                    note_all("insecure-link", url, [p for p in pages if p not in mixed], text, element,
                             {"host": http_host}, raw=raw)
            if page_target is not None and element in ("a", "area"):
                if fragment and page_target.anchors is not None:
                    wanted = unquote(fragment)
                    # "#top" is the top of any document (HTML: "scroll to the fragment")
                    if wanted not in page_target.anchors and fragment not in page_target.anchors \
                            and wanted.lower() != "top":
                        note_all("missing-fragment", f"{url}#{fragment}", pages, text, element,
                             {"fragment": fragment}, raw=raw)
                # a link to the page itself says nothing of its title; trap pages are not audited
                others = [p for p in pages if p != url and p not in trapped]
                if text and others and url not in trapped:
                    key = (url, text)
                    if key not in text_cache:
                        text_cache[key] = self.text_rule(text, page_target, opts, title_words)
                    if text_cache[key]:
                        text_rule, text_ev = text_cache[key]
                        note_all(text_rule, url, others, text, element, text_ev, raw=raw)

        for url, target in targets.items():  # pages nothing links to (the start page) are incomplete too
            key = ("incomplete-response", url)
            if target.error == "incomplete" and key not in groups:
                groups[key] = Referrers()
                evidence[key] = {"reason": target.error_detail}
        findings: list[Finding] = [self.trap_notice(t) for t in traps]
        for (rule, url), refs in groups.items():
            ev = dict(evidence[(rule, url)])
            ev["referrers"] = refs.detail
            reason_en = ev.pop("reason_en", None) or ev.get("reason", "")
            judged = rule in ("broken-link", "broken-resource", "could-not-verify", "incomplete-response",
                              "unresolved-host")
            detail, detail_en = (ev.get("reason", ""), reason_en) if judged else ("", "")
            readable = readable_name(url)
            if readable:
                ev["file_name"] = readable
                detail = f"{readable}：{detail}" if detail else readable
                detail_en = f"{readable}: {detail_en}" if detail_en else readable
            findings.append(finding(self, rule, url, refs.pages, detail, ev, detail_en=detail_en))
        unresolved = [f for f in findings if f.rule == "unresolved-host"]
        if unresolved:
            findings.append(self.no_resolver_notice(unresolved))
        sort_findings(findings)
        counts: dict[str, int] = defaultdict(int)
        for f in findings:
            counts[f.rule] += 1
        status = status_from(findings)
        summary = {
            "status": "incomplete" if unresolved and status == "pass" else str(status),
            "targets_checked": len(checked) - counts["unresolved-host"],  # an unresolved URL was not checked
            "links": link_count,
            "broken": counts["broken-link"] + counts["broken-resource"],
            "could_not_verify": counts["could-not-verify"],
            "unresolved": counts["unresolved-host"],
            "trap_pages": len(trapped),
            "not_checked": len(not_checked),
            "not_checked_examples": sorted(not_checked)[:20],
            "trap_urls_skipped": sum(t.skipped for t in traps),
            "by_rule": dict(sorted(counts.items())),
        }
        if unresolved:
            summary["incomplete"] = (f"{len(unresolved)} external URLs not checked: the audit machine could not "
                                     "resolve host names (DNS)")
        return CheckResult(findings, summary)

    def no_resolver_notice(self, unresolved: list[Finding]) -> Finding:
        """The run-level notice, once: the machine had no resolver, so these links were not checked."""
        hosts = sorted({(urlsplit(f.url).hostname or "").lower() for f in unresolved})
        pages = sorted({p for f in unresolved for p in f.pages})
        return finding(self, "no-dns-resolver", "", pages[:LISTED_PAGES],
                       f"{len(hosts)} 個外部主機、{len(unresolved)} 個網址未能驗證，請在能解析網域名稱的主機上重新稽核",
                       {"hosts": hosts, "urls": len(unresolved), "detail": unresolved[0].evidence.get("detail"),
                        "page_count": len(pages)},
                       detail_en=f"{len(hosts)} external hosts, {len(unresolved)} URLs not checked; audit again "
                                 "from a machine that resolves host names")

    def trap_notice(self, trap: Any) -> Finding:
        """One notice per trap: its path, what grows, how many URLs were skipped and pages set apart."""
        what = {"growing-parameter": "參數逐頁遞增", "query-cap": "查詢字串組合過多",
                "repeated-path-segments": "路徑重複"}.get(trap.reason, trap.reason)
        params = f"（參數 {'、'.join(trap.parameters)}）" if trap.parameters else ""
        what_en = {"growing-parameter": "a parameter grows link after link", "query-cap": "too many query strings",
                   "repeated-path-segments": "repeated path segments"}.get(trap.reason, trap.reason)
        params_en = f" (parameters {', '.join(trap.parameters)})" if trap.parameters else ""
        detail = f"{urlsplit(trap.path).path}{params}{what}：略過 {trap.skipped} 個網址"
        detail_en = f"{urlsplit(trap.path).path}{params_en}: {what_en}; {trap.skipped} URLs skipped"
        if trap.pages:
            detail += f"，{len(trap.pages)} 頁只經由陷阱到達，不列入檢查"
            detail_en += f", {len(trap.pages)} pages reached only through the trap are not audited"
        return finding(self, "crawler-trap", trap.path, sorted(trap.pages)[:50], detail,
                       {"path": trap.path, "reason": trap.reason, "parameters": trap.parameters,
                        "skipped": trap.skipped, "trap_pages": len(trap.pages), "examples": trap.examples},
                       detail_en=detail_en)

    def judge(self, url: str, targets: dict[str, Target], accepted: dict[str, set[int]],
              max_redirects: int) -> tuple[str | None, dict[str, Any]]:
        """The error-or-warning rule for a target (None when valid), with its evidence."""
        target = targets.get(url)
        if target is None:
            return None, {}
        chain = target.redirect_chain or [[url, target.status]]
        if chain and chain[-1][1] == "loop":
            return "redirect-loop", {"chain": chain, "reason": "重新導向迴圈 redirect loop", "reason_en": "redirect loop"}
        if len(chain) - 1 > max_redirects:
            return "redirect-chain-too-long", {"chain": chain, "hops": len(chain) - 1}
        final = targets.get(chain[-1][0]) or target
        if final.verdict == "skipped":
            return None, {}
        status = final.status
        host = urlsplit(final.url).netloc.lower()
        if status is not None and status in accepted.get(host, ()):
            return None, {}
        ev: dict[str, Any] = {"status": status, "final_url": final.url}
        if len(chain) > 1:
            ev["chain"] = chain
        if final.verdict == "unresolved":  # the audit machine had no resolver (crawler.resolver)
            ev.update(reason="稽核主機沒有可用的 DNS", reason_en="no working DNS on the audit machine",
                      error=final.error, detail=final.error_detail)
            return "unresolved-host", ev
        if final.verdict == "blocked":
            ev["reason"] = ev["reason_en"] = final.error_detail or f"HTTP {status}"
            return "could-not-verify", ev
        if final.verdict == "broken" or (final.verdict == "error" and status is None):
            if final.error == "policy":  # a redirect or link the crawler refused to follow
                ev["reason"], ev["reason_en"] = REASONS_ZH["policy"], REASONS_EN["policy"]
                ev["error"] = final.error
                ev["detail"] = final.error_detail
            elif status is not None:
                ev["reason"] = f"HTTP {status}" + (" 伺服器錯誤" if status >= 500 else "")
                ev["reason_en"] = f"HTTP {status}" + (" server error" if status >= 500 else "")
            else:
                ev["reason"], ev["reason_en"] = failure_words(final.error, final.error_detail)
                ev["error"] = final.error
                ev["detail"] = final.error_detail or final.error
            return "broken-link", ev
        if final.verdict == "error":
            ev["reason"] = f"HTTP {status}，沒有可用的回應"
            ev["reason_en"] = f"HTTP {status} without a usable answer"
            return "broken-link", ev
        return None, {}

    def redirect_notices(self, url: str, targets: dict[str, Target]) -> list[tuple[str, dict[str, Any]]]:
        target = targets.get(url)
        if target is None or len(target.redirect_chain) < 2 or target.redirect_chain[-1][1] == "loop":
            return []
        chain = target.redirect_chain
        final_url = chain[-1][0]
        out = []
        first_status = chain[0][1]
        a, b = urlsplit(url), urlsplit(final_url)
        if a.scheme == "http" and b.scheme == "https" and a.hostname == b.hostname:
            out.append(("http-to-https", {"final_url": final_url}))
        elif first_status in (301, 308):
            out.append(("permanent-redirect", {"final_url": final_url, "status": first_status}))
        if a.hostname != b.hostname and b.scheme in ("http", "https"):  # file:, javascript: are broken links
            out.append(("redirect-other-host", {"final_url": final_url}))
        return out

    def target_info(self, url: str, targets: dict[str, Target], accepted: dict[str, set[int]], max_redirects: int,
                    https_hosts: set[str]) -> tuple[Any, ...]:
        """Everything about a target that does not depend on the linking page, computed once per URL."""
        rule, ev = self.judge(url, targets, accepted, max_redirects)
        target = targets.get(url)
        final = targets.get(target.final_url) if target and target.final_url else target
        notices = self.redirect_notices(url, targets)
        if final is not None and final.error == "incomplete":
            notices.append(("incomplete-response", {"reason": final.error_detail, "final_url": final.url}))
        page_target = final if rule is None and final is not None and final.is_html and final.verdict == "ok" \
            else None
        http_host = urlsplit(url).hostname if url.startswith("http://") else None
        return rule, ev, notices, page_target, http_host

    def text_rule(self, text: str, final: Target, opts: dict[str, Any], title_words: dict[str, set[str]]
                  ) -> tuple[str, dict[str, Any]] | None:
        """title-mismatch for one link text and its target page (`title_words` memoises
        each target's title bigrams), or None."""
        plain = text.strip().strip("。.>»›").strip().lower()
        if plain in GENERIC_TEXTS:  # vague text is the accessibility check's vague-link-text (WCAG 2.4.4)
            return None
        if not opts["title_consistency"] or len(plain) < 2:
            return None
        words = title_words.get(final.url)
        if words is None:
            words = title_words[final.url] = bigrams(f"{final.title or ''} {final.h1 or ''}")
        wanted = bigrams(text)
        if wanted and words and not (words & wanted):
            return "title-mismatch", {"title": final.title, "h1": final.h1}
        return None

def failure_words(error: str | None, detail: str | None) -> tuple[str, str]:
    """Why a request failed in plain words, zh-TW and English; the raw detail stays in the evidence. A TLS failure
    names what is wrong with the certificate when the raw text says so."""
    kind = error if error in REASONS_ZH else "error"
    if kind == "tls":
        text = (detail or "").lower()
        for markers, zh, en in TLS_PROBLEMS:
            if any(m in text for m in markers):
                return f"TLS 憑證錯誤（{zh}）", f"TLS certificate error ({en})"
    return REASONS_ZH[kind], REASONS_EN[kind]


def readable_name(url: str) -> str | None:
    """The decoded last path segment of a percent-encoded URL (年度預算.pdf for %E5%B9%B4…), else None."""
    if "%" not in url:
        return None
    try:
        name = urlsplit(url).path.rsplit("/", 1)[-1]
    except ValueError:  # the raw href of an invalid-href finding
        return None
    if "%" not in name:
        return None
    decoded = unquote(name, errors="replace")
    return decoded if decoded != name and "\ufffd" not in decoded else None


def _href_problem(raw: str | None) -> str:
    if raw is None or not raw.strip():
        return "empty href"
    stripped = raw.strip()
    if stripped == "#":
        return "bare '#' goes nowhere"
    if stripped.lower().startswith("javascript:"):
        return "javascript: pseudo-link"
    if ":" in stripped.split("/", 1)[0] and not stripped.lower().startswith(("http:", "https:")):
        return f"unknown scheme {stripped.split(':', 1)[0]!r}"
    if has_illegal_characters(raw):
        return "whitespace or characters not allowed in a URL"
    if stripped.lower().startswith(("http:", "https:", "//")):
        return authority_problem(stripped if not stripped.startswith("//") else "http:" + stripped) \
            or "cannot be resolved"
    return "cannot be resolved"


def _scheme_problem(raw: str) -> str | None:
    raw = raw.strip()
    lower = raw.lower()
    if lower.startswith("mailto:"):
        address = unquote(raw[7:].split("?", 1)[0])
        if not address or not all(EMAIL.match(a.strip()) for a in address.split(",")):
            return f"malformed mailto: address {address!r}"
    elif lower.startswith("tel:"):
        number = unquote(raw[4:])
        if not PHONE.match(number.strip()):
            return f"malformed tel: number {number!r}"
    return None


CHECK = LinksCheck()
