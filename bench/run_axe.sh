#!/usr/bin/env bash
# siteaudit's accessibility stage beside @axe-core/cli on the same K pages of the shared bench site
# (nginx on 127.0.0.1), both on Debian's Chromium, in one run.   K=200 N=1000 bench/run_axe.sh
# CHROMIUM=/usr/bin/chromium makes siteaudit use chromium instead of its default chromium-headless-shell.
# PLAIN=1 adds a third row between the two: the shared bench's axe-selenium-python probe (load the page, put axe
# into it, axe.run with its default rules, nothing else), started once per core on the same K pages at the same
# time, pages/s being all pages tested over the wall time of both: what both cores give with no work of a tool's own.
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
res=$BENCH_WORK/results
if [[ ${PLAIN:-0} == 1 ]]; then
    cores=$(nproc)
    echo "== plain axe-selenium-python, $cores browsers at once, K=$K each"
    start=$(date +%s.%N)
    for i in $(seq "$cores"); do
        "$BENCH_WORK/venv-tool/bin/python" "$bench/axe_probe.py" --site "$site" --base "http://127.0.0.1:$PORT" \
            --k "$K" --out "$res/axe-plain-$i.json" > /dev/null &
    done
    wait
    end=$(date +%s.%N)
fi
echo "== @axe-core/cli, K=$K"
python3 "$bench/axe_cli.py" --site "$site" --base "http://127.0.0.1:$PORT" --k "$K" --out "$res/axe-cli-k$K.json" | cut -c1-600
if [[ ${PLAIN:-0} == 1 ]]; then
    python3 - "$res" "$K" "$cores" "$start" "$end" <<'EOF'
import json, sys
res, k, cores, start, end = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
cli = json.load(open(f"{res}/axe-cli-k{k}.json"))
ours = json.load(open(f"{res}/axe-siteaudit.json"))
plain = [json.load(open(f"{res}/axe-plain-{i + 1}.json")) for i in range(cores)]
rate = sum(p["pages"] for p in plain) / (end - start)
cli_rate, our_rate = 1 / cli["s_per_page_mean"], ours["pages_per_s"]
print(f"siteaudit {our_rate:.2f} pages/s ({our_rate / cli_rate:.1f}x), plain axe-selenium-python on {cores} browsers "
      f"{rate:.2f} ({rate / cli_rate:.1f}x, found {', '.join(p['injected_detected'] for p in plain)}), "
      f"@axe-core/cli {cli_rate:.2f} (found {cli['injected_detected']})")
EOF
fi
