#!/usr/bin/env bash
# The test command: install (with the browser for the accessibility tests), lint, run the tests: two test
# processes (SITEAUDIT_TEST_WORKERS), each taking whole files, so the fleet's tests (which share the broker's
# queues) always run in one process.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --with-browser
.venv/bin/ruff check .
.venv/bin/python -m pytest -q -n "${SITEAUDIT_TEST_WORKERS:-2}" --dist loadfile "$@"
