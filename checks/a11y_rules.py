"""網站無障礙規範 versions as data: which rules each version judges, each rule's WCAG criterion, level and
檢測碼 (checks/data/moda-codes.json), axe-core's rule table and its zh_TW help texts, and the rules of our own
that axe-core lacks.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "data"
AXE_DATA = json.loads((DATA / "axe-wcag.json").read_text(encoding="utf-8"))
AXE_RULES: dict[str, dict[str, Any]] = {r["id"]: r for r in AXE_DATA["rules"]}
AXE_ZH: dict[str, Any] = json.loads((DATA / "axe-locale-zh_TW.json").read_text(encoding="utf-8"))
MODA = json.loads((DATA / "moda-codes.json").read_text(encoding="utf-8"))
VERSIONS: dict[str, dict[str, str]] = MODA["versions"]
DEFAULT_VERSION = "115.11"
SC_NAMES: dict[str, str] = {**AXE_DATA["sc_names_zh"], "2.4.11": "焦點不被遮蔽(最低)", "2.2.1": "可調整的時間限制",
                            "1.4.10": "重排", "3.2.2": "輸入"}
WCAG22_ONLY = frozenset(MODA["wcag22_only"])
WCAG22_REMOVED = frozenset(MODA["wcag22_removed"])
# The schemes a mark was issued under, oldest first, each with the last day it issued marks ("" for today's).
MARK_SCHEMES: list[dict[str, Any]] = MODA["mark_schemes"]
# Where 網站無障礙規範 files a rule under other criteria than axe does (heading order: 1.3.1, level A).
CRITERIA: dict[str, dict[str, Any]] = MODA["criteria"]


@dataclass(frozen=True)
class OwnRule:
    """A machine check of 網站無障礙規範 that axe-core 4 does not make; `per_page`: one finding per page."""
    id: str
    sc: str
    level: str
    zh: str
    en: str
    per_page: bool = False


# The rules the in-page probe (checks/browser.py) reports; their codes are in moda-codes.json.
OWN_RULES = (
    OwnRule("label-missing", "1.3.1", "A", "可見的表單控制元件沒有 <label> 也沒有 title（placeholder 不算名稱）",
            "Visible form control with neither a label nor a title (a placeholder is not a name)"),
    OwnRule("fieldset-missing", "1.3.1", "A", "單選／核取方塊群組未以 <fieldset> 分群",
            "Radio or checkbox group not grouped in a <fieldset>"),
    OwnRule("legend-empty", "1.3.1", "A", "<fieldset> 沒有 <legend> 或 <legend> 為空白",
            "<fieldset> with a missing or empty <legend>"),
    OwnRule("meta-refresh-delay", "2.2.1", "A", "<meta http-equiv=refresh> 定時重新整理或轉向",
            "<meta http-equiv=refresh> with a delay"),
    OwnRule("deprecated-element", "1.3.1", "A", "使用已廢棄的呈現組件（center、font、blink、marquee）",
            "Deprecated presentational element (center, font, blink, marquee)"),
    OwnRule("table-no-headers", "1.3.1", "A", "資料表格沒有標題儲存格 <th>", "Data table with no header cells"),
    OwnRule("alt-is-filename", "1.1.1", "A", "替代文字是檔名", "Alt text is a file name"),
    OwnRule("empty-alt-with-title", "1.1.1", "A", "替代文字為空字串的圖片有 title 屬性",
            "Image with empty alt but a non-empty title"),
    OwnRule("vague-link-text", "2.4.4", "A", "連結文字無法說明目的（更多、詳全文、請按此…）且無 title 或 aria-label",
            "Link text that does not say where it goes (more, click here…) and no title or aria-label"),
    OwnRule("href-hash", "2.4.4", "A", "連結目標只有 href=\"#\"", "Link whose only target is href=\"#\""),
    OwnRule("reflow", "1.4.10", "AA", "視窗寬 320 CSS 像素時頁面需水平捲動",
            "Page scrolls horizontally at a 320 CSS px viewport", per_page=True),
    OwnRule("focus-not-visible", "2.4.7", "AA", "元件取得鍵盤焦點時沒有可見的焦點指示",
            "No visible focus indicator on a focused element"),
    OwnRule("focus-obscured", "2.4.11", "AA", "取得焦點的元件完全被固定（fixed/sticky）內容遮住",
            "Focused element entirely hidden by fixed or sticky content"),
)
OWN = {r.id: r for r in OWN_RULES}
# What the probe looks for: words and extensions as data, handed to the page probe as JSON.
PROBE_WORDS = {
    "vague_links": ["更多", "更多資訊", "詳全文", "詳細內容", "請按此", "按此", "點此", "點這裡", "點我", "請點此", "請點選",
                    "這裡", "此處", "連結", "click here", "here", "more", "read more", "more...", "link"],
    "deprecated": ["center", "font", "blink", "marquee"],
    "image_ext": ["jpg", "jpeg", "png", "gif", "svg", "webp", "bmp", "tif", "tiff"],
    # Accesskey anchors as Taiwanese templates write them (":::", ":::上方連結區", or an in-page link whose title
    # names the area): what missing-accesskey asks for, so href-hash and target-size do not flag them.
    "accesskey_text": r"^\s*:::",
    "accesskey_title": r"(上方|中央|下方|左側|右側|主要|頁尾|導覽)(功能|連結|內容)?(區|區塊)|定位點|accesskey",
}


# The page-structure rules read from the crawl, and what the browser sees besides axe and the probe (a JavaScript
# dialog nobody asked for interrupts the user: 2.2.4 Interruptions): their criterion and level.
SITE_RULES = {"missing-accesskey": ("2.4.1", "A"), "missing-skip-link": ("2.4.1", "A"),
              "new-window-unwarned": ("3.2.5", "AAA"), "file-link-unlabelled": ("2.4.4", "A"),
              "js-dialog-on-load": ("2.2.4", "AAA")}


def mark_scheme(passed: date | None, level: str) -> dict[str, Any] | None:
    """The scheme a mark was issued under: a `+` level is the 1.0 era's whatever the date; otherwise the scheme in
    force on its pass date (1.0 up to 2016, the 2017 edition 無障礙標章2.0 up to 2021-06-30, 110.07, then 115.11);
    None when neither says."""
    if level.endswith("+"):
        return MARK_SCHEMES[0]
    if passed is None:
        return None
    return next(s for s in MARK_SCHEMES if not s["until"] or passed <= date.fromisoformat(s["until"]))


def criteria(rule: str) -> list[str]:
    """The WCAG success criteria a rule (axe id or own id) checks, the one its codes name first."""
    if rule in CRITERIA:
        return list(CRITERIA[rule]["sc"])
    if rule in OWN:
        return [OWN[rule].sc]
    if rule in SITE_RULES:
        return [SITE_RULES[rule][0]]
    return list(AXE_RULES.get(rule, {}).get("sc", []))


def level(rule: str) -> str:
    """A, AA, AAA, best-practice, or "" for a rule outside WCAG (the mark)."""
    if rule in CRITERIA:
        return str(CRITERIA[rule]["level"])
    if rule in OWN:
        return OWN[rule].level
    if rule in SITE_RULES:
        return SITE_RULES[rule][1]
    return str(AXE_RULES[rule].get("level", "best-practice")) if rule in AXE_RULES else ""


def judged(rule: str, version: str) -> bool:
    """Whether `version` has the rule: 115.11 (WCAG 2.2) has no 4.1.1; 110.07 (WCAG 2.1) has none of 2.2's new
    criteria."""
    sc = set(criteria(rule))
    if not sc:
        return True
    gone = WCAG22_REMOVED if version == "115.11" else WCAG22_ONLY
    return not sc <= gone


def codes(rule: str) -> dict[str, list[str]]:
    """The rule's 檢測碼 under each version (empty where none is confirmed)."""
    mapped = MODA["rules"].get(rule, [])
    return {v: [c for c in mapped if v in MODA["codes"][c]["versions"]] for v in VERSIONS}


def no_code_reason(rule: str, version: str) -> str:
    """Why a rule has no 檢測碼 under `version` (moda-codes.json `no_code`), or "" when none is written."""
    table = MODA["no_code"]
    return str(table.get(version, {}).get(rule) or table["all"].get(rule) or "")


def evidence(rule: str, version: str) -> dict[str, Any]:
    """What every accessibility finding carries: criterion, level, codes, and the version judged against."""
    found = codes(rule)
    out: dict[str, Any] = {"wcag": criteria(rule), "level": level(rule), "codes": found, "target_version": version}
    if not found[version] and no_code_reason(rule, version):
        out["no_code"] = no_code_reason(rule, version)
    return out


def axe_help_zh(axe_id: str) -> str:
    """axe-core's own zh_TW help text, else its English one."""
    return str(AXE_ZH["rules"].get(axe_id, {}).get("help") or AXE_RULES.get(axe_id, {}).get("help") or axe_id)


def axe_rule_switches(version: str) -> dict[str, dict[str, bool]]:
    """axe `rules` option for a version: the 4.1.1 Parsing rules on only under 110.07, the WCAG 2.2-only rules
    (target-size) only under 115.11."""
    out = {}
    for axe_id in AXE_RULES:
        sc = set(criteria(axe_id))
        if sc and sc <= WCAG22_REMOVED:
            out[axe_id] = {"enabled": version == "110.07"}
        elif sc and sc <= WCAG22_ONLY:  # target-size: shipped disabled by axe 4.10
            out[axe_id] = {"enabled": version == "115.11"}
    return out


def heading(rule: str, version: str) -> str:
    """The start of a finding's message: version, criterion, level and codes."""
    return heading_of(criteria(rule), level(rule), codes(rule)[version], version)


def heading_of(sc: list[str], rule_level: str, found: list[str], version: str) -> str:
    """A heading from criteria, level and codes (of one rule, or of rules merged into one finding): the first
    criterion named, the others after it."""
    if not sc and not rule_level:
        return ""
    tail = f"［{'、'.join(found)}］" if found else ""
    if not sc:
        return f"無障礙最佳實務{tail}"
    more = f"、{'、'.join(sc[1:])}" if len(sc) > 1 else ""
    return f"{VERSIONS[version]['name']} {sc[0]} {SC_NAMES.get(sc[0], '')}{more}（{rule_level}）{tail}"
