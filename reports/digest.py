"""The nightly digest: one short plain-text mail after an audit that brought something new since the previous
complete run of the site — new and fixed findings counted by check and rule with their first URLs, the inspection
items whose result changed, and a line per check that could not run. Nothing new, no mail (unless
`digest.always`). It goes through the SMTP settings of `[uptime]`; a send that fails is one warning line, printed
and stored with the run, never silent.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from siteaudit import checks as registry
from siteaudit.core import mail
from siteaudit.core.config import Config
from siteaudit.core.dates import labelled, run_zone
from siteaudit.core.results import Status
from siteaudit.core.store import Store
from siteaudit.reports.export import STATUS_WORDS
from siteaudit.reports.history import diff_runs
from siteaudit.verdict.judge import Verdict, stored_items

MAX_ATTACHMENT = 10 * 1024 * 1024   # a larger report.html is linked (digest.report_url), not attached
COULD_NOT_RUN = (Status.ERROR, Status.NOT_RUN)
CHANNEL = "digest"


@dataclass
class Group:
    label: str
    count: int
    urls: list[str]


@dataclass
class Digest:
    """What the night brought, against the previous complete run (None: the site's first run)."""

    run: dict[str, Any]
    status: str
    previous_run: int | None
    new: list[Group] = field(default_factory=list)
    fixed: list[Group] = field(default_factory=list)
    changed: list[tuple[str, str, str, str]] = field(default_factory=list)   # item, before, now, measured
    could_not_run: list[tuple[str, str]] = field(default_factory=list)       # check, why
    newly_not_run: bool = False

    @property
    def news(self) -> bool:
        """Did anything change since the previous run?"""
        return bool(self.new or self.fixed or self.changed or self.newly_not_run)


def rule_label(check: str, rule: str, lang: str) -> str:
    """「連結有效性：失效連結」: the check's title and the rule's name as the report shows them."""
    c = registry.REGISTRY.get(check)
    title = (c.title_zh if lang == "zh" else c.title_en) if c else check
    r = c.rules.get(rule) if c else None
    name = (r.zh if lang == "zh" else r.en) if r else rule
    return f"{title}：{name}" if lang == "zh" else f"{title}: {name}"


def grouped(findings: list[dict[str, Any]], shown: int, lang: str) -> list[Group]:
    """Findings counted by check and rule, most first, each with its first `shown` URLs."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for f in findings:
        groups[(f["check"], f["rule"])].append(f)
    out = [Group(rule_label(c, r, lang), len(fs), [f["url"] for f in fs if f["url"]][:shown])
           for (c, r), fs in groups.items()]
    return sorted(out, key=lambda g: (-g.count, g.label))


def compose(store: Store, run: dict[str, Any], verdict: Verdict, shown: int = 3, lang: str = "zh") -> Digest:
    """The digest of `run`, judged by `verdict`, against the site's previous complete run."""
    findings = store.findings(run["id"])
    diff = diff_runs(store, {**run, "summary": run.get("summary", {})}, findings, verdict.items)
    words = STATUS_WORDS[lang]
    digest = Digest(run, str(verdict.status), diff.previous_run)
    digest.new = grouped(diff.new if diff.previous_run else findings, shown, lang)
    digest.fixed = grouped(diff.fixed, shown, lang)
    previous = store.run(diff.previous_run) if diff.previous_run else None
    before = {i.id: i for i in stored_items(previous)} if previous else {}
    for item in verdict.items:
        old = before.get(item.id)
        if old is not None and old.status != item.status:
            digest.changed.append((item.zh if lang == "zh" else item.en, words.get(old.status, old.status),
                                   words.get(item.status, item.status),
                                   item.measured_zh if lang == "zh" else item.measured_en))
    ran_before = ((previous or {}).get("verdict") or {}).get("checks") or {}
    for name, summary in verdict.checks.items():
        status = Status(summary.get("status", Status.NOT_RUN))
        if status in COULD_NOT_RUN:
            c = registry.REGISTRY.get(name)
            title = (c.title_zh if lang == "zh" else c.title_en) if c else name
            digest.could_not_run.append((title, str(summary.get("reason") or words.get(status, status))))
            if previous is None or ran_before.get(name) not in COULD_NOT_RUN:
                digest.newly_not_run = True
    return digest


def subject(d: Digest, lang: str) -> str:
    new, fixed = sum(g.count for g in d.new), sum(g.count for g in d.fixed)
    status = STATUS_WORDS[lang].get(d.status, d.status)
    if lang == "zh":
        return f"[siteaudit] {d.run['site']} 第 {d.run['id']} 次稽核：{status}，新發現 {new} 項、已修復 {fixed} 項"
    return f"[siteaudit] {d.run['site']} run {d.run['id']}: {status}, {new} new, {fixed} fixed"


def body(d: Digest, lang: str, report_line: str) -> str:
    """The plain-text mail: a few lines a person reads in the morning."""
    zh = lang == "zh"
    zone = run_zone(d.run)
    lines = [f"網站：{d.run['site']}　稽核結果：{STATUS_WORDS[lang].get(d.status, d.status)}" if zh else
             f"Site: {d.run['site']}, result: {STATUS_WORDS[lang].get(d.status, d.status)}",
             (f"第 {d.run['id']} 次稽核，{labelled(d.run['started'], zone, lang)}" if zh else
              f"Run {d.run['id']}, {labelled(d.run['started'], zone, lang)}"),
             (f"與第 {d.previous_run} 次稽核比較。" if zh else f"Compared with run {d.previous_run}.")
             if d.previous_run else ("本網站的第一次稽核。" if zh else "The site's first run."), ""]

    def section(title: str, groups: list[Group]) -> None:
        if not groups:
            return
        lines.append(title)
        for g in groups:
            lines.append(f"  {g.label}　{g.count} 項" if zh else f"  {g.label}: {g.count}")
            lines.extend(f"    {url}" for url in g.urls)
            if g.count > len(g.urls) and g.urls:
                lines.append(f"    …其餘 {g.count - len(g.urls)} 項見報告" if zh else
                             f"    … {g.count - len(g.urls)} more in the report")
        lines.append("")

    section(f"新發現（{sum(g.count for g in d.new)} 項）：" if zh else f"New findings ({sum(g.count for g in d.new)}):",
            d.new)
    section(f"已修復（{sum(g.count for g in d.fixed)} 項）：" if zh else
            f"Fixed findings ({sum(g.count for g in d.fixed)}):", d.fixed)
    if d.changed:
        lines.append("結果改變的查核項目：" if zh else "Inspection items whose result changed:")
        lines.extend(f"  {name}：{old} → {new}（{measured}）" if zh else f"  {name}: {old} -> {new} ({measured})"
                     for name, old, new, measured in d.changed)
        lines.append("")
    if d.could_not_run:
        lines.append("未能執行的檢查：" if zh else "Checks that could not run:")
        lines.extend(f"  {name}：{why}" if zh else f"  {name}: {why}" for name, why in d.could_not_run)
        lines.append("")
    if not d.news:
        lines.extend(["自前次稽核以來沒有變化。" if zh else "Nothing changed since the previous run.", ""])
    lines.append(report_line)
    return "\n".join(lines) + "\n"


def report_line(cfg: Config, report: Path | None, lang: str) -> tuple[str, bytes | None]:
    """The closing line about the report, and the report's bytes when it is attached."""
    zh = lang == "zh"
    data = None
    if cfg.digest.attach_report and report is not None and report.is_file() \
            and report.stat().st_size <= MAX_ATTACHMENT:
        data = report.read_bytes()
        return ("完整報告見附件 report.html。" if zh else "The full report is attached (report.html)."), data
    if cfg.digest.report_url:
        return (f"完整報告：{cfg.digest.report_url}" if zh else f"The full report: {cfg.digest.report_url}"), None
    return ("完整報告：請見稽核主機上的 report.html。" if zh else "The full report: report.html on the audit host."), None


def message(cfg: Config, d: Digest, report: Path | None, lang: str) -> EmailMessage:
    """The mail: plain text, the report attached or linked."""
    line, data = report_line(cfg, report, lang)
    m = EmailMessage()
    m["Subject"] = subject(d, lang)
    m["From"] = cfg.uptime.mail_from
    m["To"] = ", ".join(cfg.digest.mail_to)
    m.set_content(body(d, lang, line))
    if data is not None:
        m.add_attachment(data, maintype="text", subtype="html", filename="report.html")
    return m


def send_digest(store: Store, cfg: Config, run_id: int, verdict: Verdict, report: Path | None,
                lang: str = "zh") -> str | None:
    """Mail the digest of a finished run when it brings something new (or `digest.always`) and has recipients.
    Returns the warning line of a send that failed (stored with the run), else None."""
    if not cfg.digest.mail_to:
        return None
    run = store.run(run_id) or {}
    d = compose(store, run, verdict, cfg.digest.urls_shown, lang)
    if not d.news and not cfg.digest.always:
        return None
    sent, detail = mail.send(cfg.uptime, message(cfg, d, report, lang))
    store.add_run_message(run["site"], run_id, CHANNEL, sent, detail)
    return None if sent else f"warning: the digest mail of run {run_id} was not sent: {detail}"
