"""HTTP outside the crawl (requests): bounded downloads for checks that need a whole file, and the timed
DNS/TCP/TLS measurement of a connection (the nightly probe and the HTTPS check)."""

from __future__ import annotations

import datetime as dt
import socket
import ssl
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests

from siteaudit.core.config import Config


@dataclass
class Download:
    body: bytes
    truncated: bool
    status: int | None
    error: str | None = None


def session_for(cfg: Config) -> requests.Session:
    session = requests.Session()
    session.headers["User-Agent"] = cfg.user_agent
    session.verify = cfg.crawl.verify_tls
    return session


def fetch_bytes(session: requests.Session, url: str, max_bytes: int, timeout: float) -> Download:
    """GET `url`, reading at most `max_bytes`; never raises on network errors."""
    try:
        # verify is passed per request: requests lets REQUESTS_CA_BUNDLE override Session.verify otherwise
        with session.get(url, stream=True, timeout=timeout, headers={"Accept-Encoding": "identity"},
                         verify=session.verify) as response:
            chunks, size = [], 0
            for chunk in response.iter_content(65536):
                chunks.append(chunk)
                size += len(chunk)
                if size > max_bytes:
                    return Download(b"".join(chunks)[:max_bytes], True, response.status_code)
            return Download(b"".join(chunks), False, response.status_code)
    except requests.RequestException as exc:
        return Download(b"", False, None, f"{type(exc).__name__}: {exc}"[:200])


def measure_connection(url: str, timeout: float, ca_file: str = "") -> dict[str, Any]:
    """DNS, TCP connect and TLS handshake times (ms) and certificate days left; raises OSError on failure."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    out: dict[str, Any] = {}
    t0 = time.perf_counter()
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise OSError(f"DNS: {host}: {exc.strerror}") from exc
    out["dns_ms"] = round((time.perf_counter() - t0) * 1000, 1)
    family, socktype, proto, _, address = infos[0]
    t1 = time.perf_counter()
    sock = socket.socket(family, socktype, proto)
    sock.settimeout(timeout)
    try:
        sock.connect(address)
        out["connect_ms"] = round((time.perf_counter() - t1) * 1000, 1)
        if parts.scheme == "https":
            context = ssl.create_default_context(cafile=ca_file or None)
            t2 = time.perf_counter()
            try:
                with context.wrap_socket(sock, server_hostname=host) as tls:
                    out["tls_ms"] = round((time.perf_counter() - t2) * 1000, 1)
                    cert = tls.getpeercert()
            except ssl.SSLCertVerificationError as exc:
                out["tls_error"] = exc.verify_message or str(exc)
                cert = _unverified_cert(address, family, host, timeout)
            if cert and cert.get("notAfter"):
                expires = dt.datetime.fromtimestamp(ssl.cert_time_to_seconds(cert["notAfter"]), dt.UTC)
                out["cert_expires"] = expires.date().isoformat()
                out["cert_days_left"] = (expires - dt.datetime.now(dt.UTC)).days
    finally:
        sock.close()
    return out


def _unverified_cert(address: Any, family: int, host: str, timeout: float) -> dict[str, Any] | None:
    """The peer certificate without verification, to report the expiry of a certificate that fails."""
    from cryptography import x509

    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with socket.socket(family, socket.SOCK_STREAM) as raw:
        raw.settimeout(timeout)
        raw.connect(address)
        with context.wrap_socket(raw, server_hostname=host) as tls:
            der = tls.getpeercert(binary_form=True)
    if not der:
        return None
    cert = x509.load_der_x509_certificate(der)
    return {"notAfter": cert.not_valid_after_utc.strftime("%b %d %H:%M:%S %Y GMT")}
