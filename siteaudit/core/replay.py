"""Offline replay of a run's WACZ: a small HTTP server on 127.0.0.1 that answers /replay/TIMESTAMP/URL with the
response archived for URL (the capture nearest TIMESTAMP), bytes as archived, a revisit answered with the
earlier response it refers to. Nothing is fetched from the network."""

from __future__ import annotations

import html
import io
import json
import zipfile
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urljoin, urlsplit

from warcio.archiveiterator import ArchiveIterator

from siteaudit.core.wacz import (
    PAGES,
    REPLAY_PORT,
    RESOURCE_PATH,
    datapackage_of,
    find_wacz,
    parse_index,
    read_index,
    staged_parts,
)

DEFAULT_PORT = REPLAY_PORT
HOP_HEADERS = frozenset({"transfer-encoding", "x-archive-orig-transfer-encoding", "connection", "keep-alive",
                         "content-length", "set-cookie", "strict-transport-security"})
# Replay shows only what was archived: the browser may load nothing from the live web for a replayed page.
OFFLINE_ONLY = ("Content-Security-Policy", "default-src 'self' 'unsafe-inline' 'unsafe-eval' data: blob:")
MAX_RECORD_BYTES = 64 * 1024 * 1024   # a record larger than this is not served (the crawl's caps are far lower)


@dataclass
class Answer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


class Archive:
    """One WACZ and the earlier WACZs its revisits refer to, read on demand; or (`staged`) the WARC files a run
    has written so far, before they are packaged."""

    def __init__(self, path: Path, folders: list[Path] | None = None) -> None:
        self.path = path
        self.staging: Path | None = None
        ours = datapackage_of(path).get("siteaudit", {})
        self.folders = [path.parent, *([Path(ours["archive"])] if ours.get("archive") else []), *(folders or [])]
        self.load(read_index(path))
        with zipfile.ZipFile(path) as archive:
            lines = archive.read(PAGES).decode("utf-8").splitlines()[1:] if PAGES in archive.namelist() else []
        self.pages = [line for line in lines if line.strip()]

    @classmethod
    def staged(cls, staging: Path, folders: list[Path]) -> Archive:
        """The WARC files of a run still in its staging folder (`folders`: where earlier WACZs are)."""
        archive = cls.__new__(cls)
        archive.path = staging
        archive.staging = staging
        archive.folders = list(folders)
        archive.load(parse_index(staged_parts(staging)[1]))
        archive.pages = []
        return archive

    def load(self, entries: Any) -> None:
        self.captures: dict[str, list[tuple[str, dict[str, Any]]]] = {}
        self.resources: dict[str, dict[str, Any]] = {}
        for _, ts, entry in entries:
            if entry.get("kind") == "accessibility":  # a judgement, not something the site answered
                continue
            if entry["url"].startswith("urn:"):     # made by the tool (a screenshot), not answered by the site
                self.resources[entry["url"]] = entry
                continue
            self.captures.setdefault(entry["url"], []).append((ts, entry))

    def nearest(self, url: str, ts: str) -> tuple[str, dict[str, Any]] | None:
        found = self.captures.get(url)
        if not found:
            return None
        target = int(ts.ljust(14, "0")[:14]) if ts.isdigit() else 0
        usable = [c for c in found if c[1].get("mime") != "warc/metadata"] or found
        return min(usable, key=lambda c: (abs(int(c[0]) - target), -int(c[0])))

    def record(self, wacz: Path, filename: str, offset: int, length: int) -> tuple[Any, bytes]:
        """(HTTP headers, payload as archived) of the record at `offset` of `archive/filename` in `wacz`."""
        if length > MAX_RECORD_BYTES:
            raise ValueError(f"record of {length} bytes is larger than {MAX_RECORD_BYTES}")
        if self.staging is not None and wacz == self.path:
            with open(self.staging / Path(filename).name, "rb") as member:
                member.seek(offset)
                raw = member.read(length)
        else:
            with zipfile.ZipFile(wacz) as archive, archive.open(f"archive/{filename}") as member:
                member.seek(offset)
                raw = member.read(length)
        record = next(iter(ArchiveIterator(io.BytesIO(raw))))
        return record.http_headers, record.raw_stream.read()

    def resource(self, urn: str) -> Answer:
        """A record the tool made (an element's screenshot), with its own content type."""
        entry = self.resources.get(urn)
        if entry is None:
            return page(404, "Not in the archive", f"{urn} is not in this run's archive.")
        _, body = self.record(self.path, entry["filename"], entry["offset"], entry["length"])
        return Answer(200, [("Content-Type", entry.get("mime") or "application/octet-stream"),
                            ("X-Archive-Date", entry["date"]), OFFLINE_ONLY], body)

    def answer(self, url: str, ts: str) -> Answer:
        found = self.nearest(url, ts)
        if found is None:
            return page(404, "Not in the archive", f"{url} was not captured in this run.")
        ts, entry = found
        if entry.get("mime") == "warc/metadata":
            return page(502, "Fetch failed", f"{url}: {entry.get('error')}: {entry.get('detail')} "
                                             f"(at {entry.get('date')})")
        refers = entry.get("refers")
        if refers:
            wacz = self.path if refers["wacz"] == self.path.name else find_wacz(refers["wacz"], self.folders)
            if wacz is None:
                return page(404, "Earlier capture missing", f"{url} refers to {refers['wacz']}, which is not here.")
            http, body = self.record(wacz, refers["filename"], refers["offset"], refers["length"])
        else:
            http, body = self.record(self.path, entry["filename"], entry["offset"], entry["length"])
        headers = [(k, v) for k, v in http.headers if k.lower() not in HOP_HEADERS]
        status = int(http.get_statuscode() or 200)
        out = []
        for key, value in headers:
            if key.lower() == "location":
                value = replay_path(ts, urljoin(url, value))
            out.append((key, value))
        out += [("X-Archive-Date", entry["date"]), OFFLINE_ONLY]
        return Answer(status, out, body)

    def index_page(self) -> Answer:
        items = []
        for line in self.pages:
            try:
                data = json.loads(line)
            except ValueError:
                continue
            ts = data["ts"].replace("-", "").replace(":", "").replace("T", "")[:14]
            items.append(f'<li><a href="{html.escape(replay_path(ts, data["url"]))}">'
                         f'{html.escape(data.get("title") or data["url"])}</a> <small>{html.escape(data["url"])} '
                         f'{html.escape(data["ts"])}</small></li>')
        body = (f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{html.escape(self.path.name)}"
                f"</title></head><body><h1>{html.escape(self.path.name)}</h1><ul>{''.join(items)}</ul></body></html>")
        return Answer(200, [("Content-Type", "text/html; charset=utf-8")], body.encode())


def replay_path(ts: str, url: str) -> str:
    return f"/replay/{ts}/{quote(url, safe=':/?&=%#+,;~@!$*()')}"


def page(status: int, title: str, text: str) -> Answer:
    body = (f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title>"
            f"</head><body><h1>{html.escape(title)}</h1><p>{html.escape(text)}</p></body></html>")
    return Answer(status, [("Content-Type", "text/html; charset=utf-8")], body.encode())


def split_replay(path: str) -> tuple[str, str] | None:
    """(timestamp, URL) of a /replay/TS/URL path, or None."""
    if not path.startswith("/replay/"):
        return None
    ts, _, url = path[len("/replay/"):].partition("/")  # the URL as archived: already percent-encoded
    if not url.startswith(("http://", "https://")):
        return None
    return ts, url


def make_server(archive: Archive, port: int = DEFAULT_PORT) -> ThreadingHTTPServer:
    """The replay server on 127.0.0.1:`port` (0: a free port); call serve_forever() on it."""

    class Handler(BaseHTTPRequestHandler):
        server_version = "siteaudit-replay"

        def log_message(self, format: str, *args: Any) -> None:
            return

        def do_GET(self) -> None:
            target = split_replay(self.path)
            if self.path in ("/", "/index.html"):
                self.send(archive.index_page())
            elif self.path.startswith(RESOURCE_PATH):
                try:
                    self.send(archive.resource(unquote(self.path[len(RESOURCE_PATH):])))
                except (OSError, ValueError, KeyError, StopIteration) as exc:
                    self.send(page(500, "Cannot read the record", str(exc)))
            elif target is not None:
                try:
                    self.send(archive.answer(target[1], target[0]))
                except (OSError, ValueError, KeyError, StopIteration) as exc:
                    self.send(page(500, "Cannot read the capture", f"{target[1]}: {exc}"))
            else:
                self.send(self.from_referer())

        def from_referer(self) -> Answer:
            """A root-relative address the replayed page asked for (/a.html): the same path on the host of the
            page it was asked from, at that page's time."""
            came = split_replay(urlsplit(self.headers.get("Referer", "")).path or "")
            if came is None:
                return page(404, "Not in the archive", f"{self.path} is not a replay address.")
            origin = urlsplit(came[1])
            return Answer(302, [("Location", replay_path(came[0], f"{origin.scheme}://{origin.netloc}{self.path}"))],
                          b"")

        def send(self, answer: Answer) -> None:
            self.send_response_only(answer.status)  # the archived Date and Server headers are the ones sent
            for key, value in answer.headers:
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)

    return ThreadingHTTPServer(("127.0.0.1", port), Handler)
