"""The same search on both engines: the seed articles indexed by the indexer into the local engine
and into Qdrant (local mode), then every search mode with and without filters and collapsing,
before and after an update that adds, changes and deletes articles. Hits must be the same chunks
in the same order, with the same scores, context and highlights.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakes import FakeEmbedder

from semsearch import indexing
from semsearch.search import MODES, Searcher
from semsearch.storage import EngineConfig, SearchIndex, open_index

REPO = Path(__file__).resolve().parents[2]
SEEDS = sorted((REPO / "seeds").glob("*.txt"))
QUERIES = ("焦裕禄干部学院建设得怎么样?", "开福区为什么说人人都是火炬手", "蘭考如何實現脫貧摘帽")


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """Four of the five seed articles (the fifth is added by the update)."""
    folder = Path(shutil.copytree(REPO / "seeds", tmp_path / "corpus"))
    (folder / SEEDS[4].name).unlink()
    return folder


@pytest.fixture
def engines(tmp_path: Path) -> dict[str, tuple[Path, str | EngineConfig]]:
    qdrant = EngineConfig("qdrant", qdrant_url=":memory:")
    return {
        "local": (tmp_path / "index", "local"),
        "qdrant": (tmp_path / f"news-{tmp_path.name}", qdrant),
    }


def index_everywhere(
    engines: dict[str, tuple[Path, str | EngineConfig]], corpus: Path, embedder: FakeEmbedder
) -> Iterator[tuple[str, SearchIndex]]:
    for name, (index_dir, engine) in engines.items():
        indexing.update([corpus], index_dir, embedder, engine=engine)
        yield name, open_index(index_dir, engine=engine)


def searches(reader: SearchIndex, embedder: FakeEmbedder) -> list[tuple[object, ...]]:
    searcher = Searcher(reader, embedder)
    first_doc = min(d.doc_id for d in reader.documents())
    variants = [
        {},
        {"collapse": True},
        {"doc_ids": [first_doc]},
        {"date_from": "2019-01-01", "date_to": "2021-12-31"},
    ]
    found = []
    for query in QUERIES:
        for mode in MODES:
            for variant in variants:
                result = searcher.search(query, k=5, mode=mode, **variant)  # type: ignore[arg-type]
                found.append(
                    (
                        query,
                        mode,
                        tuple(sorted(variant)),
                        [
                            (h.chunk_id, round(h.score, 5), h.context_before, h.highlights)
                            for h in result.hits
                        ],
                    )
                )
    return found


def compare(readers: dict[str, SearchIndex], embedder: FakeEmbedder) -> None:
    local, qdrant = readers["local"], readers["qdrant"]
    assert (qdrant.document_count, qdrant.chunk_count) == (local.document_count, local.chunk_count)
    assert qdrant.documents() == local.documents()
    assert qdrant.chunk_ids().tolist() == local.chunk_ids().tolist()
    expected = searches(local, embedder)
    assert any(hits for *_, hits in expected)
    assert searches(qdrant, embedder) == expected


def test_both_engines_rank_alike_through_build_and_update(
    corpus: Path, engines: dict[str, tuple[Path, str | EngineConfig]], embedder: FakeEmbedder
) -> None:
    readers = dict(index_everywhere(engines, corpus, embedder))
    assert readers["qdrant"].has_sentence_vectors
    compare(readers, embedder)
    for reader in readers.values():
        reader.close()

    changed = sorted(corpus.iterdir())
    changed[0].write_text(changed[0].read_text(encoding="utf-8") + "\n兰考县新建了一座图书馆。\n")
    changed[1].unlink()
    shutil.copy(SEEDS[4], corpus / SEEDS[4].name)
    readers = dict(index_everywhere(engines, corpus, embedder))
    compare(readers, embedder)
    for reader in readers.values():
        reader.close()
