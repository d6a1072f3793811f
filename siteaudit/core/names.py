"""Names that become file names: a site's name is never a path."""

from __future__ import annotations

import hashlib
import re
import unicodedata

SLUG_CHARS = 40


def folder_name(name: str) -> str:
    """A folder name for `name`: a slug of it (letters, digits, - and _ only) and a short hash of the whole
    name, so two different names never share a folder and none climbs out of its parent (`../x`)."""
    text = unicodedata.normalize("NFKC", name)
    slug = re.sub(r"[^\w-]+", "-", text, flags=re.UNICODE).strip("-_")[:SLUG_CHARS].strip("-_") or "site"
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:10]
    return f"{slug}-{digest}"
