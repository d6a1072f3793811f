"""The `siteaudit` command line.

Exit codes: 0 ran and every check passed, 1 ran and some check failed or could not run (the run is
incomplete), 2 usage or config error,
3 the site could not be crawled at all, 130 the crawl was interrupted (finish it with --resume).
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import re
import signal
import socket
import sys
from pathlib import Path

from siteaudit import __version__, evidence_commands
from siteaudit.audit import AuditError, AuditOutcome, audit
from siteaudit.config_template import CONFIG_TEMPLATE
from siteaudit.core import config as config_mod
from siteaudit.core.browser import (
    FONT_INSTALL_HINT,
    INSTALL_HINT,
    PDF_MEMORY_MB,
    PDF_SECONDS,
    BrowserPaths,
    PrintError,
    find_browser,
    zh_font_missing,
)
from siteaudit.core.config import Config, ConfigError
from siteaudit.core.console import echo, safe
from siteaudit.core.dates import TAIPEI, labelled, now, run_zone
from siteaudit.core.results import ExitCode, Status
from siteaudit.core.runs import abandoned_runs, shown_status
from siteaudit.core.stopping import Interrupted, stop_signals_raise
from siteaudit.core.store import Store, StoreError, is_database_url, write_failure
from siteaudit.demo import run_demo
from siteaudit.fleet import commands as fleet_commands
from siteaudit.fleet.fanout import CeleryFanout
from siteaudit.reports import digest, dossier, uptime_log
from siteaudit.reports.publish import publish, require_metadata
from siteaudit.reports.render import (
    FORMATS,
    OUTPUT_FILES,
    check_outputs,
    print_pdf,
    print_report,
    write_outputs,
)
from siteaudit.schedules import install
from siteaudit.schedules.uptime import run_uptime
from siteaudit.verdict.judge import judge
from siteaudit.verdict.waivers import load_waivers

EPILOG = """exit codes: 0 all checks passed, 1 a check failed or could not run (incomplete), 2 usage or config error,
3 the site could not be crawled, 130 interrupted (finish with --resume)"""


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="siteaudit", description="Website compliance crawler and auditor "
                                "(網站稽核：連結、政府資訊公開、ODF、詮釋資料、無障礙、運轉紀錄)", epilog=EPILOG)
    p.add_argument("--version", action="version", version=f"siteaudit {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    a = sub.add_parser("audit", help="crawl a site, run the checks, write report.html and findings.json",
                       epilog=EPILOG)
    a.add_argument("url", nargs="?", help="start URL (replaces site.start_urls of the config)")
    a.add_argument("--config", help="site config (TOML)")
    a.add_argument("--max-pages", type=int, help="stop after this many pages (crawl.max_pages)")
    a.add_argument("--checks", help="comma-separated checks to run (default: all enabled)")
    a.add_argument("--out", type=Path, help="output folder (default: siteaudit-out/SITE-DATE-TIME)")
    a.add_argument("--resume", action="store_true", help="finish the last interrupted crawl of this site")
    a.add_argument("--full", action="store_true",
                   help="re-parse and retest everything: reuse nothing of the last run (default: incremental)")
    a.add_argument("--store", help="SQLite store path (store.path) or postgresql:// URL (store.url)")
    a.add_argument("--lang", choices=("zh", "en"), default="zh", help="report language")
    a.add_argument("--format", choices=("all", "html", "json", "csv", "ods"), default="all",
                   help="outputs to write (default all: report.html, findings.json/.csv/.ods)")
    a.add_argument("--fanout-broker", help=argparse.SUPPRESS)  # a fleet worker's audit: share accessibility batches
    a.add_argument("--fanout-name", help=argparse.SUPPRESS)    # that worker's name, in the batches' leases

    d = sub.add_parser("demo", help="serve the bundled demo site on 127.0.0.1 and audit it")
    d.add_argument("--out", type=Path, help="output folder (default: siteaudit-out/demo-DATE-TIME)")
    d.add_argument("--store", help="SQLite store path (store.path) or postgresql:// URL (store.url)")
    d.add_argument("--lang", choices=("zh", "en"), default="zh")

    i = sub.add_parser("init", help="write a commented config template")
    i.add_argument("file", nargs="?", default="siteaudit.toml")
    i.add_argument("--force", action="store_true", help="overwrite an existing file")

    r = sub.add_parser("report", help="re-render a stored run (report.html, findings.json/.csv/.ods)")
    r.add_argument("run", nargs="?", default="latest", help="run id or 'latest'")
    r.add_argument("--config", help="site config (for the store path, the site and its waivers)")
    r.add_argument("--site", help="the site whose latest run is meant, in a store holding several")
    r.add_argument("--store", help="SQLite store path")
    r.add_argument("--out", type=Path, default=None, help="output folder")
    r.add_argument("--format", choices=("all", "html", "json", "csv", "ods"), default="all")
    r.add_argument("--pdf", action="store_true", help="also print report.html to report.pdf (headless Chromium)")
    r.add_argument("--pdf-memory", type=int, default=PDF_MEMORY_MB, metavar="MB",
                   help=f"memory cap of each browser process printing the PDF (default {PDF_MEMORY_MB})")
    r.add_argument("--pdf-timeout", type=float, default=PDF_SECONDS, metavar="SECONDS",
                   help=f"deadline for printing the PDF (default {PDF_SECONDS:g})")
    r.add_argument("--waivers", help="TOML file of accepted findings (default: site.waivers of the config)")
    r.add_argument("--lang", choices=("zh", "en"), default="zh")

    pb = sub.add_parser("publish", help="write the public results page (index.html, results.json) of a stored run, "
                        "for the agency's own site")
    pb.add_argument("run", nargs="?", default="latest", help="run id or 'latest' (the latest complete run)")
    pb.add_argument("--config", required=True, help="site config: [publish] holds the page's metadata and texts")
    pb.add_argument("--store", help="SQLite store path or postgresql:// URL (default: the config's)")
    pb.add_argument("--out", type=Path, required=True, help="folder the web server serves the page from")
    pb.add_argument("--waivers", help="TOML file of accepted findings (default: site.waivers of the config)")
    pb.add_argument("--lang", choices=("zh", "en"), default="zh")

    ds = sub.add_parser("dossier", help="the year's evidence pack for the inspection: every plan item's result, "
                        "trend and URL (index.html/.pdf), the latest full report, the monthly record forms, the "
                        "public results page and MANIFEST.sha256")
    ds.add_argument("--year", help="the year: 115 (ROC) or 2026 (AD); default this year (Asia/Taipei)")
    ds.add_argument("--config", required=True, help="site config: the site, its store, waivers and [publish]")
    ds.add_argument("--store", help="SQLite store path or postgresql:// URL (default: the config's)")
    ds.add_argument("--site", help="the site, in a store holding several (default: the config's site.name)")
    ds.add_argument("--out", type=Path, required=True, help="the pack's folder (an earlier pack there is replaced)")
    ds.add_argument("--waivers", help="TOML file of accepted findings (default: site.waivers of the config)")
    ds.add_argument("--lang", choices=("zh", "en"), default="zh")

    dg = sub.add_parser("digest", help="print the nightly digest mail of a stored run, as it would be sent "
                        "(nothing is sent)")
    dg.add_argument("run", nargs="?", default="latest", help="run id or 'latest' (the latest complete run)")
    dg.add_argument("--config", required=True, help="site config ([digest] and the SMTP settings of [uptime])")
    dg.add_argument("--store", help="SQLite store path or postgresql:// URL (default: the config's)")
    dg.add_argument("--report", type=Path, help="the run's report.html, attached as the mail would attach it")
    dg.add_argument("--waivers", help="TOML file of accepted findings (default: site.waivers of the config)")
    dg.add_argument("--lang", choices=("zh", "en"), default="zh")

    u = sub.add_parser("uptime", help="probe the site now (the 20:00 check) and append the result to the store; "
                       "'uptime note' records 處理情形 and 檢查人 for a day; 'uptime record' enters a person's "
                       "check as the day's record")
    u.add_argument("action", nargs="?", choices=("note", "record"),
                   help="note: record handling and checker for a day; record: a manual check (人工檢測)")
    u.add_argument("--config", required=True, help="site config (TOML)")
    u.add_argument("--store", help="SQLite store path")
    u.add_argument("--date", help="note, record: the day, YYYY-MM-DD (note: default today, Asia/Taipei)")
    u.add_argument("--time", help="record: when the person checked, HH:MM (Asia/Taipei), e.g. 20:00")
    u.add_argument("--result", help="record: 正常 or 異常 (normal or abnormal)")
    u.add_argument("--by", help="note, record: 檢查人")
    u.add_argument("--text", help="note: 處理情形; record: what was seen (optional)")

    ul = sub.add_parser("uptime-log", help="the month's 全球資訊網運轉情形紀錄表 (A4 HTML or CSV)")
    ul.add_argument("--config", required=True)
    ul.add_argument("--store", help="SQLite store path")
    ul.add_argument("--month", required=True, help="the month: 115-11, 115/11, 民國115年11月 or 2026-11")
    ul.add_argument("--format", choices=("html", "pdf", "csv"), default="html",
                    help="html (A4 landscape), pdf (printed through headless Chromium, one page) or csv")
    ul.add_argument("--out", type=Path, help="output file (default: uptime-YYYY-MM.html/.pdf/.csv)")
    ul.add_argument("--lang", choices=("zh", "en"), default="zh", help="form language")
    ul.add_argument("--as-of", metavar="'YYYY-MM-DD HH:MM'",
                    help="the form as it stood then (Asia/Taipei; default now): later days are left blank")

    sc = sub.add_parser("schedule", help="print or install the crontab / systemd units (20:00 check, nightly audit)")
    sc.add_argument("action", choices=("print", "install"))
    sc.add_argument("--config", required=True)
    sc.add_argument("--kind", choices=("cron", "systemd"), default="systemd")
    sc.add_argument("--outdir", default="/var/lib/siteaudit/reports", help="where nightly reports go")
    sc.add_argument("--logdir", default="/var/log/siteaudit")
    sc.add_argument("--dest", help="install into this folder (default /etc/cron.d or /etc/systemd/system)")
    sc.add_argument("--publish-to", metavar="DIR", help="after each nightly audit, write the public results page "
                    "(siteaudit publish) into DIR, the folder the web server serves it from")

    ls = sub.add_parser("runs", help="list stored runs")
    ls.add_argument("--config")
    ls.add_argument("--store")
    fleet_commands.add_parsers(sub)
    evidence_commands.add_parsers(sub)
    return p


def load_config(args: argparse.Namespace) -> Config:

    if getattr(args, "config", None):
        if getattr(args, "url", None):
            data = config_mod.read_toml(args.config)
            data.setdefault("site", {})
            data["site"]["start_urls"] = [config_mod.validate_url("URL", args.url)]
            data["site"].pop("allowed_hosts", None)
            cfg = config_mod.from_dict(data, source=args.config)
        else:
            cfg = config_mod.load(args.config)
    elif getattr(args, "url", None):
        cfg = config_mod.for_url(args.url)
    else:
        raise ConfigError("give a URL or --config FILE")
    if getattr(args, "max_pages", None) is not None:
        if args.max_pages < 1:
            raise ConfigError("--max-pages: must be at least 1")
        cfg.crawl.max_pages = args.max_pages
    if getattr(args, "store", None):
        if is_database_url(args.store):
            cfg.store.url, cfg.store.path = args.store, ""
        else:
            cfg.store.path, cfg.store.url = args.store, ""
    return cfg


def open_store(args: argparse.Namespace) -> Store:
    """The existing store of `--store`, else of `--config`, else the default one (never created here)."""
    if getattr(args, "store", None):
        return Store(args.store, create=False)
    if getattr(args, "config", None):

        return Store(config_mod.load(args.config).store_path(), create=False)
    return Store(Config().store_path(), create=False)


def cmd_audit(args: argparse.Namespace) -> int:

    cfg = load_config(args)
    names = [n.strip() for n in args.checks.split(",") if n.strip()] if args.checks else None
    store = Store(cfg.store_path())
    try:
        formats = None if args.format == "all" else (args.format,)
        if args.full and args.resume:
            raise ConfigError("--full and --resume: a resumed run keeps the plan it started with; give one of them")
        fanout = CeleryFanout.for_worker(args.fanout_broker, args.fanout_name or socket.gethostname(),
                                         cfg.fleet.a11y_batch_pages, cfg.fleet.lock_seconds) \
            if args.fanout_broker else None
        with stop_signals_raise():  # SIGINT/SIGTERM in any stage: the run ends interrupted (130/143), resumable
            outcome = audit(cfg, store, args.out, names, resume=args.resume, progress=True, lang=args.lang,
                            formats=formats, full=args.full, fanout=fanout)
    finally:
        store.close()
    print_outcome(outcome)
    return outcome.verdict.exit_code


def print_outcome(outcome: AuditOutcome, note: str = "") -> None:
    """Each check's line, the files written, then the verdict as the last line (naming what could not run)."""
    for name, summary in outcome.verdict.checks.items():
        extra = ", ".join(f"{k}={v}" for k, v in summary.items() if k != "status" and not isinstance(v, (dict, list)))
        echo(f"{name:14} {summary.get('status', '?'):8} {extra}")
    for path in outcome.written:
        echo(f"wrote {path}")
    if note:
        print(note)
    report = outcome.out_dir / "report.html"
    echo(outcome.verdict.last_line(outcome.run_id, report if report.is_file() else None), flush=True)


def cmd_demo(args: argparse.Namespace) -> int:

    outcome = run_demo(out_dir=args.out, store_path=args.store, lang=args.lang)
    print_outcome(outcome, "demo: the demo site has deliberate defects, so its checks are expected to fail")
    # A failing demo is the expected result; a check that could not run means the installation is incomplete.
    return ExitCode.FAIL if outcome.verdict.status == Status.INCOMPLETE else ExitCode.PASS


def cmd_init(args: argparse.Namespace) -> int:

    path = Path(args.file)
    if path.exists() and not args.force:
        raise ConfigError(f"{path}: already exists (use --force to overwrite)")
    path.write_text(CONFIG_TEMPLATE, encoding="utf-8")
    print(f"wrote {path}; edit site.start_urls and site.agency, then: siteaudit audit --config {path}")
    return 0


def pdf_printer() -> BrowserPaths:
    """Chromium and chromedriver to print with, and a Chinese font; else a usage error with the install command."""
    paths = find_browser()
    if paths.missing:
        raise ConfigError(f"--pdf needs {paths.missing}: {INSTALL_HINT}")
    if zh_font_missing():
        raise ConfigError(f"--pdf: no font for Traditional Chinese (fc-list :lang=zh-tw finds none), the PDF would "
                          f"show empty boxes; install one as root: {FONT_INSTALL_HINT}")
    return paths


def cmd_report(args: argparse.Namespace) -> int:
    """Re-render a stored run; with --pdf also print it (refused without a Chinese font)."""

    site = None
    waivers_path = args.waivers
    if args.config:

        cfg = config_mod.load(args.config)
        site = cfg.site.name
        waivers_path = waivers_path or cfg.site.waivers
    waivers = load_waivers(waivers_path)
    if args.pdf_memory < 256:
        raise ConfigError(f"--pdf-memory: at least 256 (MB), got {args.pdf_memory}")
    if not args.pdf_timeout > 0:
        raise ConfigError(f"--pdf-timeout: more than 0 (seconds), got {args.pdf_timeout:g}")
    printer = pdf_printer() if args.pdf else None  # refused before anything is written
    site = args.site or site
    with open_store(args) as store:
        if args.run == "latest":
            sites = store.sites()
            if site is None and len(sites) > 1:  # never pick one site's run silently
                raise ConfigError(f"the store holds {len(sites)} sites ({', '.join(safe(s) for s in sites[:10])}"
                                  f"{', …' if len(sites) > 10 else ''}): name one with --site or --config, "
                                  "or give a run id")
            run = store.latest_run(site=site, status="complete")
        elif args.run.isdigit():
            run = store.run(int(args.run))
        else:
            raise ConfigError(f"run: expected a run id or 'latest', got {args.run!r}")
        if run is None:
            raise ConfigError(f"run {args.run}: not found in {store.path}")
        out = args.out or Path("siteaudit-out") / f"{run['site']}-run{run['id']}"
        formats = FORMATS if args.format == "all" else (args.format,)
        if args.pdf:  # the printed report folds its groups and points to findings.csv for the rest
            formats = tuple(dict.fromkeys((*formats, "html", "csv")))
        check_outputs(out, [OUTPUT_FILES[f] for f in formats] + (["report.pdf"] if printer else []))
        verdict = judge(store, run["id"], waivers)
        for path in write_outputs(store, run["id"], out, verdict, lang=args.lang, formats=formats):
            echo(f"wrote {path}")
        if printer:
            try:
                echo(f"wrote {print_report(store, run['id'], verdict, out / 'report.pdf', printer, args.lang,
                                            args.pdf_timeout, args.pdf_memory)}")
            except PrintError as exc:
                raise PrintError(f"{out / 'report.pdf'}: not written, the report is too large to print: {exc} "
                                 f"(the other outputs are written)") from None
    return 0


def cmd_publish(args: argparse.Namespace) -> int:
    """The public results page of a stored run: the run's figures, judged by the one verdict."""
    cfg = config_mod.load(args.config)
    require_metadata(cfg)  # before anything is read or written
    waivers = load_waivers(args.waivers or cfg.site.waivers)
    with open_store(args) as store:
        if args.run == "latest":
            run = store.latest_run(site=cfg.site.name, status="complete")
        elif args.run.isdigit():
            run = store.run(int(args.run))
        else:
            raise ConfigError(f"run: expected a run id or 'latest', got {args.run!r}")
        if run is None:
            raise ConfigError(f"run {args.run}: no complete run of site {safe(cfg.site.name)} in {store.path}")
        if run["site"] != cfg.site.name:
            raise ConfigError(f"run {run['id']} is of site {safe(run['site'])}, not {safe(cfg.site.name)} "
                              f"(--config)")
        for path in publish(store, run, judge(store, run["id"], waivers), cfg, args.out, args.lang):
            echo(f"wrote {path}")
    return 0


def cmd_dossier(args: argparse.Namespace) -> int:
    """The year's evidence pack of one site, built beside --out and renamed into place."""
    cfg = config_mod.load(args.config)
    require_metadata(cfg)  # the pack holds the public page: its codes are needed before anything is written
    today = dt.datetime.fromtimestamp(now(), TAIPEI)
    year = dossier.parse_year(args.year) if args.year else today.year
    dossier.check_out(args.out)
    waivers = load_waivers(args.waivers or cfg.site.waivers)
    printer = pdf_printer()
    with open_store(args) as store:
        site = args.site or cfg.site.name
        if site not in store.sites():
            raise ConfigError(f"site {safe(site)}: no run in {store.name}"
                              + (f" (sites: {', '.join(safe(s) for s in store.sites()[:10])})" if store.sites() else ""))
        cfg.site.name = site
        written = dossier.build(store, cfg, site, year, lambda run_id: judge(store, run_id, waivers), args.out,
                                printer, today, args.lang)
    for path in written:
        echo(f"wrote {path}")
    return 0


def cmd_digest(args: argparse.Namespace) -> int:
    """What the nightly digest of a run says, and whether it would be sent; nothing is sent."""
    cfg = config_mod.load(args.config)
    waivers = load_waivers(args.waivers or cfg.site.waivers)
    with open_store(args) as store:
        if args.run == "latest":
            run = store.latest_run(site=cfg.site.name, status="complete")
        elif args.run.isdigit():
            run = store.run(int(args.run))
        else:
            raise ConfigError(f"run: expected a run id or 'latest', got {args.run!r}")
        if run is None or run["status"] != "complete":
            raise ConfigError(f"run {args.run}: no complete run of site {safe(cfg.site.name)} in {store.name}")
        d = digest.compose(store, run, judge(store, run["id"], waivers), cfg.digest.urls_shown, args.lang)
        mail = digest.message(cfg, d, args.report, args.lang)
    if not cfg.digest.mail_to:
        print("# not sent: digest.mail_to is empty (no recipients)")
    elif not d.news and not cfg.digest.always:
        print("# not sent: nothing changed since the previous run (digest.always = false)")
    else:
        print(f"# sent to {mail['To']} through {cfg.uptime.smtp_host}:{cfg.uptime.smtp_port}")
    echo(f"Subject: {mail['Subject']}")
    body = mail.get_body(("plain",))
    echo(body.get_content() if body is not None else "")
    for part in mail.iter_attachments():
        print(f"# attached: {part.get_filename()} ({len(part.get_payload(decode=True))} bytes)")
    return 0


def cmd_runs(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        abandoned = abandoned_runs(store)
        for run in store.runs():
            plan = run.get("plan") or {}
            mode = f"incremental<{plan['base_run']}" if plan.get("mode") == "incremental" else "full"
            started = labelled(run["started"], run_zone(run), "en")
            status = shown_status(run, abandoned)
            echo(f"{run['id']:5}  {safe(run['site']):24} {started:28}  {status:12} {mode:16} {run['config_hash']}")
    return 0


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


COMMANDS = {"audit": cmd_audit, "demo": cmd_demo, "init": cmd_init, "report": cmd_report, "publish": cmd_publish, "dossier": cmd_dossier, "digest": cmd_digest,
            "runs": cmd_runs,
            "uptime": cmd_uptime, "uptime-log": cmd_uptime_log, "schedule": cmd_schedule, **fleet_commands.COMMANDS,
            **evidence_commands.COMMANDS}


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return ExitCode.USAGE
    logging.getLogger("scrapy").setLevel(logging.WARNING)
    logging.raiseExceptions = False   # a log that cannot be written (a full disk) never prints tracebacks
    try:
        return COMMANDS[args.command](args)
    except ConfigError as exc:
        echo(f"siteaudit: config error: {exc}", file=sys.stderr)
        return ExitCode.USAGE
    except StoreError as exc:
        echo(f"siteaudit: {exc}", file=sys.stderr)
        return ExitCode.USAGE
    except AuditError as exc:
        echo(f"siteaudit: {exc}", file=sys.stderr)
        return exc.code
    except PrintError as exc:
        echo(f"siteaudit: {exc}", file=sys.stderr)
        return ExitCode.USAGE
    except KeyboardInterrupt:
        print("siteaudit: interrupted", file=sys.stderr)
        return ExitCode.INTERRUPTED
    except Interrupted as stop:
        print(f"siteaudit: interrupted ({signal.Signals(stop.signum).name})", file=sys.stderr)
        return stop.exit_code
    except OSError as exc:
        echo(f"siteaudit: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), file=sys.stderr)
        return ExitCode.USAGE
    except Exception as exc:  # last resort: one line, never a traceback (SITEAUDIT_DEBUG=1 shows it)
        if os.environ.get("SITEAUDIT_DEBUG"):
            raise
        if write_failure(exc):
            echo(f"siteaudit: cannot write: {write_failure(exc)}", file=sys.stderr)
            return ExitCode.USAGE
        echo(f"siteaudit: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return ExitCode.FAIL
