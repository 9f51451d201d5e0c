"""The synthetic benchmark indexes (bench/synthetic.py) are written by the product's writer.

So the 100k/1M latency figures are measured on indexes the product would write: same schema,
manifest, vector index kind and publishing; the product's reader opens them.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from fakes import FakeEmbedder

from semsearch import lexical
from semsearch.storage import open_index
from semsearch.storage.local import vectors

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import synthetic


def base_material(embedder: FakeEmbedder) -> synthetic.BaseMaterial:
    """A small stand-in for cmrc2018_chunks: twelve chunks, their vectors and token ids."""
    titles = [f"标题{i}" for i in range(12)]
    texts = [f"第{i}篇新闻报道了城市交通和经济发展的情况。记者走访了{i}个社区。" for i in range(12)]
    passages = [f"{title}\n{text}" for title, text in zip(titles, texts, strict=True)]
    vocabulary: dict[str, int] = {}
    token_ids = [
        np.array([vocabulary.setdefault(t, len(vocabulary)) for t in lexical.tokenize(p)], np.int32)
        for p in passages
    ]
    return synthetic.BaseMaterial(
        titles, texts, embedder.embed_passages(passages), token_ids, vocabulary
    )


@pytest.mark.parametrize("approximate", [False, True], ids=["flat", "ivf"])
def test_a_synthetic_index_opens_with_the_product_reader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, approximate: bool
) -> None:
    if approximate:
        monkeypatch.setattr(vectors, "APPROXIMATE_MIN_CHUNKS", 200)
        monkeypatch.setattr(vectors, "IVF_MIN_CELLS", 4)
    embedder = FakeEmbedder()
    timings = synthetic.write_index(tmp_path / "index", 305, embedder, base_material(embedder))
    assert set(timings) == {"vectors", "bm25", "sqlite", "commit"}
    reader = open_index(tmp_path / "index")
    assert (reader.chunk_count, reader.document_count) == (305, 31)
    assert reader.chunk_ids().tolist() == list(range(1, 306))
    assert reader.manifest.next_chunk_id == 306
    assert reader.manifest.extra["synthetic"]["source"] == "cmrc2018_chunks"
    kind = reader.manifest.vector_index
    assert kind is not None and kind["type"] == ("ivf-flat" if approximate else "flat")
    assert reader.has_sentence_vectors
    assert reader.sentence_vectors([1, 305])[305].shape == (3, embedder.dimension)
    chunk = reader.chunks([42])[0]
    assert chunk.doc_id == "synthetic/0000004.txt" and chunk.index == 1
    probe = embedder.embed_passages([f"{chunk.title}\n{chunk.text}"])[0]
    assert reader.dense_search(probe, 5)
    hits = reader.keyword_search(lexical.tokenize_query("交通经济"), 3)
    assert len(hits) == 3 and hits[0][1] > 0
    reader.close()


def test_updates_of_a_synthetic_index_add_segments_and_tombstones(tmp_path: Path) -> None:
    embedder = FakeEmbedder()
    base = base_material(embedder)
    synthetic.write_index(tmp_path / "index", 305, embedder, base)
    seconds = synthetic.apply_updates(tmp_path / "index", 3, embedder, base, chunks=5)
    assert len(seconds) == 3
    reader = open_index(tmp_path / "index")
    assert len(reader.manifest.segments) == 4 and len(reader.segments.deleted) > 0
    assert reader.has_sentence_vectors and reader.document("updates/1-00002.txt").text
    assert reader.chunk_count == 305 + 15 - len(reader.segments.deleted)
    hits = reader.keyword_search(lexical.tokenize_query("交通经济"), 3)
    assert len(hits) == 3


def test_a_cached_index_of_another_vector_kind_is_written_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A cached synthetic index written before the IVF threshold moved must not be reused, or the
    # latency benchmark would measure the old vector policy.
    monkeypatch.setattr(synthetic, "CACHE_DIR", tmp_path)
    monkeypatch.setattr(synthetic, "load_base", lambda embedder: base_material(embedder))
    embedder = FakeEmbedder()
    index_dir = synthetic.ensure_index(305, embedder)
    assert open_index(index_dir).manifest.vector_index["type"] == "flat"
    assert synthetic.ensure_index(305, embedder) == index_dir  # reused as it is
    monkeypatch.setattr(vectors, "APPROXIMATE_MIN_CHUNKS", 200)
    monkeypatch.setattr(vectors, "IVF_MIN_CELLS", 4)
    assert synthetic.expected_vector_kind(305) == "ivf-flat"
    assert synthetic.ensure_index(305, embedder) == index_dir
    assert open_index(index_dir).manifest.vector_index["type"] == "ivf-flat"
