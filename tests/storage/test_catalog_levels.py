"""Tests of the catalog in two levels: a base hard-linked from generation to generation and a
small delta per generation, read as one (``storage/local/catalog_levels.py``).

The same writes applied to an index that compacts at once (small thresholds: a base and a delta
from the first writes) and to one that never does (every row in the delta, as before format 3)
must read the same after every step: documents, groups, file states, skipped files, chunks,
searches.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from fakes import FakeEmbedder

from semsearch import lexical
from semsearch.errors import IndexStoreError
from semsearch.ingest import SkippedFile
from semsearch.storage import ChunkFilter, open_index, open_writer
from semsearch.storage.data import (
    SIGNATURE_BANDS,
    FileScope,
    FileState,
    ReprintSelection,
    ReprintState,
)
from semsearch.storage.local import catalog_levels, schema
from semsearch.storage.local.generations import BASE_FILE, META_FILE
from semsearch.storage.local.opening import open_local_index
from semsearch.storage.local.schema import band_expression

from .helpers import CHUNKING, add, current_dir, refresh_manifest

Step = Callable[..., None]


def signature(seed: int) -> bytes:
    """A full signature whose bands are all different from another seed's but band 0."""
    values = np.random.default_rng(seed).integers(0, 2**32, SIGNATURE_BANDS * 4, dtype=np.uint32)
    values[:4] = 7  # band 0 is shared by every signature
    return values.astype("<u4").tobytes()


def _build(writer, embedder) -> None:
    for number in range(8):
        add(writer, embedder, f"d{number}", paragraphs=[f"第{number}篇文章讲经济。", "第二段。"])
    writer.set_sources(["/abs"], [SkippedFile("/abs/photo.jpg", "unsupported file type .jpg")])


def _remove_and_change(writer, embedder) -> None:
    writer.remove_document("d1")
    writer.remove_document("d2")
    add(writer, embedder, "d2", paragraphs=["改写后的第二篇文章。"])


def _touch(writer, embedder) -> None:
    writer.update_file_state("d5", FileState("/abs/d5.txt", 100, 2))


def _move_and_sign(writer, embedder) -> None:
    writer.update_file_state("d3", FileState("/abs/moved/d3.txt", 120, 9))
    writer.set_reprints(
        {
            "d0": ReprintState(signature(1), "d0"),
            "d4": ReprintState(signature(1), "d0"),
            "d5": ReprintState(signature(2), None),
            "d6": ReprintState(b"", None),
        }
    )
    writer.set_sources(["/abs"], [])


def _add_more(writer, embedder) -> None:
    for number in range(8, 14):
        add(writer, embedder, f"d{number}", paragraphs=[f"新增第{number}篇体育报道。"])
    writer.remove_document("d4")


def _regroup(writer, embedder) -> None:
    writer.set_reprints({"d0": ReprintState(signature(1), None)})
    writer.remove_document("d9")


STEPS: list[Step] = [_build, _remove_and_change, _touch, _move_and_sign, _add_more, _regroup]


def snapshot(index_dir: Path, embedder: FakeEmbedder) -> dict[str, object]:
    """Everything a reader answers about the catalog, for comparison."""
    reader = open_index(index_dir)
    try:
        catalog = reader.catalog
        return {
            "counts": (reader.document_count, reader.chunk_count),
            "documents": reader.documents(),
            "document": [catalog.document(d.doc_id) for d in reader.documents()],
            "files": sorted(reader.stored_files(), key=lambda f: f.doc_id),
            "scoped": sorted(
                reader.stored_files(FileScope(under=("/abs/moved",), outside=("/abs",))),
                key=lambda f: f.doc_id,
            ),
            "skipped": reader.skipped_files(),
            "reprints": catalog.reprint_states(),
            "band": catalog.reprint_states(ReprintSelection(sharing_a_band=(signature(1),))),
            "groups": catalog.reprint_states(ReprintSelection(groups=("d0",), unsigned=True)),
            "chunks": reader.chunk_ids().tolist(),
            "filtered": reader.chunk_ids(ChunkFilter(doc_ids=("d2", "d3", "d9"))).tolist(),
            "places": catalog.places(["d0", "d2", "d9", "nope"]),
            "keyword": reader.keyword_search(lexical.tokenize_query("经济"), 10),
            "dense": reader.dense_search(embedder.embed_queries(["体育"])[0], 5),
        }
    finally:
        reader.close()


@pytest.fixture
def small_levels(monkeypatch: pytest.MonkeyPatch) -> None:
    """Compact when the delta holds more than 4 changes or half the base."""
    monkeypatch.setattr(catalog_levels, "COMPACT_MIN_ROWS", 4)
    monkeypatch.setattr(catalog_levels, "COMPACT_FRACTION", 2)


def _apply(index_dir: Path, embedder: FakeEmbedder, step: Step) -> None:
    with open_writer(index_dir, embedder, CHUNKING) as writer:
        step(writer, embedder)
        writer.commit().close()


def _levels(index_dir: Path) -> tuple[bool, int]:
    """Whether the current generation has a base, and how many changes its delta holds."""
    generation = current_dir(index_dir)
    db = sqlite3.connect(generation / META_FILE)
    (changes,) = db.execute(
        "SELECT (SELECT count(*) FROM documents) + (SELECT count(*) FROM base_removed)"
    ).fetchone()
    db.close()
    return (generation / BASE_FILE).is_file(), int(changes)


def test_two_levels_read_as_one_catalog_after_every_step(
    tmp_path: Path, embedder: FakeEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    single, levelled = tmp_path / "single", tmp_path / "levelled"
    seen = []
    for step in STEPS:
        _apply(single, embedder, step)
        with monkeypatch.context() as patch:
            patch.setattr(catalog_levels, "COMPACT_MIN_ROWS", 6)
            patch.setattr(catalog_levels, "COMPACT_FRACTION", 2)
            _apply(levelled, embedder, step)
        assert _levels(single)[0] is False  # under 256 documents: one level, as before
        seen.append(_levels(levelled))
        assert snapshot(levelled, embedder) == snapshot(single, embedder), step.__name__
    # Compacted by the build; then a delta on the base (copied and changed by the next write),
    # compacted again whenever it outgrew max(6, base / 2).
    assert seen == [(True, 0), (True, 3), (True, 5), (True, 0), (True, 0), (True, 3)]


def test_the_base_is_linked_until_a_compaction_and_the_delta_stays_small(
    tmp_path: Path, embedder: FakeEmbedder, small_levels: None
) -> None:
    index_dir = tmp_path / "index"
    _apply(index_dir, embedder, _build)
    first = current_dir(index_dir)
    base_inode = (first / BASE_FILE).stat().st_ino
    _apply(index_dir, embedder, _remove_and_change)
    second = current_dir(index_dir)
    assert (second / BASE_FILE).stat().st_ino == base_inode  # hard-linked, not rewritten
    manifests = [open_index(index_dir).manifest]
    assert manifests[0].crc32[BASE_FILE] is not None
    # The delta holds the changed rows only, the base every row as of its compaction.
    base = sqlite3.connect(second / BASE_FILE)
    assert base.execute("SELECT count(*) FROM documents").fetchone() == (8,)
    assert base.execute("SELECT count(*) FROM skipped").fetchone() == (0,)
    delta = sqlite3.connect(second / META_FILE)
    assert delta.execute("SELECT doc_id FROM documents").fetchall() == [("d2",)]
    assert sorted(delta.execute("SELECT doc_id FROM base_removed")) == [("d1",), ("d2",)]
    assert delta.execute("SELECT count(*) FROM skipped").fetchone() == (1,)
    _apply(index_dir, embedder, _move_and_sign)
    _apply(index_dir, embedder, _add_more)  # more than max(4, base / 2) changes: compacted
    assert (current_dir(index_dir) / BASE_FILE).stat().st_ino != base_inode
    assert _levels(index_dir) == (True, 0)


def test_lookups_stay_index_lookups_in_both_levels(
    index_dir: Path, embedder: FakeEmbedder, small_levels: None
) -> None:
    _apply(index_dir, embedder, _build)
    reader = open_index(index_dir)
    db = reader.catalog._db
    queries = {
        "doc_id = ?": "doc_id",
        "file_path >= ? AND file_path < ?": "documents_by_file",
        "date <= ?": "documents_by_date",
        "reprint_group = ?": "documents_by_reprint_group",
        f"{band_expression(5)} = ?": "documents_by_band_5",
    }
    for condition, index in queries.items():
        plan = [
            row[-1]
            for row in db.execute(
                f"EXPLAIN QUERY PLAN SELECT * FROM documents WHERE {condition}",
                ["x"] * condition.count("?"),
            )
        ]
        # The base (alias b) and the delta; ``m`` is a base row's segment after the moves.
        searches = [line for line in plan if line.startswith("SEARCH") and " m " not in line]
        assert len(searches) == 2, (condition, plan)
        assert all(index in line for line in searches), (condition, plan)
        assert searches[0].startswith("SEARCH b ") and "main.documents" in searches[1]
        assert not any(line.startswith("SCAN b") or "SCAN main" in line for line in plan)
    # A merge finds a segment's documents by the segment index of each level.
    with open_writer(index_dir, embedder, CHUNKING) as writer:
        catalog = writer._pending()[0]
        traced: list[str] = []
        catalog.db.set_trace_callback(traced.append)
        assert sorted(catalog.documents_in(reader.catalog.document("d0")[1] or "")) != []
        catalog.db.set_trace_callback(None)
        assert traced
        for sql in [sql for sql in traced if "documents WHERE" in sql]:
            plan = " ".join(row[-1] for row in catalog.db.execute(f"EXPLAIN QUERY PLAN {sql}"))
            assert "documents_by_segment" in plan, (sql, plan)
    reader.close()


def test_an_index_written_before_levels_opens_and_its_next_write_converts_it(
    index_dir: Path, embedder: FakeEmbedder, small_levels: None
) -> None:
    # The fixture's index (3 documents) has one level: the delta holds every row.
    assert _levels(index_dir) == (False, 3)
    before = snapshot(index_dir, embedder)
    with open_writer(index_dir, embedder, CHUNKING) as writer:
        add(writer, embedder, "new", paragraphs=["新的段落。"])
        add(writer, embedder, "newer", paragraphs=["更新的段落。"])
        writer.commit().close()
    assert _levels(index_dir) == (True, 0)  # 5 rows > 4: the delta became the base
    after = snapshot(index_dir, embedder)
    assert after["counts"] == (5, before["counts"][1] + 2)
    assert after["skipped"] == before["skipped"]


def test_an_interrupted_write_leaves_both_levels_usable(
    tmp_path: Path, embedder: FakeEmbedder, small_levels: None
) -> None:
    index_dir = tmp_path / "index"
    _apply(index_dir, embedder, _build)
    _apply(index_dir, embedder, _remove_and_change)
    before = snapshot(index_dir, embedder)
    with open_writer(index_dir, embedder, CHUNKING) as writer:
        _add_more(writer, embedder)  # would compact; closed without a commit
    assert snapshot(index_dir, embedder) == before


@pytest.mark.parametrize("name", [BASE_FILE, META_FILE])
def test_a_damaged_level_is_named(
    tmp_path: Path, embedder: FakeEmbedder, small_levels: None, name: str
) -> None:
    index_dir = tmp_path / "index"
    _apply(index_dir, embedder, _build)
    _apply(index_dir, embedder, _remove_and_change)
    path = current_dir(index_dir) / name
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(IndexStoreError, match="is damaged") as caught:
        open_local_index(index_dir, verify="full")
    assert str(path) in caught.value.message
    # Not a database at all, with the checksums made to agree: still named.
    path.write_bytes(b"not a database " * 100)
    refresh_manifest(current_dir(index_dir))
    with pytest.raises(IndexStoreError, match=r"not a valid index database|cannot be") as caught:
        open_local_index(index_dir, verify="full")
    assert str(path) in caught.value.message
    assert os.path.exists(path)


def test_a_base_of_an_older_schema_is_rewritten_by_the_next_write(
    tmp_path: Path, embedder: FakeEmbedder, small_levels: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    index_dir = tmp_path / "index"
    _apply(index_dir, embedder, _build)
    _apply(index_dir, embedder, _remove_and_change)
    before = snapshot(index_dir, embedder)
    old_base = (current_dir(index_dir) / BASE_FILE).stat().st_ino
    # A later semsearch adds a column: the delta is upgraded, the base must be rewritten.
    later = (*schema.UPGRADES, ("a_later_column", "ALTER TABLE documents ADD COLUMN later TEXT;"))
    monkeypatch.setattr(schema, "UPGRADES", later)
    with open_writer(index_dir, embedder, CHUNKING) as writer:
        writer.update_file_state("d5", FileState("/abs/d5.txt", 100, 2))
        writer.commit().close()
    generation = current_dir(index_dir)
    assert (generation / BASE_FILE).stat().st_ino != old_base
    for name in (BASE_FILE, META_FILE):
        db = sqlite3.connect(generation / name)
        assert db.execute("PRAGMA user_version").fetchone() == (len(later),)
        assert "later" in [row[1] for row in db.execute("PRAGMA table_info(documents)")]
        db.close()
    after = snapshot(index_dir, embedder)
    assert after["files"] != before["files"]
    assert {key: value for key, value in after.items() if key not in ("files", "scoped")} == {
        key: value for key, value in before.items() if key not in ("files", "scoped")
    }


def test_a_merge_of_base_segments_is_one_row_of_the_delta(
    tmp_path: Path, embedder: FakeEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    single, levelled = tmp_path / "single", tmp_path / "levelled"
    for step in STEPS[:-1]:
        _apply(single, embedder, step)
        with monkeypatch.context() as patch:
            # Compacted by the build only: the merge of the last step stays in the delta.
            patch.setattr(catalog_levels, "COMPACT_MIN_ROWS", 4 if step is _build else 1000)
            _apply(levelled, embedder, step)
    delta = sqlite3.connect(current_dir(levelled) / META_FILE)
    moved = delta.execute("SELECT old, new FROM moved_segments").fetchall()
    delta.close()
    assert moved and moved[0][0] == "seg-000001"  # the build's segment, merged away
    assert snapshot(levelled, embedder) == snapshot(single, embedder)
    # The next writes read the moved rows (and take them over) as they are now.
    _apply(single, embedder, _regroup)
    _apply(levelled, embedder, _regroup)
    assert snapshot(levelled, embedder) == snapshot(single, embedder)
    # And a compaction applies the moves to the new base.
    monkeypatch.setattr(catalog_levels, "COMPACT_MIN_ROWS", 0)
    _apply(single, embedder, _touch)
    _apply(levelled, embedder, _touch)
    assert _levels(levelled) == (True, 0)
    assert snapshot(levelled, embedder) == snapshot(single, embedder)
