"""`siteaudit uptime`, `uptime-log` and `schedule`: the 20:00 check, its monthly record form, the timers."""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
from pathlib import Path

from siteaudit.commands.common import load_config, pdf_printer
from siteaudit.core import config as config_mod
from siteaudit.core.config import ConfigError
from siteaudit.core.console import echo
from siteaudit.core.dates import TAIPEI, now
from siteaudit.core.store import Store
from siteaudit.reports import uptime_log
from siteaudit.reports.publish import require_metadata
from siteaudit.reports.render import print_pdf
from siteaudit.schedules import install
from siteaudit.schedules.uptime import run_uptime


def cmd_uptime(args: argparse.Namespace) -> int:


    cfg = load_config(args)
    if args.action != "record" and (args.time or args.result):
        raise ConfigError(f"{'--time' if args.time else '--result'}: only with 'uptime record'")
    record = manual_record(args) if args.action == "record" else None
    store = Store(cfg.store_path())
    try:
        if record:
            store.add_manual_check(cfg.site.name, *record)
            day, at, ok, by, text = record
            echo(f"recorded for {day} {at}: {'正常' if ok else '異常'} (人工 manual) by {by}"
                 + (f": {text}" if text else ""))
            return 0
        if args.action == "note":
            if not args.by or not args.text:
                raise ConfigError("uptime note: give --by NAME and --text TEXT")
            day = args.date or dt.datetime.fromtimestamp(now(), TAIPEI).date().isoformat()  # the record form's day
            try:
                dt.date.fromisoformat(day)
            except ValueError:
                raise ConfigError(f"--date: expected YYYY-MM-DD, got {day!r}")
            store.add_note(cfg.site.name, day, args.by, args.text)
            echo(f"noted for {day}: {args.by}: {args.text}")
            return 0
        for warning in config_mod.uptime_warnings(cfg):
            echo(f"siteaudit: warning: {warning}", file=sys.stderr)
        run = run_uptime(cfg, store)
    finally:
        store.close()
    for r in run.results:
        d = r.detail
        figures = {"status": r.status, "total_ms": d.get("total_ms"), "cert_days_left": d.get("cert_days_left")}
        shown = " ".join(f"{k}={v}" for k, v in figures.items() if v is not None)  # an unanswered probe has none
        echo(f"{'正常' if r.ok else '異常'} {r.url} {shown} {r.reason or d.get('cert_warning', '')}".replace("  ", " ")
             .rstrip())
    echo(f"結果: {run.summary()}")
    return 0 if run.normal else 1


RESULT_WORDS = {"正常": True, "異常": False, "normal": True, "abnormal": False}


def manual_record(args: argparse.Namespace) -> tuple[str, str, bool, str, str]:
    """`uptime record`'s (day, HH:MM, normal, by, text), checked: a real day and time, not in the future, and
    正常/異常 (normal/abnormal)."""
    missing = [f"--{k}" for k in ("date", "time", "result", "by") if not (getattr(args, k) or "").strip()]
    if missing:
        raise ConfigError(f"uptime record: give {', '.join(missing)} (e.g. --date 2026-11-26 --time 20:00 "
                          "--result 正常 --by NAME)")
    try:
        day = dt.date.fromisoformat(args.date.strip())
    except ValueError:
        raise ConfigError(f"--date: expected YYYY-MM-DD, got {args.date!r}")
    if not re.fullmatch(r"\d{2}:\d{2}", args.time.strip()):
        raise ConfigError(f"--time: expected HH:MM (Asia/Taipei), got {args.time!r}")
    try:
        at = dt.time.fromisoformat(args.time.strip())
    except ValueError:
        raise ConfigError(f"--time: expected HH:MM (Asia/Taipei), got {args.time!r}")
    result = RESULT_WORDS.get(args.result.strip().lower())
    if result is None:
        raise ConfigError(f"--result: expected 正常 or 異常 (normal or abnormal), got {args.result!r}")
    if dt.datetime.combine(day, at, TAIPEI) > dt.datetime.now(TAIPEI):
        raise ConfigError(f"--date/--time: {day} {at:%H:%M} (Asia/Taipei) is in the future")
    return day.isoformat(), f"{at:%H:%M}", result, args.by.strip(), (args.text or "").strip()


def form_moment(text: str | None) -> dt.datetime:
    """`--as-of` ('YYYY-MM-DD HH:MM', Asia/Taipei), else now."""
    if text is None:
        return dt.datetime.now(TAIPEI)
    try:
        return dt.datetime.strptime(text.strip(), "%Y-%m-%d %H:%M").replace(tzinfo=TAIPEI)
    except ValueError:
        raise ConfigError(f"--as-of: expected 'YYYY-MM-DD HH:MM' (Asia/Taipei), got {text!r}")


def cmd_uptime_log(args: argparse.Namespace) -> int:
    """The month's record form: A4 landscape HTML, its PDF (one page for any month) or CSV."""
    cfg = load_config(args)
    try:
        year, month = uptime_log.parse_month(args.month)
    except ValueError as exc:
        raise ConfigError(str(exc))
    now = form_moment(args.as_of)
    printer = pdf_printer() if args.format == "pdf" else None
    out = args.out or Path(f"uptime-{year}-{month:02d}.{args.format}")
    with Store(cfg.store_path(), create=False) as store:  # a wrong store path is an error, not an empty month
        if args.format == "csv":
            text = uptime_log.render_csv(store, cfg.site.name, year, month, now, args.lang)
        else:
            text = uptime_log.render_html(store, cfg.site.name, cfg.site.agency, year, month, now, args.lang)
    if printer:
        html = out.with_suffix(".html")
        html.write_text(text, encoding="utf-8")
        print_pdf(html, out, printer,
                  *uptime_log.form_templates(cfg.site.name, cfg.site.agency, year, month, args.lang), landscape=True)
        print(f"wrote {html}")
    else:
        out.write_text(text, encoding="utf-8")
    print(f"wrote {out}")
    return 0


def cmd_schedule(args: argparse.Namespace) -> int:

    cfg = load_config(args)  # a wrong config is caught now, not at 20:00
    if args.publish_to:
        require_metadata(cfg)  # the nightly publish step would fail every night without its codes
    if args.kind == "cron" and install.dst_warning():
        print(f"siteaudit: {install.dst_warning()}", file=sys.stderr)
    if args.action == "print":
        for name, text in install.files(args.kind, args.config, args.outdir, args.logdir,
                                        args.publish_to or "").items():
            print(f"# ---- {name}\n{text}")
        return 0
    written = install.install(args.kind, args.config, args.outdir, args.logdir, args.dest, args.publish_to or "")
    for path in written:
        print(f"wrote {path}")
    if args.kind == "systemd":
        print("then: systemctl daemon-reload && systemctl enable --now siteaudit-uptime.timer siteaudit-audit.timer")
    return 0
