"""`siteaudit evidence verify|serve`: check a run's WACZ (and the earlier ones its revisits refer to), replay it."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from siteaudit.core.console import echo
from siteaudit.core.replay import Archive, make_server
from siteaudit.core.results import ExitCode
from siteaudit.core.wacz import OUTPUT_NAME, EvidenceError, datapackage_of
from siteaudit.core.waczverify import verify


def wacz_path(given: str) -> Path:
    path = Path(given)
    if path.is_dir():
        path = path / OUTPUT_NAME
    if not path.is_file():
        raise EvidenceError(f"{path}: no such WACZ file")
    return path


def cmd_verify(args: argparse.Namespace) -> int:
    path = wacz_path(args.path)
    problems = verify(path, [Path(f) for f in args.archive])
    for problem in problems:
        echo(f"siteaudit: evidence: {problem}", file=sys.stderr)
    if problems:
        return ExitCode.FAIL
    ours = datapackage_of(path).get("siteaudit", {})
    refs = ", ".join(r["path"] for r in ours.get("references", [])) or "none"
    cut = "" if ours.get("complete", True) else f"; incomplete: {ours.get('dropped', 0)} records not archived"
    echo(f"siteaudit: evidence: {path} verified: {ours.get('records', 0)} records, {ours.get('revisits', 0)} "
         f"revisits, earlier WACZs referred to: {refs}{cut}")
    return ExitCode.PASS


def cmd_serve(args: argparse.Namespace) -> int:
    archive = Archive(wacz_path(args.path), [Path(f) for f in args.archive])
    if not 0 <= args.port <= 65535:
        raise EvidenceError(f"--port: {args.port} is not a port number")
    try:
        server = make_server(archive, args.port)
    except OSError as exc:
        raise EvidenceError(f"cannot listen on 127.0.0.1:{args.port} ({exc.strerror or exc})")
    echo(f"siteaudit: evidence: replaying {archive.path} on http://127.0.0.1:{server.server_address[1]}/ "
         "(Ctrl-C stops)", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return ExitCode.PASS


def cmd_evidence(args: argparse.Namespace) -> int:
    try:
        return {"verify": cmd_verify, "serve": cmd_serve}[args.evidence_command](args)
    except EvidenceError as exc:
        echo(f"siteaudit: evidence: {exc}", file=sys.stderr)
        return ExitCode.USAGE


COMMANDS = {"evidence": cmd_evidence}
