#!/usr/bin/env bash
# siteaudit's accessibility stage beside @axe-core/cli on the same K pages of the shared bench site
# (nginx on 127.0.0.1), both on Debian's Chromium, in one run.   K=200 N=1000 bench/run_axe.sh
# CHROMIUM=/usr/bin/chromium makes siteaudit use chromium instead of its default chromium-headless-shell.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
bench=${SHARED_BENCH:-$root/../shared/bench}
export BENCH_WORK=${BENCH_WORK:-/tmp/siteaudit-bench}
K=${K:-200}; N=${N:-1000}
export PORT=${PORT:-8088} EXT_PORT=${EXT_PORT:-8089}
site=$BENCH_WORK/sites/n$N
"$bench/setup.sh" axe >/dev/null
[[ -f $site/truth/pages.txt ]] || { python3 "$bench/gen_site.py" "$N" "$site" --ext-port "$EXT_PORT" >/dev/null; }
mkdir -p "$BENCH_WORK/results"
"$bench/serve.sh" start "$site" >/dev/null
trap '"$bench/serve.sh" stop >/dev/null 2>&1 || true' EXIT
echo "== siteaudit accessibility stage, K=$K"
"$root/.venv/bin/python" "$here/axe_stage.py" --site "$site" --base "http://127.0.0.1:$PORT" --k "$K" --shared-bench "$bench" \
    --out "$BENCH_WORK/results/axe-siteaudit.json" --chromium "${CHROMIUM:-}"
echo "== @axe-core/cli, K=$K"
python3 "$bench/axe_cli.py" --site "$site" --base "http://127.0.0.1:$PORT" --k "$K" --out "$BENCH_WORK/results/axe-cli-k$K.json" | cut -c1-600
