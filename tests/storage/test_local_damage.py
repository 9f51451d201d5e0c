"""Tests of opening damaged local indexes: each problem has a clear message and the rebuild hint."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from fakes import FakeEmbedder

from semsearch.errors import IndexStoreError
from semsearch.storage import open_index, open_writer
from semsearch.storage.local.generations import CURRENT_LINK, META_FILE, VECTORS_FILE

from .helpers import CHUNKING, current_dir


def open_error(index_dir: Path) -> IndexStoreError:
    with pytest.raises(IndexStoreError) as raised:
        open_index(index_dir)
    return raised.value


def test_truncated_vectors_file(index_dir: Path) -> None:
    path = current_dir(index_dir) / VECTORS_FILE
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    error = open_error(index_dir)
    assert str(path) in error.message and "truncated" in error.message
    assert "semsearch build --rebuild" in (error.hint or "")


def test_garbage_vectors_file_of_the_right_size(index_dir: Path) -> None:
    path = current_dir(index_dir) / VECTORS_FILE
    path.write_bytes(b"x" * path.stat().st_size)
    error = open_error(index_dir)
    assert str(path) in error.message and "FAISS" in error.message


def test_garbage_meta_database(index_dir: Path) -> None:
    path = current_dir(index_dir) / META_FILE
    path.write_bytes(
        b"this is not sqlite " * (path.stat().st_size // 19) + b"!" * (path.stat().st_size % 19)
    )
    error = open_error(index_dir)
    assert str(path) in error.message and "not a valid index database" in error.message
    assert "semsearch build --rebuild" in (error.hint or "")


def test_truncated_meta_database(index_dir: Path) -> None:
    path = current_dir(index_dir) / META_FILE
    path.write_bytes(path.read_bytes()[:4096])
    error = open_error(index_dir)
    assert str(path) in error.message and "truncated" in error.message


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "manifest.json is missing"),
        ("{not json", "manifest.json is not valid JSON"),
        ("[1, 2]", "is not a JSON object"),
        ('{"format_version": 1}', "lacks model_id"),
    ],
)
def test_bad_manifest(index_dir: Path, content: str | None, expected: str) -> None:
    path = current_dir(index_dir) / "manifest.json"
    if content is None:
        path.unlink()
    else:
        path.write_text(content, encoding="utf-8")
    error = open_error(index_dir)
    assert expected in error.message
    assert "semsearch build --rebuild" in (error.hint or "")


def test_newer_format_version(index_dir: Path) -> None:
    path = current_dir(index_dir) / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["format_version"] = 99
    path.write_text(json.dumps(manifest), encoding="utf-8")
    assert "format version 99" in open_error(index_dir).message


def test_mistyped_manifest_value(index_dir: Path) -> None:
    path = current_dir(index_dir) / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["chunk_count"] = None
    path.write_text(json.dumps(manifest), encoding="utf-8")
    error = open_error(index_dir)
    assert "manifest" in error.message and "is damaged" in error.message
    assert "'chunk_count' is null" in error.message
    assert "semsearch build --rebuild" in (error.hint or "")


def test_counts_that_disagree(index_dir: Path) -> None:
    meta = current_dir(index_dir) / META_FILE
    connection = sqlite3.connect(meta)
    connection.execute("PRAGMA journal_mode=OFF")
    connection.execute("DELETE FROM chunks WHERE doc_id = 'econ'")
    connection.commit()
    connection.close()
    # Keep the recorded size so that only the counts disagree.
    manifest_path = current_dir(index_dir) / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["files"][META_FILE] = meta.stat().st_size
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    error = open_error(index_dir)
    assert "inconsistent" in error.message
    assert "meta.sqlite chunks 5" in error.message and "vectors.faiss vectors 7" in error.message


def test_damaged_keyword_index(index_dir: Path) -> None:
    (current_dir(index_dir) / "keyword" / "ids.npy").write_bytes(b"junk")
    error = open_error(index_dir)
    assert "keyword" in error.message


def test_missing_and_foreign_folders(tmp_path: Path, embedder: FakeEmbedder) -> None:
    assert "no such folder" in open_error(tmp_path / "absent").message
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / ".gitkeep").touch()
    error = open_error(tmp_path / "empty")
    assert "no index in" in error.message and "semsearch build" in (error.hint or "")
    (tmp_path / "articles").mkdir()
    (tmp_path / "articles" / "a.txt").write_text("正文", encoding="utf-8")
    assert "is not a semsearch index" in open_error(tmp_path / "articles").message
    with pytest.raises(IndexStoreError, match="refusing to write"):
        open_writer(tmp_path / "articles", embedder, CHUNKING)
    assert sorted(p.name for p in (tmp_path / "articles").iterdir()) == ["a.txt"]


def test_current_pointing_to_a_missing_generation(index_dir: Path) -> None:
    link = index_dir / CURRENT_LINK
    link.unlink()
    link.symlink_to("gen-000005")
    assert "gen-000005 is missing" in open_error(index_dir).message
