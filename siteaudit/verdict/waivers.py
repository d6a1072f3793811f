"""Waivers: a TOML file that accepts known findings, with a reason, who accepted them and an expiry date.

A waived finding is shown as waived, never hidden, and no longer fails its check; once expired it counts
again. Format (docs in README):

    [[waiver]]
    check = "links"
    rule = "broken-link"
    url = "https://www.example.gov.tw/old.pdf"    # or url_pattern = "regex"; neither = every URL
    reason = "舊檔已申請下架"
    accepted_by = "資訊小組 王小明"
    expires = 2027-03-31

An item waiver puts a whole inspection item the run could not decide out of scope (never a failed one):

    [[waiver]]
    item = "uptime"                              # an id of findings.json inspection[].id
    reason = "運轉情形由另一套系統監測"
    accepted_by = "資訊小組 王小明"
    expires = 2027-03-31
"""

from __future__ import annotations

import copy
import datetime as dt
import re
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from siteaudit.checks import REGISTRY
from siteaudit.core.config import ConfigError
from siteaudit.core.dates import DEFAULT_ZONE, local_today
from siteaudit.core.results import InspectionItem, Status

KEYS = {"check", "rule", "url", "url_pattern", "item", "reason", "accepted_by", "expires"}
FINDING_KEYS = {"check", "rule", "url", "url_pattern"}
AVAILABILITY_ITEM = "uptime"   # the nightly availability row (siteaudit.verdict.availability)
# What an item waiver may put out of scope: an item the run could not decide.
UNDECIDED = (Status.NOT_RUN, Status.ERROR, Status.INCOMPLETE)


@dataclass(frozen=True)
class Waiver:
    check: str
    rule: str
    url: str | None
    url_pattern: re.Pattern[str] | None
    reason: str
    accepted_by: str
    expires: dt.date
    item: str = ""    # an item waiver: the inspection item it puts out of scope (check and rule are then "")

    def matches(self, f: dict[str, Any]) -> bool:
        if self.item or f["check"] != self.check or f["rule"] != self.rule:
            return False
        if self.url is not None:
            return f["url"] == self.url
        if self.url_pattern is not None:
            return bool(self.url_pattern.search(f["url"]))
        return True


def load_waivers(path: str | Path | None) -> list[Waiver]:
    if not path:
        return []
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read waivers ({exc.strerror})")
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}")
    out = []
    for i, raw in enumerate(data.get("waiver", [])):
        where = f"{path} waiver[{i}]"
        unknown = set(raw) - KEYS
        if unknown:
            raise ConfigError(f"{where}: unknown key {', '.join(sorted(unknown))}")
        if "item" in raw:
            out.append(item_waiver(raw, where))
            continue
        for key in ("check", "rule", "reason", "accepted_by", "expires"):
            if key not in raw or raw[key] in ("", None):
                raise ConfigError(f"{where}: {key} is required")
        expires = expiry(raw["expires"], where)
        try:
            pattern = re.compile(raw["url_pattern"]) if raw.get("url_pattern") else None
        except re.error as exc:
            raise ConfigError(f"{where}: bad url_pattern: {exc}")
        out.append(Waiver(raw["check"], raw["rule"], raw.get("url"), pattern, raw["reason"], raw["accepted_by"],
                          expires))
    return out


def expiry(value: Any, where: str) -> dt.date:
    """A waiver's `expires`: a TOML date or an ISO date string."""
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value)
        except ValueError:
            raise ConfigError(f"{where}: expires {value!r} is not a date")
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise ConfigError(f"{where}: expires must be a date such as 2027-03-31")
    return value


def item_ids() -> list[str]:
    """Every inspection item id of the plan, in the report's order."""
    ids = [i.id for check in REGISTRY.values() for i in check.inspection({"status": Status.NOT_RUN}, [])]
    return [*ids, AVAILABILITY_ITEM]


def item_waiver(raw: dict[str, Any], where: str) -> Waiver:
    """An item waiver: `item`, `reason`, `accepted_by`, `expires`; never with a finding's check, rule or url."""
    mixed = sorted(FINDING_KEYS & set(raw))
    if mixed:
        raise ConfigError(f"{where}: item cannot go with {', '.join(mixed)} (an item waiver covers the whole item)")
    for key in ("item", "reason", "accepted_by", "expires"):
        if key not in raw or raw[key] in ("", None):
            raise ConfigError(f"{where}: {key} is required")
    known = item_ids()
    if raw["item"] not in known:
        raise ConfigError(f"{where}: unknown item {raw['item']!r} (known: {', '.join(known)})")
    return Waiver("", "", None, None, str(raw["reason"]), str(raw["accepted_by"]), expiry(raw["expires"], where),
                  item=str(raw["item"]))


def waive_items(items: list[InspectionItem], waivers: list[Waiver], today: dt.date) -> list[InspectionItem]:
    """Items the run could not decide that an item waiver in force puts out of scope become `waived`; a failed or
    passed item is never touched, and an expired item waiver waives nothing."""
    in_force = {w.item: w for w in waivers if w.item and w.expires >= today}
    out = []
    for item in items:
        w = in_force.get(item.id)
        if w is not None and item.status in UNDECIDED:
            item = replace(item, status=Status.WAIVED, waiver={"reason": w.reason, "accepted_by": w.accepted_by,
                                                                "expires": w.expires.isoformat()})
        out.append(item)
    return out


def waiver_of(f: dict[str, Any]) -> dict[str, Any] | None:
    return f["evidence"].get("waiver")


def is_waived(f: dict[str, Any]) -> bool:
    """A finding accepted by a waiver that has not expired."""
    return bool((waiver_of(f) or {}).get("active"))


def apply_waivers(findings: list[dict[str, Any]], summaries: dict[str, Any], waivers: list[Waiver],
                  today: dt.date | None = None, zone: str = DEFAULT_ZONE
                  ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Mark waived (or expired-waiver) findings as of `today` (default: today in the site's zone `zone`); a check
    whose every error is waived passes, or is incomplete when it could not decide all it had to (a waiver accepts
    a finding, it does not test a page)."""
    today = today or local_today(zone)
    marked = []
    for f in findings:
        f = dict(f)
        for w in waivers:
            if w.matches(f):
                active = w.expires >= today
                f["evidence"] = {**f["evidence"], "waiver": {"reason": w.reason, "accepted_by": w.accepted_by,
                                                             "expires": w.expires.isoformat(), "active": active}}
                break
        marked.append(f)
    summaries = copy.deepcopy(summaries)
    for name, summary in summaries.items():
        errors = [f for f in marked if f["check"] == name and f["severity"] == "error"]
        waived = [f for f in errors if is_waived(f)]
        summary["waived"] = len([f for f in marked if f["check"] == name and is_waived(f)])
        if summary.get("status") == "fail" and errors and len(waived) == len(errors):
            summary["status"] = "incomplete" if summary.get("incomplete") else "pass"
            summary["status_note"] = "all errors waived"
            if summary.get("incomplete"):
                summary["reason"] = summary["incomplete"]
    return marked, summaries
