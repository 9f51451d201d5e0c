"""Fixtures of the storage tests: the FakeEmbedder and a small index of three articles."""

from __future__ import annotations

from pathlib import Path

import pytest
from fakes import FakeEmbedder

from semsearch.ingest import SkippedFile
from semsearch.storage import open_writer

from .helpers import ARTICLES, CHUNKING, add


@pytest.fixture
def embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture
def index_dir(tmp_path: Path, embedder: FakeEmbedder) -> Path:
    """An index with the three articles and one skipped file, in generation 1."""
    directory = tmp_path / "index"
    with open_writer(directory, embedder, CHUNKING) as writer:
        for doc_id in ARTICLES:
            add(writer, embedder, doc_id)
        writer.set_sources(
            ["/abs"], [SkippedFile("corpus/photo.jpg", "unsupported file type .jpg")]
        )
        writer.commit().close()
    return directory
