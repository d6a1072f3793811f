"""HTTP outside the crawl (requests): bounded downloads for checks that need a whole file."""

from __future__ import annotations

from dataclasses import dataclass

import requests

from siteaudit.config import Config


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
