"""HTTP outside the crawl (requests): every read bounded in bytes and in total time, and the timed DNS/TCP/TLS
measurement of a connection (the nightly probe and the HTTPS check).

`fetch_bytes` is the one reader the checks use: at most `max_bytes` of body, and the whole answer
(connecting, each redirect, headers, body) within `timeout` seconds by the clock, however slowly the server
trickles; a redirect is followed only where siteaudit.core.fetchpolicy allows. It never raises on network errors:
a too-big, too-slow or refused answer comes back as `truncated` or `error`.
"""

from __future__ import annotations

import datetime as dt
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests

from siteaudit.core.config import Config
from siteaudit.core.fetchpolicy import refusal, site_classes
from siteaudit.core.warc import RECORDERS, Exchange, Failed, WarcFile

MAX_REDIRECTS = 5
CHUNK = 65536


@dataclass
class Download:
    body: bytes
    truncated: bool
    status: int | None
    error: str | None = None
    headers: dict[str, str] = field(default_factory=dict)  # names in lower case
    url: str = ""                                          # the URL that answered (after redirects)

    def text(self) -> str:
        """The body decoded by its declared charset (header or meta), else by detection."""
        from bs4 import UnicodeDammit

        ctype = self.headers.get("content-type", "")
        charset = ctype.split("charset=", 1)[1].split(";")[0].strip(" \"'") if "charset=" in ctype else ""
        return UnicodeDammit(self.body, [charset] if charset else [], is_html=True).unicode_markup or ""


class Session(requests.Session):
    """A requests session that knows which internal address classes the audited site may reach, and the run's
    WARC file its exchanges go into (while the checks of a run with evidence.warc run)."""

    allowed: frozenset[str] = frozenset()
    recorder: WarcFile | None = None


def session_for(cfg: Config) -> Session:
    session = Session()
    session.recorder = RECORDERS[-1] if RECORDERS else None
    session.headers["User-Agent"] = cfg.user_agent
    session.verify = cfg.crawl.verify_tls
    session.allowed = site_classes([*cfg.site.allowed_hosts, *(urlsplit(u).netloc for u in cfg.site.start_urls)])
    return session


def fetch_bytes(session: requests.Session, url: str, max_bytes: int, timeout: float,
                allow_redirects: bool = True, form: dict[str, str] | None = None) -> Download:
    """GET `url` (POST `form` to it, when given: a site-search form and nothing else), reading at most
    `max_bytes` of body (0: headers only), all within `timeout` seconds. A redirect after a POST is a GET."""
    done: list[Download] = []
    live: list[requests.Response] = []
    deadline = time.monotonic() + timeout
    worker = threading.Thread(target=lambda: done.append(_fetch(session, url, max_bytes, deadline,
                                                                allow_redirects, live, form)),
                              name="siteaudit-fetch", daemon=True)
    worker.start()
    worker.join(timeout)
    if done:
        return done[0]
    _abort(live)  # unblocks the worker; it ends on its own
    return Download(b"", False, None, f"no complete answer within {timeout:g} s (slow or stalled server)", url=url)


def _fetch(session: requests.Session, url: str, max_bytes: int, deadline: float, follow: bool,
           live: list[requests.Response], form: dict[str, str] | None = None) -> Download:
    allowed = getattr(session, "allowed", frozenset())
    for _ in range(MAX_REDIRECTS + 1):
        reason = refusal(url, allowed)
        if reason:
            return Download(b"", False, None, reason, url=url)
        try:
            # verify is passed per request: requests lets REQUESTS_CA_BUNDLE override Session.verify otherwise
            with session.request("POST" if form is not None else "GET", url, data=form, stream=True,
                                 timeout=max(0.1, deadline - time.monotonic()), allow_redirects=False,
                                 headers={"Accept-Encoding": "identity"}, verify=session.verify) as response:
                live[:] = [response]
                if follow and response.is_redirect:
                    archive(session, response, b"", bool(response.headers.get("Content-Length", "0") != "0"))
                    url = urljoin(url, response.headers["Location"])
                    form = None
                    continue
                body, truncated = _read(response, max_bytes)
                archive(session, response, body, truncated)
                return Download(body, truncated, response.status_code,
                                headers={k.lower(): v for k, v in response.headers.items()}, url=url)
        except (requests.RequestException, OSError, ValueError) as exc:
            recorder = getattr(session, "recorder", None)
            if recorder is not None and url.startswith(("http://", "https://")):
                recorder.put(Failed(url, "GET", "error", f"{type(exc).__name__}: {exc}"[:200], time.time(), "check"))
            return Download(b"", False, None, f"{type(exc).__name__}: {exc}"[:200], url=url)
    return Download(b"", False, None, f"more than {MAX_REDIRECTS} redirects", url=url)


def archive(session: requests.Session, response: requests.Response, body: bytes, truncated: bool) -> None:
    """Hand one exchange of a check to the run's WARC file (bytes as read: checks ask for no compression)."""
    recorder = getattr(session, "recorder", None)
    if recorder is None:
        return
    raw = getattr(response.raw, "headers", None)
    received = list(raw.iteritems()) if hasattr(raw, "iteritems") else list(response.headers.items())
    if response.headers.get("Content-Encoding", "identity").lower() != "identity":  # requests decoded the body
        received = [("X-Archive-Orig-Content-Encoding" if k.lower() == "content-encoding" else k, v)
                    for k, v in received]
    sent = response.request
    version = getattr(response.raw, "version", 11)
    recorder.put(Exchange(url=sent.url or response.url, method=sent.method or "GET",
                          request_headers=list(sent.headers.items()), status=response.status_code,
                          response_headers=received, body=body, when=time.time(),
                          protocol="HTTP/1.0" if version == 10 else "HTTP/1.1",
                          truncated="length" if truncated else None, kind="check"))


def _read(response: requests.Response, max_bytes: int) -> tuple[bytes, bool]:
    """At most `max_bytes` of the body, and whether there was more."""
    if max_bytes <= 0:
        return b"", False
    chunks, size = [], 0
    for chunk in response.iter_content(CHUNK):
        chunks.append(chunk)
        size += len(chunk)
        if size > max_bytes:
            return b"".join(chunks)[:max_bytes], True
    return b"".join(chunks), False


def _abort(live: list[requests.Response]) -> None:
    """Shut the socket of a read in progress, so a trickling server cannot hold the worker."""
    for response in live:
        sock = getattr(getattr(response.raw, "connection", None), "sock", None)
        try:
            if sock is not None:
                sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def measure_connection(url: str, timeout: float, ca_file: str = "") -> dict[str, Any]:
    """DNS, TCP connect and TLS handshake times (ms) and certificate days left; raises OSError on failure, which
    the run's archive keeps as a metadata record while the checks run."""
    try:
        return _measure_connection(url, timeout, ca_file)
    except OSError as exc:
        if RECORDERS and url.startswith(("http://", "https://")):
            RECORDERS[-1].put(Failed(url, "CONNECT", "connection", str(exc)[:200], time.time(), "check"))
        raise


def _measure_connection(url: str, timeout: float, ca_file: str = "") -> dict[str, Any]:
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
