#!/usr/bin/env bash
# Plain axe-selenium-python, one browser per core, beside siteaudit's accessibility stage and @axe-core/cli on
# the same K pages of the shared bench site, in one run.   K=200 N=1000 bench/axe_plain.sh
# "Plain" is the shared bench's axe_probe.py (load the page, inject axe, axe.run with its default rules, nothing
# else), started once per core on the same K pages at the same time: what using both cores takes with no work of
# the tool's own. Its pages/s is all pages tested over the wall time of both. Results:
# $BENCH_WORK/results/axe-plain-*.json and a summary on stdout.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
bench=${SHARED_BENCH:-$root/../shared/bench}
export BENCH_WORK=${BENCH_WORK:-/tmp/siteaudit-bench}
K=${K:-200}; N=${N:-1000}; CORES=${CORES:-$(nproc)}
export PORT=${PORT:-8088} EXT_PORT=${EXT_PORT:-8089}
site=$BENCH_WORK/sites/n$N
res=$BENCH_WORK/results
"$bench/setup.sh" axe >/dev/null
[[ -f $site/truth/pages.txt ]] || { python3 "$bench/gen_site.py" "$N" "$site" --ext-port "$EXT_PORT" >/dev/null; }
mkdir -p "$res"
"$bench/serve.sh" start "$site" >/dev/null
trap '"$bench/serve.sh" stop >/dev/null 2>&1 || true' EXIT

echo "== siteaudit accessibility stage, K=$K"
"$root/.venv/bin/python" "$here/axe_stage.py" --site "$site" --base "http://127.0.0.1:$PORT" --k "$K" \
    --shared-bench "$bench" --out "$res/axe-siteaudit.json" --chromium "${CHROMIUM:-}" | cut -c1-300
echo "== plain axe-selenium-python, $CORES browsers at once, K=$K each"
start=$(date +%s.%N)
for i in $(seq "$CORES"); do
    "$BENCH_WORK/venv-tool/bin/python" "$bench/axe_probe.py" --site "$site" --base "http://127.0.0.1:$PORT" \
        --k "$K" --out "$res/axe-plain-$i.json" > /dev/null &
done
wait
end=$(date +%s.%N)
echo "== @axe-core/cli, K=$K"
python3 "$bench/axe_cli.py" --site "$site" --base "http://127.0.0.1:$PORT" --k "$K" --out "$res/axe-cli-k$K.json" \
    | cut -c1-300
python3 - "$res" "$K" "$CORES" "$start" "$end" <<'EOF'
import json, sys
res, k, cores, start, end = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
cli = json.load(open(f"{res}/axe-cli-k{k}.json"))
ours = json.load(open(f"{res}/axe-siteaudit.json"))
plain = [json.load(open(f"{res}/axe-plain-{i + 1}.json")) for i in range(cores)]
rate = sum(f["pages"] for f in plain) / (end - start)
cli_rate, our_rate = 1 / cli["s_per_page_mean"], ours["pages_per_s"]
found = ", ".join(f["injected_detected"] for f in plain)
print(f"plain ({cores} browsers, load + axe.run only): {rate:.2f} pages/s = {rate / cli_rate:.1f}x @axe-core/cli "
      f"(injected defects found: {found})")
print(f"siteaudit: {our_rate:.2f} pages/s = {our_rate / cli_rate:.1f}x; @axe-core/cli: {cli_rate:.2f} pages/s "
      f"(found {cli['injected_detected']})")
EOF
