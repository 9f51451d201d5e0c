"""Tests of the local vector indexes: exact below a size, IVF above, per segment, ids kept."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import faiss
import numpy as np
import pytest
from fakes import FakeEmbedder

from semsearch.storage import ChunkFilter, embed_key, open_index, open_writer
from semsearch.storage.local import merge_policy, vectors
from semsearch.storage.local.vectors import best_first, index_search, ivf_cells, ivf_nprobe

from .helpers import CHUNKING, add


def _many_paragraphs(count: int, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    words = list("国家经济体育天气新闻市场城市政府公司学校医院银行科技文化历史教育交通能源农业")
    return ["".join(rng.choice(words, size=12)) + f"{seed}-{i}" for i in range(count)]


def test_cells_and_probes_follow_the_size() -> None:
    assert ivf_cells(100) == 256 and ivf_cells(1_000_000) == 1000 and ivf_cells(10**8) == 4096
    assert ivf_nprobe(256) == 32 and ivf_nprobe(4096) == 128


def test_segments_are_approximate_from_100k_chunks() -> None:
    # A product decision (issue 17 item 3): at 100k an exact search of every vector cost most of
    # a hybrid query; IVF with 316 cells and nprobe 32 keeps recall@10 at 0.978 on the 100k
    # synthetic index (docs/performance.md, "Approximate vector search").
    assert vectors.APPROXIMATE_MIN_CHUNKS == 100_000
    assert ivf_cells(100_000) == 316 and ivf_nprobe(ivf_cells(100_000)) == 32


def test_best_first_breaks_ties_by_the_lower_id() -> None:
    ids = np.array([9, 3, 7, 5], dtype=np.int64)
    scores = np.array([0.5, 0.9, 0.5, 0.1], dtype=np.float32)
    assert best_first(ids, scores, 3) == [(3, pytest.approx(0.9)), (7, 0.5), (9, 0.5)]
    assert best_first(ids, scores, 0) == []


@pytest.fixture
def lower(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Lower the size thresholds of the vector index policy for one test."""

    def set_thresholds(**values: int) -> None:
        for name, value in values.items():
            monkeypatch.setattr(vectors, name, value)

    return set_thresholds


def test_a_large_segment_is_ivf_and_updates_beside_it_keep_ids(
    tmp_path: Path, embedder: FakeEmbedder, lower: Callable[..., None]
) -> None:
    # Thresholds lowered: a segment of 300 chunks is IVF (sqrt(320) ≈ 18 cells, at least 8).
    lower(APPROXIMATE_MIN_CHUNKS=300, IVF_MIN_CELLS=8, IVF_TRAINING_POINTS_PER_CELL=39)
    directory = tmp_path / "index"
    with open_writer(directory, embedder, CHUNKING) as writer:
        for number in range(4):
            add(writer, embedder, f"doc{number}", paragraphs=_many_paragraphs(80, number))
        writer.commit().close()
    reader = open_index(directory)
    assert reader.chunk_count == 320
    (segment,) = reader.segments.segments
    assert isinstance(segment.vectors, faiss.IndexIVFFlat)
    info = reader.manifest.vector_index
    assert info == {"type": "ivf-flat", "cells": 18, "nprobe": 18, "trained_on": 320}

    # Every chunk is still found by its own vector (recall of the approximate index), and a
    # filtered search is exact over the allowed chunks.
    rows = reader.chunk_texts()
    ids, passages = zip(*((cid, f"{title}\n{text}") for cid, title, text in rows), strict=True)
    queries = embedder.embed_passages(list(passages))
    found = [reader.dense_search(vector, 10)[0][0] for vector in queries]
    assert np.mean(np.array(found) == np.array(ids)) >= 0.95
    doc2_filter = ChunkFilter(doc_ids=("doc2",))
    doc2 = reader.chunk_ids(doc2_filter)
    filtered = reader.dense_search(queries[0], 5, doc2_filter)
    exact = np.sort(queries[[ids.index(int(i)) for i in doc2]] @ queries[0])[::-1][:5]
    np.testing.assert_allclose([score for _, score in filtered], exact, atol=1e-5)
    assert {chunk_id for chunk_id, _ in filtered} <= set(doc2.tolist())
    key = embed_key(embedder.fingerprint, passages[5])
    np.testing.assert_allclose(reader.vectors_for_keys([key])[key], queries[5], atol=1e-6)

    # An update adds an exact segment beside it and tombstones in it; ids are kept.
    with open_writer(directory, embedder, CHUNKING) as writer:
        writer.remove_document("doc0")
        new_ids = add(writer, embedder, "doc9", paragraphs=["央行宣布下调存款准备金率。"])
        writer.commit().close()
    reader = open_index(directory)
    assert reader.chunk_count == 241
    assert [s.vectors.ntotal for s in reader.segments.segments] == [320, 1]
    assert isinstance(reader.segments.segments[1].vectors, faiss.IndexIDMap2)
    probe = embedder.embed_passages(["标题doc9\n央行宣布下调存款准备金率。"])[0]
    assert reader.dense_search(probe, 1)[0][0] == new_ids[0]
    assert reader.chunk_ids(doc2_filter).tolist() == doc2.tolist()
    removed = set(ids[:80])
    for vector in queries[:80:10]:  # the removed chunks' own vectors find other chunks
        assert not removed & {i for i, _ in reader.dense_search(vector, 20)}
    assert np.isnan(reader.dense_scores(queries[0], np.array([ids[0]]))).all()


def test_a_merged_segment_is_trained_anew_and_goes_back_to_exact_when_small(
    tmp_path: Path,
    embedder: FakeEmbedder,
    lower: Callable[..., None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lower(APPROXIMATE_MIN_CHUNKS=200, IVF_MIN_CELLS=4)
    directory = tmp_path / "index"
    with open_writer(directory, embedder, CHUNKING) as writer:
        add(writer, embedder, "first", paragraphs=_many_paragraphs(250, 10))
        add(writer, embedder, "second", paragraphs=_many_paragraphs(100, 11))
        writer.commit().close()
    assert open_index(directory).manifest.vector_index["trained_on"] == 350
    # Removing most of it makes the segment worth rewriting: 100 chunks, exact again.
    with open_writer(directory, embedder, CHUNKING) as writer:
        writer.remove_document("first")
        writer.commit().close()
    reader = open_index(directory)
    assert reader.manifest.vector_index == {"type": "flat"}
    assert [s.deleted.size for s in reader.segments.segments] == [0]
    # Four segments of one tier are merged into one, trained on all of them.
    monkeypatch.setattr(merge_policy, "SMALLEST_TIER_CHUNKS", 1000)
    for number in range(3):
        with open_writer(directory, embedder, CHUNKING) as writer:
            add(writer, embedder, f"more{number}", paragraphs=_many_paragraphs(50, 20 + number))
            writer.commit().close()
    reader = open_index(directory)
    assert len(reader.segments.segments) == 1 and reader.chunk_count == 250
    assert reader.manifest.vector_index["trained_on"] == 250
    third = reader.chunk_ids(ChunkFilter(doc_ids=("more2",)))
    probe = embedder.embed_passages(["标题more2\n" + _many_paragraphs(50, 22)[1]])[0]
    hits = index_search(
        reader.segments.segments[0].vectors, probe.reshape(1, -1), 2, allowed=third[:3]
    )
    assert hits[0][0] == int(third[1]) and {i for i, _ in hits} <= set(third[:3].tolist())


def test_faiss_is_imported_only_when_vectors_are_used() -> None:
    import subprocess
    import sys

    check = (
        "import sys; import semsearch.storage.local, semsearch.indexing; "
        "assert 'faiss' not in sys.modules; "
        "from semsearch.storage.local.vectors import load_faiss; "
        "assert load_faiss().omp_get_max_threads() == 1"
    )
    subprocess.run([sys.executable, "-c", check], check=True)
