"""Small fixture sites for the store and fleet tests: a few pages, a broken link, a document, a redirect."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

PAGE = '<html lang="zh-Hant"><head><title>{title}</title></head><body><h1>{title}</h1>{body}</body></html>'


def build_site(root: Path, label: str, pages: int = 4) -> Path:
    """`pages` linked pages, a missing page, an .doc document and a link to a missing PDF."""
    root.mkdir(parents=True, exist_ok=True)
    nav = "".join(f'<a href="/p{i}.html">第{i}頁</a>' for i in range(pages))
    body = nav + '<a href="/missing.html">失效</a><a href="/files/a.doc">文件</a><a href="/files/gone.pdf">PDF</a>'
    (root / "index.html").write_text(PAGE.format(title=f"{label}首頁", body=body), encoding="utf-8")
    for i in range(pages):
        (root / f"p{i}.html").write_text(PAGE.format(title=f"{label}第{i}頁", body=nav), encoding="utf-8")
    (root / "files").mkdir(exist_ok=True)
    (root / "files" / "a.doc").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"0" * 600)
    return root


def finding_keys(findings: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    """(check, rule, URL with the origin removed), sorted: equal for the same site served on another port."""
    def path(url: str) -> str:
        parts = urlsplit(url)
        return parts.path + (f"?{parts.query}" if parts.query else "") if parts.netloc.startswith("127.0.0.1") \
            else url
    return sorted((f["check"], f["rule"], path(f["url"])) for f in findings)


def findings_file(out: Path) -> list[tuple[str, str, str]]:
    return finding_keys(json.loads((out / "findings.json").read_text(encoding="utf-8"))["findings"])
