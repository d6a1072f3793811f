"""Commands on stored runs: `report`, `publish`, `dossier`, `digest`, `runs`."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path
from typing import Any

from siteaudit.commands.common import open_store, pdf_printer
from siteaudit.core import config as config_mod
from siteaudit.core.browser import PrintError
from siteaudit.core.config import ConfigError
from siteaudit.core.console import echo, safe
from siteaudit.core.dates import TAIPEI, labelled, now, run_zone
from siteaudit.core.runs import abandoned_runs, shown_status
from siteaudit.core.store import Store
from siteaudit.reports import digest, dossier
from siteaudit.reports.publish import publish, require_metadata
from siteaudit.reports.render import FORMATS, OUTPUT_FILES, check_outputs, print_report, write_outputs
from siteaudit.verdict.judge import judge
from siteaudit.verdict.waivers import load_waivers


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


def named_run(store: Store, site: str, name: str) -> dict[str, Any] | None:
    """The run `name` stands for: 'latest' is the site's latest complete run, else a run id."""
    if name == "latest":
        return store.latest_run(site=site, status="complete")
    if name.isdigit():
        return store.run(int(name))
    raise ConfigError(f"run: expected a run id or 'latest', got {name!r}")


def cmd_publish(args: argparse.Namespace) -> int:
    """The public results page of a stored run: the run's figures, judged by the one verdict."""
    cfg = config_mod.load(args.config)
    require_metadata(cfg)  # before anything is read or written
    waivers = load_waivers(args.waivers or cfg.site.waivers)
    with open_store(args) as store:
        run = named_run(store, cfg.site.name, args.run)
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
        run = named_run(store, cfg.site.name, args.run)
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
