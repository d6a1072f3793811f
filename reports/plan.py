"""How a run was made, in words: full or incremental, against which run, why, and what was reused."""

from __future__ import annotations

from typing import Any

from siteaudit.core.dates import DEFAULT_ZONE, labelled

# Why a run is a full one: code -> (zh, en); {run} and {status} are filled in from the plan.
FULL_REASONS = {
    "asked": ("以 --full 要求完整稽核", "--full asked for a full audit"),
    "disabled": ("設定 incremental.enabled = false", "incremental.enabled is false"),
    "no-run": ("資料庫中沒有此網站先前的稽核", "no earlier run of this site in the store"),
    "incomplete": ("前次稽核（第 {run} 次）狀態為「{status}」，未完成", "the last run ({run}) is {status}, not complete"),
    "old-store": ("前次稽核（第 {run} 次）由較舊版本的 siteaudit 記錄",
                  "the last run ({run}) was stored by an earlier siteaudit"),
    "config": ("設定自前次稽核（第 {run} 次）後已變更", "the config changed since the last run ({run})"),
    "versions": ("siteaudit 或其使用的程式庫自前次稽核（第 {run} 次）後已更新",
                 "siteaudit or a library it uses was upgraded since the last run ({run})"),
    "stamps": ("前次稽核（第 {run} 次）未讀取更新日期（未執行時效檢查）",
               "the last run ({run}) did not read update dates (no freshness check)"),
    "resumed-old": ("中斷前由較舊版本開始", "started by an earlier siteaudit"),
}


# Why a page was loaded in the browser again: code of checks.a11y_reuse -> (zh, en); {days} is max_age_days.
RETEST_REASONS = {
    "full-run": ("完整稽核", "full run"),
    "new": ("新頁面或先前未檢測", "new or not tested before"),
    "changed": ("頁面或其 CSS/JS 已變更", "page or its CSS/JS changed"),
    "expired": ("結果超過 {days} 天", "result older than {days} days"),
}


def when(ts: float, zone: str = DEFAULT_ZONE, lang: str = "zh") -> str:
    """A stored time as the report shows its own date: the site's local time, to the minute, labelled."""
    return labelled(ts, zone, lang)


def full_reason(plan: dict[str, Any], lang: str) -> str:
    zh, en = FULL_REASONS.get(plan.get("reason", ""), (plan.get("reason", ""), plan.get("reason", "")))
    return (zh if lang == "zh" else en).format(run=plan.get("reason_run", "?"), status=plan.get("reason_status", "?"))


def plan_line(plan: dict[str, Any], zone: str = DEFAULT_ZONE) -> str:
    """The console line that says, once the crawl reached the site, what kind of run this is and why."""
    if plan.get("mode") != "incremental":
        return f"siteaudit: full run: {full_reason(plan, 'en')}"
    return (f"siteaudit: incremental run against run {plan['base_run']} of {when(plan['base_started'], zone, 'en')}: "
            "every page is requested again, unchanged ones are carried over (siteaudit audit --full re-parses and "
            "retests everything)")


def plan_text(plan: dict[str, Any], reuse: dict[str, Any] | None, lang: str, zone: str = DEFAULT_ZONE) -> str:
    """The report's "audit mode" line: full and why, or incremental with what was carried over."""
    zh = lang == "zh"
    if plan.get("mode") != "incremental":
        if not plan:
            return "完整稽核" if zh else "Full audit"
        return f"完整稽核（{full_reason(plan, lang)}）" if zh else f"Full audit ({full_reason(plan, lang)})"
    r = reuse or {}
    same = r.get("pages_not_modified", 0) + r.get("pages_same_body", 0)
    if zh:
        return (f"增量稽核：與第 {plan['base_run']} 次（{when(plan['base_started'], zone, lang)}）比對，每頁皆重新請求；"
                f"{same} 頁未變更沿用（304 回應 {r.get('pages_not_modified', 0)} 頁、內容相同 "
                f"{r.get('pages_same_body', 0)} 頁），{r.get('pages_fetched', 0)} 頁重新下載解析；"
                f"{r.get('documents_not_modified', 0)} 份文件未變更")
    return (f"Incremental: compared with run {plan['base_run']} ({when(plan['base_started'], zone, lang)}), every page "
            f"requested again; {same} pages unchanged and carried over ({r.get('pages_not_modified', 0)} answered 304, "
            f"{r.get('pages_same_body', 0)} with the same body), {r.get('pages_fetched', 0)} pages downloaded and "
            f"parsed afresh; {r.get('documents_not_modified', 0)} documents unchanged")


def reused_from_text(summary: dict[str, Any], lang: str) -> str:
    """Where a check's reused results come from: runs with their test dates and page counts, and why the rest
    was tested afresh."""
    origins = summary.get("reused_from") or []
    why = summary.get("retested_because") or {}
    if not origins and not why:
        return ""
    zh = lang == "zh"
    parts = [(f"第 {o['run']} 次（{o['tested']} 檢測）{o['pages']} 頁" if zh else
              f"run {o['run']} (tested {o['tested']}): {o['pages']} pages") for o in origins]
    text = ""
    if parts:
        text = "沿用結果：" + "、".join(parts) + "。" if zh else "Reused results: " + "; ".join(parts) + ". "
    shown = []
    for code, n in why.items():
        zh_word, en_word = RETEST_REASONS.get(code, (code, code))
        word = (zh_word if zh else en_word).format(days=summary.get("max_age_days", 7))
        shown.append(f"{word} {n} 頁" if zh else f"{word}: {n}")
    if shown:
        text += ("重新檢測：" + "、".join(shown) + f"（結果最長沿用 {summary.get('max_age_days', 7)} 天）" if zh else
                 "Tested afresh: " + "; ".join(shown) + f" (results are reused for at most "
                 f"{summary.get('max_age_days', 7)} days)")
    return text


def page_data(plan: dict[str, Any], reuse: dict[str, Any]) -> dict[str, Any] | None:
    """For each check of an incremental run: the pages it judged from data parsed in this run and from data
    carried over unchanged, with the run that parsed it. None for a full run."""
    if plan.get("mode") != "incremental":
        return None
    return {"pages_parsed": reuse.get("pages_fetched", 0),
            "pages_carried": reuse.get("pages_not_modified", 0) + reuse.get("pages_same_body", 0),
            "carried_from": [{"run": int(run), "pages": n} for run, n in sorted(reuse.get("carried_from", {}).items())]}


def page_data_text(data: dict[str, Any] | None, lang: str) -> str:
    """The line under a check of an incremental run: judged afresh on every page, some pages' data carried."""
    if not data:
        return ""
    runs = "、".join(f"第 {o['run']} 次" for o in data["carried_from"]) if lang == "zh" else \
        ", ".join(f"run {o['run']}" for o in data["carried_from"])
    if lang == "zh":
        return (f"本檢查於本次執行就全部頁面重新判定；頁面資料 {data['pages_parsed']} 頁本次下載解析，"
                f"{data['pages_carried']} 頁未變更，沿用{runs or '前次'}的解析結果。")
    return (f"Judged afresh on every page in this run; page data: {data['pages_parsed']} pages downloaded and parsed "
            f"now, {data['pages_carried']} unchanged and carried over from {runs or 'the last run'}.")
