"""The vocabulary every layer shares: statuses, severities, exit codes, inspection items and summary fields.

They are str/int enums, so findings.json and the store keep plain strings and numbers.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import IntEnum, StrEnum
from typing import Any


class Status(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    NOT_RUN = "not_run"
    ERROR = "error"          # the check itself failed; never a pass
    # Not proved either way: a run with a check that could not run, or a check (and its item) that could not test
    # all it had to, e.g. a page the browser could not test; never a pass
    INCOMPLETE = "incomplete"
    # An item the run could not decide, deliberately out of scope by an item waiver in force: counts as decided
    WAIVED = "waived"


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    NOTICE = "notice"


SEVERITY_ORDER: dict[str, int] = {s.value: i for i, s in enumerate(Severity)}


def severity_rank(severity: str) -> int:
    """Errors first, then warnings, then notices; anything unknown last."""
    return SEVERITY_ORDER.get(severity, len(SEVERITY_ORDER))


class ExitCode(IntEnum):
    PASS = 0
    FAIL = 1
    USAGE = 2
    UNCRAWLABLE = 3
    INTERRUPTED = 130  # SIGINT (Ctrl-C)
    TERMINATED = 143   # SIGTERM (systemctl stop, kill)



class AuditError(RuntimeError):
    """An audit that cannot go on; carries the exit code."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class InspectionItem:
    """One row of the service-quality plan's inspection table, as a check declares it."""

    id: str
    zh: str
    en: str
    target_zh: str
    target_en: str
    measured_zh: str
    measured_en: str
    status: Status
    regulation: str
    section: str = ""
    figure: float | None = None   # the headline number for the comparison and the trend chart
    waiver: dict[str, str] | None = None   # reason, accepted_by, expires of the item waiver that waived it
    evidence_urls: tuple[str, ...] = ()   # 查核網址: where on the site the inspector can see the item
    evidence_note_zh: str = ""            # for an item with no single place (every link, every page): says so
    evidence_note_en: str = ""

    def waiver_text(self, lang: str = "zh") -> str:
        """The item waiver as a reader sees it: 豁免（reason／accepted_by／expires） or Waived (…); "" for none."""
        if not self.waiver:
            return ""
        w = self.waiver
        if lang == "zh":
            return f"豁免（{w['reason']}／{w['accepted_by']}／{w['expires']}）"
        return f"Waived ({w['reason']} / {w['accepted_by']} / {w['expires']})"

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "status": str(self.status), "evidence_urls": list(self.evidence_urls)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> InspectionItem:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**{**known, "status": Status(known["status"]),
                      "evidence_urls": tuple(known.get("evidence_urls") or ())})


@dataclass(frozen=True)
class SummaryField:
    """A figure of a check's summary as people read it: its key, labels and unit."""

    key: str
    zh: str
    en: str
    unit: str = ""
