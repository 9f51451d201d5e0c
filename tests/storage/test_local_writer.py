"""Tests of the local writer: ids, commits, sentence vectors, rebuilds and old-format indexes."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest
from fakes import FakeEmbedder

from semsearch import lexical
from semsearch.errors import IndexStoreError
from semsearch.ingest import SkippedFile
from semsearch.storage import ChunkFilter, open_index, open_writer
from semsearch.storage.local.generations import META_FILE
from semsearch.storage.local.schema import UPGRADES

from .helpers import (
    CHUNKING,
    add,
    current_dir,
    generation_dirs,
    make_old_format,
    refresh_manifest,
)


def test_sentence_vectors_are_recorded_only_when_every_chunk_has_them(
    index_dir: Path, embedder: FakeEmbedder
) -> None:
    # The fixture's writer added chunks but no sentence vectors: the manifest says so.
    reader = open_index(index_dir)
    assert reader.manifest.sentence_vectors is None and not reader.has_sentence_vectors
    ids = reader.chunk_ids().tolist()
    assert reader.sentence_vectors(ids) == {}
    reader.close()
    with open_writer(index_dir, embedder, CHUNKING) as writer:
        writer.clear_sentence_vectors()  # the indexer's "sentence_vectors" upgrade
        missing = writer.chunks_without_sentence_vectors()
        assert len(missing) == len(ids)  # every stored chunk text, once
        vectors = {
            key: embedder.embed_passages([f"{title}\n{text}", text]) for key, title, text in missing
        }
        vectors[missing[0][0]] = np.zeros((0, embedder.dimension), dtype=np.float32)
        writer.add_sentence_vectors(vectors)
        assert writer.chunks_without_sentence_vectors() == []
        reader = writer.commit()
    assert reader.has_sentence_vectors and reader.manifest.sentence_vectors == {"version": 1}
    stored = reader.sentence_vectors(ids)
    assert len(stored) == len(ids) - 1  # the empty row means "one sentence": no vectors
    chunk = reader.chunks([next(iter(stored))])[0]
    expected = embedder.embed_passages([f"{chunk.title}\n{chunk.text}", chunk.text])
    np.testing.assert_allclose(stored[chunk.chunk_id], expected, atol=2e-3)  # float16
    reader.close()
    # A later write that adds a chunk without them records the index as incomplete again.
    with open_writer(index_dir, embedder, CHUNKING) as writer:
        assert writer.chunks_without_sentence_vectors() == []  # nothing added yet
        add(writer, embedder, "new", paragraphs=["新的段落。第二句。"])
        assert [text for _, _, text in writer.chunks_without_sentence_vectors()] == [
            "新的段落。第二句。"
        ]
        reader = writer.commit()
    assert not reader.has_sentence_vectors
    reader.close()


def test_sentence_vectors_of_an_old_version_are_not_recorded_as_current(
    index_dir: Path, embedder: FakeEmbedder
) -> None:
    # Without the upgrade, the rows there are of an unknown version: never recorded as current.
    with open_writer(index_dir, embedder, CHUNKING) as writer:
        missing = writer.chunks_without_sentence_vectors()
        writer.add_sentence_vectors({key: np.zeros((0, 64), np.float32) for key, _, _ in missing})
        reader = writer.commit()
    assert reader.manifest.sentence_vectors is None
    with pytest.raises(ValueError, match="shape"), open_writer(index_dir, embedder, CHUNKING) as w:
        w.add_sentence_vectors({"key": np.zeros((2, 3), np.float32)})


def test_update_keeps_ids_stable_and_never_reuses_them(
    index_dir: Path, embedder: FakeEmbedder
) -> None:
    before = open_index(index_dir)
    sport_ids = before.chunk_ids(ChunkFilter(doc_ids=("sport",))).tolist()
    highest = int(before.chunk_ids().max())
    with open_writer(index_dir, embedder, CHUNKING) as writer:
        assert writer.remove_document("econ") == 2
        new_ids = add(writer, embedder, "econ", paragraphs=["央行宣布下调存款准备金率。"])
        writer.commit().close()
    after = open_index(index_dir)
    assert after.generation == "gen-000002"
    assert (after.document_count, after.chunk_count) == (3, 6)
    assert after.chunk_ids(ChunkFilter(doc_ids=("sport",))).tolist() == sport_ids
    assert new_ids == [highest + 1]
    assert after.keyword_search(lexical.tokenize_query("准备金"), 1)[0][0] == new_ids[0]
    # The old econ chunks are gone from BM25 too.
    assert after.keyword_search(lexical.tokenize_query("统计局"), 5) == []


def test_closing_without_commit_changes_nothing(index_dir: Path, embedder: FakeEmbedder) -> None:
    with open_writer(index_dir, embedder, CHUNKING) as writer:
        writer.remove_document("sport")
        assert any(".tmp-" in p.name for p in index_dir.iterdir())
    assert generation_dirs(index_dir) == ["gen-000001"]
    assert open_index(index_dir).document_count == 3


def test_only_changes_count_as_changes(index_dir: Path, embedder: FakeEmbedder) -> None:
    skipped = [SkippedFile("corpus/photo.jpg", "unsupported file type .jpg")]
    with open_writer(index_dir, embedder, CHUNKING) as writer:
        writer.set_sources(["/abs"], skipped, scanned_at_ns=123)
        assert not writer.changed and not any(".tmp-" in p.name for p in index_dir.iterdir())
        assert writer.remove_document("nope") == 0 and not writer.changed
        writer.set_sources(["/abs", "/other"], skipped)
        assert writer.changed
        reader = writer.commit()
    assert reader.manifest.corpus_roots == ["/abs", "/other"]
    assert reader.manifest.scanned_at_ns == 123
    assert reader.skipped_files() == skipped


def test_rebuild_starts_empty_and_keeps_ids_increasing(
    index_dir: Path, embedder: FakeEmbedder
) -> None:
    highest = int(open_index(index_dir).chunk_ids().max())
    with open_writer(index_dir, embedder, CHUNKING, rebuild=True) as writer:
        assert writer.base is None
        ids = add(writer, embedder, "weather")
        writer.commit().close()
    reader = open_index(index_dir)
    assert [d.doc_id for d in reader.documents()] == ["weather"]
    assert min(ids) > highest
    assert reader.skipped_files() == []


def test_empty_index_is_valid(tmp_path: Path, embedder: FakeEmbedder) -> None:
    with open_writer(tmp_path / "index", embedder, CHUNKING) as writer:
        writer.commit().close()
    reader = open_index(tmp_path / "index")
    assert (reader.document_count, reader.chunk_count) == (0, 0)
    assert reader.dense_search(embedder.embed_queries(["经济"])[0], 5) == []
    assert reader.keyword_search(lexical.tokenize_query("经济"), 5) == []


def schema_of(index_dir: Path) -> tuple[int, list[str]]:
    db = sqlite3.connect(current_dir(index_dir) / META_FILE)
    try:
        (version,) = db.execute("PRAGMA user_version").fetchone()
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    finally:
        db.close()
    return version, sorted(tables)


def test_an_old_format_generation_opens_and_an_update_upgrades_it(
    index_dir: Path, embedder: FakeEmbedder
) -> None:
    make_old_format(index_dir)
    old = open_index(index_dir)
    assert old.manifest.format_version == 1 and old.manifest.segments is None
    assert old.chunk_count == 7 and not old.has_sentence_vectors
    assert old.sentence_vectors(old.chunk_ids().tolist()) == {}
    assert schema_of(index_dir) == (0, ["chunks", "documents", "skipped"])
    with open_writer(index_dir, embedder, CHUNKING) as writer:
        add(writer, embedder, "new", paragraphs=["新的段落。"])
        reader = writer.commit()
    assert reader.chunk_count == 8 and reader.document("new").title == "标题new"
    # The catalog went through the remaining upgrades; the records moved to one segment.
    assert schema_of(index_dir) == (
        len(UPGRADES),
        ["base_removed", "base_totals", "documents", "moved_segments", "skipped"],
    )
    assert reader.manifest.format_version == 2 and len(reader.manifest.segments) == 1
    assert reader.document("sport").text == old.document("sport").text
    assert reader.removed_lines("sport") == old.removed_lines("sport")


def test_a_database_from_a_newer_semsearch_is_refused(
    index_dir: Path, embedder: FakeEmbedder
) -> None:
    generation = current_dir(index_dir)
    db = sqlite3.connect(generation / META_FILE)
    db.execute(f"PRAGMA user_version = {len(UPGRADES) + 1}")
    db.commit()
    db.close()
    refresh_manifest(generation)
    assert open_index(index_dir).chunk_count == 7  # readers need no upgrade
    with (
        open_writer(index_dir, embedder, CHUNKING) as writer,
        pytest.raises(IndexStoreError, match="schema version"),
    ):
        writer.remove_document("econ")
