"""The nightly availability probe (全球資訊網運轉情形檢測): is the site up, fast, genuine, and its certificate valid?

Each configured URL is probed with a DNS look-up, a TCP connect and a TLS handshake (timed, with the
certificate's days left), then an HTTP GET through requests (status, total time, final URL, size). A 200 is
正常 only when it is the genuine page: it did not end off the site's hosts, its title and first heading do not
say it is an error page, it holds the keyword, and it is not far smaller than the URL's usual size. A failed URL
is tried again (`uptime.tries`, `uptime.retry_wait` apart) and every try is appended to the store.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shlex
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from email.message import EmailMessage
from statistics import median
from typing import Any
from urllib.parse import urlsplit

import lxml.html
import requests
import urllib3
from lxml import etree
from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding, read_bom, resolve_encoding

from siteaudit.core import mail
from siteaudit.core.config import Config
from siteaudit.core.console import echo
from siteaudit.core.dates import TAIPEI
from siteaudit.core.net import measure_connection
from siteaudit.core.store import Store
from siteaudit.core.urlparts import canonical_url

SIZE_HISTORY = 7   # a URL's usual size: the median body of its last 7 正常 probes (a week of nightly checks)
MIN_HISTORY = 3    # with fewer 正常 probes the usual size is not known yet, and the size is not judged
# Words an error page puts in its title or heading. 錯誤 but not in a form or help page's name (錯誤更正, 常見錯誤);
# Error as an English word (not Errors, Terror); 404 and 503 as numbers on their own (not in 11350404, 第404號,
# 503次 or 503室).
ERROR_MARKERS = re.compile(
    r"(?<!更正)(?<!常見)錯誤(?!更正|態樣|樣態)|維護中|(?<![A-Za-z])error(?![A-Za-z])"
    r"|(?<![0-9A-Za-z第])(?:404|503)(?![0-9A-Za-z號号室次期條年巷弄樓元人件戶])", re.IGNORECASE)
XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*>")


@dataclass(frozen=True)
class Expected:
    """What the genuine page of a probed URL looks like, beyond its status."""

    hosts: frozenset[str] = frozenset()   # hosts the answer may come from after redirects; empty: any
    usual_bytes: float | None = None      # the median size of its last 正常 probes; None: not known yet
    min_size_ratio: float = 0.2           # a body under this share of the usual size is 異常 (0: never)


@dataclass
class ProbeResult:
    url: str
    ok: bool
    status: int | None = None
    reason: str = ""
    detail: dict[str, Any] = field(default_factory=dict)


def read_body(response: requests.Response, max_bytes: int, deadline: float) -> str:
    """Read the body into `response` (so .text works) unless it passes `max_bytes` or `deadline` (monotonic):
    then the reason, else ""."""
    raw, chunks, size = response.raw, [], 0
    read = getattr(raw, "read1", raw.read)
    try:
        while chunk := read(64 * 1024):
            size += len(chunk)
            if size > max_bytes:
                return f"回應過大 answer larger than {max_bytes} bytes"
            if time.monotonic() > deadline:
                return f"回應過慢 answer not complete after {size} bytes within the time limit"
            chunks.append(chunk)
    except (urllib3.exceptions.HTTPError, requests.RequestException, OSError) as exc:
        return f"讀取失敗 reading the answer failed: {type(exc).__name__}"
    response._content = b"".join(chunks)
    return ""


def page_encoding(body: bytes, content_type: str) -> str:
    """The encoding a browser would use: the HTTP header's charset, else the BOM, else the page's <meta charset>
    (or http-equiv), else UTF-8."""
    bom, _ = read_bom(body)
    declared = (http_content_type_encoding(content_type) or bom
                or html_body_declared_encoding(body[:4096]) or "utf-8")
    return resolve_encoding(declared) or "utf-8"


def decode_page(body: bytes, content_type: str) -> str:
    """The page's text as a browser reads it (undecodable bytes replaced, never an error); a BOM is dropped."""
    _, mark = read_bom(body)
    return body[len(mark or b""):].decode(page_encoding(body, content_type), errors="replace")


def probe_once(session: requests.Session, url: str, keyword: str, timeout: float, cert_warn_days: int,
               ca_file: str = "", measure: bool = True, max_bytes: int = 10 * 1024 * 1024,
               expected: Expected = Expected()) -> ProbeResult:
    """One try within `timeout` seconds and `max_bytes` of answer; never raises on network errors."""
    detail: dict[str, Any] = {}
    if measure:
        try:
            detail.update(measure_connection(url, timeout, ca_file))
        except OSError as exc:
            reason = str(exc) if str(exc).startswith("DNS") else f"連線失敗 connection failed: {exc}"
            return ProbeResult(url, False, None, reason, detail)
    t0 = time.perf_counter()
    deadline = time.monotonic() + timeout
    try:
        response = session.get(url, timeout=timeout, allow_redirects=True, stream=True,
                               verify=ca_file or session.verify)
    except requests.exceptions.SSLError as exc:
        return ProbeResult(url, False, None, f"TLS 憑證錯誤: {detail.get('tls_error') or exc}"[:300], detail)
    except requests.exceptions.Timeout:
        return ProbeResult(url, False, None, f"逾時 timeout after {timeout} s", detail)
    except requests.exceptions.ConnectionError as exc:
        text = str(exc)
        reason = "DNS 查詢失敗 name resolution failed" if "resolve" in text or "Name or service" in text \
            else "連線失敗 connection failed"
        return ProbeResult(url, False, None, reason, detail)
    except requests.RequestException as exc:
        return ProbeResult(url, False, None, f"{type(exc).__name__}: {exc}"[:300], detail)
    with response:
        cut = read_body(response, max_bytes, deadline)
    status = response.status_code
    detail.update({"total_ms": round((time.perf_counter() - t0) * 1000, 1), "final_url": response.url,
                   "redirects": [r.url for r in response.history]})
    if cut:
        return ProbeResult(url, False, status, cut, detail)
    detail["bytes"] = len(response.content)
    if status >= 400:
        return ProbeResult(url, False, status, f"HTTP {status}", detail)
    reasons = not_genuine(response, keyword, expected, detail)
    if reasons:
        return ProbeResult(url, False, status, "；".join(reasons), detail)
    days = detail.get("cert_days_left")
    if days is not None and days < cert_warn_days:
        detail["cert_warning"] = f"憑證剩 {days} 天到期"
    return ProbeResult(url, True, status, "", detail)


def not_genuine(response: requests.Response, keyword: str, expected: Expected, detail: dict[str, Any]) -> list[str]:
    """Why an answer below 400 is not the genuine page (zh-TW, then English), noting the evidence in `detail`:
    it ended off the site's hosts, its title or heading names an error, the keyword is missing, or it is far
    smaller than usual. Empty when it is the page."""
    reasons = []
    body, content_type = response.content, response.headers.get("Content-Type", "")
    off = offsite_host([*(r.url for r in response.history), response.url], expected.hosts)
    if off:
        detail["offsite_host"] = off
        reasons.append(f"轉址至站外主機 {off} redirected off the site to {off}")
    text = decode_page(body, content_type)
    marker = error_headline(text)
    if marker:
        where, headline = marker
        detail["error_headline"] = {"where": where, "text": headline}
        zh = {"title": "標題", "h1": "主標題", "h2": "主標題"}[where]
        reasons.append(f"錯誤頁：{zh}「{headline}」 error page: {where} \"{headline}\"")
    if keyword:
        detail["keyword_found"] = keyword in text
        if not detail["keyword_found"]:
            reasons.append(f"頁面缺少關鍵字「{keyword}」(錯誤頁或遭竄改) keyword \"{keyword}\" missing "
                           "(an error page or defaced)")
    usual, ratio = expected.usual_bytes, expected.min_size_ratio
    if usual and ratio and len(body) < ratio * usual:
        detail["usual_bytes"] = round(usual)
        reasons.append(f"頁面過小：{len(body)} 位元組，不到平常（近期正常檢測中位數 {round(usual)} 位元組）的 "
                       f"{ratio:.0%} page far smaller than usual: {len(body)} bytes, under {ratio:.0%} of the "
                       f"median {round(usual)} bytes of recent normal probes")
    return reasons


def offsite_host(chain: Iterable[str], hosts: frozenset[str]) -> str | None:
    """The first host of a redirect chain that is none of `hosts` (as the crawler compares hosts: a host given
    without a port stands for any port), else None. No hosts: any is fine."""
    if not hosts:
        return None
    for url in chain:
        try:
            parts = urlsplit(canonical_url(url))
        except ValueError:  # a Location no URL parser reads: not the site's
            return urlsplit(url).netloc or url
        host = parts.netloc.rsplit("@", 1)[-1]
        if host not in hosts and (parts.hostname or "") not in hosts:
            return host
    return None


def error_headline(text: str) -> tuple[str, str] | None:
    """The page's title or first heading (its first h1, else its first h2) when it names an error: (title, h1
    or h2, the text). None for a page that does not, or is not HTML."""
    text = XML_DECLARATION.sub("", text, count=1)
    if not text.strip():
        return None
    try:
        doc = lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError):
        return None
    for where in ("title", "h1", "h2"):
        found = doc.find(f".//{where}")
        if found is None:
            continue
        headline = " ".join(found.text_content().split())[:120]
        if ERROR_MARKERS.search(headline):
            return where, headline
        if where == "h1":
            return None  # the page's first heading is its h1: an h2 below it is a section's
    return None


def expected_for(cfg: Config, store: Store, url: str) -> Expected:
    """What URL `url` of the site should answer: from the site's hosts (and the URL's own, and the hosts the config
    allows redirects to) and the median size of its last 正常 probes."""
    hosts = {*cfg.site.allowed_hosts, *cfg.uptime.allowed_redirect_hosts, urlsplit(canonical_url(url)).netloc}
    sizes = store.normal_probe_sizes(cfg.site.name, url, SIZE_HISTORY)
    return Expected(frozenset(h.lower() for h in hosts), median(sizes) if len(sizes) >= MIN_HISTORY else None,
                    cfg.uptime.min_size_ratio)


@dataclass
class UptimeRun:
    batch: str
    started: float
    normal: bool
    results: list[ProbeResult]

    @property
    def label(self) -> str:
        return "正常" if self.normal else "異常"

    def summary(self) -> str:
        bad = [f"{r.url}: {r.reason}" for r in self.results if not r.ok]
        return self.label + ("" if self.normal else " — " + "; ".join(bad))


def run_uptime(cfg: Config, store: Store, sleep: Callable[[float], None] = time.sleep,
               measure: bool = True) -> UptimeRun:
    """Probe every URL with retries, append every try to the store, and return the run's verdict."""
    u = cfg.uptime
    urls = u.urls or cfg.site.start_urls[:1]
    keyword = u.keyword or cfg.site.agency
    session = requests.Session()
    session.headers["User-Agent"] = cfg.user_agent
    batch = uuid.uuid4().hex[:12]
    started = time.time()
    finals: list[ProbeResult] = []
    for url in urls:
        expected = expected_for(cfg, store, url)
        for attempt in range(1, u.tries + 1):
            result = probe_once(session, url, keyword, u.timeout, u.cert_warn_days, u.ca_file, measure,
                                u.max_body_bytes, expected)
            now = time.time()
            taipei = dt.datetime.fromtimestamp(now, TAIPEI).strftime("%Y-%m-%d %H:%M:%S")
            store.add_probes([{"site": cfg.site.name, "batch": batch, "started": now, "url": url,
                               "attempt": attempt, "ok": result.ok, "status": result.status,
                               "reason": result.reason, "detail": {**result.detail, "taipei_time": taipei}}])
            if result.ok or attempt == u.tries:
                finals.append(result)
                break
            sleep(u.retry_wait)
    run = UptimeRun(batch, started, all(r.ok for r in finals), finals)
    if not run.normal:
        for channel, ok, detail in alert(cfg, run):
            store.add_alert(cfg.site.name, batch, channel, ok, detail)
            if not ok:
                echo(f"siteaudit: warning: uptime alert by {channel} failed: {detail}", file=sys.stderr)
    return run


Outcome = tuple[str, bool, str]   # (channel, done, what was done or why it failed)


def alert(cfg: Config, run: UptimeRun) -> list[Outcome]:
    """Tell the person on duty: a configured command and/or an e-mail. Returns what was done or why not."""
    u = cfg.uptime
    done = []
    if u.on_failure_command:
        done.append(run_command(u.on_failure_command, run.summary(), u.smtp_password_env))
    if u.mail_to:
        done.append(send_mail(cfg, run))
    return done


def run_command(command: list[str], summary: str, secret_env: str) -> Outcome:
    """Run the alert command with the summary on stdin and in $SITEAUDIT_UPTIME; the SMTP password's
    variable is left out of its environment."""
    env = {k: v for k, v in os.environ.items() if not secret_env or k != secret_env}
    try:
        code = subprocess.run(command, input=summary, text=True, timeout=60, check=False,
                              env={**env, "SITEAUDIT_UPTIME": summary}).returncode
    except (OSError, subprocess.SubprocessError) as exc:
        return "command", False, f"{shlex.join(command)}: {exc}"
    if code != 0:
        return "command", False, f"{shlex.join(command)}: exit code {code}"
    return "command", True, shlex.join(command)


def send_mail(cfg: Config, run: UptimeRun) -> Outcome:
    """E-mail the summary; the password only ever goes over TLS unless the config allows otherwise."""
    u = cfg.uptime
    message = EmailMessage()
    message["Subject"] = f"[siteaudit] {cfg.site.name} 網站運轉異常"
    message["From"] = u.mail_from
    message["To"] = ", ".join(u.mail_to)
    message.set_content(run.summary() + "\n\n" + "\n".join(
        f"{r.url}\t{r.status}\t{r.reason}" for r in run.results))
    sent, detail = mail.send(u, message)
    return "mail", sent, detail if not sent else ", ".join(u.mail_to)
