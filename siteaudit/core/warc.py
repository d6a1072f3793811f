"""WARC files of a crawl (ISO 28500), written with warcio: one file per crawl process, gzip per record.

The crawl hands over plain exchanges (`Exchange`, `Failed`); a writer thread builds the records, compresses them,
indexes them (CDXJ) and appends them to the file in batches, so the crawl's own thread pays little for capture.
Header values that carry credentials are never written, nor a password in a URL.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from io import BytesIO
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from siteaudit.core.urlparts import redact

SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie", "set-cookie2"})
HIDDEN = "[not archived]"
GZIP_LEVEL = 6                      # per record; 9 (warcio's own) costs twice the time for ~2% less
FLUSH_BYTES = 4 * 1024 * 1024       # compressed records are appended to the file in batches of about this size,
FLUSH_SECONDS = 2.0                 # or this long after the last batch
QUEUE_ITEMS = 64                    # exchanges waiting for the writer: the crawl waits when it is that far ahead
WAKE_ITEMS = 16                     # the writer is woken for this many waiting items (a wake-up per item costs the
WAKE_SECONDS = 0.2                  # crawl more than the writing), else this long after it last looked
WARC_VERSION = "WARC/1.1"
MIN_REVISIT_BODY = 1024             # a smaller identical body is archived again: its revisit would be no smaller
PROFILE_SAME = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
PROFILE_NOT_MODIFIED = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"
SCREENSHOT_URN = "urn:siteaudit:element-screenshot:"   # + the id of the finding whose element it shows
RENDERED_URN = "urn:siteaudit:rendered-dom:"   # + the URL: a page's DOM as a browser left it (a script-only search)


@dataclass
class Exchange:
    """One request and the response to it, as they went over the wire (body still content-encoded)."""
    url: str
    method: str
    request_headers: list[tuple[str, str]]
    status: int
    response_headers: list[tuple[str, str]]
    body: bytes
    when: float
    request_body: bytes = b""
    protocol: str = "HTTP/1.1"
    truncated: str | None = None    # WARC-Truncated: "length" (a byte cap), "disconnect" (the connection ended)
    ip: str | None = None
    kind: str = ""


@dataclass
class Failed:
    """A request that got no response: DNS, refused, TLS, timeout."""
    url: str
    method: str
    error: str
    detail: str
    when: float
    kind: str = ""


@dataclass
class Judgement:
    """What a check concluded about a page (the accessibility stage's result), kept beside the page's response."""
    url: str
    when: float
    payload: bytes                  # JSON
    concurrent_to: str = ""         # the WARC-Record-ID of the page's response
    kind: str = "accessibility"


@dataclass
class Resource:
    """Something the tool made from a capture (an element's screenshot), kept as a `resource` record that refers
    to the capture it was made from."""
    url: str                        # urn:siteaudit:... naming it
    when: float
    payload: bytes
    mime: str
    refers_to: str = ""             # the WARC-Record-ID of the capture it was made from
    refers_url: str = ""
    refers_date: str = ""
    kind: str = "screenshot"
    about: dict[str, Any] = field(default_factory=dict)   # index fields: page, selector, finding, size
    truncated: bool = False         # cut at a byte cap (WARC-Truncated: length)


@dataclass
class Earlier:
    """A capture of an earlier run that a revisit may refer to."""
    url: str
    date: str
    record_id: str
    digest: str
    wacz: str
    filename: str
    offset: int
    length: int
    status: int


@dataclass
class WarcSummary:
    records: int = 0
    revisits: int = 0
    failures: int = 0
    bytes: int = 0
    dropped: int = 0
    cut_at: float | None = None
    references: set[str] = field(default_factory=set)

    def as_dict(self) -> dict[str, Any]:
        return {"records": self.records, "revisits": self.revisits, "failures": self.failures, "bytes": self.bytes,
                "dropped": self.dropped, "cut_at": self.cut_at, "references": sorted(self.references)}


def warc_date(when: float) -> str:
    return datetime.fromtimestamp(when, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def cdx_timestamp(when: float) -> str:
    return datetime.fromtimestamp(when, UTC).strftime("%Y%m%d%H%M%S")


def sha1_digest(data: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode("ascii")


def surt(url: str) -> str:
    """The sort key of a URL in a CDXJ index: host labels reversed (com,example)/path?query, lower case."""
    if not url.startswith(("http://", "https://")):  # a urn: of the tool's own (a screenshot) sorts as itself
        return url.lower()
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    labels = host.split(".")
    if labels and labels[0] == "www":
        labels = labels[1:]
    key = ",".join(reversed(labels))
    if parts.port and (parts.scheme, parts.port) not in (("http", 80), ("https", 443)):
        key += f":{parts.port}"
    path = parts.path or "/"
    return f"{key}){path}{'?' + parts.query if parts.query else ''}".lower()


def safe_headers(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Headers as sent or received, less what must not be archived: credentials are shown as a placeholder, and
    Transfer-Encoding is renamed (the body is kept de-chunked, as replay tools expect)."""
    out = []
    for name, value in headers:
        low = name.lower()
        if low in SECRET_HEADERS:
            value = HIDDEN
        elif low == "transfer-encoding":
            name = "X-Archive-Orig-Transfer-Encoding"
        out.append((name, value))
    return out


def request_line(url: str, method: str) -> tuple[str, list[tuple[str, str]]]:
    """The request line's target (path and query) and the Host header the client sent."""
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    if parts.port:
        host += f":{parts.port}"
    return f"{method} {target} HTTP/1.1", [("Host", host)]


def redact_url(url: str) -> str:
    """A URL as archived: its password hidden (only http(s) exchanges are ever handed over)."""
    return redact(url)


class WarcFile:
    """The WARC file of one crawl process and its CDXJ lines, written by a thread of its own.

    `earlier` maps URLs to captures of the base run: an answer 304 (server-not-modified) or with the very payload
    (identical-payload-digest) is written as a revisit referring to that capture. Past `max_bytes` (0: no cap) no
    record is written; the summary says how many were dropped and from when.
    """

    def __init__(self, path: Path, info: dict[str, str], max_bytes: int = 0,
                 earlier: dict[str, Earlier] | None = None) -> None:
        self.path = path
        self.index_path = path.with_name(path.name.removesuffix(".warc.gz") + ".cdxj")
        self.summary_path = path.with_name(path.name.removesuffix(".warc.gz") + ".json")
        self.max_bytes = max_bytes
        self.earlier = earlier or {}
        self.summary = WarcSummary()
        self.writer = WARCWriter(BytesIO(), gzip=False, warc_version=WARC_VERSION)
        self.pending: list[Exchange | Failed | Judgement | Resource] = []
        self.waiting = threading.Condition()
        self.stopping = False
        self.buffer = bytearray()
        self.index: list[str] = []
        self.offset = 0
        self.error: BaseException | None = None
        self.flushed = time.monotonic()
        self.closed = False
        path.parent.mkdir(parents=True, exist_ok=True)
        self.file = open(path, "wb")  # noqa: SIM115 - open for the writer thread's lifetime
        self.index_file = open(self.index_path, "w", encoding="utf-8")  # noqa: SIM115
        self.append(self.warcinfo(info), None)
        self.thread = threading.Thread(target=self.run, name="siteaudit-warc", daemon=True)
        self.thread.start()

    # -- the crawl's side ---------------------------------------------------------------------------------------
    def put(self, item: Exchange | Failed | Judgement | Resource) -> None:
        """Queue one item for the writer (a late one, after close, is dropped: the file is complete); the caller
        waits while QUEUE_ITEMS are queued."""
        if self.error is not None or self.closed:
            return
        with self.waiting:
            self.pending.append(item)
            if len(self.pending) >= WAKE_ITEMS:
                self.waiting.notify_all()
            while len(self.pending) >= QUEUE_ITEMS and self.error is None and self.thread.is_alive():
                self.waiting.wait(1.0)

    def close(self) -> WarcSummary:
        """Write what is queued, close the files (one fsync) and leave the final summary beside them."""
        self.closed = True
        with self.waiting:
            self.stopping = True
            self.waiting.notify_all()
        self.thread.join()
        try:
            self.flush(force=True)
            os.fsync(self.file.fileno())  # once, when the file is complete; never per record
        finally:
            self.file.close()
            self.index_file.close()
        self.write_summary(closed=True)
        if self.error is not None:
            raise self.error
        return self.summary

    # -- the writer thread --------------------------------------------------------------------------------------
    def run(self) -> None:
        while True:
            with self.waiting:
                if len(self.pending) < WAKE_ITEMS and not self.stopping:
                    self.waiting.wait(WAKE_SECONDS)
                items, self.pending = self.pending, []
                stopping = self.stopping
                self.waiting.notify_all()  # room again for a crawl waiting in put
            if self.error is None:
                self.write(items)
            if stopping and not items:
                return

    def write(self, items: list[Exchange | Failed | Judgement | Resource]) -> None:
        try:
            for item in items:
                if isinstance(item, Failed):
                    self.write_failure(item)
                elif isinstance(item, Judgement):
                    self.write_judgement(item)
                elif isinstance(item, Resource):
                    self.write_resource(item)
                elif isinstance(item, Exchange):
                    self.write_exchange(item)
            self.flush()
        except Exception as exc:  # a full disk: the crawl goes on, the run says the evidence is incomplete
            self.error = exc

    def write_exchange(self, ex: Exchange) -> None:
        url = redact_url(ex.url)
        date = warc_date(ex.when)
        headers = safe_headers(ex.response_headers)
        reason = phrase(ex.status)
        status_line = f"{ex.status} {reason}".strip()
        protocol = ex.protocol or "HTTP/1.1"
        digest = sha1_digest(ex.body)
        known = self.earlier.get(ex.url)
        warc_headers = {"WARC-Date": date}
        if ex.ip:
            warc_headers["WARC-IP-Address"] = ex.ip
        line, host = request_line(url, ex.method)
        sent = safe_headers(ex.request_headers)
        if not any(k.lower() == "host" for k, _ in sent):
            sent = host + sent
        profile = None
        if known is not None and not ex.truncated and ex.method == "GET":
            if ex.status == 304:
                profile = PROFILE_NOT_MODIFIED
            elif ex.status == known.status and len(ex.body) >= MIN_REVISIT_BODY and digest == known.digest:
                profile = PROFILE_SAME
        if profile and known is not None:
            record = self.writer.create_revisit_record(url, known.digest, redact_url(known.url), known.date,
                                                       http_headers=StatusAndHeaders(status_line, headers, protocol),
                                                       warc_headers_dict=warc_headers)
            record.rec_headers.replace_header("WARC-Profile", profile)
            record.rec_headers.add_header("WARC-Refers-To", known.record_id)
            self.summary.revisits += 1
            self.summary.references.add(known.wacz)
            extra = {"mime": "warc/revisit", "refers": {"wacz": known.wacz, "filename": known.filename,
                                                        "offset": known.offset, "length": known.length,
                                                        "date": known.date, "status": known.status,
                                                        "id": known.record_id},
                     "digest": known.digest}
        else:
            if ex.truncated:
                warc_headers["WARC-Truncated"] = ex.truncated
            warc_headers["WARC-Payload-Digest"] = digest
            mime = next((v for k, v in headers if k.lower() == "content-type"), "").split(";")[0].strip()
            extra = {"mime": mime or "unknown", "digest": digest}
            fast = plain_exchange(url, warc_headers, f"{protocol} {status_line}", headers, ex.body, line, sent,
                                  ex.request_body)
            if fast is not None:  # the common exchange: records written directly, byte for byte as warcio would
                response_raw, response_id, request_raw = fast
                entry = self.index_entry(url, ex, extra, response_id, date)
                if self.append_bytes(response_raw, (url, ex.when, entry)):
                    self.append_bytes(request_raw, None)
                return
            record = self.writer.create_warc_record(url, "response", payload=BytesIO(ex.body), length=len(ex.body),
                                                    http_headers=StatusAndHeaders(status_line, headers, protocol),
                                                    warc_headers_dict=warc_headers)
        response_id = record.rec_headers.get_header("WARC-Record-ID")
        entry = self.index_entry(url, ex, extra, response_id, date)
        request = self.writer.create_warc_record(
            url, "request", payload=BytesIO(ex.request_body), length=len(ex.request_body),
            http_headers=StatusAndHeaders(line, sent, protocol="", is_http_request=True),
            warc_headers_dict={"WARC-Date": date, "WARC-Concurrent-To": response_id})
        if self.append(record, (url, ex.when, entry)):
            self.append(request, None)

    @staticmethod
    def index_entry(url: str, ex: Exchange, extra: dict[str, Any], record_id: str, date: str) -> dict[str, Any]:
        entry = {"url": url, "status": str(ex.status), **extra, "id": record_id, "date": date}
        if ex.kind:
            entry["kind"] = ex.kind
        if ex.truncated:
            entry["truncated"] = ex.truncated
        return entry

    def write_failure(self, failed: Failed) -> None:
        url = redact_url(failed.url)
        date = warc_date(failed.when)
        fields = (f"fetch-error: {failed.error}\r\nerror-detail: {failed.detail}\r\nmethod: {failed.method}\r\n"
                  f"kind: {failed.kind}\r\n").encode()
        record = self.writer.create_warc_record(url, "metadata", payload=BytesIO(fields), length=len(fields),
                                                warc_content_type="application/warc-fields",
                                                warc_headers_dict={"WARC-Date": date})
        entry = {"url": url, "mime": "warc/metadata", "error": failed.error, "detail": failed.detail,
                 "id": record.rec_headers.get_header("WARC-Record-ID"), "date": date}
        if failed.kind:
            entry["kind"] = failed.kind
        if self.append(record, (url, failed.when, entry)):
            self.summary.failures += 1

    def write_judgement(self, judgement: Judgement) -> None:
        url = redact_url(judgement.url)
        date = warc_date(judgement.when)
        headers = {"WARC-Date": date}
        if judgement.concurrent_to:
            headers["WARC-Concurrent-To"] = judgement.concurrent_to
        record = self.writer.create_warc_record(url, "metadata", payload=BytesIO(judgement.payload),
                                                length=len(judgement.payload), warc_content_type="application/json",
                                                warc_headers_dict=headers)
        entry = {"url": url, "mime": "warc/metadata", "kind": judgement.kind,
                 "id": record.rec_headers.get_header("WARC-Record-ID"), "date": date}
        self.append(record, (url, judgement.when, entry))

    def write_resource(self, resource: Resource) -> None:
        date = warc_date(resource.when)
        headers = {"WARC-Date": date}
        if resource.truncated:
            headers["WARC-Truncated"] = "length"
        if resource.refers_to:
            headers.update({"WARC-Refers-To": resource.refers_to,
                            "WARC-Refers-To-Target-URI": redact_url(resource.refers_url),
                            "WARC-Refers-To-Date": resource.refers_date})
        record = self.writer.create_warc_record(resource.url, "resource", payload=BytesIO(resource.payload),
                                                length=len(resource.payload), warc_content_type=resource.mime,
                                                warc_headers_dict=headers)
        entry = {"url": resource.url, "mime": resource.mime, "kind": resource.kind, **resource.about,
                 "id": record.rec_headers.get_header("WARC-Record-ID"), "date": date}
        self.append(record, (resource.url, resource.when, entry))

    def warcinfo(self, info: dict[str, str]) -> Any:
        return self.writer.create_warcinfo_record(self.path.name, info)

    def append(self, record: Any, index: tuple[str, float, dict[str, Any]] | None) -> bool:
        """Serialise and compress one record into the batch; False when the byte cap stops it."""
        raw = BytesIO()
        self.writer.out = raw
        self.writer.write_record(record)
        return self.append_bytes(raw.getvalue(), index)

    def append_bytes(self, raw: bytes, index: tuple[str, float, dict[str, Any]] | None) -> bool:
        """Compress one serialised record into the batch; False when the byte cap stops it."""
        member = gzip_member(raw)
        if self.max_bytes and self.summary.bytes + len(member) > self.max_bytes and self.summary.records:
            if self.summary.cut_at is None:
                self.summary.cut_at = time.time()
            self.summary.dropped += 1
            return False
        if index is not None:
            url, when, entry = index
            entry.update(offset=self.offset, length=len(member), filename=self.path.name)
            self.index.append(f"{surt(url)} {cdx_timestamp(when)} {json.dumps(entry, ensure_ascii=False)}\n")
        self.buffer += member
        self.offset += len(member)
        self.summary.bytes += len(member)
        self.summary.records += 1
        return True

    def flush(self, force: bool = False) -> None:
        """Append the batch (every FLUSH_BYTES, or FLUSH_SECONDS after the last), then note how far the files
        are whole: a process killed mid-crawl loses at most its last seconds, never the file's consistency."""
        if not self.buffer or not (force or len(self.buffer) >= FLUSH_BYTES
                                   or time.monotonic() - self.flushed >= FLUSH_SECONDS):
            return
        self.file.write(self.buffer)
        self.index_file.write("".join(self.index))
        self.file.flush()
        self.index_file.flush()
        self.buffer = bytearray()
        self.index = []
        self.flushed = time.monotonic()
        self.write_summary(closed=False)

    def write_summary(self, closed: bool) -> None:
        self.summary_path.write_text(json.dumps({**self.summary.as_dict(), "committed": self.offset,
                                                 "closed": closed}), encoding="utf-8")


def gzip_member(data: bytes) -> bytes:
    """One gzip member of `data`. The deflate window is sized to the record (a 1 KB request record does not need
    zlib's 256 KB of state, whose setup costs more than compressing it); the output is standard gzip."""
    bits = min(15, max(9, (len(data) - 1).bit_length()))
    compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 16 + bits, max(1, min(8, bits - 7)))
    return compressor.compress(data) + compressor.flush()


def record_id() -> str:
    """A WARC-Record-ID: a random (version 4) UUID URN, as warcio makes them."""
    raw = bytearray(os.urandom(16))
    raw[6] = (raw[6] & 0x0F) | 0x40
    raw[8] = (raw[8] & 0x3F) | 0x80
    h = raw.hex()
    return f"<urn:uuid:{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}>"


def head_bytes(first_line: str, headers: list[tuple[str, str]]) -> bytes | None:
    """An HTTP message head as warcio writes it (status or request line, headers, blank line), or None when a
    header is not plain ASCII (warcio then percent-encodes it: that rare case goes through warcio itself)."""
    text = first_line + "\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n"
    return text.encode("ascii") if text.isascii() else None


def plain_exchange(url: str, warc_headers: dict[str, str], status: str, headers: list[tuple[str, str]], body: bytes,
                   line: str, sent: list[tuple[str, str]], request_body: bytes) -> tuple[bytes, str, bytes] | None:
    """The response and request records of an exchange, serialised directly (warcio's layout and digests, a
    tenth of its Python work), with the response's record id; None when something needs warcio's escaping."""
    response_head = head_bytes(status, headers)
    request_head = head_bytes(line, sent)
    if response_head is None or request_head is None or not url.isascii() or "\n" in url or "\r" in url:
        return None
    response_id = record_id()
    response = warc_record("response", response_id, url, warc_headers, response_head, body)
    request = warc_record("request", record_id(), url,
                          {"WARC-Date": warc_headers["WARC-Date"], "WARC-Concurrent-To": response_id},
                          request_head, request_body)
    return response, response_id, request


def warc_record(kind: str, rid: str, url: str, fields: dict[str, str], head: bytes, payload: bytes) -> bytes:
    """One uncompressed WARC/1.1 record of an HTTP message (`head` + `payload`), its digests computed."""
    block = hashlib.sha1(head)
    block.update(payload)
    lines = [WARC_VERSION, *(f"{k}: {v}" for k, v in fields.items()), f"WARC-Type: {kind}",
             f"WARC-Record-ID: {rid}", f"WARC-Target-URI: {url}"]
    if "WARC-Payload-Digest" not in fields:
        lines.append(f"WARC-Payload-Digest: {sha1_digest(payload)}")
    lines += [f"WARC-Block-Digest: sha1:{base64.b32encode(block.digest()).decode('ascii')}",
              f"Content-Type: application/http; msgtype={kind}", f"Content-Length: {len(head) + len(payload)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii") + head + payload + b"\r\n\r\n"


def phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


RECORDERS: list[WarcFile] = []   # the WARC file of the checks now running, if any (core.net's sessions read it)


@contextmanager
def recording(warc: WarcFile | None) -> Iterator[None]:
    """While the checks run, the sessions they open (core.net) archive every exchange into `warc`."""
    if warc is None:
        yield
        return
    RECORDERS.append(warc)
    try:
        yield
    finally:
        RECORDERS.remove(warc)
