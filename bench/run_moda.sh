#!/usr/bin/env bash
# a11y-moda (PyPI a11y-moda[scan], a Taiwan-specific 115.11/110.07 checker) on the same K pages as run_axe.sh.
# Its Playwright drives Debian's chromium-headless-shell through a folder of symlinks (PLAYWRIGHT_BROWSERS_PATH);
# it crawls from a list page holding exactly the K pages (BFS, --max-pages K+1).   K=200 N=1000 bench/run_moda.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
bench=${SHARED_BENCH:-$root/../shared/bench}
export BENCH_WORK=${BENCH_WORK:-/tmp/siteaudit-bench}
K=${K:-200}; N=${N:-1000}
export PORT=${PORT:-8088} EXT_PORT=${EXT_PORT:-8089}
site=$BENCH_WORK/sites/n$N
venv=$BENCH_WORK/venv-a11y-moda
[[ -x $venv/bin/a11y-moda ]] || { python3 -m venv "$venv" && "$venv/bin/pip" install -q 'a11y-moda[scan]==0.6.1'; }
browsers=$BENCH_WORK/playwright-browsers
rev=$("$venv/bin/python" -c "import json, playwright, pathlib; p = pathlib.Path(playwright.__file__).parent
print(next(b['revision'] for b in json.loads((p / 'driver/package/browsers.json').read_text())['browsers']
           if b['name'] == 'chromium-headless-shell'))")
mkdir -p "$browsers/chromium_headless_shell-$rev/chrome-headless-shell-linux64"
ln -sf /usr/lib/chromium/chromium-headless-shell \
    "$browsers/chromium_headless_shell-$rev/chrome-headless-shell-linux64/chrome-headless-shell"
[[ -f $site/truth/pages.txt ]] || { python3 "$bench/gen_site.py" "$N" "$site" --ext-port "$EXT_PORT" >/dev/null; }
python3 - "$bench" "$site" "$K" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
from axe_probe_common import pick_pages
urls, _ = pick_pages(sys.argv[2], int(sys.argv[3]))
links = "".join(f'<li><a href="{u}">{u}</a></li>' for u in urls)
open(f"{sys.argv[2]}/www/bench-list.html", "w", encoding="utf-8").write(
    f'<!DOCTYPE html><html lang="zh-Hant"><head><title>list</title></head><body><ul>{links}</ul></body></html>')
PY
mkdir -p "$BENCH_WORK/results"
"$bench/serve.sh" start "$site" >/dev/null
trap '"$bench/serve.sh" stop >/dev/null 2>&1 || true' EXIT
out=$BENCH_WORK/results/a11y-moda-k$K.json
start=$(date +%s.%N)
PLAYWRIGHT_BROWSERS_PATH=$browsers /usr/bin/time -v "$venv/bin/a11y-moda" site "http://127.0.0.1:$PORT/bench-list.html" \
    --render --source crawl --max-pages $((K + 1)) --allow-private-hosts --format json -o "$out" \
    >/dev/null 2>"$BENCH_WORK/results/a11y-moda-time.log"
end=$(date +%s.%N)
python3 - "$bench" "$site" "$K" "$out" "$start" "$end" <<'PY'
import json, sys
sys.path.insert(0, sys.argv[1])
from axe_probe_common import pick_pages
urls, issues = pick_pages(sys.argv[2], int(sys.argv[3]))
codes = {"image-alt": "HM1110100C", "html-has-lang": "HM1310100C", "label": "HM1130104C", "link-name": "HM1240401C"}
failed: dict[str, set[str]] = {}
def walk(o, url=None):
    if isinstance(o, dict):
        url = o.get("url", url)
        rule = o.get("rule_id") or o.get("id")
        if rule and o.get("status") == "fail" and url:
            failed.setdefault(url.split("//", 1)[-1].split("/", 1)[-1].join(["/", ""]), set()).add(rule)
        for v in o.values(): walk(v, url)
    elif isinstance(o, list):
        for v in o: walk(v, url)
walk(json.load(open(sys.argv[4], encoding="utf-8")))
want = sum(len(issues.get(u, ())) for u in urls)
got = sum(1 for u in urls for r in issues.get(u, ()) if codes[r] in failed.get(u, set()))
wall = float(sys.argv[6]) - float(sys.argv[5])
print(json.dumps({"runner": "a11y-moda 0.6.1 site --render", "pages": len(urls), "total_s": round(wall, 1),
                  "pages_per_s": round(len(urls) / wall, 3), "injected_detected": f"{got}/{want}"}))
PY
grep "Maximum resident" "$BENCH_WORK/results/a11y-moda-time.log"
