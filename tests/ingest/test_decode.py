"""Tests for semsearch.ingest.decode: encodings detected, binary and undecodable bytes refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from semsearch.ingest import decode_bytes, decode_text, read_document

from .samples import reason_for

SIMPLIFIED = (
    "开封坚持以习近平总书记三次亲临视察的特殊关怀为动力，把学习弘扬焦裕禄精神作为永恒课题。"
)
TRADITIONAL = (
    "開封堅持以習近平總書記三次親臨視察的特殊關懷為動力，把學習弘揚焦裕祿精神作為永恆課題。"
)


@pytest.mark.parametrize(
    ("encoding", "text"),
    [
        ("gb18030", SIMPLIFIED),
        ("gbk", "短文本"),
        ("big5", TRADITIONAL),
        ("big5", "臺灣新聞"),
        ("utf-16", SIMPLIFIED),  # with a byte-order mark
        ("utf-16-le", SIMPLIFIED + "\n第二行"),  # without one
        ("utf-8-sig", TRADITIONAL),
        ("utf-8", SIMPLIFIED),
    ],
)
def test_decode_text(encoding: str, text: str) -> None:
    assert decode_text(text.encode(encoding))[0] == text


@pytest.mark.parametrize(
    ("encoding", "text"),
    [
        ("gb18030", SIMPLIFIED),
        ("big5", TRADITIONAL),
        ("utf-16", TRADITIONAL),
        ("utf-8-sig", SIMPLIFIED),
    ],
)
def test_encoded_files_read_right(tmp_path: Path, encoding: str, text: str) -> None:
    path = tmp_path / f"article-{encoding}.txt"
    title = "新聞標題" if text == TRADITIONAL else "新闻标题"
    path.write_bytes(f"{title}\n\n{text}\n".encode(encoding))
    document = read_document(path)
    assert document.title == title
    assert document.text == text
    assert document.script == ("traditional" if text == TRADITIONAL else "simplified")


def test_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "image.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8)
    assert reason_for(path).startswith("binary file")


def test_undecodable_bytes(tmp_path: Path) -> None:
    path = tmp_path / "garbage.txt"
    path.write_bytes(b"\x80\xff" * 200)
    assert reason_for(path).startswith("undecodable bytes")


def test_utf8_with_a_stray_byte_is_read_with_a_note(tmp_path: Path) -> None:
    text = f"新闻标题\n\n{SIMPLIFIED * 3}\n".encode()
    middle = text.index("三次".encode())
    path = tmp_path / "stray.txt"
    path.write_bytes(text[:middle] + b"\xff" + text[middle:])
    document = read_document(path)
    assert document.text == SIMPLIFIED.replace("三次", "\ufffd三次", 1) + SIMPLIFIED * 2
    assert document.notes == ["1 invalid UTF-8 byte replaced by U+FFFD"]
    # The same with a byte-order mark, and in Markdown.
    marked = tmp_path / "stray.md"
    marked.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert read_document(marked).notes == document.notes


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        ((SIMPLIFIED * 3).encode("gb18030"), "gb18030"),
        ((TRADITIONAL * 3).encode("big5"), "big5hkscs"),
        ("Café au lait, a long English text with one accent. ".encode("cp1252") * 3, "cp1252"),
    ],
)
def test_other_encodings_are_not_taken_for_utf8_with_stray_bytes(
    data: bytes, encoding: str
) -> None:
    decoded = decode_bytes(data)
    assert (decoded.encoding, decoded.replaced) == (encoding, 0)
