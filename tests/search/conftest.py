"""Fixtures of the searcher tests: a searcher over the in-memory index, and a real index."""

from __future__ import annotations

from pathlib import Path

import pytest
from fakes import FakeEmbedder

from semsearch.search import Searcher

from .memory_index import MemoryReader, article_documents


@pytest.fixture
def searcher() -> Searcher:
    embedder = FakeEmbedder()
    return Searcher(MemoryReader(embedder), embedder)  # type: ignore[arg-type]


@pytest.fixture
def real_index(tmp_path: Path) -> Path:
    """The same articles in the real local engine, built by the real indexer."""
    from semsearch.indexing import build_from_chunks

    documents, chunks_by_doc = article_documents()
    build_from_chunks(tmp_path / "index", documents, chunks_by_doc, FakeEmbedder())
    return tmp_path / "index"
