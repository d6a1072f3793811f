"""`siteaudit audit` and `init`."""

from __future__ import annotations

import argparse
import socket
from pathlib import Path

from siteaudit.audit import AuditOutcome, audit
from siteaudit.commands.common import load_config
from siteaudit.config_template import CONFIG_TEMPLATE
from siteaudit.core import lazy
from siteaudit.core.config import ConfigError
from siteaudit.core.console import echo
from siteaudit.core.stopping import stop_signals_raise
from siteaudit.core.store import Store

CELERY_FANOUT = "siteaudit.fleet.fanout:CeleryFanout"   # a fleet worker's audit only: Celery is loaded for it alone


def cmd_audit(args: argparse.Namespace) -> int:

    cfg = load_config(args)
    names = [n.strip() for n in args.checks.split(",") if n.strip()] if args.checks else None
    store = Store(cfg.store_path())
    try:
        formats = None if args.format == "all" else (args.format,)
        if args.full and args.resume:
            raise ConfigError("--full and --resume: a resumed run keeps the plan it started with; give one of them")
        fanout = lazy.load(CELERY_FANOUT).for_worker(args.fanout_broker, args.fanout_name or socket.gethostname(),
                                         cfg.fleet.a11y_batch_pages, cfg.fleet.lock_seconds) \
            if args.fanout_broker else None
        with stop_signals_raise():  # SIGINT/SIGTERM in any stage: the run ends interrupted (130/143), resumable
            outcome = audit(cfg, store, args.out, names, resume=args.resume, progress=True, lang=args.lang,
                            formats=formats, full=args.full, fanout=fanout)
    finally:
        store.close()
    print_outcome(outcome)
    return outcome.verdict.exit_code


def cmd_init(args: argparse.Namespace) -> int:

    path = Path(args.file)
    if path.exists() and not args.force:
        raise ConfigError(f"{path}: already exists (use --force to overwrite)")
    path.write_text(CONFIG_TEMPLATE, encoding="utf-8")
    print(f"wrote {path}; edit site.start_urls and site.agency, then: siteaudit audit --config {path}")
    return 0


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
