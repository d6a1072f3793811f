"""The contract every check follows.

A check is a module in `checks/` exposing `CHECK`, an object with:
- `name`, `title_zh`, `title_en`: its id and headings;
- `rules`: a dict of `Rule` (id, severity, zh-TW and English message, the regulation it enforces);
- `options`: defaults of its `[checks.<name>]` config table (unknown keys are a config error);
- optionally `validate(options)`: raise ConfigError on a bad option before anything is crawled;
- `run(ctx) -> CheckResult`: read one run through `ctx.store` and return findings plus a summary whose
  `status` is `pass`, `fail` or `not_run`.
Findings name a rule id; reports, waivers and diffs work on rule ids, never on message strings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from siteaudit.config import Config, ConfigError
from siteaudit.store import Store

SEVERITIES = ("error", "warning", "notice")


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

    def as_dict(self) -> dict[str, Any]:
        return {"check": self.check, "rule": self.rule, "severity": self.severity, "url": self.url,
                "pages": self.pages, "message": self.message, "evidence": self.evidence}


@dataclass
class CheckContext:
    store: Store
    run_id: int
    config: Config
    options: dict[str, Any]


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

    def run(self, ctx: CheckContext) -> CheckResult: ...


def rule_table(*rules: Rule) -> dict[str, Rule]:
    for r in rules:
        if r.severity not in SEVERITIES:
            raise ValueError(f"rule {r.id}: unknown severity {r.severity}")
    return {r.id: r for r in rules}


def finding(check: Check, rule_id: str, url: str, pages: list[str], detail: str = "",
            evidence: dict[str, Any] | None = None, severity: str | None = None) -> Finding:
    """Build a finding from a rule of `check`; `detail` is appended to the rule's zh-TW message."""
    rule = check.rules[rule_id]
    message = rule.zh + (f"：{detail}" if detail else "")
    return Finding(check.name, rule_id, severity or rule.severity, url, pages, message, evidence or {})


def status_from(findings: list[Finding]) -> str:
    return "fail" if any(f.severity == "error" for f in findings) else "pass"


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
