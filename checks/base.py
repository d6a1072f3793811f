"""The contract every check follows.

A check is a module in `checks/` exposing `CHECK`, an object with:
- `name`, `title_zh`, `title_en`: its id and headings;
- `rules`: a dict of `Rule` (id, severity, zh-TW and English message, the regulation it enforces);
- `options`: defaults of its `[checks.<name>]` config table (unknown keys are a config error);
- optionally `validate(options)`: raise ConfigError on a bad option before anything is crawled;
- `run(ctx) -> CheckResult`: read one run through `ctx.store` and return findings plus a summary whose
  `status` is a `Status` (pass, fail, not_run);
- `fields`: the summary figures people read, with labels and units (`SummaryField`);
- `inspection(summary, findings) -> list[InspectionItem]`: the plan's inspection item(s) this check
  decides, from its summary and its findings still in force (waived ones removed). The verdict layer
  calls it; reports only render what it returns.
Findings name a rule id; reports, waivers and diffs work on rule ids, never on message strings.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from siteaudit.core.config import Config, ConfigError
from siteaudit.core.dates import local_today
from siteaudit.core.results import InspectionItem, Severity, Status, SummaryField, severity_rank
from siteaudit.core.store import Store

SEVERITIES = tuple(s.value for s in Severity)


@dataclass(frozen=True)
class Rule:
    id: str
    severity: str
    zh: str
    en: str
    regulation: str = ""


@dataclass
class Finding:
    check: str
    rule: str
    severity: str
    url: str
    pages: list[str]
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)
    message_en: str | None = None  # the English message, when the particulars the tool wrote differ by language

    def as_dict(self) -> dict[str, Any]:
        out = {"check": self.check, "rule": self.rule, "severity": self.severity, "url": self.url,
               "pages": self.pages, "message": self.message, "evidence": self.evidence}
        if self.message_en:
            out["message_en"] = self.message_en
        return out


class Fanout(Protocol):
    """Hands batches of a check's browser work to the other workers of a fleet (built by siteaudit.fleet)."""

    owner: str               # this process in a batch's lease: worker name and process id
    batch_pages: int         # pages per batch
    lease_seconds: float     # a batch's lease lapses this long after its holder stopped renewing it

    def send(self, store: str, run_id: int, stage: str, n: int, options: dict[str, Any]) -> None:
        """Offer batch `n` of `stage` to every worker; a batch nobody takes is tested by the caller."""
        ...


@dataclass
class CheckContext:
    store: Store
    run_id: int
    config: Config
    options: dict[str, Any]
    fanout: Fanout | None = None     # None: every page is tested in this process
    progress: Callable[[str], None] | None = None  # a long stage says how far it is (stderr of `siteaudit audit`)


@dataclass
class CheckResult:
    findings: list[Finding]
    summary: dict[str, Any]


class Check(Protocol):
    name: str
    title_zh: str
    title_en: str
    rules: dict[str, Rule]
    options: dict[str, Any]
    fields: tuple[SummaryField, ...]

    def run(self, ctx: CheckContext) -> CheckResult: ...

    def inspection(self, summary: dict[str, Any], findings: list[dict[str, Any]]) -> list[InspectionItem]: ...


def rule_table(*rules: Rule) -> dict[str, Rule]:
    for r in rules:
        if r.severity not in SEVERITIES:
            raise ValueError(f"rule {r.id}: unknown severity {r.severity}")
    return {r.id: r for r in rules}


LISTED_PAGES = 50  # pages a site-level finding lists; its evidence["page_count"] gives how many it affects


def finding(check: Check, rule_id: str, url: str, pages: list[str], detail: str = "",
            evidence: dict[str, Any] | None = None, severity: str | None = None,
            detail_en: str | None = None) -> Finding:
    """Build a finding from a rule of `check`; `detail` is appended to the rule's zh-TW message, and `detail_en`
    (when the tool's own words in `detail` are Chinese) to its English one."""
    rule = check.rules[rule_id]
    message = rule.zh + (f"：{detail}" if detail else "")
    if detail_en is None and not detail:
        detail_en = ""  # nothing particular: the rule's own English words
    message_en = rule.en + (f": {detail_en}" if detail_en else "") if detail_en is not None else None
    return Finding(check.name, rule_id, severity or rule.severity, url, pages, message, evidence or {}, message_en)


def sort_findings(findings: list[Finding]) -> None:
    """Errors first, then warnings, then notices; by rule and URL within each."""
    findings.sort(key=lambda f: (severity_rank(f.severity), f.rule, f.url, f.message))


def today_option(opts: dict[str, Any], zone: str, key: str = "today") -> date:
    """The `today` option of a check (an ISO date, for reproducible judgements), else today in the site's zone
    `zone` (site.timezone), never the machine's."""
    return date.fromisoformat(opts[key]) if opts.get(key) else local_today(zone)


def validate_today(check_name: str, opts: dict[str, Any]) -> None:
    if opts.get("today"):
        try:
            date.fromisoformat(opts["today"])
        except ValueError:
            raise ConfigError(f"checks.{check_name}.today: {opts['today']!r} is not an ISO date")


def validate_regexes(check_name: str, key: str, patterns: Any) -> None:
    """A check option that is a list of regular expressions: each must compile."""
    if not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
        raise ConfigError(f"checks.{check_name}.{key}: expected a list of regular expressions, got {patterns!r}")
    for i, pattern in enumerate(patterns):
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ConfigError(f"checks.{check_name}.{key}[{i}]: bad regular expression {pattern!r}: {exc}")


def home_page(ctx: CheckContext) -> str | None:
    """The crawled home page: where the first start URL that was fetched ended up."""
    for start in ctx.config.site.start_urls:
        row = ctx.store.fetched_page(ctx.run_id, start, start.rstrip("/") + "/")
        if row:
            return row["final_url"] or row["url"]
    return None


def status_from(findings: list[Finding]) -> Status:
    return Status.FAIL if any(f.severity == Severity.ERROR for f in findings) else Status.PASS


def status_of(summary: dict[str, Any] | None) -> Status:
    """The judged status in a summary; a check that left none did not run."""
    return Status((summary or {}).get("status") or Status.NOT_RUN)


def count_rules(findings: list[dict[str, Any]], *rules: str) -> int:
    """How many of `findings` break one of `rules` (all of them when none is named)."""
    return sum(1 for f in findings if not rules or f["rule"] in rules)


def inspection_item(check: Check, id: str, zh: str, en: str, target: tuple[str, str], measured: tuple[str, str],
         status: Status, regulation: str, figure: float | None = None, *, urls: Iterable[str] = (),
         note: tuple[str, str] = ("", "")) -> InspectionItem:
    """An inspection item of `check`, linked to its report section, with its 查核網址: `urls` on the site where
    the inspector sees it (blanks and repeats dropped), or `note` (zh-TW, English) for an item with no single
    place."""
    shown = tuple(dict.fromkeys(u for u in urls if u))
    return InspectionItem(id, zh, en, target[0], target[1], measured[0], measured[1], status, regulation,
                          f"check-{check.name}", figure, evidence_urls=shown, evidence_note_zh=note[0],
                          evidence_note_en=note[1])


def listed_in(check: Check, what_zh: str, what_en: str) -> tuple[str, str]:
    """The 查核網址 note of an item with no single place: what to look at, and the report section listing it."""
    return f"{what_zh}，見〈{check.title_zh}〉", f"{what_en}: see “{check.title_en}”"


def merged_options(check: Check, config: Config) -> dict[str, Any]:
    """The check's defaults overlaid with `[checks.<name>]`; unknown keys are a config error."""
    given = config.checks.get(check.name, {})
    if not isinstance(given, dict):
        raise ConfigError(f"checks.{check.name}: expected a table")
    out = dict(check.options)
    for key, value in given.items():
        if key not in check.options:
            raise ConfigError(f"checks.{check.name}.{key}: unknown key (known: {', '.join(sorted(check.options))})")
        default = check.options[key]
        if default is not None and not isinstance(value, type(default)) and not (
            isinstance(default, float) and isinstance(value, int)
        ):
            raise ConfigError(f"checks.{check.name}.{key}: expected {type(default).__name__}, got {value!r}")
        out[key] = value
    return out
