"""The document check on real files served from 127.0.0.1: ODF, OOXML, OLE2, PDF with and without text."""

from __future__ import annotations

import pytest

from conftest import audit_fixture
from siteaudit.checks.filetype import sniff
from siteaudit.demo import documents as make

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 2000
BIG = 30 * 1024 * 1024


@pytest.fixture(scope="module")
def doc_audit(tmp_path_factory):
    from siteaudit.demo.server import SiteServer

    root = tmp_path_factory.mktemp("docs")
    files = {
        "row/apply.docx": make.ooxml("docx", "申請書"), "row/apply-v2.odt": make.odf("odt", "申請書"),
        "files/report.xlsx": make.ooxml("xlsx", "報表"), "files/report.ods": make.odf("ods", "報表"),
        "a/x1.xlsx": make.ooxml("xlsx", "預算表"), "b/y2.ods": make.odf("ods", "預算表"),
        "files/alone.docx": make.ooxml("docx", "孤單"), "files/legacy.doc": OLE2,
        "files/text.pdf": make.pdf("hello water"), "files/scan.pdf": make.pdf(None),
        "files/renamed.odt": make.ooxml("docx", "改名"), "files/loose.odt": make.odf("odt", "鬆散", conformant=False),
        "files/empty.pdf": b"", "files/archive.zip": _zip(), "files/data.csv": "年度,金額\n115,100\n".encode(),
        "files/big.pdf": b"%PDF-1.7\n" + b"0" * BIG,
    }
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    body = """<ul>
<li>申請書 <a href="row/apply.docx">DOCX</a> <a href="row/apply-v2.odt">ODT</a></li>
<li><a href="files/report.xlsx">報表（XLSX）</a></li></ul>
<p>其他格式：<a href="files/report.ods">報表下載</a></p>
<table><tr><td><a href="a/x1.xlsx">預算表（XLSX，12KB）</a></td></tr>
<tr><td><a href="b/y2.ods">預算表（ODS）</a></td></tr></table>
<p><a href="files/alone.docx">孤單的文件</a></p><p><a href="files/legacy.doc">舊格式</a></p>
<p><a href="files/text.pdf">文字 PDF</a> <a href="files/scan.pdf">掃描 PDF</a></p>
<p><a href="files/renamed.odt">改名的檔案</a></p><p><a href="files/loose.odt">鬆散的 ODF</a></p>
<p><a href="files/empty.pdf">空檔</a> <a href="files/missing.pdf">不見的檔</a> <a href="files/archive.zip">壓縮檔</a>
<a href="files/data.csv">開放資料</a> <a href="files/big.pdf">大檔</a></p>"""
    (root / "index.html").write_text(f"<html><head><title>下載</title></head><body>{body}</body></html>",
                                     encoding="utf-8")
    server = SiteServer(root)
    server.start()
    try:
        result, doc = audit_fixture(root, server.base, "documents",
                                    extra="[checks.documents]\nmax_document_bytes = 10485760\n")
    finally:
        server.stop()
    by_file: dict[str, set[str]] = {}
    for f in doc["findings"]:
        by_file.setdefault(f["url"].split("/", 3)[-1], set()).add(f["rule"])
    return {"result": result, "doc": doc, "by_file": by_file, "sent": dict(server.bytes_sent)}


def _zip() -> bytes:
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("readme.txt", "hello")
    return buf.getvalue()


@pytest.mark.parametrize("name,rules", [
    ("row/apply.docx", set()), ("files/report.xlsx", set()), ("a/x1.xlsx", set()),
    ("files/alone.docx", {"office-without-odf"}), ("files/legacy.doc", {"office-without-odf"}),
    ("files/text.pdf", set()), ("files/scan.pdf", {"pdf-without-text"}),
    ("files/renamed.odt", {"type-mismatch", "office-without-odf"}), ("files/loose.odt", {"odf-nonconformant"}),
    ("files/empty.pdf", {"empty-document"}), ("files/missing.pdf", {"broken-document"}),
    ("files/archive.zip", {"archive-listed"}), ("files/data.csv", set()),
    ("files/big.pdf", {"oversize-document"}),
])
def test_each_document_is_judged_from_its_bytes(doc_audit, name, rules):
    assert doc_audit["by_file"].get(name, set()) == rules


def test_an_office_file_passes_by_same_row_same_file_name_or_same_link_text(doc_audit):
    # apply.docx: same <li>; report.xlsx: report.ods in the same folder; x1.xlsx: same text on the page
    for name in ("row/apply.docx", "files/report.xlsx", "a/x1.xlsx"):
        assert "office-without-odf" not in doc_audit["by_file"].get(name, set())


def test_only_the_first_bytes_of_a_large_document_are_downloaded(doc_audit):
    assert doc_audit["sent"]["/files/big.pdf"] < BIG // 3


def test_summary_counts_types_and_the_odf_share(doc_audit):
    summary = doc_audit["doc"]["summary"]["documents"]
    assert summary["by_type"]["odf"] == 3 and summary["by_type"]["odf-nonconformant"] == 1
    assert summary["by_type"]["ooxml"] == 5 and summary["by_type"]["ole2"] == 1
    assert summary["odf"] == 4 and summary["editable"] == 10 and summary["odf_share"] == 40.0
    page = next(iter(summary["offenders_by_page"]))
    assert page.endswith("/") and any(u.endswith("alone.docx") for u in summary["offenders_by_page"][page])
    assert summary["status"] == "fail" and doc_audit["result"].returncode == 1


@pytest.mark.parametrize("data,family", [
    (make.odf("odt", "x"), "odf"), (make.odf("ods", "x"), "odf"), (make.odf("odt", "x", conformant=False),
                                                                   "odf-nonconformant"),
    (make.ooxml("docx", "x"), "ooxml"), (make.ooxml("pptx", "x"), "ooxml"), (OLE2, "ole2"),
    (make.pdf("x"), "pdf"), (b"{\\rtf1 hello}", "rtf"), (b"a,b\n1,2\n", "csv"), (b'{"a": 1}', "json"),
    (b"<?xml version='1.0'?><r/>", "xml"), (b"\x89PNG\r\n\x1a\n", "image"), (b"7z\xbc\xaf\x27\x1c", "7z"),
    (b"Rar!\x1a\x07\x00", "rar"), (b"", "empty"), (b"<!DOCTYPE html><html>", "html"),
])
def test_sniffing_names_the_real_type(data, family):
    assert sniff(data, complete=True).family == family


def test_odf_mime_type_is_read_from_offset_38():
    t = sniff(make.odf("ods", "x")[:100])
    assert t.family == "odf" and t.detail == "application/vnd.oasis.opendocument.spreadsheet"
