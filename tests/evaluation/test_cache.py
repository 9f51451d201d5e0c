"""Tests of the vector cache: each text is embedded once per model, kinds kept apart."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from fakes import FakeEmbedder

from semsearch.evaluation import CachedEmbedder


def test_cached_embedder_embeds_each_text_once_and_returns_the_same_vectors(
    tmp_path: Path,
) -> None:
    model = FakeEmbedder()
    cache = CachedEmbedder(model, cache_dir=tmp_path)
    first = cache.embed_passages(["北京", "上海", "北京"])
    assert model.texts_embedded == 2
    np.testing.assert_allclose(first, model.embed_passages(["北京", "上海", "北京"]))
    model.texts_embedded = 0
    again = CachedEmbedder(model, cache_dir=tmp_path)
    np.testing.assert_array_equal(again.embed_passages(["上海", "北京"]), first[[1, 0]])
    assert model.texts_embedded == 0
    # Queries are cached apart from passages: the model prefixes them differently.
    again.embed_queries(["北京"])
    assert model.texts_embedded == 1
    assert again.embed_queries([]).shape == (0, model.dimension)
    cache.close()
    again.close()


def test_cache_files_are_per_model_fingerprint(tmp_path: Path) -> None:
    one = CachedEmbedder(FakeEmbedder(model_id="one"), cache_dir=tmp_path)
    two = CachedEmbedder(FakeEmbedder(model_id="two"), cache_dir=tmp_path)
    assert one.path != two.path
    one.close()
    two.close()


def test_a_lookup_of_more_texts_than_one_statement_binds_finds_them_all(tmp_path: Path) -> None:
    model = FakeEmbedder(dimension=8)
    cache = CachedEmbedder(model, cache_dir=tmp_path)
    texts = [f"第{number}段" for number in range(1200)]  # three batches of bound keys
    first = cache.embed_passages(texts)
    embedded = model.texts_embedded
    np.testing.assert_array_equal(cache.embed_passages(texts[::-1]), first[::-1])
    assert model.texts_embedded == embedded and cache.hits == len(texts)
    cache.close()
