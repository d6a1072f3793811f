"""The records an exchange is archived as are the same whichever way they are serialised."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from siteaudit.core import warc


def archived(path: Path, exchange: warc.Exchange) -> tuple[bytes, list[tuple]]:
    """The exchange's records as bytes (record ids masked, the warcinfo record left out) and as warcio reads them."""
    writer = warc.WarcFile(path, {"software": "test"})
    writer.put(exchange)
    writer.close()
    raw = gzip.decompress(path.read_bytes())
    raw = re.sub(rb"<urn:uuid:[0-9a-f-]{36}>", b"<id>", raw[raw.index(b"WARC/1.1\r\n", 1):])
    records = []
    with open(path, "rb") as stream:
        for record in ArchiveIterator(stream, check_digests="raise"):
            if record.rec_type == "warcinfo":
                continue
            fields = [(k, v) for k, v in record.rec_headers.headers if k not in ("WARC-Record-ID", "WARC-Concurrent-To")]
            http = record.http_headers.to_str() if record.http_headers else None
            records.append((record.rec_type, fields, http, record.content_stream().read()))
    return raw, records


EXCHANGE = warc.Exchange(
    url="http://127.0.0.1:8000/a/b?c=1", method="GET",
    request_headers=[("Accept", "*/*"), ("Cookie", "secret=1")], status=200,
    response_headers=[("Content-Type", "text/html; charset=utf-8"), ("Set-Cookie", "s=2"),
                      ("Transfer-Encoding", "chunked"), ("Vary", "a"), ("Vary", "b")],
    body=b"<html><body>" + "內容".encode() * 500 + b"</body></html>", when=1_800_000_000.5, ip="127.0.0.1",
    truncated="length")


@pytest.mark.parametrize("headers", [EXCHANGE.response_headers,
                                     [*EXCHANGE.response_headers, ("X-Name", "檔案.pdf")]])
def test_directly_serialised_records_equal_warcios(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   headers: list[tuple[str, str]]) -> None:
    exchange = warc.Exchange(**{**EXCHANGE.__dict__, "response_headers": headers})
    direct_bytes, direct = archived(tmp_path / "direct.warc.gz", exchange)
    monkeypatch.setattr(warc, "plain_exchange", lambda *args: None)
    warcio_bytes, through_warcio = archived(tmp_path / "warcio.warc.gz", exchange)
    assert [r[0] for r in direct] == ["response", "request"]
    assert direct_bytes == warcio_bytes
    assert direct == through_warcio
    response_fields = dict(direct[0][1])
    assert response_fields["WARC-Truncated"] == "length"
    assert "secret" not in direct[1][2] and "s=2" not in direct[0][2]
