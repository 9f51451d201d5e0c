"""Tests of what every embedder shares: prompts, folding, batching, progress, token counts.

:class:`FakeBatchEmbedder` implements only the batch call and the raw token count, as a backend
does, and records what the base class hands it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from semsearch.embed.base import (
    QUERY_BATCH_SIZE,
    BaseEmbedder,
    Embedder,
    Prompts,
    TextKind,
    fold_texts,
    folded_fingerprint,
)


class FakeBatchEmbedder(BaseEmbedder[str]):
    """Embeds a text as (its length, its first character's code, 1 for queries), normalized."""

    backend = "fake"

    def __init__(self, fold_scripts: bool = True) -> None:
        super().__init__(
            model_id="fake",
            path=Path("fake-model"),  # no files behind this model
            fingerprint="0123456789abcdef",
            dimension=3,
            prompts=Prompts(query="q: ", passage="p: "),
            fold_scripts=fold_scripts,
        )
        self.batches: list[tuple[list[str], str]] = []
        self.limit = 512

    def encode(self, texts: list[str], kind: TextKind) -> list[str]:
        return texts

    def input_length(self, item: str) -> int:
        return len(item)

    def embed_batch(self, texts: list[str], kind: TextKind) -> np.ndarray:
        self.batches.append((list(texts), kind))
        rows = [
            [len(text), ord(text[0]) if text else 0, 1.0 if kind == "query" else 0.0]
            for text in texts
        ]
        vectors = np.array(rows, dtype=np.float32) + 1e-3
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)

    def count_tokens(self, prompted: list[str]) -> list[int]:
        return [len(text) + 2 for text in prompted]  # one character a token, plus two specials

    def _get_max_seq_length(self) -> int:
        return self.limit

    def _set_max_seq_length(self, value: int) -> None:
        self.limit = value


@pytest.mark.parametrize(
    ("configured", "expected"),
    [
        ({"query": "query: ", "passage": "passage: "}, Prompts("query: ", "passage: ")),
        ({"query": "q: ", "document": "d: "}, Prompts("q: ", "d: ")),
        ({"query": "q: ", "passage": "p: ", "document": "d: "}, Prompts("q: ", "p: ")),
        ({"query": "", "document": ""}, Prompts("", "")),
        ({"classification": "c: "}, Prompts("", "")),
        (None, Prompts("", "")),
    ],
)
def test_prompts_come_from_the_models_own_configuration(
    configured: dict[str, str] | None, expected: Prompts
) -> None:
    assert Prompts.from_model_config(configured) == expected


def test_a_backend_writing_only_the_batch_call_is_an_embedder() -> None:
    fake = FakeBatchEmbedder()
    assert isinstance(fake, Embedder)
    assert fake.fingerprint == folded_fingerprint("0123456789abcdef")
    assert FakeBatchEmbedder(fold_scripts=False).fingerprint == "0123456789abcdef"
    assert Prompts("q: ", "p: ").for_kind("query") == "q: "
    assert Prompts("q: ", "p: ").for_kind("passage") == "p: "


def test_texts_are_batched_longest_first_and_returned_in_input_order() -> None:
    fake = FakeBatchEmbedder()
    texts = ["bb", "a", "dddd", "ccc", "eeeee"]
    vectors = fake.embed_passages(texts, batch_size=2)
    assert [batch for batch, _kind in fake.batches] == [["eeeee", "dddd"], ["ccc", "bb"], ["a"]]
    assert all(kind == "passage" for _batch, kind in fake.batches)
    assert vectors.dtype == np.float32 and vectors.shape == (5, 3)
    one_by_one = np.vstack([fake.embed_passages([text]) for text in texts])
    np.testing.assert_array_equal(vectors, one_by_one)


def test_progress_is_reported_once_per_batch() -> None:
    fake = FakeBatchEmbedder()
    reported: list[int] = []
    fake.embed_passages(["x"] * 7, batch_size=3, progress=reported.append)
    assert reported == [3, 3, 1]
    reported.clear()
    fake.embed_queries(["x"] * (QUERY_BATCH_SIZE + 1), progress=reported.append)
    assert reported == [QUERY_BATCH_SIZE, 1]
    assert fake.batches[-1][1] == "query"


def test_texts_are_folded_to_simplified_unless_asked_not_to() -> None:
    fake = FakeBatchEmbedder()
    fake.embed_queries(["體育新聞"])
    assert fake.batches == [(["体育新闻"], "query")]
    raw = FakeBatchEmbedder(fold_scripts=False)
    raw.embed_queries(["體育新聞"])
    assert raw.batches == [(["體育新聞"], "query")]
    assert fold_texts(["體育", "abc", ""]) == ["体育", "abc", ""]


def test_token_counts_include_the_prompt_of_the_kind() -> None:
    fake = FakeBatchEmbedder()
    assert fake.token_counts(["體育", ""]) == [len("p: 体育") + 2, len("p: ") + 2]
    assert fake.token_counts(["ab"], kind="query") == [len("q: ab") + 2]
    assert fake.batches == []  # counting embeds nothing


def test_empty_input_a_lone_string_and_a_bad_batch_size() -> None:
    fake = FakeBatchEmbedder()
    empty = fake.embed_passages([])
    assert empty.shape == (0, 3) and empty.dtype == np.float32
    assert fake.batches == []  # the model is never called for nothing
    for call in (fake.embed_queries, fake.embed_passages, fake.token_counts, fold_texts):
        with pytest.raises(TypeError, match="single string"):
            call("北京")
    with pytest.raises(ValueError, match="batch_size must be at least 1, got 0"):
        fake.embed_passages(["a"], batch_size=0)


def test_max_seq_length_is_checked_before_the_backend_sees_it() -> None:
    fake = FakeBatchEmbedder()
    fake.max_seq_length = 64
    assert fake.max_seq_length == 64 == fake.limit
    with pytest.raises(ValueError, match="max_seq_length must be at least 1, got 0"):
        fake.max_seq_length = 0
    assert fake.limit == 64


def test_long_texts_share_a_batch_with_fewer_others_than_short_ones() -> None:
    fake = FakeBatchEmbedder()
    fake.batch_tokens = 12
    texts = ["x" * 6, "y" * 6, "z" * 6, "a", "b", "c", "d"]
    vectors = fake.embed_passages(texts, batch_size=5)
    # Padded size = texts × the longest: at most 12 "tokens" a batch, at most 5 texts.
    assert [batch for batch, _kind in fake.batches] == [
        ["x" * 6, "y" * 6],
        ["z" * 6, "a"],
        ["b", "c", "d"],
    ]
    np.testing.assert_array_equal(vectors, np.vstack([fake.embed_passages([t]) for t in texts]))


def test_parallel_batches_give_the_same_rows_in_input_order() -> None:
    serial, parallel = FakeBatchEmbedder(), FakeBatchEmbedder()
    parallel.parallel_batches = 2
    texts = [chr(0x4E00 + number) * (1 + number % 7) for number in range(50)]
    reported: list[int] = []
    together = parallel.embed_passages(texts, batch_size=4, progress=reported.append)
    np.testing.assert_array_equal(together, serial.embed_passages(texts, batch_size=4))
    assert sum(reported) == 50 and len(reported) == len(parallel.batches) == 13


class AheadEmbedder(FakeBatchEmbedder):
    """A FakeBatchEmbedder whose inputs can be made ahead; notes every encoding and release."""

    encodes_ahead = True

    def __init__(self) -> None:
        super().__init__()
        self.encoded: list[tuple[list[str], str]] = []
        self.releases = 0

    def encode(self, texts: list[str], kind: TextKind) -> list[str]:
        self.encoded.append((list(texts), kind))
        return texts

    def release_tokenizer(self) -> None:
        self.releases += 1


def test_texts_encoded_ahead_are_not_encoded_again_and_embed_the_same() -> None:
    ahead, plain = AheadEmbedder(), FakeBatchEmbedder()
    texts = ["北京", "臺灣的天氣", "北京", "上海"]
    ahead.encode_ahead(texts)
    # Folded once, each distinct text once, then the tokenizer is released.
    assert ahead.encoded == [(["北京", "台湾的天气", "上海"], "passage")] and ahead.releases == 1
    ahead.encoded.clear()
    np.testing.assert_array_equal(ahead.embed_passages(texts), plain.embed_passages(texts))
    assert ahead.encoded == []
    # Another text, or the same text as a query, is encoded when embedded.
    mixed = ["上海", "广州"]
    np.testing.assert_array_equal(ahead.embed_passages(mixed), plain.embed_passages(mixed))
    np.testing.assert_array_equal(ahead.embed_queries(["北京"]), plain.embed_queries(["北京"]))
    assert ahead.encoded == [(["广州"], "passage"), (["北京"], "query")]


def test_inputs_made_ahead_are_forgotten_on_unload_and_on_a_new_length_limit() -> None:
    fake = AheadEmbedder()
    fake.encode_ahead(["北京"])
    fake.unload()
    fake.embed_passages(["北京"])
    fake.encode_ahead(["上海"])
    fake.max_seq_length = 64
    fake.embed_passages(["上海"])
    assert [texts for texts, _kind in fake.encoded] == [["北京"], ["北京"], ["上海"], ["上海"]]


def test_a_backend_tokenizing_in_its_batch_call_encodes_nothing_ahead() -> None:
    fake = FakeBatchEmbedder()
    fake.encode_ahead(["北京", "上海"])
    assert len(fake._ahead) == 0
    with pytest.raises(TypeError):
        fake.encode_ahead("北京")
