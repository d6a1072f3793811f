#!/usr/bin/env bash
# The test command: install (with the browser for the accessibility tests), lint, run the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --with-browser
.venv/bin/ruff check .
.venv/bin/python -m pytest -q "$@"
