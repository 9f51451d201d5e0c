"""One immutable BM25 segment: the postings of a set of chunks, written once, never changed.

A segment is made from term counts (:meth:`KeywordSegment.build`) with the ``avgdl`` its index
records; it keeps those counts chunk by chunk, so a deletion can say which terms lose a chunk, a
merge can join live rows of several segments, and a new ``avgdl`` can be applied
(:meth:`KeywordSegment.rescored`) without the token lists. A segment written before segments
existed (a bm25s folder) has its idf folded into the stored values and no counts: it can only be
searched alone, as it was (``idf_folded``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from semsearch.lexical.bm25 import (
    CountedChunks,
    Postings,
    TermCounts,
    term_frequency_component,
    transpose,
)


@dataclass(frozen=True)
class KeywordSegment:
    """The BM25 postings of some chunks (see the module docstring).

    Attributes:
        ids: The chunk id of each row (int64).
        vocabulary: Token → column.
        postings: Each column's rows and term-frequency components (float32).
        lengths: Each row's token count (int64).
        counts: The rows' term counts, one entry per (row, term) (None in a folded segment).
        average_length: The ``avgdl`` the postings were computed with.
        k1: Term-frequency saturation.
        b: Length normalization.
        idf_folded: The postings hold idf × the component (a segment written before segments).
    """

    ids: np.ndarray
    vocabulary: dict[str, int]
    postings: Postings
    lengths: np.ndarray
    counts: TermCounts | None
    average_length: float
    k1: float
    b: float
    idf_folded: bool = False

    @classmethod
    def build(
        cls, chunks: CountedChunks, k1: float, b: float, average_length: float | None = None
    ) -> KeywordSegment:
        """Compute a segment's postings from term counts.

        Args:
            chunks: The chunks' ids and term counts.
            k1: Term-frequency saturation.
            b: Length normalization.
            average_length: The index's ``avgdl`` (default: these chunks' own mean length).

        Returns:
            The segment, rows in the order of ``chunks``.

        Raises:
            ValueError: An id repeats, or the counts describe another number of chunks.
        """
        ids = np.asarray(chunks.ids, dtype=np.int64)
        if len(np.unique(ids)) != len(ids):
            raise ValueError("chunk ids must be unique")
        if chunks.counts.chunk_count != len(ids):
            raise ValueError(f"{len(ids)} ids but {chunks.counts.chunk_count} chunks of counts")
        reduced, columns = transpose(chunks.counts, len(chunks.vocabulary))
        lengths = reduced.lengths()
        if average_length is None:
            average_length = float(lengths.mean()) if len(lengths) else 0.0
        values = term_frequency_component(
            columns.frequencies, lengths[columns.rows], average_length, k1, b
        )
        return cls(
            ids=ids,
            vocabulary=dict(chunks.vocabulary),
            postings=Postings(values.astype(np.float32), columns.rows, columns.indptr),
            lengths=lengths,
            counts=reduced,
            average_length=float(average_length),
            k1=k1,
            b=b,
        )

    @property
    def row_count(self) -> int:
        """How many chunks (rows) the segment holds, deleted ones included."""
        return len(self.ids)

    def rescored(self, average_length: float, k1: float, b: float) -> KeywordSegment:
        """The same segment with its postings computed for another ``avgdl`` (or k1, b).

        Args:
            average_length: The new ``avgdl``.
            k1: Term-frequency saturation.
            b: Length normalization.

        Returns:
            A new segment; this one is unchanged.

        Raises:
            ValueError: A folded segment (it has no counts to compute from).
        """
        _reduced, columns = transpose(self._counts(), len(self.vocabulary))
        values = term_frequency_component(
            columns.frequencies, self.lengths[columns.rows], average_length, k1, b
        )
        postings = Postings(values.astype(np.float32), columns.rows, columns.indptr)
        return replace(self, postings=postings, average_length=float(average_length), k1=k1, b=b)

    def tokens(self) -> list[str]:
        """The vocabulary's tokens.

        Returns:
            The tokens in column order.
        """
        tokens = [""] * len(self.vocabulary)
        for token, column in self.vocabulary.items():
            tokens[column] = token
        return tokens

    def document_frequencies(self) -> np.ndarray:
        """How many rows hold each column's term, deleted rows included.

        Returns:
            One int64 count per column.
        """
        return np.diff(self.postings.indptr)

    def frequencies_of_rows(self, rows: np.ndarray) -> np.ndarray:
        """How many of the given rows hold each column's term.

        Args:
            rows: Row numbers (each once).

        Returns:
            One int64 count per column.
        """
        kept = self._counts().of_rows(np.asarray(rows, dtype=np.int64))
        return np.bincount(kept.term_ids, minlength=len(self.vocabulary)).astype(np.int64)

    def kept(self, rows: np.ndarray) -> CountedChunks:
        """The ids and term counts of some rows (to merge them into a new segment).

        Args:
            rows: Row numbers, in the order wanted.

        Returns:
            The counted chunks of those rows.
        """
        rows = np.asarray(rows, dtype=np.int64)
        return CountedChunks(self.ids[rows], self.vocabulary, self._counts().of_rows(rows))

    def _counts(self) -> TermCounts:
        if self.counts is None:
            raise ValueError("a segment written before segments has no term counts")
        return self.counts
