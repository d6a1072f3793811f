"""The command line of `siteaudit evidence verify|serve`, without the replay server and warcio: every other command
builds the same parser and never loads them."""

from __future__ import annotations

import argparse

from siteaudit.core.wacz import REPLAY_PORT


def add_parsers(sub: argparse._SubParsersAction) -> None:
    e = sub.add_parser("evidence", help="verify or replay a run's web archive (evidence.wacz)")
    es = e.add_subparsers(dest="evidence_command", metavar="ACTION", required=True)
    v = es.add_parser("verify", help="check every SHA-256 of evidence.wacz and of the earlier WACZs it refers to")
    v.add_argument("path", help="an output folder (its evidence.wacz) or a .wacz file")
    v.add_argument("--archive", action="append", default=[], metavar="FOLDER",
                   help="where else to look for the earlier WACZs (default: beside it and its recorded archive)")
    s = es.add_parser("serve", help="replay evidence.wacz offline on 127.0.0.1 (the report's View as captured links)")
    s.add_argument("path", help="an output folder (its evidence.wacz) or a .wacz file")
    s.add_argument("--port", type=int, default=REPLAY_PORT, help=f"port on 127.0.0.1 (default {REPLAY_PORT}, "
                   "the one the report links to)")
    s.add_argument("--archive", action="append", default=[], metavar="FOLDER",
                   help="where else to look for the earlier WACZs its revisits refer to")
