"""網站運轉情形: the availability item of the inspection table, from the nightly probes before a run."""

from __future__ import annotations

import time
from typing import Any

from siteaudit.core.results import InspectionItem, Status
from siteaudit.core.store import Store

ZH, EN = "網站運轉情形", "Availability (nightly log)"
TARGET = ("每晚檢測且正常", "Checked every night and up")
REGULATION = "提升服務品質執行計畫"
WINDOW_DAYS = 30


def availability_item(store: Store, site: str, when: float | None) -> InspectionItem:
    """The share of the last 30 days' probe batches in which every URL was up (the last try of each URL)."""
    end = when or time.time()
    batches: dict[str, list[dict[str, Any]]] = {}
    for probe in store.probes(site, end - WINDOW_DAYS * 86400, end + 1):
        batches.setdefault(probe["batch"], []).append(probe)
    if not batches:
        return InspectionItem("uptime", ZH, EN, *TARGET, "近30日無檢測紀錄", "No probe in the last 30 days",
                              Status.NOT_RUN, REGULATION)
    normal = 0
    for rows in batches.values():
        last = {r["url"]: r for r in rows}
        normal += all(r["ok"] for r in last.values())
    share = round(100.0 * normal / len(batches), 1)
    return InspectionItem("uptime", ZH, EN, *TARGET, f"近30日 {len(batches)} 次檢測，正常 {share}%",
                          f"{len(batches)} checks in the last 30 days, {share}% up",
                          Status.PASS if normal == len(batches) else Status.FAIL, REGULATION, "", share)
