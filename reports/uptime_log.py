"""The monthly 全球資訊網運轉情形紀錄表: one A4 landscape page (HTML to print, or its PDF) or a CSV that keeps
every try. The rows come from `uptime_form`; which day was up is the verdict's rule."""

from __future__ import annotations

import datetime as dt
import re

from siteaudit.core.dates import ad_to_roc
from siteaudit.core.store import Store
from siteaudit.reports.export import write_csv
from siteaudit.reports.render import environment, page_templates
from siteaudit.reports.uptime_form import SEPARATORS, WORDS, MonthForm, month_form

CSV_KEYS = ["roc", "ad", "time", "method", "url", "status", "ms", "cert", "result", "problems", "handling", "by",
            "seal", "raw"]
MONTH_FORMS = "115-11, 115/11, 民國115年11月, 2026-11"
MONTH_PATTERN = re.compile(r"^\s*(?:民國)?\s*(\d{1,4})\s*(?:年|-|/)\s*(\d{1,2})\s*月?\s*$")


def parse_month(text: str) -> tuple[int, int]:
    """(AD year, month) of 115-11, 115/11, 民國115年11月 or 2026-11 (a year under 1912 is a 民國 year)."""
    match = MONTH_PATTERN.match(text)
    if match:
        year, month = int(match[1]), int(match[2])
        year = year + 1911 if 0 < year < 1912 else year
        if 1912 <= year <= 9999 and 1 <= month <= 12:
            return year, month
    raise ValueError(f"--month: expected one of {MONTH_FORMS}, got {text!r}")


def render_html(store: Store, site: str, agency: str, year: int, month: int, now: dt.datetime,
                lang: str = "zh") -> str:
    """The printable page: the form with its own title, sized for one A4 landscape sheet."""
    form = month_form(store, site, agency, year, month, now, lang)
    return environment().get_template("uptime_log.html.j2").render(form=form, heading=True)


def csv_rows(form: MonthForm) -> list[list[str]]:
    """Each day with everything: the plain statements uncut, then every try and alert as stored."""
    w, out, sep = form.words, [], SEPARATORS[form.lang]
    for r in form.rows:
        method = "" if not r.time else (w["manual"] if r.manual else w["automatic"])
        out.append([r.roc, r.day.isoformat(), r.time, method, " ".join(r.urls), r.statuses,
                    "" if r.response_ms is None else f"{r.response_ms:.0f}",
                    "" if r.cert_days is None else str(r.cert_days), form.result(r), sep.join(r.problems),
                    sep.join(r.handling), r.checked_by, "", "\n".join(r.raw)])
    return out


def render_csv(store: Store, site: str, year: int, month: int, now: dt.datetime, lang: str = "zh") -> str:
    """The record form as CSV (BOM: Excel opens UTF-8 Chinese correctly), cells neutralised like every export."""
    form = month_form(store, site, "", year, month, now, lang)
    joiner = "" if lang == "zh" else " "
    return write_csv([WORDS[lang][k].replace("\n", joiner) for k in CSV_KEYS], csv_rows(form))


def form_templates(site: str, agency: str, year: int, month: int, lang: str = "zh") -> tuple[str, str]:
    """The printed form's header and footer (第 X 頁／共 Y 頁)."""
    if lang == "zh":
        return page_templates(f"{agency}　{WORDS['zh']['title']}", f"{site}　民國{ad_to_roc(year)}年{month}月")
    return page_templates(f"{agency} — {WORDS['en']['title']}", f"{site} — {year}-{month:02d}", lang)
