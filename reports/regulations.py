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
ARTICLE = re.compile(r"第(\d+)條(?:之(\d+))?(?:第(\d+)項)?(?:第(\d+)款)?")
CRITERION = re.compile(r"^\((\d+\.\d+)\)\s*(\d+\.\d+\.\d+)?.*$")


def _article(rest: str) -> str:
    match = ARTICLE.fullmatch(rest.strip())
    if not match:
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
            elif named := re.fullmatch(r"(\d+\.\d+\.\d+)\s+(.+)", rest):  # 1.4.3 對比(最低): its Chinese name kept
                rest = f"success criterion {named[1]} ({named[2]})"
            else:
                rest = _article(rest)
            english = f"{NAMES[zh]} ({zh})" + (f" {rest}" if rest else "")
            return english + (f": {CLAUSES.get(clause, clause)}" if sep else "")
    return part


def regulation_en(text: str) -> str:
    """The English citation of a Chinese one; parts it does not know stay as they are."""
    return "; ".join(_part(p.strip()) for p in text.split("；")) if text else text
