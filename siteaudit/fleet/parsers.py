"""The command line of `siteaudit worker` and `siteaudit fleet`, without the fleet's Celery and Redis: every other
command builds the same parser and never loads them."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

DEFAULT_BROKER = "redis://127.0.0.1:6379/0"
DEFAULT_STATE = "redis://127.0.0.1:6379/0"

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
