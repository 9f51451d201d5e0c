"""Tests of what storage tells without opening an index: the live version, manifest, size."""

from __future__ import annotations

from pathlib import Path

import pytest

from semsearch.errors import IndexStoreError
from semsearch.storage import live_manifest, live_version, open_index, version_files


def test_no_index_has_no_live_version_or_manifest(tmp_path: Path) -> None:
    assert live_version(tmp_path / "none") is None
    assert live_manifest(tmp_path / "none") is None


def test_the_live_version_is_the_one_a_reader_opens(index_dir: Path) -> None:
    reader = open_index(index_dir)
    assert live_version(index_dir) == reader.generation
    manifest = live_manifest(index_dir)
    assert manifest is not None and manifest.model_id == reader.model_id


def test_version_files_lists_the_top_files_and_counts_everything(index_dir: Path) -> None:
    version = str(live_version(index_dir))
    disk = version_files(index_dir, version)
    assert {"manifest.json", "meta.sqlite"} <= set(disk.files)
    everything = [p for p in (index_dir / version).rglob("*") if p.is_file()]
    assert disk.total_bytes == sum(p.stat().st_size for p in everything)
    assert any(p.name == "vectors.faiss" for p in everything)
    assert disk.total_bytes > sum(disk.files.values())  # the segment folders count too


def test_a_damaged_manifest_is_reported_and_unknown_engines_refused(index_dir: Path) -> None:
    version = str(live_version(index_dir))
    (index_dir / version / "manifest.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(IndexStoreError, match="manifest"):
        live_manifest(index_dir)
    with pytest.raises(IndexStoreError, match="engine"):
        live_version(index_dir, engine="qdrant")
