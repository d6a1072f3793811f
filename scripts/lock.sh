#!/usr/bin/env bash
# Write requirements.lock from ./.venv: run after a deliberate upgrade (pip install -U PACKAGE) once
# scripts/test.sh has passed with it, and commit the lock with the upgrade.
set -euo pipefail
cd "$(dirname "$0")/.."
{
    echo "# The exact versions the test suite passed with; scripts/setup.sh installs these and nothing else."
    echo "# Upgrade deliberately: install the new versions, run scripts/test.sh, then: scripts/lock.sh"
    .venv/bin/python -m pip freeze --exclude-editable | sort -f
} > requirements.lock
echo "requirements.lock: $(grep -vc '^#' requirements.lock) packages"
