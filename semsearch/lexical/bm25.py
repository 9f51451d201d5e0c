"""BM25 (Lucene variant) over pre-tokenized chunks, written on numpy.

The index is a term × chunk matrix in compressed sparse columns: for each term the rows of the
chunks that hold it and their precomputed float32 scores (idf × term-frequency component), so a
query only adds up a few columns. It is our own because later work needs its term statistics
(sparse vectors for another engine, incremental updates, building a very large benchmark index
from term ids without Python token lists); bm25s (``method="lucene"``) stays the reference its
tests compare against.

The arithmetic follows bm25s 0.3 step by step (float64 where it computes in float64, float32
where it stores), so the scores are the same to the last bit: the hybrid fusion divides by the
pool's best score, and a last-bit change could reorder results. The files are the ones bm25s
writes (:mod:`semsearch.lexical.bm25_files`), so an index saved before still loads.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np

from semsearch.lexical import bm25_files

#: BM25 parameters chosen on cmrc2018_chunks (docs/retrieval.md). A low k1 saturates term
#: frequency early: a chunk that repeats the title's characters should not beat one that holds
#: more of the question's distinct characters and pairs (+0.9 MRR@10 hybrid over k1=1.5, b=0.75).
DEFAULT_K1 = 0.3
DEFAULT_B = 0.3

#: The one token an empty chunk is indexed with (as bm25s does): it keeps the chunk counted in
#: the average length and never matches a query (queries have no empty tokens).
EMPTY_CHUNK_TOKEN = ""


# -- scoring functions ---------------------------------------------------------------------------


def _idf_ratio(document_frequency: int, document_count: int) -> float:
    return 1 + (document_count - document_frequency + 0.5) / (document_frequency + 0.5)


def idf(document_frequency: int, document_count: int) -> float:
    """Lucene's inverse document frequency, ln(1 + (N − df + ½) / (df + ½)), as bm25s indexes it.

    Args:
        document_frequency: How many chunks hold the term (at least 1).
        document_count: How many chunks the index holds.

    Returns:
        The idf, in float64 (the index stores it as float32).
    """
    # math.log, not numpy's: numpy's vectorized log can differ in the last bit (AVX-512), and
    # bm25s computes this one term at a time with math.log.
    return math.log(_idf_ratio(document_frequency, document_count))


def term_frequency_component(
    term_frequencies: np.ndarray,
    chunk_lengths: np.ndarray,
    average_length: float,
    k1: float,
    b: float,
) -> np.ndarray:
    """BM25's term-frequency component, tf / (k1 · (1 − b + b · |d| / avgdl) + tf).

    Args:
        term_frequencies: How often the term occurs in each chunk.
        chunk_lengths: The token count of the same chunks.
        average_length: The mean token count of all chunks.
        k1: Term-frequency saturation.
        b: Length normalization.

    Returns:
        float64 values in [0, 1), one per entry (bm25s's operation order, so equal to its bits).
    """
    lengths = np.asarray(chunk_lengths, dtype=np.float64)
    frequencies = np.asarray(term_frequencies, dtype=np.float64)
    return frequencies / (k1 * ((1 - b) + b * lengths / average_length) + frequencies)


def accumulate_scores(
    postings: bm25_files.Postings, chunk_count: int, term_ids: Sequence[int]
) -> np.ndarray:
    """Sum the precomputed scores of the query's terms into one score per chunk.

    Args:
        postings: The index's columns.
        chunk_count: How many chunks (rows) there are.
        term_ids: The query's term ids, repeats included, in query order.

    Returns:
        float32 scores, one per row.
    """
    scores = np.zeros(chunk_count, dtype=np.float32)
    terms = np.asarray(term_ids, dtype=np.int64)
    columns = [
        slice(start, end)
        for start, end in zip(
            postings.indptr[terms].tolist(), postings.indptr[terms + 1].tolist(), strict=True
        )
    ]
    if columns:
        # np.add.at adds unbuffered, in order: each chunk's float32 sum is made in query-token
        # order, exactly as bm25s makes it (one call over all columns is the fastest way).
        np.add.at(
            scores,
            np.concatenate([postings.indices[column] for column in columns]),
            np.concatenate([postings.data[column] for column in columns]),
        )
    return scores


class TermCounts(NamedTuple):
    """How often each term occurs in each chunk, chunk by chunk (a CSR matrix).

    Attributes:
        row_starts: For chunk ``i``, its entries are ``row_starts[i]:row_starts[i + 1]``
            (length chunks + 1).
        term_ids: The term of each entry (a term may repeat within a chunk: counts add up).
        counts: How often that term occurs there.
    """

    row_starts: np.ndarray
    term_ids: np.ndarray
    counts: np.ndarray


def score_postings(counts: TermCounts, term_count: int, k1: float, b: float) -> bm25_files.Postings:
    """Turn term counts into the index's columns of precomputed BM25 scores.

    Args:
        counts: Term counts per chunk; a chunk's length is the sum of its counts.
        term_count: The vocabulary size (term ids are below it).
        k1: Term-frequency saturation.
        b: Length normalization.

    Returns:
        For each term the chunks that hold it (ascending) and their float32 scores.
    """
    chunk_count = len(counts.row_starts) - 1
    chunk_of_entry = np.repeat(np.arange(chunk_count), np.diff(counts.row_starts))
    # One key per (term, chunk) entry, sorted: the column order, rows ascending in each.
    keys = np.asarray(counts.term_ids, dtype=np.int64) * chunk_count + chunk_of_entry
    del chunk_of_entry
    order = np.argsort(keys, kind="stable")
    keys = keys[order]
    firsts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]]) if len(keys) else keys
    frequencies = np.add.reduceat(np.asarray(counts.counts, dtype=np.int64)[order], firsts)
    terms, rows = np.divmod(keys[firsts], chunk_count)
    del keys, order, firsts
    running = np.r_[0, np.cumsum(counts.counts, dtype=np.int64)]
    lengths = running[counts.row_starts[1:]] - running[counts.row_starts[:-1]]
    document_frequencies = np.bincount(terms, minlength=term_count)
    idfs = _idf_array(document_frequencies, chunk_count)
    tfc = term_frequency_component(frequencies, lengths[rows], lengths.mean(), k1, b)
    indptr = np.zeros(term_count + 1, dtype=np.int64)
    np.cumsum(document_frequencies, out=indptr[1:])
    data = (idfs[terms].astype(np.float64) * tfc).astype(np.float32)
    return bm25_files.Postings(data=data, indices=rows.astype(np.int32), indptr=indptr)


def _idf_array(document_frequencies: np.ndarray, document_count: int) -> np.ndarray:
    """float32 idf per term (0 for a term no chunk holds), each distinct frequency logged once."""
    idfs = np.zeros(len(document_frequencies), dtype=np.float32)
    held = document_frequencies > 0
    distinct = np.unique(document_frequencies[held])
    values = np.array([idf(int(df), document_count) for df in distinct], dtype=np.float64)
    idfs[held] = values[np.searchsorted(distinct, document_frequencies[held])]
    return idfs


def _token_counts(
    token_lists: Sequence[Sequence[str]],
) -> tuple[dict[str, int], TermCounts]:
    """Number the tokens (first seen, first numbered) and count them chunk by chunk."""
    corpus = [tokens if tokens else [EMPTY_CHUNK_TOKEN] for tokens in token_lists]
    flat = list(itertools.chain.from_iterable(corpus))
    vocabulary = {token: i for i, token in enumerate(dict.fromkeys(flat))}
    term_ids = np.fromiter(map(vocabulary.__getitem__, flat), dtype=np.int64, count=len(flat))
    row_starts = np.zeros(len(corpus) + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, corpus), dtype=np.int64, count=len(corpus)), out=row_starts[1:])
    return vocabulary, TermCounts(row_starts, term_ids, np.ones(len(term_ids), dtype=np.int64))


# -- the index -----------------------------------------------------------------------------------


class KeywordIndex:
    """BM25 (Lucene variant) over pre-tokenized chunks identified by integer ids.

    Args:
        k1: Term-frequency saturation.
        b: Length normalization.
    """

    def __init__(self, k1: float = DEFAULT_K1, b: float = DEFAULT_B) -> None:
        self.k1 = k1
        self.b = b
        self._vocabulary: dict[str, int] = {}
        self._postings = bm25_files.Postings.empty()
        self._ids = np.zeros(0, dtype=np.int64)
        # Ids sorted once, with the row each one lives in, to map ids to rows by binary search.
        self._sorted_ids = self._ids
        self._rows_of_sorted = self._ids
        # The last query's scores: hybrid search asks twice for the same query (its top
        # candidates, then the pool's scores), and at 1M chunks one scoring takes ~15 ms.
        self._last_scores: tuple[tuple[int, ...], np.ndarray] | None = None

    def __len__(self) -> int:
        return len(self._ids)

    @property
    def ids(self) -> np.ndarray:
        """The chunk ids in the index (int64, in build order)."""
        return self._ids

    def build(self, ids: Sequence[int], token_lists: Sequence[Sequence[str]]) -> None:
        """Index chunks given their ids and tokens (from ``tokenize``), replacing any content.

        Args:
            ids: One unique integer id per chunk.
            token_lists: The tokens of each chunk, same order as ``ids``.

        Raises:
            ValueError: If the lengths differ or an id repeats (a programming error).
        """
        if len(ids) != len(token_lists):
            raise ValueError(f"{len(ids)} ids but {len(token_lists)} token lists")
        vocabulary, counts = _token_counts(token_lists)
        self._replace(ids, vocabulary, counts)

    @classmethod
    def from_term_counts(
        cls,
        ids: Sequence[int] | np.ndarray,
        vocabulary: Mapping[str, int],
        counts: TermCounts,
        k1: float = DEFAULT_K1,
        b: float = DEFAULT_B,
    ) -> KeywordIndex:
        """Make an index from term ids and counts, without Python token lists.

        Gives the same index as :meth:`build` of the token lists these counts describe (with
        :data:`EMPTY_CHUNK_TOKEN` standing in an empty chunk, as :meth:`build` puts it).

        Args:
            ids: One unique integer id per chunk.
            vocabulary: Token → term id, ids ``0 … len(vocabulary) − 1``.
            counts: Each chunk's term counts, chunks in the order of ``ids``.
            k1: Term-frequency saturation.
            b: Length normalization.

        Returns:
            The index.

        Raises:
            ValueError: If the counts describe another number of chunks or an id repeats.
        """
        if len(counts.row_starts) != len(ids) + 1:
            raise ValueError(f"{len(ids)} ids but {len(counts.row_starts) - 1} chunks of counts")
        index = cls(k1=k1, b=b)
        index._replace(ids, vocabulary, counts)
        return index

    def _replace(
        self, ids: Sequence[int] | np.ndarray, vocabulary: Mapping[str, int], counts: TermCounts
    ) -> None:
        id_array = np.array(ids if isinstance(ids, np.ndarray) else list(ids), dtype=np.int64)
        if len(np.unique(id_array)) != len(id_array):
            raise ValueError("chunk ids must be unique")
        self._set_ids(id_array)
        if not len(id_array):
            self._vocabulary, self._postings = {}, bm25_files.Postings.empty()
            return
        self._vocabulary = dict(vocabulary)
        self._postings = score_postings(counts, len(self._vocabulary), self.k1, self.b)

    def _set_ids(self, ids: np.ndarray) -> None:
        self._ids = ids
        order = np.argsort(ids, kind="stable")
        self._sorted_ids = ids[order]
        self._rows_of_sorted = order
        self._last_scores = None

    def _rows(self, chunk_ids: np.ndarray) -> np.ndarray:
        """Rows of the given ids; ids not in the index are dropped."""
        chunk_ids = np.asarray(chunk_ids, dtype=np.int64)
        if not len(self._sorted_ids) or not len(chunk_ids):
            return np.zeros(0, dtype=np.int64)
        positions = np.searchsorted(self._sorted_ids, chunk_ids)
        positions = np.minimum(positions, len(self._sorted_ids) - 1)
        found = self._sorted_ids[positions] == chunk_ids
        return self._rows_of_sorted[positions[found]]

    def scores(self, query_tokens: Sequence[str]) -> np.ndarray:
        """BM25 score of every indexed chunk (row order of :attr:`ids`) for the query tokens.

        Args:
            query_tokens: Tokens from ``tokenize_query`` (repeats count repeatedly).

        Returns:
            float32 scores; read-only (the last query's array is kept for a repeated call).
        """
        vocabulary = self._vocabulary
        term_ids = tuple(vocabulary[t] for t in query_tokens if t and t in vocabulary)
        if not term_ids:
            return np.zeros(len(self._ids), dtype=np.float32)
        last = self._last_scores
        if last is not None and last[0] == term_ids:
            return last[1]
        scores = accumulate_scores(self._postings, len(self._ids), term_ids)
        scores.setflags(write=False)  # shared with the next call for the same query
        self._last_scores = (term_ids, scores)
        return scores

    def token_weights(self, query_tokens: Sequence[str]) -> dict[str, float]:
        """The inverse document frequency (BM25's, Lucene form) of each distinct query token.

        Tokens no chunk holds get no entry: they cannot be matched anywhere.

        Args:
            query_tokens: Tokens from ``tokenize_query``.

        Returns:
            Token → idf, in the order the tokens first occur.
        """
        indptr = self._postings.indptr
        weights: dict[str, float] = {}
        for token in dict.fromkeys(query_tokens):
            column = self._vocabulary.get(token) if token else None
            if column is None:
                continue
            frequency = int(indptr[column + 1] - indptr[column])
            if frequency:
                # numpy's log, unlike the index's idf: these weights were measured with it, and
                # the two can differ in the last bit.
                weights[token] = float(np.log(_idf_ratio(frequency, len(self._ids))))
        return weights

    def search(
        self, query_tokens: Sequence[str], k: int, chunk_ids: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """Return the ``k`` best chunks for the query tokens, best first.

        Only chunks that share at least one token with the query are returned.

        Args:
            query_tokens: Tokens from ``tokenize_query``.
            k: How many results at most.
            chunk_ids: If given, only these chunks are candidates (a filter).

        Returns:
            ``(chunk id, BM25 score)`` pairs, highest score first (ties: lower id first).
        """
        if k <= 0 or not len(self._ids):
            return []
        scores = self.scores(query_tokens)
        if chunk_ids is not None:
            rows = self._rows(np.asarray(chunk_ids))
        else:
            rows = np.flatnonzero(scores > 0)
        rows = rows[scores[rows] > 0]
        if not len(rows):
            return []
        candidate_scores = scores[rows]
        if len(rows) > k:
            keep = np.argpartition(-candidate_scores, k - 1)[:k]
            rows, candidate_scores = rows[keep], candidate_scores[keep]
        candidate_ids = self._ids[rows]
        order = np.lexsort((candidate_ids, -candidate_scores))
        return [(int(candidate_ids[i]), float(candidate_scores[i])) for i in order]

    def save(self, directory: Path) -> None:
        """Write the index into ``directory`` (created if needed).

        Args:
            directory: A folder of its own (the store uses ``<generation>/keyword``).
        """
        bm25_files.write(
            Path(directory),
            bm25_files.Contents(self.k1, self.b, self._ids, self._vocabulary, self._postings),
        )

    @classmethod
    def load(cls, directory: Path) -> KeywordIndex:
        """Read an index written by :meth:`save` (or by the bm25s-based index before it).

        Args:
            directory: The folder given to :meth:`save`.

        Returns:
            The index.

        Raises:
            IndexStoreError: If the folder is missing, incomplete or of another format.
        """
        contents = bm25_files.read(Path(directory))
        index = cls(k1=contents.k1, b=contents.b)
        index._set_ids(contents.ids)
        index._vocabulary = contents.vocabulary
        index._postings = contents.postings
        return index
