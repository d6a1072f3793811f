"""What may be fetched at all: http(s) only, and no internal addresses for a site that is not on one.

One rule for the crawler and for the checks' own requests (docs/security.md, "What is fetched"):

- only `http` and `https` URLs are fetched; a link or redirect to `file:`, `ftp:`, `javascript:`, `data:`… is
  reported, never followed;
- a target whose host is a loopback, link-local (169.254.x.x, fe80::) or private address (10/8, 172.16/12,
  192.168/16, fc00::/7, 0.0.0.0, `localhost`) is refused unless the audited site itself is on an address of
  that same class (a site on 127.0.0.1 may fetch 127.0.0.1, never 169.254.169.254).

Hosts are judged by their literal form (numeric forms such as `2852039166` or `0x7f.1` included); a DNS
name of another host is not resolved ahead of the request.
"""

from __future__ import annotations

import functools
import ipaddress
import socket
from collections.abc import Iterable
from urllib.parse import urlsplit

FETCHED_SCHEMES = frozenset({"http", "https"})
IPV4_FORM = frozenset("0123456789abcdefxABCDEFX.")


@functools.lru_cache(maxsize=4096)  # asked for every new URL of a crawl, with the same few hosts
def address_class(host: str) -> str | None:
    """'loopback', 'link-local' or 'private' for an internal address literal (or localhost), else None."""
    host = host.strip("[]").lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return "loopback"
    ip = _literal(host)
    if ip is None:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback or ip.is_unspecified:
        return "loopback"
    if ip.is_link_local:
        return "link-local"
    if not ip.is_global:
        return "private"
    return None


def _literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        pass
    if host and set(host) <= IPV4_FORM and any(c.isdigit() for c in host):
        try:  # the forms inet_aton (and so the resolver) accepts: 2852039166, 0x7f.1, 0177.0.0.1
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def site_classes(hosts: Iterable[str]) -> frozenset[str]:
    """Address classes the audited site itself is on: its hosts as written, and what their names resolve to."""
    classes: set[str] = set()
    for host in hosts:
        name = (urlsplit(f"//{host}").hostname or host).lower()
        own = address_class(name)
        if own:
            classes.add(own)
            continue
        try:
            infos = socket.getaddrinfo(name, None, proto=socket.IPPROTO_TCP)
        except (OSError, UnicodeError):
            continue
        classes |= {c for info in infos if (c := address_class(str(info[4][0])))}
    return frozenset(classes)


def refusal(url: str, allowed: frozenset[str]) -> str | None:
    """Why `url` must not be fetched (a short English reason), or None when it may be."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        return "not a valid URL: not fetched"
    scheme = parts.scheme.lower()
    if scheme not in FETCHED_SCHEMES:
        return f"{scheme or 'relative'}: URL: only http and https are fetched" if scheme != "javascript" \
            else "javascript: URL: not an address, not fetched"
    if not host:
        return "no host: not fetched"
    kind = address_class(host)
    if kind and kind not in allowed:
        return f"{kind} address {host}: refused (the audited site is not on a {kind} address)"
    return None
