"""The base run of an incremental crawl: the validators to send with each request, and what was stored for a page
or document that turns out unchanged, to carry into the new run without parsing it again."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

from siteaudit.core.store import Store

MAX_VALIDATOR_CHARS = 256  # longer validators are not sent back: a 10 KB ETag makes nginx answer 400 (8 KB lines)
SENDABLE = re.compile(r"^[\x20-\x7e]+$")
NOT_MODIFIED = "not-modified"  # the server answered 304 to If-None-Match / If-Modified-Since
SAME_BODY = "same-body"        # the server answered 200 with the very body stored


def body_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def sendable(validator: str | None) -> bool:
    """A stored ETag or Last-Modified worth sending back: short printable ASCII. Otherwise the page is compared by
    its body hash alone, which carries it over just the same when it has not changed."""
    return bool(validator) and len(validator) <= MAX_VALIDATOR_CHARS and bool(SENDABLE.match(validator))


class Previous:
    """Read side of the base run, used by the spider in the reactor thread (one connection of its own)."""

    def __init__(self, store: Store, run_id: int) -> None:
        self.store = store
        self.run_id = run_id
        self.pages = store.revalidation_index(run_id)
        self.documents = store.document_index(run_id)

    @classmethod
    def open(cls, store_path: str | Path, run_id: int | None) -> Previous | None:
        if run_id is None:
            return None
        return cls(Store(store_path, create=False), run_id)

    def close(self) -> None:
        self.store.close()

    def headers(self, url: str, kind: str) -> dict[str, str]:
        """The conditional request headers for `url`: its stored ETag and Last-Modified, if any."""
        known = self.pages.get(url) if kind == "page" else self.documents.get(url) if kind == "document" else None
        if not known:
            return {}
        out = {}
        for header, value in (("If-None-Match", known[0]), ("If-Modified-Since", known[1])):
            if sendable(value):
                out[header] = value
        return out

    def same_body(self, url: str, digest: str) -> bool:
        """Is `digest` the body hash stored for page `url`?"""
        known = self.pages.get(url)
        return bool(known and known[2] and known[2] == digest)

    def page(self, url: str, how: str) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
        """The stored page and links, marked as carried over (`how`) from the run that last parsed them."""
        try:
            stored = self.store.stored_page(self.run_id, url)
        except Exception:  # the base run cannot be read now: the caller asks again and parses the answer
            return None
        if stored is None:
            return None
        page, links = stored
        page.update(revalidated=how, carried_from=page.get("carried_from") or self.run_id)
        return page, links

    def document(self, url: str) -> dict[str, Any] | None:
        try:
            stored = self.store.stored_resource(self.run_id, url)
        except Exception:  # as for pages: asked again without validators
            return None
        if stored is not None:
            stored["revalidated"] = NOT_MODIFIED
        return stored
