"""Fleet benchmark (not a test): six sites audited one after another with `siteaudit audit`, then by a fleet of
two workers on this machine; also a crawl's pages/s into PostgreSQL against SQLite.

    .venv/bin/python bench/fleet_bench.py [--sites 6] [--pages 1000] [--latency 0.05] [--work /tmp/siteaudit-fleet-bench]
                                          [--broker amqp://guest:guest@127.0.0.1:5672//] [--fleet-only]

Each site is served on its own 127.0.0.1 port by a threaded server that waits --latency seconds before every
answer (a real site's latency). Audits use the polite defaults (AutoThrottle, 4 requests per host) and the checks
links, documents and metadata (the accessibility stage's cost, 0.25 core-s per page, is added on paper).
Needs PostgreSQL and Redis, and RabbitMQ for --broker amqp://… (scripts/setup.sh starts them); BENCH_PG /
BENCH_REDIS say where; the fleet's state is in BENCH_REDIS whatever the broker. --fleet-only skips the one-after-
another audits (no ratio then).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import threading
import time
import uuid
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import psycopg
import redis

from siteaudit.core.store import Store
from siteaudit.fleet.state import FleetState

ROOT = Path(__file__).resolve().parent.parent
PG = os.environ.get("BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")
REDIS = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/14")
CHECKS = "links,documents,metadata"
PAGE = '<html lang="zh-Hant"><head><title>{t}</title><meta name="DC.Title" content="{t}"></head><body><h1>{t}</h1>' \
       '<nav>{nav}</nav><main>{body}</main></body></html>'
BROWSER_CORE_S = 0.25


def build(root: Path, pages: int) -> None:
    """`pages` pages in 10 sections, each listed on its section's index (depth 2, as a CMS lists news); each page
    links to ten of its section siblings; every 50th page links to a document and to one missing page."""
    root.mkdir(parents=True, exist_ok=True)
    nav = "".join(f'<a href="/s{s}/index.html">第{s}類</a>' for s in range(10))
    for section in range(10):
        folder = root / f"s{section}"
        folder.mkdir(exist_ok=True)
        members = list(range(section, pages, 10))
        listing = "".join(f'<a href="/s{section}/p{j}.html">項目{j}</a>' for j in members)
        (folder / "index.html").write_text(PAGE.format(t=f"第{section}類", nav=nav, body=listing), encoding="utf-8")
        for i in members:
            siblings = "".join(f'<a href="/s{section}/p{j}.html">相關{j}</a>'
                               for j in range(i + 10, min(pages, i + 110), 10))
            extra = '<a href="/files/a.pdf">附件</a><a href="/missing.html">失效</a>' if i % 50 == 0 else ""
            (folder / f"p{i}.html").write_text(PAGE.format(t=f"頁面{i}", nav=nav, body=siblings + extra),
                                               encoding="utf-8")
    (root / "index.html").write_text(PAGE.format(t="首頁", nav=nav, body=""), encoding="utf-8")
    (root / "files").mkdir(exist_ok=True)
    (root / "files" / "a.pdf").write_bytes(b"%PDF-1.4\n" + b"0" * 2000)


def serve(root: Path, latency: float) -> ThreadingHTTPServer:
    class Handler(SimpleHTTPRequestHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(root), **kwargs)

        def send_head(self) -> Any:
            time.sleep(latency)
            return super().send_head()

        def log_message(self, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def config(path: Path, name: str, port: int, store: str, pages: int) -> Path:
    key = "url" if store.startswith("postgresql") else "path"
    path.write_text(f'[site]\nname = "{name}"\nstart_urls = ["http://127.0.0.1:{port}/"]\n'
                    f'[crawl]\nsitemaps = false\nmax_pages = {pages + 100}\nlog_level = "WARNING"\n'
                    f'[store]\n{key} = "{store}"\n[fleet]\nbroker = "{REDIS}"\n', encoding="utf-8")
    return path


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def crawl_rate(store_location: str, site: str) -> tuple[int, float]:
    """Pages of the site's latest run and its crawl's pages/s (first to last fetch)."""
    with Store(store_location, create=False) as store:
        run = store.latest_run(site)
        times = [r["fetched"] for r in store.pages(run["id"]) if r["fetched"]]
        pages = store.count_pages(run["id"])
    return pages, pages / max(max(times) - min(times), 1e-6)


def fresh_schema() -> tuple[str, str]:
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    return schema, f"{PG}{'&' if '?' in PG else '?'}options=-csearch_path%3D{schema}"


def drop_schema(schema: str) -> None:
    with psycopg.connect(PG, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")


def audit(cfg: Path, out: Path, checks: str = CHECKS) -> None:
    subprocess.run([sys.executable, "-m", "siteaudit", "audit", "--config", str(cfg), "--checks", checks,
                    "--out", str(out), "--format", "json"], check=False, capture_output=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sites", type=int, default=6)
    ap.add_argument("--pages", type=int, default=1000)
    ap.add_argument("--latency", type=float, default=0.05)
    ap.add_argument("--work", type=Path, default=Path("/tmp/siteaudit-fleet-bench"))
    ap.add_argument("--broker", default=REDIS, help="the fleet's broker (default BENCH_REDIS)")
    ap.add_argument("--fleet-only", action="store_true", help="skip the one-after-another audits")
    args = ap.parse_args()
    shutil.rmtree(args.work, ignore_errors=True)
    args.work.mkdir(parents=True)
    servers = []
    for i in range(args.sites):
        build(args.work / f"site{i}", args.pages)
        servers.append(serve(args.work / f"site{i}", args.latency))
    names = [f"bench{i}" for i in range(args.sites)]
    results: dict[str, Any] = {"sites": args.sites, "pages_per_site": args.pages, "latency_s": args.latency}

    if not args.fleet_only:  # 1. and 2.
        # 1. the store: one site's crawl into SQLite and into PostgreSQL, no added latency, loopback profile
        fast = serve(args.work / "site0", 0.0)
        schema, pg_url = fresh_schema()
        for label, store in (("sqlite", str(args.work / "rate.sqlite3")), ("postgresql", pg_url)):
            cfg = args.work / f"rate-{label}.toml"
            key = "url" if label == "postgresql" else "path"
            text = (ROOT / "bench" / "links.toml").read_text(encoding="utf-8").replace(
                'name = "bench"', f'name = "rate"\nstart_urls = ["http://127.0.0.1:{fast.server_address[1]}/"]')
            cfg.write_text(text + f'sitemaps = false\n[store]\n{key} = "{store}"\n', encoding="utf-8")
            audit(cfg, args.work / f"rate-{label}", "links")
            pages, rate = crawl_rate(store, "rate")
            results[f"crawl_pages_per_s_{label}"] = round(rate, 1)
            results[f"crawl_pages_{label}"] = pages
        drop_schema(schema)
        fast.shutdown()

        # 2. one machine, one site after another
        cpu0, t0 = children_cpu(), time.time()
        for name, server in zip(names, servers, strict=True):
            cfg = config(args.work / f"{name}-single.toml", name, server.server_address[1],
                         str(args.work / "single.sqlite3"), args.pages)
            audit(cfg, args.work / "single" / name)
        results["sequential_wall_s"] = round(time.time() - t0, 1)
        results["sequential_cpu_s"] = round(children_cpu() - cpu0, 1)
        rates = [crawl_rate(str(args.work / "single.sqlite3"), n) for n in names]
        results["pages_audited_sequential"] = sum(p for p, _ in rates)
        results["polite_crawl_pages_per_s_per_site"] = round(sum(r for _, r in rates) / len(rates), 1)

    # 3. a fleet of two workers on this machine, one shared PostgreSQL store
    broker = redis.Redis.from_url(REDIS)
    broker.flushdb()
    schema, pg_url = fresh_schema()
    configs = [str(config(args.work / f"{n}-fleet.toml", n, s.server_address[1], pg_url, args.pages))
               for n, s in zip(names, servers, strict=True)]
    t0 = time.time()
    workers = [subprocess.Popen([sys.executable, "-m", "siteaudit", "worker", "--broker", args.broker, "--state", REDIS,
                                 "--name", f"w{i}",
                                 "--out", str(args.work / f"w{i}"), "--loglevel", "WARNING"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
               for i in range(2)]
    subprocess.run([sys.executable, "-m", "siteaudit", "fleet", "enqueue", *configs, "--checks", CHECKS,
                    "--broker", args.broker, "--state", REDIS],
                   check=True, capture_output=True)
    state = FleetState(broker)
    while not all(state.site(n).get("state") in ("complete", "failed", "uncrawlable") for n in names):
        time.sleep(1)
    results["fleet_wall_s"] = round(time.time() - t0, 1)
    results["fleet_states"] = {n: state.site(n).get("state") for n in names}
    for proc in workers:
        proc.terminate()
        proc.wait(30)
    results["pages_audited_fleet"] = sum(crawl_rate(pg_url, n)[0] for n in names)
    drop_schema(schema)
    broker.flushdb()
    if not args.fleet_only:
        results["ratio"] = round(results["sequential_wall_s"] / results["fleet_wall_s"], 2)

    # 4. on paper: 13 sites x 10,000 pages on M machines of 2 cores, two workers each
    if not args.fleet_only:
        pages_total = results["pages_audited_sequential"] or 1
        cpu_per_page = results["sequential_cpu_s"] / pages_total
        site_crawl_s = 10_000 / results["polite_crawl_pages_per_s_per_site"]
        projection = {}
        for machines in (1, 2, 4, 7):
            workers_n = 2 * machines
            rounds = -(-13 // workers_n)
            cpu_s = 13 * 10_000 * (cpu_per_page + BROWSER_CORE_S) / (2 * machines)
            projection[machines] = round(max(rounds * site_crawl_s, cpu_s) / 3600, 2)
        results["cpu_s_per_page_measured"] = round(cpu_per_page, 4)
        results["projection_hours_13x10000_by_machines"] = projection
    print(json.dumps(results, ensure_ascii=False, indent=2))
    (args.work / "RESULTS.json").write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
