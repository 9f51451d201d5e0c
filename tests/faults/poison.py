"""Poison files, generated: every kind of file that once stopped a build, and more.

Each maker returns bytes (or makes a file system object); :data:`POISON` lists the files a
poisoned corpus holds with the words their skip reason must contain. Nothing here is random
without a fixed seed, so a failure can be replayed.
"""

from __future__ import annotations

import io
import os
import random
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

from ingest.samples import make_pdf, pdf_file

PARAGRAPH = "这是一段足够长的正文内容，用来确认清理规则不会误删真正的文章段落。"


def docx_bytes(paragraphs: int = 6) -> bytes:
    """A real Word document with a heading and some paragraphs."""
    import docx

    word = docx.Document()
    word.add_heading("测试文章的标题在这里", level=1)
    for number in range(paragraphs):
        word.add_paragraph(f"第{number + 1}段。{PARAGRAPH}")
    buffer = io.BytesIO()
    word.save(buffer)
    return buffer.getvalue()


def _rewritten_docx(change: Callable[[str, bytes], bytes]) -> bytes:
    """A copy of :func:`docx_bytes` with each member's bytes passed through ``change``."""
    source = zipfile.ZipFile(io.BytesIO(docx_bytes()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info, change(info.filename, source.read(info.filename)))
    return out.getvalue()


def malformed_xml_docx() -> bytes:
    """A .docx whose document.xml has a mismatched closing tag (lxml: XMLSyntaxError)."""

    def break_body(name: str, data: bytes) -> bytes:
        return data.replace(b"</w:body>", b"</w:bodx>") if name == "word/document.xml" else data

    return _rewritten_docx(break_body)


def damaged_stream_docx() -> bytes:
    """A .docx whose compressed document.xml has bytes flipped (zlib.error or a CRC error)."""
    data = bytearray(docx_bytes())
    info = zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo("word/document.xml")
    # The member's data follows its 30-byte local header, name and extra field.
    name_length, extra_length = struct.unpack("<HH", data[info.header_offset + 26 :][:4])
    start = info.header_offset + 30 + name_length + extra_length
    for offset in range(start + 10, start + info.compress_size - 10, 37):
        data[offset] ^= 0x5A
    return bytes(data)


def zip_bomb_docx(unpacked_bytes: int = 1 << 30) -> bytes:
    """The issue's bomb: a ~1 MB .docx whose document.xml unpacks to ``unpacked_bytes`` of XML.

    The deflate stream repeats one fully flushed block of 1 MiB of spaces, so it is made in a
    moment; sizes and CRC are the true ones.
    """
    chunk = b" " * (1 << 20)
    head = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:document xmlns:w='
        b'"http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
    )
    tail = b"</w:body></w:document>"
    repeats = max(1, (unpacked_bytes - len(head) - len(tail)) // len(chunk))
    block = _raw_deflate(chunk, final=False)
    stream = _raw_deflate(head, final=False) + block * repeats + _raw_deflate(tail, final=True)
    crc = zlib.crc32(head)
    for _ in range(repeats):
        crc = zlib.crc32(chunk, crc)
    crc = zlib.crc32(tail, crc)
    size = len(head) + repeats * len(chunk) + len(tail)
    # The other parts come from a real document, so only the size gives the bomb away.
    members = {
        name: data for name, data in _members(docx_bytes()).items() if name != "word/document.xml"
    }
    return _zip_with_raw_member(members, "word/document.xml", stream, crc, size)


def _raw_deflate(data: bytes, final: bool) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    body = compressor.compress(data)
    return body + compressor.flush(zlib.Z_FINISH if final else zlib.Z_FULL_FLUSH)


def _members(package: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(package)) as source:
        return {name: source.read(name) for name in source.namelist()}


def _zip_with_raw_member(
    members: dict[str, bytes], name: str, stream: bytes, crc: int, size: int
) -> bytes:
    """A zip of ``members`` (deflated by zipfile) plus one already-deflated member, written last.

    The raw member is written by hand (zipfile cannot take deflated bytes), and the central
    directory is rewritten to list it.
    """
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        for member, data in members.items():
            package.writestr(member, data)
    listed = out.getvalue()
    end = listed.rindex(b"PK\x05\x06")
    entries, directory_size, directory_offset = struct.unpack("<10xHIIxx", listed[end:][:22])
    directory = listed[directory_offset : directory_offset + directory_size]
    encoded = name.encode()
    local = struct.pack(
        "<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(stream), size, len(encoded), 0
    )
    offset = directory_offset
    central = struct.pack(
        "<IHHHHHHIIIHHHHHII",
        0x02014B50,
        20,
        20,
        0,
        8,
        0,
        0x21,
        crc,
        len(stream),
        size,
        len(encoded),
        0,
        0,
        0,
        0,
        0,
        offset,
    )
    body = listed[:directory_offset] + local + encoded + stream
    new_directory = directory + central + encoded
    end_record = struct.pack(
        "<IHHHHIIH", 0x06054B50, 0, 0, entries + 1, entries + 1, len(new_directory), len(body), 0
    )
    return body + new_directory + end_record


def many_members_docx(count: int = 6000) -> bytes:
    """A zip with thousands of tiny members besides a real document's."""
    members = _members(docx_bytes())
    members.update({f"word/media/x{number}.bin": b"x" for number in range(count)})
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as package:
        for name, data in members.items():
            package.writestr(name, data)
    return out.getvalue()


def fuzzed_docx(seed: int) -> bytes:
    """A .docx whose document.xml got a few random mutations (seeded): cut, doubled, flipped."""
    rng = random.Random(seed)

    def mutate(name: str, data: bytes) -> bytes:
        if name != "word/document.xml":
            return data
        text = bytearray(data)
        for _ in range(rng.randint(1, 4)):
            start = rng.randrange(len(text))
            end = min(len(text), start + rng.randint(1, 64))
            choice = rng.randrange(4)
            if choice == 0:
                del text[start:end]
            elif choice == 1:
                text[start:start] = text[start:end] * rng.randint(2, 5)
            elif choice == 2:
                text[start] = rng.choice(b"<>&\"'/=\x00\xff")
            else:
                text[start:end] = bytes(rng.randrange(256) for _ in range(end - start))
        return bytes(text)

    return _rewritten_docx(mutate)


def corrupt_pdfs() -> dict[str, bytes]:
    """PDFs broken in different ways: garbage, truncated, a bad xref, a lying length."""
    good = make_pdf([[PARAGRAPH * 2, PARAGRAPH]])
    return {
        "garbage.pdf": b"%PDF-1.4\n" + bytes(random.Random(7).randrange(256) for _ in range(4000)),
        "truncated.pdf": good[: len(good) // 2],
        "bad-xref.pdf": good.replace(b"xref", b"xrfe").replace(b"startxref", b"startxrfe"),
        "lying-length.pdf": good.replace(b"/Length ", b"/Length 99999999"),
        "header-only.pdf": b"%PDF-1.7\n%%EOF\n",
    }


def pdf_flate_bomb(unpacked_bytes: int = 1 << 30) -> bytes:
    """A PDF whose page content is a FlateDecode stream of ``unpacked_bytes`` of spaces."""
    chunk = b" " * (1 << 20)
    block = _raw_deflate(chunk, final=False)
    repeats = unpacked_bytes // len(chunk)
    # A zlib stream: header, the raw deflate blocks, an (unchecked) Adler-32.
    stream = b"\x78\xda" + block * repeats + _raw_deflate(b"", final=True) + b"\x00\x00\x00\x00"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(stream), stream),
    ]
    return pdf_file(objects, root=1)


def deeply_nested_html(depth: int = 200_000) -> bytes:
    """A page nested 200,000 elements deep (parsers recurse on depth)."""
    return b"<html><body>" + b"<div>" * depth + PARAGRAPH.encode() + b"</div>" * depth


def stray_byte_text() -> bytes:
    """A UTF-8 article with one stray byte in its middle (it used to be skipped whole)."""
    text = ("标题：一篇有一个坏字节的文章\n\n" + PARAGRAPH * 3 + "\n\n" + PARAGRAPH * 2).encode()
    middle = len(text) // 2
    while text[middle] & 0xC0 == 0x80:  # not inside a character
        middle += 1
    return text[:middle] + b"\xff" + text[middle:]


PNG_HEADER = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"

#: The poisoned files of a corpus: name → (bytes, words the skip reason contains).
POISON: dict[str, tuple[Callable[[], bytes], str]] = {
    "malformed-xml.docx": (malformed_xml_docx, "XMLSyntaxError"),
    "damaged-stream.docx": (damaged_stream_docx, "not a valid .docx file"),
    "zip-bomb.docx": (zip_bomb_docx, "unpacks to 1,024 MB"),
    "many-members.docx": (many_members_docx, "6,0"),
    "not-a-zip.docx": (lambda: b"PK\x03\x04 this is no zip", "not a valid .docx file"),
    # pypdf stops unpacking at 75 MB on its own and finds no text.
    "pdf-bomb.pdf": (pdf_flate_bomb, "PDF has no text layer"),
    "binary.txt": (
        lambda: b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8,
        "binary",
    ),
    "empty.md": (lambda: b"", "empty file"),
    "blank.txt": (lambda: b" \n\n\t\n", "empty file"),
    "undecodable.txt": (lambda: b"\x80\xff" * 200, "undecodable"),
}


def make_poisoned_corpus(folder: Path) -> dict[str, str]:
    """Write every poison file (and a link loop, a broken link, a FIFO) into ``folder``.

    Returns:
        Each poisoned name with the words its skip reason must contain.
    """
    folder.mkdir(parents=True, exist_ok=True)
    expected = {}
    for name, (make, words) in POISON.items():
        (folder / name).write_bytes(make())
        expected[name] = words
    for name, data in corrupt_pdfs().items():
        (folder / name).write_bytes(data)
        expected[name] = ".pdf"
    (folder / "loop-a.txt").symlink_to("loop-b.txt")
    (folder / "loop-b.txt").symlink_to("loop-a.txt")
    expected.update({"loop-a.txt": "symbolic link loop", "loop-b.txt": "symbolic link loop"})
    (folder / "broken-link.txt").symlink_to("nowhere.txt")
    expected["broken-link.txt"] = "broken symbolic link"
    os.mkfifo(folder / "pipe.txt")
    expected["pipe.txt"] = "not a regular file"
    return expected
