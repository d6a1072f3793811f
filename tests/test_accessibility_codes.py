"""The accessibility check's rules-and-codes table agrees with itself: every 檢測碼 names the finding's own
criterion and level, and every error at level A or AA has a code or a written reason why none applies."""

from __future__ import annotations

from pathlib import Path

import pytest

from siteaudit.checks import a11y_rules as a11y
from siteaudit.checks.accessibility import RULES

DOC = (Path(__file__).parent.parent / "docs" / "checks" / "accessibility.md").read_text(encoding="utf-8")


def _base(rule_id: str) -> str:
    return rule_id[4:] if rule_id.startswith("axe-") and rule_id[4:] in a11y.AXE_RULES else rule_id


def _judged_rules(version: str) -> list[str]:
    return [r for r in RULES if a11y.level(_base(r)) and a11y.judged(_base(r), version)]


@pytest.mark.parametrize("version", sorted(a11y.VERSIONS))
def test_every_code_names_the_findings_own_criterion_and_level(version):
    for rule_id in _judged_rules(version):
        base = _base(rule_id)
        for code in a11y.codes(base)[version]:
            entry = a11y.MODA["codes"][code]
            assert entry["sc"] == (a11y.criteria(base) or [""])[0], (rule_id, code, entry["sc"], a11y.criteria(base))
            assert entry["level"] == a11y.level(base), (rule_id, code, entry["level"], a11y.level(base))


@pytest.mark.parametrize("version", sorted(a11y.VERSIONS))
def test_every_error_at_a_or_aa_has_a_code_or_a_documented_reason(version):
    missing = []
    for rule_id in _judged_rules(version):
        base = _base(rule_id)
        if RULES[rule_id].severity != "error" or a11y.level(base) not in ("A", "AA"):
            continue
        if a11y.codes(base)[version]:
            continue
        reason = a11y.no_code_reason(base, version)
        if not reason or f"`{base}`" not in DOC:
            missing.append(rule_id)
    assert not missing, missing


def test_a_rule_without_a_criterion_carries_no_code_and_names_what_it_is():
    for rule_id, rule in RULES.items():
        base = _base(rule_id)
        if a11y.level(base) and not a11y.criteria(base):
            assert not any(a11y.codes(base).values()), rule_id
            assert not rule.regulation.endswith("網站無障礙規範"), (rule_id, rule.regulation)


def test_the_issue_examples_agree():
    assert a11y.codes("label")["115.11"] == ["HM1410200C"] and a11y.criteria("label") == ["4.1.2"]
    assert a11y.criteria("heading-order") == ["1.3.1"] and a11y.level("heading-order") == "A"
    assert RULES["axe-heading-order"].severity == "error"
    for rule in ("dlitem", "list", "listitem", "aria-roles", "scrollable-region-focusable"):
        assert a11y.no_code_reason(rule, "115.11"), rule
    assert a11y.level("noscript-missing") == "best-practice" and RULES["noscript-missing"].regulation == "無障礙最佳實務"
