"""The answer in a hit: its sentence nearest the question, and how strong the match is.

A question is usually answered by one sentence of a passage. With a query vector the sentence
is the one whose stored sentence vector is nearest the question (the same vectors the ranking
reads), so it works for English and traditional questions too; in keyword mode, without a
vector, it is the sentence holding the largest share of the query's keyword weight.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from semsearch.lexical import AnalyzedQuery, sentence_coverage, sentence_tokens
from semsearch.search.confidence import BASELINE_RANK, CALIBRATION, Calibration, MatchFeatures
from semsearch.text import sentence_spans

if TYPE_CHECKING:
    from semsearch.search.hits import Hit
    from semsearch.storage import SearchIndex


def assess_hits(
    reader: SearchIndex,
    hits: Sequence[Hit],
    vector: np.ndarray | None,
    query: AnalyzedQuery,
    calibration: Calibration = CALIBRATION,
) -> None:
    """Fill each hit's ``answer`` span and, with a query vector, its ``confidence``.

    Args:
        reader: The index (chunk cosines and sentence vectors).
        hits: The hits, changed in place.
        vector: The query vector; None in keyword mode (then no confidence is given).
        query: The analysed query (keyword mode's sentence choice).
        calibration: The confidence model.
    """
    if not hits:
        return
    if vector is None:
        weights = reader.keyword_weights(query.tokens)
        for hit in hits:
            hit.answer = keyword_answer(hit.text, weights)
        return
    ids = np.array([hit.chunk_id for hit in hits], dtype=np.int64)
    cosines = np.asarray(reader.dense_scores(vector, ids), dtype=np.float64)
    by_chunk = reader.sentence_vectors(ids.tolist())
    crowd = crowd_cosine(reader, vector)
    for hit, cosine in zip(hits, cosines, strict=True):
        spans = sentence_spans(hit.text)
        matrix = by_chunk.get(hit.chunk_id)
        sentence_cosine = float(cosine)
        if matrix is not None and len(matrix) == len(spans):
            nearness = matrix @ vector
            best = int(np.argmax(nearness))
            hit.answer = spans[best]
            sentence_cosine = float(nearness[best])
        elif len(spans) == 1:
            hit.answer = spans[0]
        features = MatchFeatures(float(cosine), sentence_cosine, sentence_cosine - crowd)
        hit.confidence = calibration.judge(features)


def crowd_cosine(reader: SearchIndex, vector: np.ndarray) -> float:
    """The question's cosine to its :data:`BASELINE_RANK`-th nearest chunk in the whole index.

    Args:
        reader: The index.
        vector: The query vector.

    Returns:
        That cosine (the farthest one in an index of fewer chunks; 0 in an empty one).
    """
    nearest = reader.dense_search(vector, BASELINE_RANK, None)
    return float(nearest[-1][1]) if nearest else 0.0


def keyword_answer(text: str, weights: dict[str, float]) -> tuple[int, int] | None:
    """The span of the sentence holding the largest share of the query's keyword weight.

    Args:
        text: The hit's text.
        weights: Each query token the index knows and its weight.

    Returns:
        The sentence's ``(start, end)`` in ``text``; None when no sentence holds a query word.
    """
    spans = sentence_spans(text)
    per_sentence = sentence_tokens(text)
    if not weights or len(per_sentence) != len(spans):
        return None
    shares = [sentence_coverage(weights, [tokens]) for tokens in per_sentence]
    best = int(np.argmax(shares))
    return spans[best] if shares[best] > 0 else None
