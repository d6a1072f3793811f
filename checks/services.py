"""Online services and e-participation: the links to them, and whether they answer.

Two plan lines: 貳、二(一) online services (線上申辦, 網路繳費, 預約, 查詢, 取件通知…) with a foreign-language
version (found from hreflang, a lang="en" page or an English link), and 貳、二(二) e-participation channels (首長信箱, 滿意度調查, 1910 客服, social sites). Everything is read
from what the crawl stored (links and the answers to them); nothing is fetched and no form is ever submitted.
Rules, keywords and options: docs/checks/services.md.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from siteaudit.checks.base import (
    CheckContext,
    CheckResult,
    Finding,
    Rule,
    count_rules,
    finding,
    inspection_item,
    listed_in,
    rule_table,
    sort_findings,
    status_of,
)
from siteaudit.core.config import ConfigError
from siteaudit.core.results import InspectionItem, Status, SummaryField
from siteaudit.core.store import Target

ONLINE_LINE = "提升服務品質執行計畫 貳、二(一)"
PARTICIPATION_LINE = "提升服務品質執行計畫 貳、二(二)"

# id: (zh, en, words in a link's text or title, fragments of its URL)
SERVICES: dict[str, tuple[str, str, tuple[str, ...], tuple[str, ...]]] = {
    "apply": ("線上申辦", "Online applications", ("線上申辦", "網路申辦", "線上申請", "網路申請", "電子申辦", "e化服務",
                                                  "線上服務"), ()),
    "pay": ("網路繳費", "Online payment", ("網路繳費", "線上繳費", "繳費服務", "線上付款"), ()),
    "booking": ("預約", "Appointments", ("預約",), ()),
    "query": ("查詢", "Online enquiries", ("水費查詢", "線上查詢", "進度查詢", "查詢服務", "案件查詢"), ()),
    "notice": ("取件通知", "Notifications", ("取件通知", "簡訊通知", "通知服務", "到府通知"), ()),
}
CHANNELS: dict[str, tuple[str, str, tuple[str, ...], tuple[str, ...]]] = {
    "mailbox": ("信箱", "Mailbox", ("首長信箱", "處長信箱", "局長信箱", "分局長信箱", "便民信箱", "民意信箱", "意見信箱",
                                     "服務信箱", "陳情信箱", "線上陳情"), ()),
    "survey": ("問卷調查", "Survey or poll", ("滿意度調查", "問卷", "線上投票", "民意調查",
                                                                       "意見調查"), ()),
    "hotline": ("1910 專線", "1910 hotline", ("1910",), ("tel:1910",)),
    "social": ("社群網站", "Social sites", (), ("facebook.com", "fb.com", "youtube.com", "youtu.be", "instagram.com",
                                            "line.me", "twitter.com", "x.com", "flickr.com", "threads.net")),
}
FOREIGN_TEXTS = ("English", "ENGLISH", "EN", "英文版", "英文網站", "Foreign Language", "外語")
BLOCKED_AT_ROBOTS = (403, 429)  # an outside site refusing robots: could not verify, never a fail
LOGIN = 401                     # a login page is an answer

RULES = rule_table(
    Rule("service-missing", "error", "找不到此類線上服務的連結", "No link to this kind of online service", ONLINE_LINE),
    Rule("service-broken", "error", "線上服務的連結失效", "A link to an online service is broken", ONLINE_LINE),
    Rule("service-unverified", "warning", "線上服務的連結未能驗證（未抓取、外站拒絕或非 http 連結）",
         "The links to this online service could not be verified (not fetched, refused or not http)", ONLINE_LINE),
    Rule("foreign-missing", "error", "找不到外語版網站（hreflang 外語連結、lang=\"en\" 的頁面或 English 連結）",
         "No foreign-language version (an hreflang link to another language, a lang=\"en\" page or an English link)",
         ONLINE_LINE),
    Rule("foreign-recommended", "warning", "找不到外語版網站", "No foreign-language version found", ONLINE_LINE),
    Rule("channel-missing", "error", "找不到此類民眾參與管道", "No link to this e-participation channel",
         PARTICIPATION_LINE),
    Rule("channel-broken", "error", "民眾參與管道的連結失效", "A link to an e-participation channel is broken",
         PARTICIPATION_LINE),
    Rule("channel-unverified", "warning", "民眾參與管道的連結未能驗證（未抓取、外站拒絕或非 http 連結）",
         "The links to this channel could not be verified (not fetched, refused or not http)", PARTICIPATION_LINE),
    Rule("channels-too-few", "error", "可用的民眾參與管道不足", "Too few working e-participation channels",
         PARTICIPATION_LINE),
)
ONLINE_RULES = ("service-missing", "service-broken", "foreign-missing")
PARTICIPATION_RULES = ("channel-missing", "channel-broken", "channels-too-few")
LEVELS = ("required", "recommended", "off")


@dataclass
class Found:
    """The links naming one service or channel: each target URL with the pages linking it and how it answered."""

    answers: dict[str, str] = field(default_factory=dict)   # url -> ok | broken | unverified
    pages: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    def state(self) -> str:
        """ok when one link answers, else unverified when one could not be checked, else broken; none: no link."""
        states = set(self.answers.values())
        for state in ("ok", "unverified", "broken"):
            if state in states:
                return state
        return "none"

    def best(self) -> str:
        ranked = sorted(self.answers, key=lambda u: (("ok", "unverified", "broken").index(self.answers[u]),
                                                     -len(self.pages[u]), u))
        return ranked[0] if ranked else ""


def answer(url: str | None, targets: dict[str, Target], own_host: str) -> str:
    """ok, broken or unverified: how following `url` went. A login page (401) answers; an outside site refusing
    robots (403, 429), a URL never fetched and a link that is not http(s) are unverified."""
    if not url or not url.startswith(("http://", "https://")):
        return "unverified"
    target = targets.get(url)
    if target is None:
        return "unverified"
    if target.final_url and target.final_url != target.url:
        target = targets.get(target.final_url, target)
    if target.verdict in ("skipped", "unresolved"):
        return "unverified"
    if target.status == LOGIN:
        return "ok"
    if target.status in BLOCKED_AT_ROBOTS and urlsplit(url).hostname != own_host:
        return "unverified"
    if target.verdict == "ok" and target.status is not None and target.status < 400 and target.size != 0:
        return "ok"
    return "broken"


class ServicesCheck:
    name = "services"
    title_zh = "線上服務與民眾參與"
    title_en = "Online services and e-participation"
    rules = RULES
    options: dict[str, Any] = {
        "services": {},          # {"booking" = "required", "notice" = "off", ...}: level of each online service
        "channels": {},          # {"survey" = "required", ...}: level of each e-participation channel
        "service_texts": {},     # {service id: [words]} added to the built-in link words
        "channel_texts": {},     # {channel id: [words or URL fragments]} added to the built-in ones
        "foreign_language": "required",   # required | recommended | off
        "min_channels": 3,       # working channels of different kinds the site must offer
    }
    defaults = {"services": {"apply": "required", "pay": "required", "booking": "recommended",
                             "query": "recommended", "notice": "recommended"},
                "channels": {"mailbox": "required", "survey": "recommended", "hotline": "recommended",
                             "social": "recommended"}}

    fields = (
        SummaryField("services_found", "找到的線上服務", "Online services found", "類"),
        SummaryField("channels_found", "找到的參與管道", "E-participation channels found", "類"),
    )

    def validate(self, opts: dict[str, Any]) -> None:
        for key, table in (("services", SERVICES), ("channels", CHANNELS)):
            for kind, level in opts[key].items():
                if kind not in table:
                    raise ConfigError(f"checks.{self.name}.{key}.{kind}: unknown (known: {', '.join(table)})")
                if level not in LEVELS:
                    raise ConfigError(f"checks.{self.name}.{key}.{kind}: {level!r} is not required, recommended or off")
        for key, table in (("service_texts", SERVICES), ("channel_texts", CHANNELS)):
            for kind, words in opts[key].items():
                if kind not in table:
                    raise ConfigError(f"checks.{self.name}.{key}.{kind}: unknown (known: {', '.join(table)})")
                if not isinstance(words, list) or not all(isinstance(w, str) and w.strip() for w in words):
                    raise ConfigError(f"checks.{self.name}.{key}.{kind}: expected a list of non-empty strings")
        if opts["foreign_language"] not in LEVELS:
            raise ConfigError(f"checks.{self.name}.foreign_language: {opts['foreign_language']!r} is not required, "
                              "recommended or off")
        if isinstance(opts["min_channels"], bool) or not 0 <= opts["min_channels"] <= len(CHANNELS):
            raise ConfigError(f"checks.{self.name}.min_channels: expected a whole number from 0 to {len(CHANNELS)}, "
                              f"got {opts['min_channels']!r}")

    def inspection(self, summary: dict[str, Any], findings: list[dict[str, Any]]) -> list[InspectionItem]:
        """Two plan lines; each fails on its own errors still in force, and is 未完成 when a required kind could
        only be found unverified."""
        online = summary.get("online") or {}
        channels = summary.get("participation") or {}

        def judged(rules: tuple[str, ...], part: dict[str, Any]) -> Status:
            if status_of(summary) not in (Status.PASS, Status.FAIL, Status.INCOMPLETE):
                return status_of(summary)
            if count_rules(findings, *rules):
                return Status.FAIL
            return Status.INCOMPLETE if part.get("undecided") else Status.PASS

        def measured(part: dict[str, Any], table: dict[str, tuple[str, str, tuple[str, ...], tuple[str, ...]]]
                     ) -> tuple[str, str]:
            kinds = part.get("kinds") or {}
            if not kinds:
                return "未判定", "Not judged"
            ok = [k for k, v in kinds.items() if v["state"] == "ok"]
            zh, en = f"可用 {len(ok)} 類", f"{len(ok)} working"
            missing = [k for k, v in kinds.items() if v["state"] == "none" and v["level"] == "required"]
            unverified = [k for k, v in kinds.items() if v["state"] == "unverified"]
            broken = sum(1 for v in kinds.values() for link in v.get("links", []) if link["state"] == "broken")
            for words, en_words, ids in (("缺", "missing", missing), ("未能驗證", "unverified", unverified)):
                if ids:
                    zh += f"；{words}：" + "、".join(table[k][0] for k in ids)
                    en += f"; {en_words}: " + ", ".join(table[k][1] for k in ids)
            if broken:
                zh, en = zh + f"；失效連結 {broken} 個", en + f"; {broken} broken link{'s' if broken > 1 else ''}"
            if "foreign" in part:
                zh += "；外語版" + ("有" if part["foreign"] else "無")
                en += "; foreign-language version " + ("found" if part["foreign"] else "not found")
            return zh, en

        nowhere = listed_in(self, "網站上未找到", "Not found on the site")

        def urls(part: dict[str, Any]) -> list[str]:
            return [v["url"] for v in (part.get("kinds") or {}).values() if v.get("url", "").startswith("http")] + [
                part.get("foreign") or ""]

        online_urls, channel_urls = urls(online), urls(channels)
        return [
            inspection_item(self, "services-online", "線上服務", "Online services",
                            ("線上申辦、繳費等服務可用，提供外語版", "Online services work; a foreign-language version"),
                            measured(online, SERVICES), judged(ONLINE_RULES, online), ONLINE_LINE,
                            float(summary["services_found"]) if summary.get("services_found") is not None else None,
                            urls=online_urls, note=("", "") if any(online_urls) else nowhere),
            inspection_item(self, "services-participation", "民眾參與管道", "E-participation channels",
                            (f"至少 {summary.get('min_channels', self.options['min_channels'])} 類可用管道",
                             f"At least {summary.get('min_channels', self.options['min_channels'])} working channels"),
                            measured(channels, CHANNELS), judged(PARTICIPATION_RULES, channels), PARTICIPATION_LINE,
                            float(summary["channels_found"]) if summary.get("channels_found") is not None else None,
                            urls=channel_urls, note=("", "") if any(channel_urls) else nowhere),
        ]

    def run(self, ctx: CheckContext) -> CheckResult:
        opts = ctx.options
        targets = ctx.store.targets(ctx.run_id)
        own_host = urlsplit(ctx.config.site.start_urls[0]).hostname or ""
        rows = list(ctx.store.link_tuples(ctx.run_id, ("text", "title", "url", "raw", "element", "hreflang")))
        links = [(t or "", ti or "", u, r or "", p) for t, ti, u, r, el, _, p in rows if el in ("a", "area")]
        alternates = sorted({(u, lang.strip()) for _, _, u, _, el, lang, _ in rows
                             if lang and u and el in ("a", "area", "link") and foreign_tag(lang)})
        findings: list[Finding] = []
        online = self.judge(SERVICES, "services", "service", opts, links, targets, own_host, findings)
        online["foreign"], online["foreign_by"] = self.foreign(ctx, links, alternates, targets, own_host)
        if not online["foreign"] and opts["foreign_language"] != "off":
            rule = "foreign-missing" if opts["foreign_language"] == "required" else "foreign-recommended"
            findings.append(finding(self, rule, "", [], evidence={"looked_for": ["hreflang", 'lang="en"',
                                                                                  *FOREIGN_TEXTS]}))
        channels = self.judge(CHANNELS, "channels", "channel", opts, links, targets, own_host, findings)
        working = sum(1 for v in channels["kinds"].values() if v["state"] == "ok")
        reachable = sum(1 for v in channels["kinds"].values() if v["state"] in ("ok", "unverified"))
        if reachable < opts["min_channels"]:
            findings.append(finding(self, "channels-too-few", "", [], f"{working} 類（至少 {opts['min_channels']} 類）",
                                    {"working": working, "min_channels": opts["min_channels"]},
                                    detail_en=f"{working} (at least {opts['min_channels']})"))
        elif working < opts["min_channels"]:
            channels["undecided"] = True   # enough channels, but only with unverified ones counted
        sort_findings(findings)
        failed = any(f.severity == "error" for f in findings)
        undecided = [name for name, part in (("online services", online), ("e-participation", channels))
                     if part.get("undecided")]
        summary: dict[str, Any] = {
            "status": "fail" if failed else "incomplete" if undecided else "pass",
            "online": online, "participation": channels, "min_channels": opts["min_channels"],
            "services_found": sum(1 for v in online["kinds"].values() if v["state"] == "ok"),
            "channels_found": working,
        }
        if undecided:   # kept when errors are waived: a waiver accepts a finding, it verifies no link
            summary["incomplete"] = f"links not verified: {', '.join(undecided)}"
            if not failed:
                summary["reason"] = summary["incomplete"]
        return CheckResult(findings, summary)

    def judge(self, table: dict[str, tuple[str, str, tuple[str, ...], tuple[str, ...]]], key: str, prefix: str,
              opts: dict[str, Any], links: list[tuple[str, str, str | None, str, str]], targets: dict[str, Target],
              own_host: str, findings: list[Finding]) -> dict[str, Any]:
        """Each kind of `table`: its links (by text, title or URL), the best one and its state; findings for a
        required kind missing or broken, and any kind found only unverified."""
        extra = opts[f"{'service' if key == 'services' else 'channel'}_texts"]
        kinds: dict[str, Any] = {}
        undecided = False
        for kind, (zh, en, words, fragments) in table.items():
            level = opts[key].get(kind, self.defaults[key][kind])
            if level == "off":
                continue
            words = words + tuple(w for w in extra.get(kind, []) if "." not in w and ":" not in w)
            fragments = fragments + tuple(w for w in extra.get(kind, []) if "." in w or ":" in w)
            found = Found()
            for text, title, url, raw, page in links:
                label = f"{text} {title}"
                if any(w.lower() in label.lower() for w in words) or any(f in (url or raw) for f in fragments):
                    target = url or raw
                    # a phone number cannot be called: shown is what a machine can check
                    found.answers[target] = "ok" if raw.startswith("tel:") else answer(url, targets, own_host)
                    found.pages[target].add(page)
            state = found.state()
            best = found.best()
            kinds[kind] = {"level": level, "state": state, "url": best if state == "ok" else "",
                           "links": [{"url": u, "state": s} for u, s in sorted(found.answers.items())][:20]}
            pages = sorted(found.pages[best])[:10] if best else []
            if state == "none" and level == "required":
                findings.append(finding(self, f"{prefix}-missing", "", [], zh, {prefix: kind, "looked_for":
                                        list(words + fragments)}, detail_en=en))
            for url, how in sorted(found.answers.items()):
                if how == "broken":   # even beside a working one: the inspector may click this one
                    findings.append(finding(self, f"{prefix}-broken", url, sorted(found.pages[url])[:10], zh,
                                            {prefix: kind}, detail_en=en))
            if state == "unverified":
                findings.append(finding(self, f"{prefix}-unverified", best, pages, zh, {prefix: kind}, detail_en=en))
                undecided = undecided or level == "required"
        return {"kinds": kinds, "undecided": undecided}

    @staticmethod
    def foreign(ctx: CheckContext, links: list[tuple[str, str, str | None, str, str]],
                alternates: list[tuple[str, str]], targets: dict[str, Target], own_host: str) -> tuple[str, str]:
        """A foreign-language version that answers, and how it was found: a link or alternate (<link rel=alternate>)
        whose hreflang names a language other than Chinese, else a crawled page in English (lang="en…"), else a
        link labelled English, EN or 英文版."""
        for url, _ in alternates:
            if answer(url, targets, own_host) == "ok":
                return url, "hreflang"
        for row in ctx.store.pages(ctx.run_id, html_only=True):
            if (row["lang"] or "").lower().startswith("en"):
                return str(row["final_url"] or row["url"]), "lang"
        for text, title, url, _, _ in sorted(links, key=lambda link: link[2] or ""):
            label = f"{text} {title}".strip()
            if url and any(label == w or label.startswith(w + " ") or w in label and len(w) > 2
                           for w in FOREIGN_TEXTS) and answer(url, targets, own_host) == "ok":
                return url, "link"
        return "", ""


def foreign_tag(hreflang: str) -> bool:
    """An hreflang naming a language other than Chinese (x-default names none)."""
    primary = hreflang.strip().lower().split("-", 1)[0].split("_", 1)[0]
    return bool(primary) and primary not in ("zh", "x")


CHECK = ServicesCheck()
