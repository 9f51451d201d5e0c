"""Write failures end in one clear error, the previous generation stays, nothing is left behind.

The disk-full and read-only cases run on a real tmpfs mounted for the test (root only; the test
is skipped, with the reason, where mounting is not allowed). Running as root, ``chmod`` would
not stop a write, so the read-only case remounts the tmpfs read-only. FAISS's own write error
and a hard link refused are injected by monkeypatching ``faiss.write_index`` and ``os.link``.
"""

from __future__ import annotations

import errno
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import faiss
import pytest
from fakes import FakeEmbedder

from semsearch.errors import IndexStoreError
from semsearch.storage import open_index, open_writer
from semsearch.storage.local import generations

from .helpers import CHUNKING, add


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, check=False)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MB tmpfs, unmounted afterwards."""
    mount = tmp_path / "disk"
    mount.mkdir()
    mounted = _run("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount))
    if mounted.returncode != 0:
        reason = f"cannot mount a tmpfs here: {mounted.stderr.strip() or mounted.returncode}"
        print(reason)
        pytest.skip(reason)
    try:
        yield mount
    finally:
        _run("umount", "-l", str(mount))


def _paragraphs(count: int) -> list[str]:
    return [f"第{i}段：市政府今天发布了关于城市交通和教育发展的新规划。" * 3 for i in range(count)]


def _write(index_dir: Path, embedder: FakeEmbedder, doc_id: str, count: int) -> None:
    with open_writer(index_dir, embedder, CHUNKING) as writer:
        add(writer, embedder, doc_id, paragraphs=_paragraphs(count))
        writer.commit().close()


def _assert_unchanged(index_dir: Path, generation: str, chunks: int) -> None:
    reader = open_index(index_dir)
    assert (reader.generation, reader.chunk_count) == (generation, chunks)
    reader.close()
    assert not [p.name for p in index_dir.iterdir() if ".tmp-" in p.name]
    generations = {p.name for p in index_dir.glob("gen-*")}
    assert generations <= {generation, f"gen-{int(generation[4:]) - 1:06d}"}


def test_a_full_disk_at_any_step_leaves_the_previous_generation(
    small_disk: Path, embedder: FakeEmbedder
) -> None:
    index_dir = small_disk / "index"
    _write(index_dir, embedder, "first", 20)
    failures = 0
    for free in (0, 2_000, 8_000, 30_000, 60_000, 120_000, 200_000, 400_000):
        reader = open_index(index_dir)
        generation, chunks = reader.generation, reader.chunk_count
        reader.close()
        filler = small_disk / "filler"
        room = os.statvfs(small_disk).f_bavail * os.statvfs(small_disk).f_frsize
        filler.write_bytes(b"\0" * max(0, room - free))
        try:
            _write(index_dir, embedder, f"doc{free}", 150)
        except IndexStoreError as error:
            failures += 1
            assert error.message.startswith(f"Could not write the index in {index_dir}: ")
            assert "the disk is full" in error.message and "\n" not in error.message
            assert "keeps its previous version" in (error.hint or "")
            _assert_unchanged(index_dir, generation, chunks)
        finally:
            filler.unlink()
    assert failures >= 5
    _write(index_dir, embedder, "last", 5)  # the lock was released every time
    assert open_index(index_dir).document("last").title == "标题last"


def test_a_read_only_file_system(small_disk: Path, embedder: FakeEmbedder) -> None:
    index_dir = small_disk / "index"
    _write(index_dir, embedder, "first", 5)
    assert _run("mount", "-o", "remount,ro", str(small_disk)).returncode == 0
    with pytest.raises(IndexStoreError) as raised:
        _write(index_dir, embedder, "second", 5)
    assert raised.value.message.startswith(f"Could not write the index in {index_dir}: ")
    assert "read-only" in raised.value.message
    assert open_index(index_dir).chunk_count == 5


def test_faiss_write_error(
    index_dir: Path, embedder: FakeEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing(index: faiss.Index, path: str) -> None:
        raise RuntimeError("Error in faiss::FileIOWriter::operator(): write error")

    monkeypatch.setattr(faiss, "write_index", failing)
    with pytest.raises(IndexStoreError) as raised:
        _write(index_dir, embedder, "new", 3)
    assert "FAISS could not write vectors.faiss: " in raised.value.message
    assert str(index_dir) in raised.value.message
    _assert_unchanged(index_dir, "gen-000001", 7)


def test_a_refused_hard_link_is_a_copy_and_other_link_errors_are_reported(
    index_dir: Path, embedder: FakeEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_links(source: str, target: str) -> None:
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(generations.os, "link", no_links)
    _write(index_dir, embedder, "new", 3)  # copied instead
    assert open_index(index_dir).chunk_count == 10

    def full(source: str, target: str) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(generations.os, "link", full)
    with pytest.raises(IndexStoreError, match="the disk is full"):
        _write(index_dir, embedder, "more", 3)
    _assert_unchanged(index_dir, "gen-000002", 10)
