"""URL pieces shared by the config and the crawler: the canonical host[:port] and hiding passwords."""

from __future__ import annotations

import re
from urllib.parse import SplitResult, urlsplit, urlunsplit

from w3lib.url import safe_url_string

DEFAULT_PORTS = frozenset({("http", 80), ("https", 443)})
USERINFO_PASSWORD = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*:)?//([^/?#:@]*):([^/?#]*)@")
PASSWORD_PARAM = re.compile(r"(?i)(?<![A-Za-z0-9_])(password|passwd|pwd)=([^&;#\s]*)")


def canonical_netloc(parts: SplitResult) -> str:
    """Lower-case host (IDNA already applied by safe_url_string), no default port and no userinfo: a link's
    target is judged without ever sending the credentials written in it (the raw href, redacted, keeps them)."""
    host = (parts.hostname or "").lower()
    if ":" in host:  # an IPv6 literal
        host = f"[{host}]"
    port = port_of(parts)
    return host if port is None or (parts.scheme.lower(), port) in DEFAULT_PORTS else f"{host}:{port}"


def port_of(parts: SplitResult) -> int | None:
    """The explicit port, or None when there is none or it is not a valid port number."""
    try:
        return parts.port
    except ValueError:
        return None


def canonical_url(url: str) -> str:
    """An absolute http(s) URL in the crawler's form: IDNA host, lower-case, no default port, path at least /."""
    parts = urlsplit(safe_url_string(url.strip()))
    return urlunsplit((parts.scheme.lower(), canonical_netloc(parts), parts.path or "/", parts.query, parts.fragment))


def canonical_host(host: str) -> str:
    """An allowed host (`name` or `name:port`) in the crawler's form: IDNA, lower-case, without :80 or :443
    (an allowed host serves both schemes, and a canonical URL never shows its scheme's default port)."""
    netloc = urlsplit(canonical_url(f"http://{host.strip()}/")).netloc
    return urlsplit(canonical_url(f"https://{netloc}/")).netloc if netloc.endswith(":443") else netloc


def has_userinfo(url: str) -> bool:
    """True when an absolute or scheme-relative URL carries a user name (and maybe a password) before its host."""
    authority = url.strip().partition("//")[2] if "//" in url else ""
    return "@" in re.split(r"[/?#\\]", authority, maxsplit=1)[0]


def redact(url: str) -> str:
    """`url` with every password in it shown as ***: that of its userinfo (http://u:p@x/ -> http://u:***@x/)
    and a password parameter (postgresql://u@db/x?password=p -> ?password=***, or a conninfo's password=p)."""
    if "=" in url:
        url = PASSWORD_PARAM.sub(lambda m: f"{m[1]}=***", url)
    if "@" not in url:
        return url
    return USERINFO_PASSWORD.sub(lambda m: f"{m[1] or ''}//{m[2]}:***@", url.strip(), count=1)
