"""Tests of opening damaged local indexes: each problem has a clear message and the rebuild hint.

Bytes changed in place are caught by the checksums before any library reads the file; the tests
that need a library's own check (FAISS, SQLite, numpy, the counts) record the damaged file's
checksum first (``refresh_manifest``), as if the file had been written that way.
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest
from fakes import FakeEmbedder

from semsearch.errors import IndexStoreError
from semsearch.storage import open_index, open_writer
from semsearch.storage.local import checksums, merge_policy
from semsearch.storage.local.generations import CURRENT_LINK, META_FILE, VECTORS_FILE
from semsearch.storage.local.opening import open_local_index

from .format1 import rewrite_as_format1
from .helpers import CHUNKING, add, current_dir, refresh_manifest, segment_dir


def open_error(index_dir: Path) -> IndexStoreError:
    with pytest.raises(IndexStoreError) as raised:
        open_index(index_dir)
    return raised.value


@pytest.fixture(params=["segments", "format1"])
def layout(request: pytest.FixtureRequest, index_dir: Path) -> str:
    """Run a test on the fixture index as it is, and rewritten in the format before segments."""
    if request.param == "format1":
        rewrite_as_format1(index_dir)
    return str(request.param)


def vectors_file(index_dir: Path, layout: str) -> Path:
    folder = segment_dir(index_dir) if layout == "segments" else current_dir(index_dir)
    return folder / VECTORS_FILE


def test_truncated_vectors_file(index_dir: Path, layout: str) -> None:
    path = vectors_file(index_dir, layout)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    error = open_error(index_dir)
    assert str(path) in error.message and "truncated" in error.message
    assert "semsearch build --rebuild" in (error.hint or "")


def test_garbage_vectors_file_of_the_right_size(index_dir: Path, layout: str) -> None:
    path = vectors_file(index_dir, layout)
    path.write_bytes(b"x" * path.stat().st_size)
    if layout == "segments":
        error = open_error(index_dir)
        assert str(path) in error.message and "is damaged (its CRC-32 is" in error.message
        refresh_manifest(current_dir(index_dir))
    error = open_error(index_dir)
    assert str(path) in error.message and "FAISS" in error.message


def test_garbage_meta_database(index_dir: Path, layout: str) -> None:
    path = current_dir(index_dir) / META_FILE
    path.write_bytes(
        b"this is not sqlite " * (path.stat().st_size // 19) + b"!" * (path.stat().st_size % 19)
    )
    refresh_manifest(current_dir(index_dir))
    error = open_error(index_dir)
    assert str(path) in error.message and "not a valid index database" in error.message
    assert "semsearch build --rebuild" in (error.hint or "")


def test_truncated_meta_database(index_dir: Path, layout: str) -> None:
    path = current_dir(index_dir) / META_FILE
    path.write_bytes(path.read_bytes()[:4096])
    error = open_error(index_dir)
    assert str(path) in error.message and "truncated" in error.message


def test_a_byte_flipped_in_any_file_is_reported_before_it_is_read(index_dir: Path) -> None:
    generation = current_dir(index_dir)
    names = sorted(json.loads((generation / "manifest.json").read_text())["crc32"])
    assert {"meta.sqlite", "seg-000001/records.sqlite", "seg-000001/vectors.faiss"} <= set(names)
    assert sum(name.startswith("seg-000001/keyword/") for name in names) == 10
    for name in names:
        path = generation / name
        data = bytearray(path.read_bytes())
        middle = len(data) // 2
        data[middle] ^= 0x01
        path.write_bytes(bytes(data))
        error = open_error(index_dir)
        assert error.message.startswith(f"The index file {path} is damaged (its CRC-32 is"), name
        assert "semsearch build --rebuild" in (error.hint or "")
        data[middle] ^= 0x01
        path.write_bytes(bytes(data))
        open_index(index_dir).close()  # verified again, whole again


def test_a_change_hidden_behind_the_old_mtime_is_still_caught(index_dir: Path) -> None:
    open_index(index_dir).close()  # every file verified and remembered
    path = segment_dir(index_dir) / VECTORS_FILE
    before = path.stat()
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x10
    path.write_bytes(bytes(data))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # size and mtime as before
    assert "is damaged" in open_error(index_dir).message


def test_verified_files_are_not_hashed_again_until_they_change(
    index_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hashed: list[str] = []
    original = checksums.file_crc32

    def counting(path: Path) -> int:
        hashed.append(path.name)
        return original(path)

    monkeypatch.setattr(checksums, "file_crc32", counting)
    (index_dir / checksums.VERIFIED_FILE).unlink(missing_ok=True)
    open_index(index_dir).close()
    files = len(hashed)
    assert files >= 13
    open_index(index_dir).close()
    assert len(hashed) == files  # remembered: nothing hashed
    open_local_index(index_dir, verify="full").close()
    assert len(hashed) == 2 * files  # on request, every byte again
    path = current_dir(index_dir) / META_FILE
    path.write_bytes(path.read_bytes())  # same bytes, new mtime: verified again, alone
    open_index(index_dir).close()
    assert hashed[2 * files :] == [META_FILE]


def test_a_write_keeps_the_unchanged_files_verified(
    index_dir: Path, embedder: FakeEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    open_index(index_dir).close()
    hashed: list[str] = []
    original = checksums.file_crc32
    monkeypatch.setattr(checksums, "file_crc32", lambda p: hashed.append(p.name) or original(p))
    with open_writer(index_dir, embedder, CHUNKING) as writer:
        writer.remove_document("econ")  # tombstones: every segment file is hard-linked
        writer.commit().close()
    hashed.clear()
    open_index(index_dir).close()
    assert hashed == []  # linked files kept their verification, new ones were recorded


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


def test_counts_that_disagree(index_dir: Path, layout: str) -> None:
    if layout == "segments":
        records = segment_dir(index_dir) / "records.sqlite"
        expected = ["seg-000001/records.sqlite chunks 5", "seg-000001/keyword/ids.npy chunks 7"]
    else:
        records = current_dir(index_dir) / META_FILE
        expected = ["meta.sqlite chunks 5", "keyword/ids.npy chunks 7"]
    connection = sqlite3.connect(records)
    connection.execute("PRAGMA journal_mode=OFF")
    connection.execute("DELETE FROM chunks WHERE doc_id = 'econ'")
    connection.commit()
    connection.close()
    refresh_manifest(current_dir(index_dir))  # so that only the counts disagree
    error = open_error(index_dir)
    assert "inconsistent" in error.message
    assert all(part in error.message for part in expected), error.message


def test_vectors_that_disagree_with_the_ids(index_dir: Path, embedder: FakeEmbedder) -> None:
    # The vectors of the previous generation put in place, checksum recorded: 7 for 2 ids.
    seven = (segment_dir(index_dir) / VECTORS_FILE).read_bytes()
    with open_writer(index_dir, embedder, CHUNKING, rebuild=True) as writer:
        add(writer, embedder, "weather")
        writer.commit().close()
    (segment_dir(index_dir) / VECTORS_FILE).write_bytes(seven)
    refresh_manifest(current_dir(index_dir))
    error = open_error(index_dir)
    assert "seg-000001/vectors.faiss vectors 7" in error.message
    assert "seg-000001/keyword/ids.npy chunks 2" in error.message


def test_damaged_keyword_index(index_dir: Path, layout: str) -> None:
    folder = segment_dir(index_dir) if layout == "segments" else current_dir(index_dir)
    (folder / "keyword" / "ids.npy").write_bytes(b"junk")
    refresh_manifest(current_dir(index_dir))
    error = open_error(index_dir)
    assert "keyword" in error.message and "semsearch build --rebuild" in (error.hint or "")


def test_damaged_tombstones(
    index_dir: Path, embedder: FakeEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(merge_policy, "MAX_DELETED_SHARE", 1.0)  # keep the tombstones
    with open_writer(index_dir, embedder, CHUNKING) as writer:
        writer.remove_document("econ")
        writer.commit().close()
    path = current_dir(index_dir) / "deleted.npy"
    path.write_bytes(b"junk")
    refresh_manifest(current_dir(index_dir))
    assert str(path) in open_error(index_dir).message


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
