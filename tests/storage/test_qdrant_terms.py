"""Keyword tokens as Qdrant sparse vectors: stable term ids, recoverable counts, and BM25 scores
equal to the local engine's to the last bit."""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import numpy as np
import pytest

from semsearch import lexical
from semsearch.lexical import KeywordIndex
from semsearch.storage.qdrant.terms import (
    BIGRAM_BASE,
    EMPTY_TERM,
    HAN_COUNT,
    OTHER_BASE,
    BM25Parameters,
    ChunkTerms,
    StoredTerms,
    chunk_terms,
    exact_scores,
    query_terms,
    recover_counts,
    term_id,
    term_idf,
    term_weights,
)

EVAL = Path(__file__).resolve().parents[2] / "eval"


def test_han_tokens_are_numbered_exactly() -> None:
    assert HAN_COUNT == 28096
    assert [term_id(c) for c in ("\u3400", "\u4dbf", "\u4e00", "\u9fff", "\uf900", "\ufaff")] == [
        0,
        6591,
        6592,
        27583,
        27584,
        28095,
    ]
    assert term_id("一丁") == BIGRAM_BASE + term_id("一") * HAN_COUNT + term_id("丁")
    assert term_id("\ufaff\ufaff") == OTHER_BASE - 1
    assert OTHER_BASE <= term_id("abc") < EMPTY_TERM
    assert OTHER_BASE <= term_id("一a") < EMPTY_TERM  # not two Han characters: hashed
    assert term_id("") == EMPTY_TERM


def test_no_two_tokens_of_the_evaluation_corpora_share_an_id() -> None:
    """Han tokens cannot collide (exact numbers); the hashed ones do not in practice."""
    words: set[str] = set()
    for corpus in EVAL.glob("*/corpus.jsonl"):
        for line in corpus.read_text(encoding="utf-8").splitlines():
            text = unicodedata.normalize("NFKC", json.loads(line)["text"]).lower()
            words.update(re.findall(r"[a-z]+|\d+(?:\.\d+)?", text))
    assert len(words) > 5000
    assert len({term_id(word) for word in words}) == len(words)


def test_stored_weights_give_back_the_counts() -> None:
    parameters = BM25Parameters(0.3, 0.3, 180.0)
    for length in (1, 7, 60, 400, 1000):
        counts = np.arange(1, length + 1)
        terms = ChunkTerms(np.arange(length), counts, length)
        assert (recover_counts(term_weights(terms, parameters), length, parameters) == counts).all()


def test_an_empty_chunk_counts_one_unmatchable_term() -> None:
    terms = chunk_terms([])
    assert terms.ids.tolist() == [EMPTY_TERM] and terms.length == 1
    assert query_terms(["", "冠"]) == [term_id("冠")]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_scores_equal_the_local_engines_bit_for_bit(seed: int) -> None:
    rng = np.random.default_rng(seed)
    texts = [
        "".join(
            rng.choice(list("国家队亚洲杯冠军球员经济增长北京大学ab12"), size=rng.integers(0, 40))
        )
        for _ in range(60)
    ]
    tokens = [lexical.tokenize(text) for text in texts]
    ids = list(range(1, len(texts) + 1))
    local = KeywordIndex()
    local.build(ids, tokens)
    counted = [chunk_terms(t) for t in tokens]
    average = sum(t.length for t in counted) / len(counted)
    parameters = BM25Parameters(lexical.DEFAULT_K1, lexical.DEFAULT_B, average)
    stored = [StoredTerms(t.ids, term_weights(t, parameters), t.length) for t in counted]
    frequencies: dict[int, int] = {}
    for terms in counted:
        for term in terms.ids.tolist():
            frequencies[term] = frequencies.get(term, 0) + 1
    for query in ("国家队冠军", "亚洲杯 冠军 冠军", "北京 ab 12 12", "无关"):
        query_tokens = lexical.tokenize_query(query)
        sequence = query_terms(query_tokens)
        idfs = {t: term_idf(frequencies[t], len(ids)) for t in sequence if t in frequencies}
        ours = exact_scores(sequence, stored, idfs, parameters)
        expected = dict(local.search(query_tokens, len(ids)))
        assert ours.tolist() == [expected.get(i, 0.0) for i in ids]
