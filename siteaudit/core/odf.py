"""Writing ODF packages: the one place that knows the container rule (mimetype first, stored, no extra field)."""

from __future__ import annotations

import io
import zipfile

MIME_PREFIX = "application/vnd.oasis.opendocument."


def manifest(mime: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3">'
        f'<manifest:file-entry manifest:full-path="/" manifest:media-type="{mime}"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )


def package(mime: str, content_xml: str, conformant: bool = True) -> bytes:
    """An ODF package; `conformant=False` puts the mimetype member last and compressed (a common mistake)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        if conformant:
            z.writestr(zipfile.ZipInfo("mimetype"), mime, compress_type=zipfile.ZIP_STORED)
        z.writestr("content.xml", content_xml, compress_type=zipfile.ZIP_DEFLATED)
        z.writestr("META-INF/manifest.xml", manifest(mime), compress_type=zipfile.ZIP_DEFLATED)
        if not conformant:
            z.writestr("mimetype", mime, compress_type=zipfile.ZIP_DEFLATED)
    return buf.getvalue()
