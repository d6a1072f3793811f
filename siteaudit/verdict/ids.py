"""A finding's stable id: the same finding has the same id in every run, whatever address the site was
served at, so waivers, the diff and anyone filing a finding can refer to it."""

from __future__ import annotations

import hashlib
from typing import Any

# The evidence keys that say where on the page the finding is, first found wins.
WHERE_KEYS = ("selector", "field", "element", "item", "href", "fragment")


def site_origin(start_urls: list[str]) -> str:
    """`//host:port` of the first start URL (any scheme), or ""."""
    parts = (start_urls or [""])[0].split("/", 3)
    return "//" + parts[2] if len(parts) >= 3 and parts[2] else ""


def where(evidence: dict[str, Any]) -> str:
    """The selector, field or element of a finding, where its evidence names one."""
    for key in WHERE_KEYS:
        if evidence.get(key):
            return f"{key}={evidence[key]}"
    fields = evidence.get("fields")
    if isinstance(fields, list):
        return "fields=" + ",".join(sorted(str(f.get("field", "")) for f in fields if isinstance(f, dict)))
    return ""


def finding_id(finding: dict[str, Any], origin: str = "") -> str:
    """16 hex digits of SHA-256 over check, rule, URL without the site's origin, and selector or field."""
    url = finding.get("url") or ""
    if origin:
        url = url.replace("http:" + origin, "").replace("https:" + origin, "")
    key = "\x1f".join((finding["check"], finding["rule"], url, where(finding.get("evidence") or {})))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]
