"""The fleet's command line: `siteaudit worker` and `siteaudit fleet enqueue|status|report`."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from siteaudit.core.console import echo, safe
from siteaudit.core.dates import DEFAULT_ZONE, labelled
from siteaudit.core.results import ExitCode
from siteaudit.core.store import Store
from siteaudit.fleet.errors import FleetError
from siteaudit.fleet.parsers import default_broker, default_state
from siteaudit.fleet.portfolio import write_portfolio
from siteaudit.fleet.queue import enqueue, status
from siteaudit.fleet.worker import run_worker


def cmd_worker(args: argparse.Namespace) -> int:
    try:
        run_worker(args.broker or default_broker(), args.name, args.out, args.visibility_timeout, args.loglevel,
                   default_state(args.state), args.heartbeat)
    except FleetError as exc:
        echo(f"siteaudit: {exc}", file=sys.stderr)
        return ExitCode.USAGE
    return 0


def cmd_fleet(args: argparse.Namespace) -> int:
    try:
        if args.fleet_command == "enqueue":
            for item in enqueue(args.configs, args.broker or os.environ.get("SITEAUDIT_BROKER"), args.checks,
                                full=args.full, state=default_state(args.state)):
                echo(f"{item.site}: " + ("queued" if item.token else "already queued, not queued again"))
        elif args.fleet_command == "status":
            print_status(args.broker or default_broker(), default_state(args.state))
        elif args.fleet_command == "report":
            with Store(args.store, create=False) as store:
                echo(f"wrote {write_portfolio(store, args.out, args.lang)}")
    except FleetError as exc:
        echo(f"siteaudit: {exc}", file=sys.stderr)
        return ExitCode.USAGE
    return 0


def when(ts: float | None, zone: str = DEFAULT_ZONE) -> str:
    """A state's time in the site's zone, labelled (2026-11-26 02:30 Taipei time); "—" for none."""
    return labelled(ts, zone, "en") if ts else "—"


def status_lines(sites: dict[str, dict[str, Any]]) -> list[str]:
    """`fleet status`: one line per site (name, state, when, run, error), each neutralised for the console."""
    if not sites:
        return ["no site queued yet"]
    lines = []
    for site, st in sites.items():
        extra = f"run {st['run_id']}" if st.get("run_id") else ""
        if st.get("error"):
            extra += f" {st['error']}"
        shown = when(st.get("updated"), st.get("timezone") or DEFAULT_ZONE)
        lines.append(f"{safe(site):24} {safe(st.get('state', '?')):12} {shown:28} "
                     f"{safe(extra)}".rstrip())
    return lines


def print_status(broker: str, state: str | None = None) -> None:
    for line in status_lines(status(broker, state)):
        echo(line)


COMMANDS = {"worker": cmd_worker, "fleet": cmd_fleet}
