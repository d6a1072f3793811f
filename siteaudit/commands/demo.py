"""`siteaudit demo`: the bundled demo site served on 127.0.0.1 and audited."""

from __future__ import annotations

import argparse

from siteaudit.commands.audit import print_outcome
from siteaudit.core.results import ExitCode, Status
from siteaudit.demo import run_demo


def cmd_demo(args: argparse.Namespace) -> int:

    outcome = run_demo(out_dir=args.out, store_path=args.store, lang=args.lang)
    print_outcome(outcome, "demo: the demo site has deliberate defects, so its checks are expected to fail")
    # A failing demo is the expected result; a check that could not run means the installation is incomplete.
    return ExitCode.FAIL if outcome.verdict.status == Status.INCOMPLETE else ExitCode.PASS
