#!/usr/bin/env bash
# The test command: install (with the browser for the accessibility tests), lint, run the tests: in two test
# processes (SITEAUDIT_TEST_WORKERS), each taking whole files; then the fleet's tests alone, as a fleet runs (they
# share the broker's queues and kill workers at chosen moments of a schedule of several sites).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --with-browser
.venv/bin/ruff check .
run=(.venv/bin/python -m pytest -q -n "${SITEAUDIT_TEST_WORKERS:-2}" --dist loadfile)
if [[ $# -gt 0 ]]; then
    exec "${run[@]}" "$@"
fi
status=0
"${run[@]}" --ignore=tests/test_fleet.py || status=$?
.venv/bin/python -m pytest -q tests/test_fleet.py || status=$?
exit "$status"
