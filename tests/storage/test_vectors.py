"""Tests of the local vector index: exact below a size, IVF above, ids kept across switches."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import faiss
import numpy as np
import pytest
from fakes import FakeEmbedder

from semsearch.storage import ChunkFilter, embed_key, open_index, open_writer
from semsearch.storage.local import vectors
from semsearch.storage.local.vectors import exact_search, index_search, ivf_cells, ivf_nprobe

from .helpers import CHUNKING, add, current_dir


def _many_paragraphs(count: int, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    words = list("国家经济体育天气新闻市场城市政府公司学校医院银行科技文化历史教育交通能源农业")
    return ["".join(rng.choice(words, size=12)) + f"{seed}-{i}" for i in range(count)]


def _vector_index(index_dir: Path) -> dict:
    return json.loads((current_dir(index_dir) / "manifest.json").read_text())["vector_index"]


def test_cells_and_probes_follow_the_size() -> None:
    assert ivf_cells(100) == 256 and ivf_cells(1_000_000) == 1000 and ivf_cells(10**8) == 4096
    assert ivf_nprobe(256) == 32 and ivf_nprobe(4096) == 128


@pytest.fixture
def lower(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Lower the size thresholds of the vector index policy for one test."""

    def set_thresholds(**values: int) -> None:
        for name, value in values.items():
            monkeypatch.setattr(vectors, name, value)

    return set_thresholds


def test_a_large_index_switches_to_ivf_and_back_keeping_ids(
    tmp_path: Path, embedder: FakeEmbedder, lower: Callable[..., None]
) -> None:
    # Thresholds lowered: 300 chunks make an IVF index (sqrt(300) ≈ 17 → at least 8 cells).
    lower(
        APPROXIMATE_MIN_CHUNKS=300,
        EXACT_MAX_CHUNKS=150,
        IVF_MIN_CELLS=8,
        IVF_TRAINING_POINTS_PER_CELL=39,
    )
    directory = tmp_path / "index"
    with open_writer(directory, embedder, CHUNKING) as writer:
        for number in range(4):
            add(writer, embedder, f"doc{number}", paragraphs=_many_paragraphs(60, number))
        writer.commit().close()
    assert _vector_index(directory) == {"type": "flat"}

    with open_writer(directory, embedder, CHUNKING) as writer:
        add(writer, embedder, "doc4", paragraphs=_many_paragraphs(80, 4))
        writer.commit().close()
    reader = open_index(directory)
    assert reader.chunk_count == 320
    assert isinstance(reader._vectors, faiss.IndexIVFFlat)
    info = _vector_index(directory)
    assert info["type"] == "ivf-flat" and info["trained_on"] == 320 and info["cells"] == 18

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

    # Updates work on the IVF index (removal and addition, ids kept), then it shrinks back.
    with open_writer(directory, embedder, CHUNKING) as writer:
        writer.remove_document("doc0")
        new_ids = add(writer, embedder, "doc9", paragraphs=["央行宣布下调存款准备金率。"])
        writer.commit().close()
    reader = open_index(directory)
    assert reader.chunk_count == 261 and _vector_index(directory)["type"] == "ivf-flat"
    probe = embedder.embed_passages(["标题doc9\n央行宣布下调存款准备金率。"])[0]
    assert reader.dense_search(probe, 1)[0][0] == new_ids[0]
    assert reader.chunk_ids(doc2_filter).tolist() == doc2.tolist()

    with open_writer(directory, embedder, CHUNKING) as writer:
        for number in (1, 2):
            writer.remove_document(f"doc{number}")
        writer.commit().close()
    reader = open_index(directory)
    assert reader.chunk_count == 141 and _vector_index(directory) == {"type": "flat"}
    assert reader.dense_search(probe, 1)[0][0] == new_ids[0]


def test_ivf_cells_are_retrained_when_the_index_has_doubled(
    tmp_path: Path, embedder: FakeEmbedder, lower: Callable[..., None]
) -> None:
    lower(APPROXIMATE_MIN_CHUNKS=200, EXACT_MAX_CHUNKS=100, IVF_MIN_CELLS=4)
    directory = tmp_path / "index"
    with open_writer(directory, embedder, CHUNKING) as writer:
        add(writer, embedder, "first", paragraphs=_many_paragraphs(250, 10))
        writer.commit().close()
    assert _vector_index(directory)["trained_on"] == 250
    with open_writer(directory, embedder, CHUNKING) as writer:
        add(writer, embedder, "second", paragraphs=_many_paragraphs(100, 11))
        writer.commit().close()
    assert _vector_index(directory)["trained_on"] == 250  # grown, but not twice as large
    with open_writer(directory, embedder, CHUNKING) as writer:
        add(writer, embedder, "third", paragraphs=_many_paragraphs(200, 12))
        writer.commit().close()
    info = _vector_index(directory)
    assert info["trained_on"] == 550 and info["cells"] == 23  # round(sqrt(550))
    reader = open_index(directory)
    # A filter naming an id that is not in the index falls back to the filtered index search.
    third = reader.chunk_ids(ChunkFilter(doc_ids=("third",)))
    wanted = np.append(third[:3], 10**9)
    probe = embedder.embed_passages(["标题third\n" + _many_paragraphs(200, 12)[1]])[0]
    assert exact_search(reader._vectors, probe, 2, wanted) is None
    hits = index_search(reader._vectors, probe.reshape(1, -1), 2, wanted)
    assert hits[0][0] == int(third[1]) and {i for i, _ in hits} <= set(third[:3].tolist())
