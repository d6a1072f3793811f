#!/usr/bin/env bash
# Install siteaudit into ./.venv with a Python >= 3.12, and what the main job needs besides: Debian's chromium,
# chromium-driver and chromium-headless-shell (accessibility check, PDF) and a CJK font, fonts-noto-cjk (the
# PDF's Chinese text). Those need root: without it the script says the exact command to run as root.
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
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test]'

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
    if (( ${#need[@]} + ${#faster[@]} )) && [[ $(id -u) -ne 0 ]]; then
        if (( ${#need[@]} )); then
            echo "not installed: ${need[*]}. Run as root: apt-get install ${need[*]} ${faster[*]}" >&2
            echo "(or: sudo scripts/setup.sh). Until then the accessibility check cannot run and --pdf refuses." >&2
        else
            echo "note: apt-get install chromium-headless-shell (as root) makes accessibility testing faster" >&2
        fi
    elif (( ${#need[@]} + ${#faster[@]} )); then
        apt-get update -qq
        if (( ${#need[@]} )); then
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
        fi
        if (( ${#faster[@]} )); then
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${faster[@]}" >/dev/null \
                || echo "note: chromium-headless-shell is not packaged here; accessibility testing uses chromium" >&2
        fi
    fi
fi
echo "siteaudit installed in .venv ($(.venv/bin/python --version))"
