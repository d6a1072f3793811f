"""ROC (民國) and AD dates: the one place that converts and labels them.

AD year = ROC year + 1911 (民國97年 = 2008).
"""

from __future__ import annotations

import time
from datetime import date

ROC_OFFSET = 1911


def roc_to_ad(roc_year: int) -> int:
    return roc_year + ROC_OFFSET


def ad_to_roc(ad_year: int) -> int:
    return ad_year - ROC_OFFSET


def roc_date_label(when: time.struct_time | date) -> str:
    """中華民國115年11月26日 for 2026-11-26."""
    if isinstance(when, time.struct_time):
        year, month, day = when.tm_year, when.tm_mon, when.tm_mday
    else:
        year, month, day = when.year, when.month, when.day
    return f"中華民國{ad_to_roc(year)}年{month}月{day}日"
