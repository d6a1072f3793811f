"""Regulations in English for `--lang en`: the English name with the Chinese name in brackets, which is what
an inspector looks up. Rules and inspection items cite them in Chinese; the report translates here."""

from __future__ import annotations

import re

NAMES: dict[str, str] = {
    "提升服務品質執行計畫": "Service Quality Improvement Plan",
    "政府網站服務管理規範": "Government Website Service Management Guidelines",
    "政府資訊公開法": "Freedom of Government Information Law",
    "網站無障礙規範": "Website Accessibility Guidelines",
    "網站無障礙檢測及認證標章核發辦法": "Regulations on Website Accessibility Testing and the Certification Mark",
    "身心障礙者權益保障法": "People with Disabilities Rights Protection Act",
    "行政機關電子資料流通實施要點": "Directions for Electronic Data Exchange among Administrative Agencies",
    "行政機關電子資料流通詮釋資料及分類檢索規範": "Metadata and Classification Guidelines for Electronic Data "
                                           "Exchange among Administrative Agencies",
    "推動ODF-CNS15251為政府文件標準格式實施計畫": "Plan for ODF-CNS15251 as the Government Document Standard",
    "ODF-CNS15251 實施計畫": "ODF-CNS15251 Plan",
    "網站資訊內容及連結抽測": "Sampling of website content and links",
    "無障礙最佳實務": "Accessibility best practice",
}
CLAUSES: dict[str, str] = {
    "網站資訊內容及連結抽測": "sampling of website content and links",
    "資訊標題應與內容一致": "titles must match their content",
    "檢索功能說明": "a description of the search function",
    "多元及便利的資料檢索服務": "varied and convenient search services",
    "可編輯文件提供ODF，非可編輯文件提供PDF": "editable documents in ODF, non-editable ones in PDF",
    "加註主題、施政、服務分類並定期檢測 Meta data，通過比率100%":
        "theme, policy and service classification tagged and metadata checked regularly, 100% passing",
    "應公開且已公開資訊比例達100%，相關公開資料內容應回溯至民國97年":
        "100% of the information due is published, back to ROC year 97 (2008)",
    "網站(頁)提供即時正確之資訊內容，無明顯錯誤及過期資訊情形":
        "pages give current, correct information, with no obvious errors or outdated information",
}
# WCAG 2.2 success criteria by their W3C English names (網站無障礙規範 115.11 follows WCAG 2.2).
SC_NAMES_EN: dict[str, str] = {
    "1.1.1": "Non-text Content", "1.2.1": "Audio-only and Video-only (Prerecorded)",
    "1.2.2": "Captions (Prerecorded)", "1.2.3": "Audio Description or Media Alternative (Prerecorded)",
    "1.2.4": "Captions (Live)", "1.2.5": "Audio Description (Prerecorded)", "1.3.1": "Info and Relationships",
    "1.3.2": "Meaningful Sequence", "1.3.3": "Sensory Characteristics", "1.3.4": "Orientation",
    "1.3.5": "Identify Input Purpose", "1.3.6": "Identify Purpose", "1.4.1": "Use of Color", "1.4.2": "Audio Control",
    "1.4.3": "Contrast (Minimum)", "1.4.4": "Resize Text", "1.4.5": "Images of Text", "1.4.6": "Contrast (Enhanced)",
    "1.4.8": "Visual Presentation", "1.4.10": "Reflow", "1.4.11": "Non-text Contrast", "1.4.12": "Text Spacing",
    "1.4.13": "Content on Hover or Focus", "2.1.1": "Keyboard", "2.1.2": "No Keyboard Trap",
    "2.1.3": "Keyboard (No Exception)", "2.1.4": "Character Key Shortcuts", "2.2.1": "Timing Adjustable",
    "2.2.2": "Pause, Stop, Hide", "2.2.4": "Interruptions", "2.3.1": "Three Flashes or Below Threshold",
    "2.4.1": "Bypass Blocks", "2.4.2": "Page Titled", "2.4.3": "Focus Order", "2.4.4": "Link Purpose (In Context)",
    "2.4.5": "Multiple Ways", "2.4.6": "Headings and Labels", "2.4.7": "Focus Visible",
    "2.4.9": "Link Purpose (Link Only)", "2.4.10": "Section Headings", "2.4.11": "Focus Not Obscured (Minimum)",
    "2.5.1": "Pointer Gestures", "2.5.2": "Pointer Cancellation", "2.5.3": "Label in Name", "2.5.4": "Motion Actuation",
    "2.5.7": "Dragging Movements", "2.5.8": "Target Size (Minimum)", "3.1.1": "Language of Page",
    "3.1.2": "Language of Parts", "3.2.1": "On Focus", "3.2.2": "On Input", "3.2.3": "Consistent Navigation",
    "3.2.4": "Consistent Identification", "3.2.5": "Change on Request", "3.2.6": "Consistent Help",
    "3.3.1": "Error Identification", "3.3.2": "Labels or Instructions", "3.3.3": "Error Suggestion",
    "3.3.4": "Error Prevention (Legal, Financial, Data)", "3.3.7": "Redundant Entry",
    "3.3.8": "Accessible Authentication (Minimum)", "4.1.1": "Parsing", "4.1.2": "Name, Role, Value",
    "4.1.3": "Status Messages",
}
# A line of the service-quality plan (一(一)(4), 貳、更新(2)◎3) in its English numbering.
PLAN_REF_WORDS = {"貳、": "section II, ", "更新": "updates ", "盤點": "inventory ", "◎": " item ", "一": "1", "二": "2", "三": "3",
                  "四": "4", "五": "5", "六": "6", "七": "7", "八": "8", "九": "9", "十": "10"}
PLAN_REF = re.compile("(?:" + "|".join(map(re.escape, PLAN_REF_WORDS)) + r"|[\d()])+")
ARTICLE = re.compile(r"第(\d+)條(?:之(\d+))?(?:第(\d+)項)?(?:第(\d+)款)?")
CRITERION = re.compile(r"^\((\d+\.\d+)\)\s*(\d+\.\d+\.\d+)?.*$")


def _article(rest: str) -> str:
    match = ARTICLE.fullmatch(rest.strip())
    if not match:
        if PLAN_REF.fullmatch(rest.strip()):
            return re.sub("|".join(map(re.escape, PLAN_REF_WORDS)), lambda m: PLAN_REF_WORDS[m[0]], rest.strip())
        return rest
    article, sub, paragraph, item = match.groups()
    text = f"Art. {article}" + (f"-{sub}" if sub else "")
    return text + (f", para. {paragraph}" if paragraph else "") + (f", subpara. {item}" if item else "")


def _part(part: str) -> str:
    name, sep, clause = part.partition("：")
    for zh in sorted(NAMES, key=len, reverse=True):
        if name.startswith(zh):
            rest = name[len(zh):].strip()
            criterion = CRITERION.match(rest)
            if criterion:
                version, number = criterion.groups()
                rest = f"{version}" + (f", success criterion {number}" if number else "")
            elif re.fullmatch(r"\d+\.\d+\.\d+", rest):
                rest = f"success criterion {rest}"
            elif named := re.fullmatch(r"(\d+\.\d+\.\d+)\s+(.+)", rest):  # 1.4.3 對比(最低): W3C's English name
                rest = f"success criterion {named[1]} ({SC_NAMES_EN.get(named[1], named[2])})"
            else:
                rest = _article(rest)
            english = f"{NAMES[zh]} ({zh})" + (f" {rest}" if rest else "")
            return english + (f": {CLAUSES.get(clause, clause)}" if sep else "")
    return part


def regulation_en(text: str) -> str:
    """The English citation of a Chinese one; parts it does not know stay as they are."""
    return "; ".join(_part(p.strip()) for p in text.split("；")) if text else text
