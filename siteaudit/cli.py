"""The `siteaudit` command line.

Exit codes: 0 ran and every check passed, 1 ran and some check failed or could not run (the run is
incomplete), 2 usage or config error,
3 the site could not be crawled at all, 130 the crawl was interrupted (finish it with --resume).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from pathlib import Path

from siteaudit import __version__
from siteaudit.core import lazy
from siteaudit.core.browser import PDF_MEMORY_MB, PDF_SECONDS, PrintError
from siteaudit.core.config import ConfigError
from siteaudit.core.console import echo
from siteaudit.core.results import AuditError, ExitCode
from siteaudit.core.stopping import Interrupted
from siteaudit.core.store import StoreError, write_failure
from siteaudit.evidence_parsers import add_parsers as add_evidence_parsers
from siteaudit.fleet.parsers import add_parsers as add_fleet_parsers

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
    add_fleet_parsers(sub)
    add_evidence_parsers(sub)
    return p


# Each command's function, named "module:function" and imported only when it runs (siteaudit.core.lazy): `audit`
# never imports the fleet's Celery and Redis, the evidence replay server or the dossier's PDF tools.
COMMANDS = {
    "audit": "siteaudit.commands.audit:cmd_audit",
    "demo": "siteaudit.commands.demo:cmd_demo",
    "init": "siteaudit.commands.audit:cmd_init",
    "report": "siteaudit.commands.stored:cmd_report",
    "publish": "siteaudit.commands.stored:cmd_publish",
    "dossier": "siteaudit.commands.stored:cmd_dossier",
    "digest": "siteaudit.commands.stored:cmd_digest",
    "runs": "siteaudit.commands.stored:cmd_runs",
    "uptime": "siteaudit.commands.uptime:cmd_uptime",
    "uptime-log": "siteaudit.commands.uptime:cmd_uptime_log",
    "schedule": "siteaudit.commands.uptime:cmd_schedule",
    "worker": "siteaudit.fleet.commands:cmd_worker",
    "fleet": "siteaudit.fleet.commands:cmd_fleet",
    "evidence": "siteaudit.evidence_commands:cmd_evidence",
}


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return ExitCode.USAGE
    logging.getLogger("scrapy").setLevel(logging.WARNING)
    logging.raiseExceptions = False   # a log that cannot be written (a full disk) never prints tracebacks
    try:
        return lazy.load(COMMANDS[args.command])(args)
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
