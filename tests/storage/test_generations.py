"""Tests of the local index folder: generation names, the write lock, leftovers, publishing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from fakes import FakeEmbedder

from semsearch.errors import IndexStoreError
from semsearch.storage import open_index, open_writer
from semsearch.storage.local.generations import (
    CURRENT_LINK,
    META_FILE,
    IndexFolder,
    generation_name,
    generation_number,
    generation_of,
    looks_like_index,
)

from .helpers import CHUNKING, generation_dirs


def test_generation_names() -> None:
    assert generation_name(7) == "gen-000007" and generation_number("gen-000007") == 7
    assert generation_number("gen-7") is None and generation_number("current") is None
    assert generation_of(Path("/x/gen-000008.tmp-4242")) == "gen-000008"


def test_second_writer_gets_a_clear_lock_error(index_dir: Path, embedder: FakeEmbedder) -> None:
    with open_writer(index_dir, embedder, CHUNKING):
        with pytest.raises(IndexStoreError) as raised:
            open_writer(index_dir, embedder, CHUNKING, lock_timeout=0.1)
        assert "Another semsearch build/update is running" in raised.value.message
        assert f"pid {os.getpid()}" in raised.value.message
        assert raised.value.hint and "Wait" in raised.value.hint
    # Released on close: the next writer gets it.
    open_writer(index_dir, embedder, CHUNKING, lock_timeout=0.1).close()


def test_next_writer_removes_what_a_killed_writer_left(
    index_dir: Path, embedder: FakeEmbedder
) -> None:
    (index_dir / "gen-000002.tmp-4242").mkdir()
    (index_dir / "gen-000002.tmp-4242" / META_FILE).write_bytes(b"half written")
    (index_dir / "gen-000007").mkdir()  # renamed but never made current
    (index_dir / f"{CURRENT_LINK}.tmp-4242").symlink_to("gen-000007")
    assert open_index(index_dir).generation == "gen-000001"
    open_writer(index_dir, embedder, CHUNKING).close()
    assert sorted(p.name for p in index_dir.iterdir() if not p.name.startswith(".")) == [
        CURRENT_LINK,
        "gen-000001",
    ]


def test_publishing_keeps_the_current_and_the_previous_generation(tmp_path: Path) -> None:
    folder = IndexFolder(tmp_path / "index")
    folder.lock()
    try:
        for expected in ("gen-000001", "gen-000002", "gen-000003"):
            work_dir = folder.new_work_dir()
            assert work_dir.name == f"{expected}.tmp-{os.getpid()}"
            (work_dir / "file").write_text(expected, encoding="utf-8")
            assert folder.publish(work_dir) == expected
        assert generation_dirs(tmp_path / "index") == ["gen-000002", "gen-000003"]
        assert os.readlink(tmp_path / "index" / CURRENT_LINK) == "gen-000003"
        assert looks_like_index(tmp_path / "index")
    finally:
        folder.unlock()
    folder.unlock()  # twice is harmless
