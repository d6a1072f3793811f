"""The summary table: one row per inspection item of the service-quality plan, from the checks' summaries."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from reports.waivers import is_waived
from siteaudit.store import Store

PASS, FAIL, NOT_RUN = "pass", "fail", "not_run"


@dataclass
class Item:
    id: str
    zh: str
    en: str
    target: str
    measured: str
    status: str
    regulation: str
    section: str
    figure: float | None = None   # the headline number for diffs and the trend chart


def _status(summary: dict[str, Any] | None) -> str:
    return (summary or {}).get("status", NOT_RUN) if summary else NOT_RUN


def inspection_items(summaries: dict[str, Any], findings: list[dict[str, Any]], store: Store | None = None,
                     site: str = "", when: float | None = None) -> list[Item]:
    s = summaries
    unwaived = [f for f in findings if not is_waived(f)]

    def count(check: str, *rules: str) -> int:
        return sum(1 for f in unwaived if f["check"] == check and (not rules or f["rule"] in rules))

    items = []
    links = s.get("links")
    items.append(Item("links", "連結有效性", "Link validity", "失效連結 0",
                      f"失效 {links.get('broken', 0)}，無法驗證 {links.get('could_not_verify', 0)}" if links else "—",
                      _status(links), "網站資訊內容及連結抽測", "check-links",
                      float(links.get("broken", 0)) if links else None))
    d = s.get("disclosure")
    items.append(Item("disclosure", "主動公開資訊比例", "Proactive disclosure ratio", "100%",
                      f"{d['ratio']}%（{d['published']}/{d['required']}）" if d else "—",
                      (PASS if d["published"] == d["required"] or count("disclosure", "item-missing", "item-broken") == 0
                       else FAIL) if d else NOT_RUN,
                      "政府資訊公開法第7條", "check-disclosure", d["ratio"] if d else None))
    gaps = count("disclosure", "missing-years")
    items.append(Item("disclosure-years", "回溯至民國97年", "Records back to ROC 97 (2008)", "無缺漏年度",
                      ("完整" if not gaps else f"{gaps} 項缺年度") if d else "—",
                      (PASS if not gaps else FAIL) if d else NOT_RUN, "提升服務品質執行計畫", "check-disclosure",
                      float(gaps) if d else None))
    doc = s.get("documents")
    items.append(Item("documents", "ODF/PDF 格式", "ODF / PDF documents", "可編輯文件皆有 ODF",
                      f"ODF 占可編輯文件 {doc['odf_share']}%" if doc and doc.get("odf_share") is not None else
                      ("無可編輯文件" if doc else "—"), _status(doc), "ODF-CNS15251 實施計畫", "check-documents",
                      doc.get("odf_share") if doc else None))
    m = s.get("metadata")
    items.append(Item("metadata", "詮釋資料通過比率", "Metadata pass rate", "100%",
                      f"{m['pass_rate']}%（{m['pages_passing']}/{m['html_pages']}）" if m else "—", _status(m),
                      "行政機關電子資料流通實施要點", "check-metadata", m["pass_rate"] if m else None))
    a = s.get("accessibility")
    axe_errors = sum(1 for f in unwaived if f["check"] == "accessibility" and f["rule"].startswith("axe-")
                     and f["severity"] == "error")
    a_status = NOT_RUN if not a or a.get("status") == NOT_RUN else (PASS if axe_errors == 0 else FAIL)
    items.append(Item("accessibility", "無障礙檢測", "Accessibility testing", f"無 {a.get('target_level', 'AA')} 等級以下違規"
                      if a else "—", f"{axe_errors} 項違規，{a.get('pages_tested', 0)} 頁已檢測" if a else "—",
                      a_status, "身心障礙者權益保障法第52條之2", "check-accessibility", float(axe_errors) if a else None))
    mark = (a or {}).get("mark", {})
    mark_errors = count("accessibility", "mark-missing", "mark-level-below-target")
    items.append(Item("accessibility-mark", "無障礙標章", "Accessibility mark", "首頁標示有效標章",
                      (f"{mark.get('level', '?')} 等級，通過日期 {mark.get('passed', '未知')}"
                       + ("（已逾3年效期）" if count("accessibility", "mark-expired") else "") if mark.get("found")
                       else "未找到") if a else "—",
                      (PASS if mark_errors == 0 and mark.get("found") else FAIL) if a else NOT_RUN,
                      "網站無障礙檢測及認證標章核發辦法", "check-accessibility"))
    e = s.get("essentials")
    items.append(Item("essentials", "網站必要資訊與檢索服務", "Site essentials and search", "必要項目齊全、檢索可用",
                      f"找到 {len(e.get('elements_found', {}))} 項" if e else "—", _status(e), "政府網站服務管理規範",
                      "check-essentials"))
    fr = s.get("freshness")
    items.append(Item("freshness", "資訊即時性（過期資訊）", "Freshness", "無過期資訊",
                      _freshness_measure(fr), _status(fr),
                      "提升服務品質執行計畫", "check-freshness", fr.get("within_limit_share") if fr else None))
    items.append(uptime_item(store, site, when))
    return items


def _freshness_measure(fr: dict[str, Any] | None) -> str:
    """The share of dated pages within their limit; "—" when the check did not run, 無 when no page has a date."""
    if not fr:
        return "—"
    share = fr.get("within_limit_share")
    return "無（沒有頁面標示日期）" if share is None else f"{share}% 頁面在期限內"


def uptime_item(store: Store | None, site: str, when: float | None) -> Item:
    """網站運轉情形 over the 30 days before the run, from the nightly probes."""
    if store is None:
        return Item("uptime", "網站運轉情形", "Availability (nightly log)", "每晚檢測且正常", "—", NOT_RUN,
                    "提升服務品質執行計畫", "")
    end = when or dt.datetime.now().timestamp()
    probes = store.probes(site, end - 30 * 86400, end + 1)
    batches: dict[str, list[dict[str, Any]]] = {}
    for p in probes:
        batches.setdefault(p["batch"], []).append(p)
    if not batches:
        return Item("uptime", "網站運轉情形", "Availability (nightly log)", "每晚檢測且正常", "近30日無檢測紀錄",
                    NOT_RUN, "提升服務品質執行計畫", "")
    normal = 0
    for rows in batches.values():
        last: dict[str, dict[str, Any]] = {}
        for r in rows:
            last[r["url"]] = r
        normal += all(r["ok"] for r in last.values())
    share = round(100.0 * normal / len(batches), 1)
    return Item("uptime", "網站運轉情形", "Availability (nightly log)", "每晚檢測且正常",
                f"近30日 {len(batches)} 次檢測，正常 {share}%", PASS if normal == len(batches) else FAIL,
                "提升服務品質執行計畫", "", share)
