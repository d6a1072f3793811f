"""Name why a request got no usable response: dns, refused, timeout, tls, robots, connection, encoding, policy."""

from __future__ import annotations

import zlib

from OpenSSL import SSL
from scrapy import exceptions as sx
from scrapy.exceptions import IgnoreRequest
from twisted.internet import error as net
from twisted.python.failure import Failure
from twisted.web._newclient import ResponseFailed, ResponseNeverReceived

REASONS = {
    "dns": "DNS lookup failed (host not found)",
    "refused": "connection refused",
    "timeout": "timed out",
    "tls": "TLS/SSL failure",
    "robots": "disallowed by robots.txt",
    "connection": "connection lost or reset",
    "encoding": "response body could not be decoded",
    "oversize": "response larger than the limit",
    "policy": "not fetched: only http(s), no internal addresses (siteaudit.core.fetchpolicy)",
    "error": "request failed",
}


def _tls_detail(exc: BaseException) -> str | None:
    text = repr(exc)
    for marker, label in (("certificate has expired", "certificate expired"),
                          ("self-signed", "self-signed certificate"), ("self signed", "self-signed certificate"),
                          ("unable to get local issuer", "untrusted certificate chain"),
                          ("hostname mismatch", "certificate does not match the host name"),
                          ("IP address mismatch", "certificate does not match the host name"),
                          ("certificate verify failed", "certificate verification failed"),
                          ("SSL", "TLS handshake failed"), ("ssl", "TLS handshake failed")):
        if marker in text:
            return label
    return None


def _scrapy(*names: str) -> tuple[type, ...]:
    """Scrapy >= 2.13 wraps Twisted's errors in its own exception classes."""
    return tuple(getattr(sx, n) for n in names if hasattr(sx, n))


def classify_failure(failure: Failure) -> tuple[str, str]:
    """Return (error code, human detail) for a failed request."""
    exc = failure.value
    cause = exc.__cause__ or exc.__context__
    if failure.check(net.DNSLookupError, *_scrapy("CannotResolveHostError")):
        return "dns", REASONS["dns"]
    if failure.check(net.ConnectionRefusedError, *_scrapy("DownloadConnectionRefusedError")):
        return "refused", REASONS["refused"]
    if failure.check(net.TimeoutError, net.TCPTimedOutError, *_scrapy("DownloadTimeoutError")):
        return "timeout", REASONS["timeout"]
    if cause is not None and failure.check(*_scrapy("DownloadFailedError", "ResponseDataLossError")):
        return classify_failure(Failure(cause))
    if failure.check(IgnoreRequest):
        text = str(exc)
        if text.startswith("robots.txt answered"):
            return "robots", text[:200]
        if "robots.txt" in text:
            return "robots", REASONS["robots"]
        if "DOWNLOAD_MAXSIZE" in text or "max size" in text.lower():
            return "oversize", text[:200]
        return "error", text[:200] or REASONS["error"]
    if failure.check(ResponseNeverReceived, ResponseFailed):
        for reason in getattr(exc, "reasons", []) or []:
            tls = _tls_detail(reason.value)
            if tls:
                return "tls", tls
        return "connection", REASONS["connection"]
    if failure.check(SSL.Error):
        return "tls", _tls_detail(exc) or REASONS["tls"]
    if failure.check(zlib.error, OSError, EOFError) and any(
            word in repr(exc).lower() for word in ("gzip", "decompress", "brotli", "zstd")):
        return "encoding", f"broken compressed body: {exc}"
    if failure.check(net.ConnectionLost, net.ConnectionDone, net.ConnectError,
                     *_scrapy("ResponseDataLossError", "DownloadFailedError")):
        return "connection", REASONS["connection"]
    return "error", f"{type(exc).__name__}: {exc}"[:200]
