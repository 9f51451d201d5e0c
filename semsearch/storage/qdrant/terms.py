"""Keyword tokens as Qdrant sparse vectors, and BM25 scores exactly as the local engine makes them.

**Term ids** come from the token's text, so no vocabulary table is needed and every writer and
reader agrees: the Han characters of :data:`semsearch.text.HAN_RANGES` are numbered densely
(28,096 of them), a one-character token is its number and a two-character one
``28,096 + a · 28,096 + b`` (both exact, below 789.4 M); Latin words and numbers are hashed
(blake2b) into the rest of the unsigned 32-bit space. At a million distinct non-Han tokens about
140 pairs would collide (M² / 7e9); the evaluation corpora have none (tested).

**Weights.** A chunk's sparse vector holds, per term, BM25's term-frequency component
``tf / (tf + k1 · (1 − b + b · |d| / avgdl))`` with the ``avgdl`` recorded in the manifest; the
query vector holds each distinct token's count; Qdrant multiplies in its IDF
(``Modifier.IDF``, Lucene's formula, the local engine's). That ranks candidates. Scores that are
compared across engines — rescoring a pool, re-ordering the candidates — are recomputed here
with the local engine's arithmetic step by step (:func:`exact_scores`), from the term counts
recovered from the stored weights (:func:`recover_counts`).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from semsearch.lexical.bm25 import EMPTY_CHUNK_TOKEN, idf, term_frequency_component
from semsearch.text import HAN_RANGES

#: ``(first, last, number of first)`` of each block of Han code points.
_HAN_BLOCKS: tuple[tuple[int, int, int], ...] = ()
_numbered = 0
for _first, _last in zip(HAN_RANGES[0::3], HAN_RANGES[2::3], strict=True):
    _HAN_BLOCKS += ((ord(_first), ord(_last), _numbered),)
    _numbered += ord(_last) - ord(_first) + 1
HAN_COUNT = _numbered
BIGRAM_BASE = HAN_COUNT
OTHER_BASE = BIGRAM_BASE + HAN_COUNT * HAN_COUNT
#: The term of an empty chunk (bm25s indexes it as one empty token): it keeps the chunk counted
#: in N and in the average length, and no query holds it.
EMPTY_TERM = 2**32 - 1
OTHER_SPAN = EMPTY_TERM - OTHER_BASE


@dataclass(frozen=True)
class BM25Parameters:
    """What a stored weight depends on besides the chunk (recorded in the manifest).

    Attributes:
        k1: Term-frequency saturation.
        b: Length normalization.
        average_length: The mean token count per chunk the weights were made with.
    """

    k1: float
    b: float
    average_length: float


@dataclass(frozen=True)
class ChunkTerms:
    """A chunk's distinct terms with their counts, and its length in tokens.

    Attributes:
        ids: Term ids, ascending (uint32 values in int64).
        counts: How often each occurs in the chunk.
        length: The chunk's token count (1 for an empty chunk, as bm25s counts it).
    """

    ids: np.ndarray
    counts: np.ndarray
    length: int


def _han_number(character: str) -> int | None:
    code = ord(character)
    for first, last, number in _HAN_BLOCKS:
        if first <= code <= last:
            return number + code - first
    return None


def term_id(token: str) -> int:
    """The stable sparse-vector index of a keyword token.

    Args:
        token: A token of ``lexical.tokenize`` (or :data:`EMPTY_CHUNK_TOKEN`).

    Returns:
        An id below 2**32.
    """
    if token == EMPTY_CHUNK_TOKEN:
        return EMPTY_TERM
    first = _han_number(token[0]) if len(token) <= 2 else None
    if first is not None and len(token) == 1:
        return first
    second = _han_number(token[1]) if first is not None else None
    if first is not None and second is not None:
        return BIGRAM_BASE + first * HAN_COUNT + second
    digest = hashlib.blake2b(token.encode("utf-8"), digest_size=8).digest()
    return OTHER_BASE + int.from_bytes(digest, "little") % OTHER_SPAN


def chunk_terms(tokens: Sequence[str]) -> ChunkTerms:
    """Count a chunk's tokens by term (an empty chunk holds :data:`EMPTY_TERM` once)."""
    counted = Counter(map(term_id, tokens or [EMPTY_CHUNK_TOKEN]))
    ids = np.array(sorted(counted), dtype=np.int64)
    counts = np.array([counted[int(i)] for i in ids], dtype=np.int64)
    return ChunkTerms(ids, counts, int(counts.sum()))


def term_weights(terms: ChunkTerms, parameters: BM25Parameters) -> np.ndarray:
    """The stored float32 value of each of a chunk's terms (BM25's term-frequency component)."""
    lengths = np.full(len(terms.counts), terms.length)
    return term_frequency_component(
        terms.counts, lengths, parameters.average_length, parameters.k1, parameters.b
    ).astype(np.float32)


def sparse_vector(terms: ChunkTerms, parameters: BM25Parameters) -> Any:
    """A chunk's Qdrant sparse vector: its term ids and their stored weights."""
    from qdrant_client import models

    return models.SparseVector(
        indices=terms.ids.tolist(), values=term_weights(terms, parameters).tolist()
    )


def recover_counts(values: np.ndarray, length: int, parameters: BM25Parameters) -> np.ndarray:
    """The term counts that stored weights were made from (inverts :func:`term_weights`).

    tf = w · K / (1 − w) with K = k1 · (1 − b + b · |d| / avgdl). K grows with the length, which
    bounds tf, so float32 weights give the count to well under 0.1 (tested up to tf = 1000).
    """
    norm = parameters.k1 * (1 - parameters.b + parameters.b * length / parameters.average_length)
    weights = np.asarray(values, dtype=np.float64)
    return np.rint(weights * norm / (1.0 - weights)).astype(np.int64)


def query_terms(tokens: Sequence[str]) -> list[int]:
    """The term id of each query token, in query order with repeats (empty tokens left out)."""
    return [term_id(token) for token in tokens if token]


def query_vector(sequence: Sequence[int]) -> tuple[list[int], list[float]]:
    """The sparse query: each distinct term with its count (BM25 counts a repeat again)."""
    counted = Counter(sequence)
    ids = sorted(counted)
    return ids, [float(counted[i]) for i in ids]


def term_idf(frequency: int, chunk_count: int) -> np.float32:
    """A term's IDF as the local engine stores it (math.log in float64, kept in float32)."""
    return np.float32(idf(frequency, chunk_count))


@dataclass(frozen=True)
class StoredTerms:
    """One stored chunk's sparse vector as read back.

    Attributes:
        ids: Its term ids.
        values: Their stored weights.
        length: The chunk's token count.
    """

    ids: np.ndarray
    values: np.ndarray
    length: int


def exact_scores(
    sequence: Sequence[int],
    chunks: Sequence[StoredTerms | None],
    idfs: Mapping[int, np.float32],
    parameters: BM25Parameters,
) -> np.ndarray:
    """BM25 scores with the local engine's arithmetic, bit for bit.

    The local index stores ``float32(tfc)`` per (term, chunk), with tfc computed in float64,
    multiplies it by the float32 idf at query time, in float32, and adds a query's terms in query
    order, repeats included, in float32.

    Args:
        sequence: The query's term ids (:func:`query_terms`).
        chunks: Each chunk's stored terms (None for a chunk that is not there: score 0).
        idfs: The IDF of every query term some chunk holds (:func:`term_idf`).
        parameters: What the stored weights were made with.

    Returns:
        float64 scores (of float32 sums), 0 where no term is shared.
    """
    held_terms = [term for term in dict.fromkeys(sequence) if term in idfs]
    columns = {term: column for column, term in enumerate(held_terms)}
    by_term = np.argsort(held_terms)
    sorted_terms = np.asarray(held_terms, dtype=np.int64)[by_term]
    column_idfs = np.array([idfs[term] for term in held_terms], dtype=np.float32)
    weights = np.zeros((len(chunks), len(held_terms)), dtype=np.float32)
    for row, chunk in enumerate(chunks):
        if chunk is None or not len(chunk.ids) or not len(sorted_terms):
            continue
        positions = np.minimum(np.searchsorted(sorted_terms, chunk.ids), len(sorted_terms) - 1)
        held = sorted_terms[positions] == chunk.ids
        if not held.any():
            continue
        wanted = by_term[positions[held]]
        counts = recover_counts(chunk.values[held], chunk.length, parameters)
        component = term_frequency_component(
            counts,
            np.full(len(counts), chunk.length),
            parameters.average_length,
            parameters.k1,
            parameters.b,
        )
        weights[row, wanted] = component.astype(np.float32) * column_idfs[wanted]
    scores = np.zeros(len(chunks), dtype=np.float32)
    for term in sequence:
        column = columns.get(term)
        if column is not None:
            scores += weights[:, column]
    return scores.astype(np.float64)


def read_stored_terms(point: Any, vector: str) -> StoredTerms | None:
    """A chunk point's stored sparse vector and length (None without the vector).

    Args:
        point: A point read back with the ``length`` payload key and the sparse vector.
        vector: The sparse vector's name.
    """
    sparse = (point.vector or {}).get(vector)
    if sparse is None:
        return None
    return StoredTerms(
        np.asarray(sparse.indices, dtype=np.int64),
        np.asarray(sparse.values, dtype=np.float32),
        int(point.payload["length"]),
    )
