#!/usr/bin/env bash
# Install siteaudit into ./.venv with a Python >= 3.12, and what the main job needs besides: Debian's chromium,
# chromium-driver and chromium-headless-shell (accessibility check, PDF) and a CJK font, fonts-noto-cjk (the
# PDF's Chinese text). Those need root: the script runs apt-get itself as root, or through sudo when a user has
# it (only for those steps); with neither it says the exact command to run as root.
#   scripts/setup.sh                  everything (system packages when root)
#   scripts/setup.sh --no-system      only the Python environment
#   (--with-browser is accepted and is the default)
set -euo pipefail
cd "$(dirname "$0")/.."
with_browser=1
for arg in "$@"; do
    case $arg in
        --with-browser) with_browser=1 ;;
        --no-system) with_browser=0 ;;
        *) echo "usage: scripts/setup.sh [--no-system]" >&2; exit 2 ;;
    esac
done

find_python() {
    local c
    for c in "${PYTHON:-}" python3.13 python3.12 python3 \
             "$HOME"/.pyenv/versions/3.1[2-9]*/bin/python3 /usr/local/bin/python3.1[2-9] /usr/bin/python3.1[2-9]; do
        [[ -n $c ]] || continue
        if "$c" -c 'import sys, venv; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; then
            command -v "$c" 2>/dev/null || echo "$c"
            return 0
        fi
    done
    return 1
}

if ! py=$(find_python); then
    echo "siteaudit needs Python >= 3.12 (axe-selenium-python 3.x requires it) and none was found." >&2
    echo "Install one, e.g.: apt-get install python3.12 python3.12-venv  (Debian 13 / Ubuntu 24.04)," >&2
    echo "or pyenv install 3.12, then run this again (or set PYTHON=/path/to/python3.12)." >&2
    exit 1
fi

if [[ ! -x .venv/bin/python ]] || ! .venv/bin/python -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)'; then
    rm -rf .venv
    "$py" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
# Exactly the versions of requirements.lock (the ones the suite passed with), then siteaudit itself without
# resolving anything anew; pip check fails the install if the lock misses a dependency.
.venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -r requirements.lock
.venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
.venv/bin/python -m pip check >/dev/null || { .venv/bin/python -m pip check >&2; \
    echo "requirements.lock does not satisfy pyproject.toml: upgrade deliberately, then scripts/lock.sh" >&2; exit 1; }

# as_root CMD...: run CMD as root: directly when root, through sudo when present (asked only here), else fail.
as_root() {
    if [[ $(id -u) -eq 0 ]]; then "$@"
    elif command -v sudo >/dev/null; then sudo "$@"
    else return 127
    fi
}
can_be_root() { [[ $(id -u) -eq 0 ]] || command -v sudo >/dev/null; }
apt_install() { as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null; }

if [[ $with_browser == 1 ]]; then
    # chromium-headless-shell (same Debian chromium build, no desktop layer) makes accessibility testing faster;
    # without it the check uses chromium itself. fonts-noto-cjk: Debian's chromium brings no Chinese font, and
    # a PDF printed without one shows every Chinese character as an empty box.
    need=() faster=()
    command -v chromium >/dev/null || need+=(chromium)
    command -v chromedriver >/dev/null || need+=(chromium-driver)
    if ! command -v fc-list >/dev/null || [[ -z $(fc-list :lang=zh-tw 2>/dev/null) ]]; then
        need+=(fonts-noto-cjk)
    fi
    [[ -x /usr/lib/chromium/chromium-headless-shell ]] || command -v chromium-headless-shell >/dev/null \
        || faster+=(chromium-headless-shell)
    if (( ${#need[@]} + ${#faster[@]} )) && ! can_be_root; then
        if (( ${#need[@]} )); then
            echo "not installed: ${need[*]}. Run as root: apt-get install ${need[*]} ${faster[*]}" >&2
            echo "Until then the accessibility check cannot run and --pdf refuses." >&2
        else
            echo "note: apt-get install chromium-headless-shell (as root) makes accessibility testing faster" >&2
        fi
    elif (( ${#need[@]} + ${#faster[@]} )); then
        as_root apt-get update -qq
        if (( ${#need[@]} )); then
            apt_install "${need[@]}"
        fi
        if (( ${#faster[@]} )); then
            apt_install "${faster[@]}" \
                || echo "note: chromium-headless-shell is not packaged here; accessibility testing uses chromium" >&2
        fi
    fi
fi
# The fleet's services, for the tests and for a one-machine fleet: PostgreSQL on 127.0.0.1:5432, Redis on
# 127.0.0.1:6379 and RabbitMQ on 127.0.0.1:5672, started when none is listening (installed from Debian's packages
# when root and missing).
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
if ! listening 5432; then
    if ! command -v pg_ctlcluster >/dev/null && can_be_root; then
        as_root apt-get update -qq && apt_install postgresql
        for hba in /etc/postgresql/*/main/pg_hba.conf; do  # a fresh test server: trust loopback, as CI's does
            as_root sed -i '1i host all all 127.0.0.1/32 trust' "$hba"
        done
    fi
    if command -v pg_ctlcluster >/dev/null && [[ -d /etc/postgresql ]] && can_be_root; then
        version=$(ls /etc/postgresql | sort -V | tail -1)
        if listening 5432; then  # the package's own start-up got there first: read the edited pg_hba.conf
            as_root pg_ctlcluster --skip-systemctl-redirect "$version" main reload || true
        else
            as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start \
                || echo "note: could not start PostgreSQL $version; the PostgreSQL tests will fail" >&2
        fi
        # a trusted local role and the tests' database
        as_root su postgres -c "psql -qc 'SELECT 1' -d test" >/dev/null 2>&1 || as_root su postgres -c "createdb test" || true
    else
        echo "note: no PostgreSQL on 127.0.0.1:5432; install Debian's postgresql (as root) for the fleet store" >&2
    fi
fi
if ! listening 6379; then
    if ! command -v redis-server >/dev/null && can_be_root; then
        as_root apt-get update -qq && apt_install redis-server
    fi
    if command -v redis-server >/dev/null; then
        redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no >/dev/null
    else
        echo "note: no Redis on 127.0.0.1:6379; install Debian's redis-server (as root) for the fleet broker" >&2
    fi
fi
# RabbitMQ on 127.0.0.1:5672 (guest/guest, loopback only), the fleet's recommended broker: Debian's
# rabbitmq-server, started when nothing listens there. consumer_timeout: an audit is acknowledged when it ends,
# which can be hours after a worker took it; RabbitMQ's default (30 min) would take it from a live worker.
if ! listening 5672; then
    if ! command -v rabbitmq-server >/dev/null && can_be_root; then
        as_root apt-get update -qq && apt_install rabbitmq-server
        if [[ -d /etc/rabbitmq ]] && ! grep -q consumer_timeout /etc/rabbitmq/rabbitmq.conf 2>/dev/null; then
            printf 'listeners.tcp.local = 127.0.0.1:5672\nconsumer_timeout = 86400000\n' \
                | as_root tee -a /etc/rabbitmq/rabbitmq.conf >/dev/null
        fi
    fi
    if command -v rabbitmq-server >/dev/null && can_be_root; then
        as_root service rabbitmq-server start >/dev/null 2>&1 || as_root rabbitmq-server -detached >/dev/null 2>&1 \
            || echo "note: could not start RabbitMQ; the fleet tests on RabbitMQ will fail" >&2
        for _ in $(seq 30); do listening 5672 && break; sleep 1; done
    else
        echo "note: no RabbitMQ on 127.0.0.1:5672; install Debian's rabbitmq-server (as root) for the fleet broker" >&2
    fi
fi
echo "siteaudit installed in .venv ($(.venv/bin/python --version))"
