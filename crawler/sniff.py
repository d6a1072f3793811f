"""Small judgements about a response body: is it binary, is it an anti-bot challenge page."""

from __future__ import annotations

from scrapy.http import Response

BINARY_SIGNATURES = (b"%PDF-", b"PK\x03\x04", b"\xd0\xcf\x11\xe0", b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"Rar!",
                     b"7z\xbc\xaf", b"\x1f\x8b")
CHALLENGE_MARKERS = (b"cf-chl", b"challenge-platform", b"cf-browser-verification", b"Attention Required! | Cloudflare",
                     b"_Incapsula_Resource", b"Request unsuccessful. Incapsula", b"captcha-delivery",
                     b"/cdn-cgi/challenge", b"Please enable JavaScript and cookies to continue")


def looks_binary(body: bytes) -> bool:
    head = body[:1024]
    return head.startswith(BINARY_SIGNATURES) or b"\x00" in head


def blocked_reason(response: Response) -> str | None:
    """Why the answer cannot verify the link (auth, rate limit, WAF challenge), or None."""
    status = response.status
    if status == 401:
        return "401 authentication required"
    if status == 407:
        return "407 proxy authentication required"
    if status == 429:
        wait = response.headers.get(b"Retry-After")
        return "429 too many requests" + (f" (Retry-After: {wait.decode('latin-1')})" if wait else "")
    if status in (200, 403, 503):
        head = response.body[:20000]
        if any(marker in head for marker in CHALLENGE_MARKERS):
            return f"{status} anti-bot challenge page (WAF)"
    if status == 403:
        return "403 forbidden"
    return None
