"""The BM25 index: immutable segments, deleted chunks as tombstones, idf from live counts.

Rows of all segments are numbered one after the other. A deleted chunk stays in its segment
until a merge rewrites it; its row scores 0 and it counts in no statistic: the number of live
chunks ``N`` and each term's live document frequency ``df`` (the segment's count minus the
deleted rows that hold the term) give ``idf = ln(1 + (N − df + ½)/(df + ½))`` at query time, and
a chunk's score is the sum over the query's tokens (repeats count) of ``idf × tfc``. This is
Lucene's BM25; an update adds a segment and tombstones instead of recomputing the others.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from semsearch.lexical import bm25, bm25_files
from semsearch.lexical.bm25 import DEFAULT_B, DEFAULT_K1, CountedChunks, TermCounts
from semsearch.lexical.bm25_segment import KeywordSegment

#: From this many rows on, an unfiltered search first bounds the k-th best score from a sample
#: of every ``SAMPLE_STRIDE``-th row (:func:`_best_rows_above_sampled_bound`).
SAMPLED_BOUND_MIN_ROWS = 50_000
SAMPLE_STRIDE = 16


class KeywordIndex:
    """BM25 (Lucene variant) over pre-tokenized chunks identified by integer ids.

    Args:
        k1: Term-frequency saturation.
        b: Length normalization.
    """

    def __init__(self, k1: float = DEFAULT_K1, b: float = DEFAULT_B) -> None:
        self.k1 = k1
        self.b = b
        self.average_length = 0.0
        self._segments: list[KeywordSegment] = []
        self._set_segments([], np.zeros(0, dtype=np.int64))

    # -- making one ------------------------------------------------------------------------------

    def build(self, ids: Sequence[int], token_lists: Sequence[Sequence[str]]) -> None:
        """Index chunks given their ids and tokens (from ``tokenize``), replacing any content.

        Args:
            ids: One unique integer id per chunk.
            token_lists: The tokens of each chunk, same order as ``ids``.

        Raises:
            ValueError: If the lengths differ or an id repeats (a programming error).
        """
        chunks = CountedChunks.of_tokens(ids, token_lists)
        segment = KeywordSegment.build(chunks, self.k1, self.b)
        self.average_length = segment.average_length
        self._set_segments([segment], np.zeros(0, dtype=np.int64))

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
        ``bm25.EMPTY_CHUNK_TOKEN`` standing in an empty chunk, as :meth:`build` puts it).

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
        id_array = np.array(ids if isinstance(ids, np.ndarray) else list(ids), dtype=np.int64)
        segment = KeywordSegment.build(CountedChunks(id_array, vocabulary, counts), k1, b)
        return cls.of_segments([segment], id_array[:0], segment.average_length)

    @classmethod
    def of_segments(
        cls,
        segments: Sequence[KeywordSegment],
        deleted_ids: np.ndarray,
        average_length: float,
        k1: float = DEFAULT_K1,
        b: float = DEFAULT_B,
    ) -> KeywordIndex:
        """Search several segments as one index.

        Args:
            segments: The segments, rows numbered in this order (their k1 and b are the index's).
            deleted_ids: Ids of chunks still in a segment but deleted (tombstones).
            average_length: The ``avgdl`` the segments' postings were computed with.
            k1: Term-frequency saturation (when there is no segment).
            b: Length normalization (when there is no segment).

        Returns:
            The index.
        """
        if segments:
            k1, b = segments[0].k1, segments[0].b
        index = cls(k1=k1, b=b)
        index.average_length = average_length
        index._set_segments(list(segments), np.asarray(deleted_ids, dtype=np.int64))
        return index

    def _set_segments(self, segments: list[KeywordSegment], deleted_ids: np.ndarray) -> None:
        self._segments = segments
        sizes = [segment.row_count for segment in segments]
        self._offsets = np.zeros(len(segments) + 1, dtype=np.int64)
        np.cumsum(sizes, out=self._offsets[1:])
        self._ids = np.concatenate([s.ids for s in segments]) if segments else deleted_ids[:0]
        order = np.argsort(self._ids, kind="stable")
        # Ids sorted once, with the row each one lives in, to map ids to rows by binary search.
        self._sorted_ids = self._ids[order]
        self._rows_of_sorted = order
        self._deleted_rows = self._rows(deleted_ids)
        self._live = np.ones(len(self._ids), dtype=bool)
        self._live[self._deleted_rows] = False
        # Per segment, how many deleted rows hold each term (None: no deleted row there).
        self._deleted_frequencies = [
            _frequencies_of(segment, self._deleted_rows, self._offsets[n], self._offsets[n + 1])
            for n, segment in enumerate(segments)
        ]
        # The last query's scores: hybrid search asks twice for the same query (its top
        # candidates, then the pool's scores), and at 1M chunks one scoring takes ~15 ms.
        self._last_scores: tuple[tuple[str, ...], np.ndarray] | None = None

    # -- what it holds ---------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._ids) - len(self._deleted_rows)

    @property
    def ids(self) -> np.ndarray:
        """The chunk id of every row (int64, in row order, deleted chunks included)."""
        return self._ids

    @property
    def segments(self) -> list[KeywordSegment]:
        """The segments, in row order."""
        return list(self._segments)

    def live_length(self) -> int:
        """The token count of every live chunk together.

        Returns:
            The sum (the live ``avgdl`` is this divided by ``len(self)``).
        """
        lengths = [segment.lengths for segment in self._segments]
        return int(np.concatenate(lengths)[self._live].sum()) if lengths else 0

    def _rows(self, chunk_ids: np.ndarray) -> np.ndarray:
        """Rows of the given ids; ids not in the index are dropped."""
        chunk_ids = np.asarray(chunk_ids, dtype=np.int64)
        if not len(self._sorted_ids) or not len(chunk_ids):
            return np.zeros(0, dtype=np.int64)
        positions = np.searchsorted(self._sorted_ids, chunk_ids)
        positions = np.minimum(positions, len(self._sorted_ids) - 1)
        found = self._sorted_ids[positions] == chunk_ids
        return self._rows_of_sorted[positions[found]]

    # -- searching -------------------------------------------------------------------------------

    def token_weights(self, query_tokens: Sequence[str]) -> dict[str, float]:
        """The inverse document frequency (BM25's, Lucene form) of each distinct query token.

        Computed from live counts; tokens no live chunk holds get no entry: they cannot be
        matched anywhere.

        Args:
            query_tokens: Tokens from ``tokenize_query``.

        Returns:
            Token → idf (the one scoring uses), in the order the tokens first occur.
        """
        live = len(self)
        weights: dict[str, float] = {}
        for token in dict.fromkeys(query_tokens):
            if not token:
                continue
            frequency = 0
            for segment, deleted in zip(self._segments, self._deleted_frequencies, strict=True):
                column = segment.vocabulary.get(token)
                if column is not None:
                    frequency += int(segment.postings.indptr[column + 1])
                    frequency -= int(segment.postings.indptr[column])
                    frequency -= int(deleted[column]) if deleted is not None else 0
            if frequency > 0:
                weights[token] = bm25.idf(frequency, live)
        return weights

    def scores(self, query_tokens: Sequence[str]) -> np.ndarray:
        """BM25 score of every row (row order of :attr:`ids`) for the query tokens.

        Args:
            query_tokens: Tokens from ``tokenize_query`` (repeats count repeatedly).

        Returns:
            float32 scores, 0 for deleted chunks; read-only (kept for a repeated call).
        """
        key = tuple(query_tokens)
        last = self._last_scores
        if last is not None and last[0] == key:
            return last[1]
        weights = self.token_weights(query_tokens)
        if len(self._segments) == 1:
            # One segment (a fresh or merged index): its scores are all the rows' scores, so
            # they are not copied into a second array (4 MB at a million chunks).
            segment = self._segments[0]
            columns, column_weights = _query_columns(segment, query_tokens, weights)
            scores = bm25.accumulate_scores(
                segment.postings, len(self._ids), columns, column_weights
            )
        else:
            scores = np.zeros(len(self._ids), dtype=np.float32)
            for number, segment in enumerate(self._segments):
                columns, column_weights = _query_columns(segment, query_tokens, weights)
                if columns:
                    start, end = self._offsets[number], self._offsets[number + 1]
                    scores[start:end] = bm25.accumulate_scores(
                        segment.postings, int(end - start), columns, column_weights
                    )
        scores[self._deleted_rows] = 0
        scores.setflags(write=False)  # shared with the next call for the same query
        self._last_scores = (key, scores)
        return scores

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
        if k <= 0 or not len(self):
            return []
        scores = self.scores(query_tokens)
        if chunk_ids is not None:
            rows = self._rows(np.asarray(chunk_ids))
            rows, candidate_scores = _best_rows(scores, rows[scores[rows] > 0], k)
        else:
            found = _best_rows_above_sampled_bound(scores, k)
            # Already only the scored rows: filtering them again cost 2.2 ms at a million chunks.
            rows, candidate_scores = found or _best_rows(scores, np.flatnonzero(scores > 0), k)
        if not len(rows):
            return []
        candidate_ids = self._ids[rows]
        order = np.lexsort((candidate_ids, -candidate_scores))
        return [(int(candidate_ids[i]), float(candidate_scores[i])) for i in order]

    # -- files -----------------------------------------------------------------------------------

    def save(self, directory: Path) -> None:
        """Write the index into ``directory`` as one segment (deleted chunks left out).

        Args:
            directory: A folder of its own (created if needed).

        Raises:
            ValueError: The index holds a segment written before segments (it cannot be merged).
        """
        if len(self._segments) == 1 and not len(self._deleted_rows):
            segment = self._segments[0]
        else:
            parts = [
                s.kept(np.flatnonzero(self._live[self._offsets[n] : self._offsets[n + 1]]))
                for n, s in enumerate(self._segments)
            ]
            chunks = bm25.concatenate(parts)
            segment = KeywordSegment.build(chunks, self.k1, self.b, self.average_length)
        bm25_files.write_segment(Path(directory), segment)

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
        segment = bm25_files.read_segment(Path(directory))
        return cls.of_segments([segment], segment.ids[:0], segment.average_length)


def _frequencies_of(
    segment: KeywordSegment, rows: np.ndarray, start: int, end: int
) -> np.ndarray | None:
    """How many of the given (global) rows in ``[start, end)`` hold each of a segment's terms."""
    local = rows[(rows >= start) & (rows < end)] - start
    return segment.frequencies_of_rows(local) if len(local) else None


def _query_columns(
    segment: KeywordSegment, query_tokens: Sequence[str], weights: Mapping[str, float]
) -> tuple[list[int], list[float]]:
    """The segment's column and weight of each query token it holds, repeats included.

    Args:
        segment: One keyword segment.
        query_tokens: Tokens from ``tokenize_query``, in query order.
        weights: Token → idf of the tokens found in the index (:meth:`KeywordIndex.token_weights`).

    Returns:
        ``(columns, weights)`` for :func:`semsearch.lexical.bm25.accumulate_scores`.
    """
    columns, column_weights = [], []
    for token in query_tokens:
        column = segment.vocabulary.get(token) if token in weights else None
        if column is not None:
            columns.append(column)
            # A folded segment's values hold the idf already.
            column_weights.append(1.0 if segment.idf_folded else weights[token])
    return columns, column_weights


def _best_rows(scores: np.ndarray, rows: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` rows of the highest scores among ``rows``, in no order, with their scores.

    Args:
        scores: One score per row of the index.
        rows: The candidate rows.
        k: How many at most.

    Returns:
        ``(rows, scores)``; among rows tied at the k-th score, the ones ``np.argpartition`` keeps.
    """
    candidate_scores = scores[rows]
    if len(rows) > k:
        keep = np.argpartition(-candidate_scores, k - 1)[:k]
        rows, candidate_scores = rows[keep], candidate_scores[keep]
    return rows, candidate_scores


def _best_rows_above_sampled_bound(
    scores: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray] | None:
    """The ``k`` best rows of a large index, found among the rows above a bound from a sample.

    At a million chunks a query scores ~780k rows, and selecting the best 100 among all of them
    cost 5 ms. The k-th best score of every :data:`SAMPLE_STRIDE`-th row is a lower bound of the
    k-th best score of all rows, so every row of the top k scores at least that much: only those
    (a few thousand) are selected from.

    Args:
        scores: One score per row of the index.
        k: How many at most.

    Returns:
        What :func:`_best_rows` gives over all scored rows, or None where this shortcut does not
        apply: a small index, too few scored rows in the sample, or rows tied at the k-th score
        across the cut (then which of them :func:`_best_rows` keeps depends on the rows it is
        given, and the caller selects from all scored rows, as before).
    """
    if len(scores) < SAMPLED_BOUND_MIN_ROWS:
        return None
    sample = scores[::SAMPLE_STRIDE]
    sample = sample[sample > 0]
    if len(sample) < k:
        return None
    bound = np.partition(sample, len(sample) - k)[len(sample) - k]
    rows = np.flatnonzero(scores >= bound)
    best, best_scores = _best_rows(scores, rows, k)
    if len(rows) > k:
        kth = best_scores.min()
        if np.count_nonzero(scores[rows] == kth) != np.count_nonzero(best_scores == kth):
            return None
    return best, best_scores
