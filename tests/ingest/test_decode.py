"""Tests for semsearch.ingest.decode: encodings detected, binary and undecodable bytes refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from semsearch.ingest import decode_text, read_document

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
