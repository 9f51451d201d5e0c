"""Inputs and helpers the ingest tests share."""

from __future__ import annotations

from pathlib import Path

import pytest

from semsearch.errors import DocumentError, SemsearchError
from semsearch.ingest import Document, UnreadableFileError, read_document

SEEDS = Path(__file__).resolve().parents[2] / "seeds"

#: The reasons a removed line may carry (docs/cleaning.md).
REMOVAL_REASONS = frozenset(
    {
        "navigation",
        "advertisement",
        "caption",
        "copyright",
        "share-site header",
        "duplicate",
        "page marker",
        "metadata",
        "byline",
        "title",
    }
)

PARAGRAPH = "这是一段足够长的正文内容，用来确认清理规则不会误删真正的文章段落。"


def removed_text(document: Document) -> str:
    return "\n".join(line.text for line in document.removed)


def reason_for(path: Path) -> str:
    with pytest.raises(DocumentError) as caught:
        read_document(path)
    error = caught.value
    assert isinstance(error, UnreadableFileError) and isinstance(error, SemsearchError)
    assert str(path) in error.message and "\n" not in error.message
    return error.reason


def make_pdf(pages: list[list[str]]) -> bytes:
    """A minimal PDF whose text is Chinese, in the standard Adobe-GB1 font with UCS-2 codes."""
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    font = add(
        b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H "
        b"/DescendantFonts [<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light "
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 2 >> >>] >>"
    )
    pages_id = add(b"")  # filled in below, once the page ids are known
    kids = []
    for lines in pages:
        operations = ["BT /F1 12 Tf 14 TL 50 780 Td"]
        operations += [f"<{line.encode('utf-16-be').hex()}> Tj T*" for line in lines]
        stream = "\n".join([*operations, "ET"]).encode()
        content = add(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
        kids.append(
            add(
                b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] "
                b"/Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R >>"
                % (pages_id, font, content)
            )
        )
    kid_refs = " ".join(f"{kid} 0 R" for kid in kids).encode()
    objects[pages_id - 1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kid_refs, len(kids))
    catalog = add(b"<< /Type /Catalog /Pages %d 0 R >>" % pages_id)
    return pdf_file(objects, catalog)


def pdf_file(objects: list[bytes], root: int) -> bytes:
    """A PDF of numbered objects (1, 2, …), its cross-reference table and trailer."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        root,
        xref,
    )
    return bytes(out)
