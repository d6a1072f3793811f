#!/usr/bin/env bash
# siteaudit's crawl + link check beside LinkChecker and linkinator, on the shared bench site
# (nginx on 127.0.0.1), in one run. Results: $BENCH_WORK/RESULTS.md (default /tmp/siteaudit-bench).
#   bench/run_links.sh [N ...]     default: 1000 10000
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
bench=${SHARED_BENCH:-$root/../shared/bench}
[[ -x $root/.venv/bin/siteaudit ]] || "$root/scripts/setup.sh"
# An installed siteaudit has its modules byte-compiled (pip does it); a checkout run with PYTHONDONTWRITEBYTECODE
# would compile about a hundred of them again in each of its two processes on every run.
"$root/.venv/bin/python" -m compileall -q "$root/siteaudit" "$root/checks" "$root/crawler" "$root/reports" \
  "$root/schedules" >/dev/null
export PEERS=${PEERS:-"custom linkinator linkchecker"}
export CUSTOM_LABEL=${CUSTOM_LABEL:-siteaudit}
export CUSTOM_CMD="$root/.venv/bin/siteaudit audit {base} --config $here/links.toml --checks links --format json --out {out} --store {out}/store.sqlite3"
sizes=("$@")
[[ ${#sizes[@]} -gt 0 ]] || sizes=(1000 10000)
exec "$bench/run_peers.sh" "${sizes[@]}"
