"""Accessibility rows an inspector can act on: one finding per element and barrier (two rules flagging one element
are one row carrying every code), one row per page and rule when a rule flags many elements there (the count and
the first selectors), and every row located by its page, a selector and a short snippet of the element."""

from __future__ import annotations

from html import escape

from siteaudit.checks.base import Finding, Rule
from siteaudit.core.results import severity_rank

SNIPPET = 200          # characters of an element's HTML kept as evidence
GROUP_SELECTORS = 5    # selectors (and snippets) a grouped row keeps
NAMED_SELECTORS = 3    # of those, named in its message
# Rules that report the same barrier: on the same element they are one finding.
BARRIERS = {"axe-label": "label", "label-missing": "label", "axe-meta-refresh": "meta-refresh",
            "meta-refresh-delay": "meta-refresh", "axe-blink": "blink", "axe-marquee": "marquee"}
MERGED_BARRIER_TAGS = ("blink", "marquee")  # deprecated-element on these is axe's blink/marquee barrier too
# Rules whose rows are about a page or the site, not one element among many: never grouped.
NOT_GROUPED = ("reflow", "missing-accesskey", "missing-skip-link", "noscript-missing", "page-not-tested",
               "js-dialog-on-load")


def snippet(html: str) -> str:
    """An element's HTML as evidence: whitespace runs collapsed, at most SNIPPET characters."""
    return " ".join(html.split())[:SNIPPET]


def link_snippet(raw: str, text: str, target: str = "", title: str = "") -> tuple[str, str]:
    """A crawled link's selector and its HTML rebuilt from the attributes the crawl stored."""
    href = raw.replace("\\", "\\\\").replace('"', '\\"')
    selector = f'a[href="{href}"]' + ('[target="_blank"]' if target.lower() == "_blank" else "")
    attrs = f' href="{escape(raw)}"' + (f' target="{escape(target)}"' if target else "") + (
        f' title="{escape(title)}"' if title else "")
    return selector, snippet(f"<a{attrs}>{escape(text)}</a>")


def barrier(f: Finding) -> str | None:
    """The barrier a finding reports, when another rule can report it on the same element."""
    if f.rule == "deprecated-element":
        tag = str((f.evidence.get("nodes") or [{}])[0].get("detail", ""))
        return tag if tag in MERGED_BARRIER_TAGS else None
    return BARRIERS.get(f.rule)


def merge_same_barrier(findings: list[Finding]) -> list[Finding]:
    """One finding per element and barrier: the strongest severity's rule (ours on a tie: its code is Taiwan's)
    keeps the row; the criteria, codes and pages of the others join it, their rules named in `also`."""
    out: list[Finding] = []
    same: dict[tuple[str, str], list[Finding]] = {}
    for f in findings:
        key = barrier(f)
        if key is None or not f.evidence.get("selector"):
            out.append(f)
            continue
        same.setdefault((key, str(f.evidence["selector"])), []).append(f)
    for group in same.values():
        group.sort(key=lambda f: (severity_rank(f.severity), f.rule.startswith("axe-"), f.rule))
        first = group[0]
        for other in group[1:]:
            ev, more = first.evidence, other.evidence
            first.pages = sorted(set(first.pages) | set(other.pages))
            ev["wcag"] = list(dict.fromkeys([*ev.get("wcag", []), *more.get("wcag", [])]))
            ev["codes"] = {v: list(dict.fromkeys([*c, *more.get("codes", {}).get(v, [])]))
                           for v, c in ev.get("codes", {}).items()}
            ev["also"] = [*ev.get("also", []), other.rule]
            if any(ev["codes"].values()):
                ev.pop("no_code", None)
        out.append(first)
    return out


def group_per_page(findings: list[Finding], rules: dict[str, Rule]) -> list[Finding]:
    """Element findings of one rule on the same pages are one row: the count, the first selectors and snippets."""
    out: list[Finding] = []
    groups: dict[tuple[str, str, tuple[str, ...]], list[Finding]] = {}
    for f in findings:
        if f.rule in NOT_GROUPED or f.rule.startswith("mark-") or not f.evidence.get("selector"):
            out.append(f)
            continue
        groups.setdefault((f.rule, f.severity, tuple(f.pages)), []).append(f)
    for (rule_id, _, _), group in groups.items():
        first = group[0]
        if len(group) > 1:
            nodes = [{"selector": g.evidence["selector"], "html": g.evidence.get("html", "")} for g in group]
            selectors = [n["selector"] for n in nodes]
            first.evidence.update(count=len(group), selectors=selectors[:GROUP_SELECTORS],
                                  nodes=nodes[:GROUP_SELECTORS])
            named = selectors[:NAMED_SELECTORS]
            more = len(group) > NAMED_SELECTORS
            first.message = (f"{rules[rule_id].zh}：{len(group)} 處：{'、'.join(named)}" + (" 等" if more else ""))
            first.message_en = (f"{rules[rule_id].en}: {len(group)} elements: {', '.join(named)}"
                                + (" and more" if more else ""))
        out.append(first)
    return out

