"""What a document really is, judged from its first bytes (not its name or Content-Type).

ODF: a zip whose first member is an uncompressed `mimetype` (bytes 30-37 read `mimetype`, the MIME type
starts at byte 38); an ODF package whose mimetype member is not first or is compressed is
"odf-nonconformant". OOXML is a zip with `[Content_Types].xml` and word/, xl/ or ppt/ parts.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
from dataclasses import dataclass

ODF_PREFIX = "application/vnd.oasis.opendocument."
ODF_EXTENSIONS = {"text": "odt", "spreadsheet": "ods", "presentation": "odp", "graphics": "odg", "formula": "odf",
                  "chart": "odc", "image": "odi", "text-master": "odm", "base": "odb", "text-template": "ott",
                  "spreadsheet-template": "ots", "presentation-template": "otp", "graphics-template": "otg"}
FAMILY_BY_EXTENSION = {
    **{e: "odf" for e in ("odt", "ods", "odp", "odg", "odf", "odc", "odi", "odm", "odb", "ott", "ots", "otp", "otg")},
    **{e: "ooxml" for e in ("docx", "xlsx", "pptx", "docm", "xlsm", "dotx", "xltx", "ppsx")},
    **{e: "ole2" for e in ("doc", "xls", "ppt", "dot", "xlt", "pps")},
    "pdf": "pdf", "rtf": "rtf", "csv": "csv", "tsv": "csv", "json": "json", "xml": "xml", "txt": "text",
    "zip": "zip", "7z": "7z", "rar": "rar", "gz": "gzip", "tgz": "gzip",
    **{e: "image" for e in ("jpg", "jpeg", "png", "gif", "bmp", "tif", "tiff", "webp")},
    **{e: "flat-odf" for e in ("fodt", "fods", "fodp")},
}
FAMILY_BY_MIME = [
    ("application/vnd.oasis.opendocument.", "odf"), ("application/vnd.openxmlformats-officedocument.", "ooxml"),
    ("application/msword", "ole2"), ("application/vnd.ms-excel", "ole2"), ("application/vnd.ms-powerpoint", "ole2"),
    ("application/pdf", "pdf"), ("application/rtf", "rtf"), ("text/rtf", "rtf"), ("text/csv", "csv"),
    ("application/json", "json"), ("application/xml", "xml"), ("text/xml", "xml"), ("application/zip", "zip"),
    ("application/x-7z", "7z"), ("application/x-rar", "rar"), ("application/vnd.rar", "rar"), ("image/", "image"),
    ("text/html", "html"), ("text/plain", "text"),
]
EDITABLE_OFFICE = frozenset({"ooxml", "ole2", "rtf"})
ARCHIVES = frozenset({"zip", "7z", "rar", "gzip"})
OPEN_DATA = frozenset({"csv", "json", "xml", "text"})


@dataclass(frozen=True)
class FileType:
    family: str             # odf | odf-nonconformant | ooxml | ole2 | pdf | rtf | csv | json | xml | text | zip | ...
    detail: str = ""        # e.g. the ODF MIME type, "docx", "PDF-1.7"

    @property
    def is_odf(self) -> bool:
        return self.family in ("odf", "odf-nonconformant", "flat-odf")


def family_of_extension(ext: str) -> str | None:
    return FAMILY_BY_EXTENSION.get(ext.lower())


def family_of_mime(content_type: str | None) -> str | None:
    ctype = (content_type or "").split(";")[0].strip().lower()
    for prefix, family in FAMILY_BY_MIME:
        if ctype.startswith(prefix):
            return family
    return None


def _zip_members(head: bytes) -> list[tuple[str, int, int, int]]:
    """(name, method, extra length, data offset) of the local file headers readable in `head`."""
    out, offset = [], 0
    while offset + 30 <= len(head) and head[offset:offset + 4] == b"PK\x03\x04":
        flags, method = struct.unpack("<HH", head[offset + 6:offset + 10])
        csize = struct.unpack("<I", head[offset + 18:offset + 22])[0]
        nlen, xlen = struct.unpack("<HH", head[offset + 26:offset + 30])
        name = head[offset + 30:offset + 30 + nlen].decode("utf-8", "replace")
        data = offset + 30 + nlen + xlen
        out.append((name, method, xlen, data))
        if flags & 0x08 or csize == 0 and method != 0:  # sizes in a data descriptor: cannot walk further
            break
        offset = data + csize
    return out


def _zip_type(head: bytes, complete: bool) -> FileType:
    members = _zip_members(head)
    names = [m[0] for m in members]
    if members and members[0][0] == "mimetype":
        name, method, xlen, data = members[0]
        mime = head[data:data + 100].split(b"PK", 1)[0].decode("ascii", "replace").strip()
        if mime.startswith(ODF_PREFIX):
            return FileType("odf" if method == 0 and xlen == 0 else "odf-nonconformant", mime)
    if complete:
        try:
            with zipfile.ZipFile(io.BytesIO(head)) as z:
                names = z.namelist()
                if "mimetype" in names:
                    mime = z.read("mimetype").decode("ascii", "replace").strip()
                    if mime.startswith(ODF_PREFIX):
                        return FileType("odf-nonconformant", mime)
        except (zipfile.BadZipFile, OSError, ValueError):
            pass
    if "mimetype" in names or "META-INF/manifest.xml" in names:
        return FileType("odf-nonconformant", "")
    if "[Content_Types].xml" in names or any(n.startswith(("word/", "xl/", "ppt/")) for n in names):
        kind = "docx" if any(n.startswith("word/") for n in names) else "xlsx" if any(
            n.startswith("xl/") for n in names) else "pptx" if any(n.startswith("ppt/") for n in names) else ""
        return FileType("ooxml", kind)
    return FileType("zip")


def sniff(head: bytes | None, complete: bool = False) -> FileType:
    """The real type of a file from its first bytes; `complete` says `head` is the whole file."""
    if not head:
        return FileType("empty")
    if head.startswith(b"PK\x03\x04"):
        return _zip_type(head, complete)
    if head.lstrip()[:5] == b"%PDF-":
        m = re.match(rb"\s*%PDF-(\d\.\d)", head)
        return FileType("pdf", m.group(1).decode() if m else "")
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return FileType("ole2")
    if head.startswith(b"{\\rtf"):
        return FileType("rtf")
    if head.startswith(b"7z\xbc\xaf\x27\x1c"):
        return FileType("7z")
    if head.startswith(b"Rar!\x1a\x07"):
        return FileType("rar")
    if head.startswith(b"\x1f\x8b"):
        return FileType("gzip")
    if head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"BM", b"II*\x00", b"MM\x00*")):
        return FileType("image")
    text = head[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"<!doctype html", b"<html")) or b"<html" in text[:512]:
        return FileType("html")
    if text.startswith(b"<?xml"):
        return FileType("flat-odf") if b"office:mimetype" in head[:4096] else FileType("xml")
    if text.startswith((b"{", b"[")):
        return FileType("json")
    if b"\x00" not in head[:2048]:
        first = head.split(b"\n", 1)[0]
        return FileType("csv" if first.count(b",") >= 1 or first.count(b"\t") >= 1 else "text")
    return FileType("unknown")
