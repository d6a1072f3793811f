"""The fleet's command line: `siteaudit worker` and `siteaudit fleet enqueue|status|report`."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from siteaudit.core.console import echo, safe
from siteaudit.core.dates import DEFAULT_ZONE, labelled
from siteaudit.core.results import ExitCode
from siteaudit.core.store import Store
from siteaudit.fleet.errors import FleetError
from siteaudit.fleet.portfolio import write_portfolio
from siteaudit.fleet.queue import enqueue, status
from siteaudit.fleet.state import DEFAULT_BROKER, DEFAULT_STATE
from siteaudit.fleet.worker import run_worker

BROKER_HELP = ("broker URL, amqp:// (RabbitMQ) or redis:// (fleet.broker; default $SITEAUDIT_BROKER or "
               f"{DEFAULT_BROKER})")
STATE_HELP = ("Redis of the sites' states and host locks (fleet.state; default $SITEAUDIT_FLEET_STATE, else the "
              f"broker when it is Redis, else {DEFAULT_STATE})")


def default_broker() -> str:
    return os.environ.get("SITEAUDIT_BROKER") or DEFAULT_BROKER


def default_state(given: str | None) -> str | None:
    return given or os.environ.get("SITEAUDIT_FLEET_STATE") or None


def add_parsers(sub: argparse._SubParsersAction) -> None:
    w = sub.add_parser("worker", help="run a fleet worker: audits queued sites one at a time")
    w.add_argument("--broker", help=BROKER_HELP)
    w.add_argument("--state", help=STATE_HELP)
    w.add_argument("--heartbeat", type=int, default=10,
                   help="RabbitMQ: seconds of silence after which a worker's connection (a dead machine) is closed and "
                        "its task given back (0: none)")
    w.add_argument("--name", help="worker name (default siteaudit@HOST)")
    w.add_argument("--out", default="siteaudit-out/fleet", help="where this worker writes each audit's outputs")
    w.add_argument("--visibility-timeout", type=int, default=3600,
                   help="Redis: seconds after which an unacknowledged task is delivered again")
    w.add_argument("--loglevel", default="INFO")

    f = sub.add_parser("fleet", help="queue site audits for the workers, show their state, write the portfolio")
    fs = f.add_subparsers(dest="fleet_command", metavar="ACTION", required=True)
    e = fs.add_parser("enqueue", help="queue one audit per site config (each checked now)")
    e.add_argument("configs", nargs="+", help="site configs (TOML) with store.url")
    e.add_argument("--broker", help="replaces fleet.broker of the configs")
    e.add_argument("--state", help="replaces fleet.state of the configs")
    e.add_argument("--checks", help="comma-separated checks to run (default: all enabled)")
    e.add_argument("--full", action="store_true", help="full audits: reuse nothing of each site's last run")
    s = fs.add_parser("status", help="each site's state in the fleet")
    s.add_argument("--broker", help=BROKER_HELP)
    s.add_argument("--state", help=STATE_HELP)
    r = fs.add_parser("report", help="portfolio.html: every site × inspection item, linking to each site's report")
    r.add_argument("--store", required=True, help="the fleet's store (postgresql:// URL or SQLite file)")
    r.add_argument("--out", type=Path, default=Path("siteaudit-out/portfolio"), help="output folder")
    r.add_argument("--lang", choices=("zh", "en"), default="zh")


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
