"""Tests for semsearch.ingest.reader: one file to a document; many files, bad ones skipped."""

from __future__ import annotations

import shutil
from pathlib import Path

from semsearch.ingest import MAX_TEXT_BYTES, document_id, load_documents, read_document

from .samples import SEEDS, reason_for


def test_cleaning_depends_only_on_content(tmp_path: Path) -> None:
    source = SEEDS / "003_6b8e5731eb4a4e29.txt"
    copy = tmp_path / "deep" / "folder" / "copy.txt"
    copy.parent.mkdir(parents=True)
    shutil.copy(source, copy)
    original, copied = read_document(source), read_document(copy)
    assert (copied.text, copied.title, copied.removed) == (
        original.text,
        original.title,
        original.removed,
    )
    assert copied.content_hash == original.content_hash


def test_nothing_left_after_cleaning(tmp_path: Path) -> None:
    path = tmp_path / "chrome.html"
    path.write_text(
        "<html><body><div>分享到：</div><div>友情链接</div><div>豫ICP备12345678号</div>"
        "</body></html>",
        "utf-8",
    )
    assert reason_for(path) == "no article text left after cleaning"


def test_load_documents_skips_bad_files_and_reads_the_rest(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    (corpus / "sub").mkdir(parents=True)
    shutil.copy(SEEDS / "000_02c521df31b8c6f7.txt", corpus / "sub" / "good.txt")
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "binary.md").write_bytes(b"\x00\x01\x02\x03" * 100)
    (corpus / "notes.xyz").write_text("x", "utf-8")
    with (corpus / "huge.htm").open("wb") as handle:
        handle.truncate(MAX_TEXT_BYTES + 1)
    documents, skipped = load_documents([corpus])
    assert [d.path for d in documents] == [str(corpus / "sub" / "good.txt")]
    assert documents[0].doc_id == document_id(corpus / "sub" / "good.txt", corpus)
    reasons = {Path(s.path).name: s.reason for s in skipped}
    assert reasons.keys() == {"empty.txt", "binary.md", "notes.xyz", "huge.htm"}
    assert reasons["empty.txt"] == "empty file"
    assert reasons["notes.xyz"] == "unsupported file type .xyz"
    assert reasons["huge.htm"].startswith("file too large")
    assert reasons["binary.md"].startswith("binary file")
