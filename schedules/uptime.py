"""The nightly availability probe (全球資訊網運轉情形檢測): is the site up, fast, genuine, and its certificate valid?

Each configured URL is probed with a DNS look-up, a TCP connect and a TLS handshake (timed, with the
certificate's days left), then an HTTP GET through requests (status, total time, final URL, size, and
the required keyword so an error page served with 200 or a defaced page is caught). A failed URL is
tried again (`uptime.tries`, `uptime.retry_wait` apart) and every try is appended to the store.
"""

from __future__ import annotations

import os
import shlex
import smtplib
import subprocess
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import requests

from siteaudit.core.config import Config
from siteaudit.core.net import measure_connection
from siteaudit.core.store import Store


@dataclass
class ProbeResult:
    url: str
    ok: bool
    status: int | None = None
    reason: str = ""
    detail: dict[str, Any] = field(default_factory=dict)


def probe_once(session: requests.Session, url: str, keyword: str, timeout: float, cert_warn_days: int,
               ca_file: str = "", measure: bool = True) -> ProbeResult:
    """One try; never raises on network errors."""
    detail: dict[str, Any] = {}
    if measure:
        try:
            detail.update(measure_connection(url, timeout, ca_file))
        except OSError as exc:
            reason = str(exc) if str(exc).startswith("DNS") else f"連線失敗 connection failed: {exc}"
            return ProbeResult(url, False, None, reason, detail)
    t0 = time.perf_counter()
    try:
        response = session.get(url, timeout=timeout, allow_redirects=True,
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
    body = response.content
    detail.update({"total_ms": round((time.perf_counter() - t0) * 1000, 1), "final_url": response.url,
                   "bytes": len(body), "redirects": [r.url for r in response.history]})
    status = response.status_code
    if status >= 400:
        return ProbeResult(url, False, status, f"HTTP {status}", detail)
    if keyword:
        text = response.text
        detail["keyword_found"] = keyword in text
        if not detail["keyword_found"]:
            return ProbeResult(url, False, status, f"頁面缺少關鍵字「{keyword}」(錯誤頁或遭竄改)", detail)
    days = detail.get("cert_days_left")
    if days is not None and days < cert_warn_days:
        detail["cert_warning"] = f"憑證剩 {days} 天到期"
    return ProbeResult(url, True, status, "", detail)


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
        for attempt in range(1, u.tries + 1):
            result = probe_once(session, url, keyword, u.timeout, u.cert_warn_days, u.ca_file, measure)
            store.add_probes([{"site": cfg.site.name, "batch": batch, "started": time.time(), "url": url,
                               "attempt": attempt, "ok": result.ok, "status": result.status,
                               "reason": result.reason, "detail": result.detail}])
            if result.ok or attempt == u.tries:
                finals.append(result)
                break
            sleep(u.retry_wait)
    run = UptimeRun(batch, started, all(r.ok for r in finals), finals)
    if not run.normal:
        alert(cfg, run)
    return run


def alert(cfg: Config, run: UptimeRun) -> list[str]:
    """Tell the person on duty: a configured command and/or an e-mail. Returns what was done (or failed)."""
    u = cfg.uptime
    done = []
    if u.on_failure_command:
        try:
            subprocess.run(u.on_failure_command, input=run.summary(), text=True, timeout=60, check=False,
                           env={**os.environ, "SITEAUDIT_UPTIME": run.summary()})
            done.append("command: " + shlex.join(u.on_failure_command))
        except (OSError, subprocess.SubprocessError) as exc:
            done.append(f"command failed: {exc}")
    if u.mail_to:
        message = EmailMessage()
        message["Subject"] = f"[siteaudit] {cfg.site.name} 網站運轉異常"
        message["From"] = u.mail_from
        message["To"] = ", ".join(u.mail_to)
        message.set_content(run.summary() + "\n\n" + "\n".join(
            f"{r.url}\t{r.status}\t{r.reason}" for r in run.results))
        try:
            with smtplib.SMTP(u.smtp_host, u.smtp_port, timeout=30) as smtp:
                if u.smtp_starttls:
                    smtp.starttls()
                if u.smtp_user:
                    smtp.login(u.smtp_user, os.environ.get(u.smtp_password_env, ""))
                smtp.send_message(message)
            done.append("mail: " + ", ".join(u.mail_to))
        except (OSError, smtplib.SMTPException) as exc:
            done.append(f"mail failed: {exc}")
    return done
