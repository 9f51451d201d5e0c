"""BM25 (Lucene variant) over pre-tokenized chunks: the arithmetic and one immutable segment.

A :class:`KeywordSegment` holds, for a set of chunks, each term's postings in compressed sparse
columns (the rows of the chunks that hold it and the term-frequency component
``tfc = tf / (tf + k1·(1 − b + b·|d|/avgdl))``, float32) and the same counts chunk by chunk in
compressed sparse rows (what deleting a chunk or merging segments needs). The inverse document
frequency is not stored: it depends on every live chunk of the index, so
:class:`~semsearch.lexical.bm25_index.KeywordIndex` computes it at query time from live counts,
and an update never rewrites the postings of unchanged chunks. ``avgdl`` is a parameter of the
segment (the index records one for all its segments and keeps it while the live average stays
close; see ``storage/local/keyword.py``).

The arithmetic follows bm25s 0.3 (``method="lucene"``), the reference the tests compare against:
the term-frequency component in its operation order, and an empty chunk indexed as one
:data:`EMPTY_CHUNK_TOKEN`, so it counts in the average length and never matches.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from typing import NamedTuple

import numpy as np

#: BM25 parameters (docs/retrieval.md). A low k1 saturates term frequency early: a chunk that
#: repeats the title's characters should not beat one that holds more of the question's
#: distinct characters and pairs (+0.9 MRR@10 hybrid over k1=1.5, b=0.75 on cmrc2018_chunks).
#: b was 0.3, fitted on cmrc2018_chunks alone; cross-validated across six sets of 115- to
#: 1,100-character passages (bench/tune.py, leave one group out), every fold chose b 0.75:
#: left-out hybrid MRR@10 +0.0 to +0.1 on each set, keyword mode up to +0.4 (xquad_zh); on all
#: its queries cmrc2018_chunks moves −0.02 hybrid (95.15 → 95.13), within noise.
DEFAULT_K1 = 0.3
DEFAULT_B = 0.75

#: The one token an empty chunk is indexed with (as bm25s does): it keeps the chunk counted in
#: the average length and never matches a query (queries have no empty tokens).
EMPTY_CHUNK_TOKEN = ""


# -- scoring functions ---------------------------------------------------------------------------


def idf(document_frequency: int, document_count: int) -> float:
    """Lucene's inverse document frequency, ln(1 + (N − df + ½) / (df + ½)).

    Args:
        document_frequency: How many live chunks hold the term (at least 1).
        document_count: How many live chunks the index holds.

    Returns:
        The idf, in float64.
    """
    return math.log(1 + (document_count - document_frequency + 0.5) / (document_frequency + 0.5))


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
        average_length: The mean token count of the index's chunks (avgdl).
        k1: Term-frequency saturation.
        b: Length normalization.

    Returns:
        float64 values in [0, 1), one per entry (bm25s's operation order).
    """
    lengths = np.asarray(chunk_lengths, dtype=np.float64)
    frequencies = np.asarray(term_frequencies, dtype=np.float64)
    return frequencies / (k1 * ((1 - b) + b * lengths / average_length) + frequencies)


class Postings(NamedTuple):
    """A term × chunk matrix in compressed sparse columns.

    Attributes:
        data: The float32 value of each (term, chunk) entry, column after column: the
            term-frequency component (or, in an index written before segments, idf × it).
        indices: The chunk row of each entry (int32), ascending within a column.
        indptr: Column ``t`` is ``data[indptr[t]:indptr[t + 1]]`` (int64, terms + 1 long).
    """

    data: np.ndarray
    indices: np.ndarray
    indptr: np.ndarray

    @classmethod
    def empty(cls) -> Postings:
        """The matrix of a segment without terms.

        Returns:
            Empty arrays (one pointer).
        """
        return cls(
            np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int32), np.zeros(1, dtype=np.int64)
        )


def accumulate_scores(
    postings: Postings, chunk_count: int, columns: Sequence[int], weights: Sequence[float]
) -> np.ndarray:
    """Sum ``weight × value`` of the query's columns into one score per row of a segment.

    Args:
        postings: The segment's columns.
        chunk_count: How many rows the segment has.
        columns: The column of each query token found in the segment, repeats included, in
            query order.
        weights: One weight per column (the token's idf; 1 where the values hold it already).

    Returns:
        float32 scores, one per row.
    """
    scores = np.zeros(chunk_count, dtype=np.float32)
    if not columns:
        return scores
    terms = np.asarray(columns, dtype=np.int64)
    starts, ends = postings.indptr[terms].tolist(), postings.indptr[terms + 1].tolist()
    bounds = list(zip(starts, ends, strict=True))
    weighted = np.empty(max(end - start for start, end in bounds), dtype=np.float32)
    for (start, end), weight in zip(bounds, weights, strict=True):
        part = weighted[: end - start]
        np.multiply(postings.data[start:end], np.float32(weight), out=part)
        # np.add.at adds unbuffered, in order, so each row's float32 sum is made in query-token
        # order, as bm25s makes it; column after column is the same order as one call over
        # all of them, without a concatenated copy of the postings (1.7M rows at a million
        # chunks): 7.9 -> 5.7 ms per query there, the same scores bit for bit.
        np.add.at(scores, postings.indices[start:end], part)
    return scores


# -- term counts ---------------------------------------------------------------------------------


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

    @property
    def chunk_count(self) -> int:
        """How many chunks (rows) the counts describe."""
        return len(self.row_starts) - 1

    def lengths(self) -> np.ndarray:
        """Each chunk's token count (the sum of its counts).

        Returns:
            One int64 count per chunk.
        """
        running = np.zeros(len(self.counts) + 1, dtype=np.int64)
        np.cumsum(self.counts, out=running[1:])
        return running[self.row_starts[1:]] - running[self.row_starts[:-1]]

    def of_rows(self, rows: np.ndarray) -> TermCounts:
        """The counts of some chunks only, in the order given.

        Args:
            rows: Row numbers.

        Returns:
            Their entries, as counts of ``len(rows)`` chunks.
        """
        rows = np.asarray(rows, dtype=np.int64)
        starts = self.row_starts[rows]
        sizes = self.row_starts[rows + 1] - starts
        row_starts = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum(sizes, out=row_starts[1:])
        # Each entry's position in the old arrays: its row's old start plus its rank in the row.
        entries = np.arange(row_starts[-1], dtype=np.int64) + np.repeat(
            starts - row_starts[:-1], sizes
        )
        return TermCounts(row_starts, self.term_ids[entries], self.counts[entries])


def count_tokens(token_lists: Sequence[Sequence[str]]) -> tuple[dict[str, int], TermCounts]:
    """Number the tokens (first seen, first numbered) and count them chunk by chunk.

    Args:
        token_lists: Each chunk's tokens (an empty chunk gets :data:`EMPTY_CHUNK_TOKEN`).

    Returns:
        The vocabulary and one count entry per token occurrence.
    """
    corpus = [tokens if tokens else [EMPTY_CHUNK_TOKEN] for tokens in token_lists]
    flat = list(itertools.chain.from_iterable(corpus))
    vocabulary = {token: i for i, token in enumerate(dict.fromkeys(flat))}
    term_ids = np.fromiter(map(vocabulary.__getitem__, flat), dtype=np.int64, count=len(flat))
    row_starts = np.zeros(len(corpus) + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, corpus), dtype=np.int64, count=len(corpus)), out=row_starts[1:])
    return vocabulary, TermCounts(row_starts, term_ids, np.ones(len(term_ids), dtype=np.int64))


def _compact(counts: np.ndarray) -> np.ndarray:
    """Counts in the smallest unsigned type that holds them (most chunks repeat a term < 256×)."""
    top = int(counts.max()) if len(counts) else 0
    return counts.astype(np.uint8 if top < 256 else np.uint16 if top < 65536 else np.uint32)


class Columns(NamedTuple):
    """Term counts column by column (a CSC matrix): for each term the chunks that hold it.

    Attributes:
        indptr: Column ``t`` is ``rows[indptr[t]:indptr[t + 1]]`` (int64, terms + 1 long).
        rows: The chunk row of each entry (int32), ascending within a column.
        frequencies: How often the term occurs in that chunk.
    """

    indptr: np.ndarray
    rows: np.ndarray
    frequencies: np.ndarray


#: From this many entries on, the transposition uses scipy's linear-time sparse conversion
#: (twice as fast as sorting at 40M entries); below, numpy's sort avoids importing scipy
#: (0.3 s), which would be most of the cost of a small update.
SCIPY_FROM_ENTRIES = 1_000_000


def transpose(counts: TermCounts, term_count: int) -> tuple[TermCounts, Columns]:
    """Sum repeated entries and turn the rows into columns.

    Args:
        counts: Term counts chunk by chunk (repeats allowed).
        term_count: The vocabulary size (term ids are below it).

    Returns:
        The counts with one entry per (chunk, term), terms ascending in each chunk, and the same
        entries column by column, rows ascending in each column.
    """
    if len(counts.term_ids) < SCIPY_FROM_ENTRIES:
        return _transpose_by_sorting(counts, term_count)
    import scipy.sparse  # only writers of large segments; a query process never imports scipy

    # Copies: scipy sums duplicates in place, and the caller's counts must stay as they are.
    matrix = scipy.sparse.csr_matrix(
        (
            np.array(counts.counts, dtype=np.int64),
            np.array(counts.term_ids, dtype=np.int32),
            np.array(counts.row_starts, dtype=np.int64),
        ),
        shape=(counts.chunk_count, term_count),
    )
    matrix.sum_duplicates()  # linear, in C++: one entry per (chunk, term), terms sorted per row
    reduced = TermCounts(
        matrix.indptr.astype(np.int64), matrix.indices.astype(np.int32), _compact(matrix.data)
    )
    columns = matrix.tocsc()  # linear too; rows ascending within each column
    return reduced, Columns(
        columns.indptr.astype(np.int64), columns.indices.astype(np.int32), columns.data
    )


def _transpose_by_sorting(counts: TermCounts, term_count: int) -> tuple[TermCounts, Columns]:
    """:func:`transpose` with numpy's sort (for small counts: no scipy import)."""
    chunk_count = counts.chunk_count
    rows = np.repeat(np.arange(chunk_count, dtype=np.int64), np.diff(counts.row_starts))
    keys = rows * term_count + np.asarray(counts.term_ids, dtype=np.int64)
    unique, inverse = np.unique(keys, return_inverse=True)  # row-major, terms ascending
    frequencies = np.bincount(
        inverse, weights=np.asarray(counts.counts, dtype=np.float64), minlength=len(unique)
    ).astype(np.int64)
    entry_rows, entry_terms = np.divmod(unique, term_count)
    row_starts = np.zeros(chunk_count + 1, dtype=np.int64)
    np.cumsum(np.bincount(entry_rows, minlength=chunk_count), out=row_starts[1:])
    reduced = TermCounts(row_starts, entry_terms.astype(np.int32), _compact(frequencies))
    order = np.argsort(entry_terms, kind="stable")  # column-major, rows still ascending
    indptr = np.zeros(term_count + 1, dtype=np.int64)
    np.cumsum(np.bincount(entry_terms, minlength=term_count), out=indptr[1:])
    return reduced, Columns(indptr, entry_rows[order].astype(np.int32), frequencies[order])


class CountedChunks(NamedTuple):
    """Chunks as term counts: what a segment is built from.

    Attributes:
        ids: One chunk id per row (int64).
        vocabulary: Token → term id of ``counts``.
        counts: The rows' term counts.
    """

    ids: np.ndarray
    vocabulary: Mapping[str, int]
    counts: TermCounts

    @classmethod
    def of_tokens(cls, ids: Sequence[int], token_lists: Sequence[Sequence[str]]) -> CountedChunks:
        """Count token lists (see :func:`count_tokens`).

        Args:
            ids: One chunk id per list.
            token_lists: Each chunk's tokens.

        Returns:
            The counted chunks.

        Raises:
            ValueError: The lengths differ.
        """
        if len(ids) != len(token_lists):
            raise ValueError(f"{len(ids)} ids but {len(token_lists)} token lists")
        vocabulary, counts = count_tokens(token_lists)
        return cls(np.array(list(ids), dtype=np.int64), vocabulary, counts)

    def without(self, ids: np.ndarray) -> CountedChunks:
        """Leave some chunks out.

        Args:
            ids: The chunk ids to leave out.

        Returns:
            The other chunks, in the same order.
        """
        keep = ~np.isin(self.ids, ids)
        if keep.all():
            return self
        rows = np.flatnonzero(keep)
        return CountedChunks(self.ids[rows], self.vocabulary, self.counts.of_rows(rows))

    def sorted_by_id(self) -> CountedChunks:
        """Put the rows in ascending id order.

        Returns:
            The same chunks, sorted by id.
        """
        if not len(self.ids) or np.all(self.ids[1:] > self.ids[:-1]):
            return self
        order = np.argsort(self.ids, kind="stable")
        return CountedChunks(self.ids[order], self.vocabulary, self.counts.of_rows(order))


def concatenate(parts: Sequence[CountedChunks]) -> CountedChunks:
    """Join chunk counts of several vocabularies into one (terms no chunk holds are left out).

    Args:
        parts: Counted chunks, in the row order wanted.

    Returns:
        Their rows one after the other, under one vocabulary numbered in first-use order.
    """
    vocabulary: dict[str, int] = {}
    ids, starts, terms, counts = [], [np.zeros(1, dtype=np.int64)], [], []
    offset = 0
    for part in parts:
        tokens = list(part.vocabulary)
        columns = np.fromiter(part.vocabulary.values(), dtype=np.int64, count=len(tokens))
        token_of = np.empty(len(tokens), dtype=object)
        token_of[columns] = tokens
        mapping = np.zeros(len(tokens), dtype=np.int64)
        used = np.unique(part.counts.term_ids)
        mapping[used] = [vocabulary.setdefault(t, len(vocabulary)) for t in token_of[used]]
        ids.append(part.ids)
        starts.append(part.counts.row_starts[1:] + offset)
        terms.append(mapping[part.counts.term_ids])
        counts.append(np.asarray(part.counts.counts, dtype=np.int64))
        offset += len(part.counts.term_ids)
    if not ids:
        empty = np.zeros(0, dtype=np.int64)
        return CountedChunks(empty, {}, TermCounts(starts[0], empty, empty))
    return CountedChunks(
        np.concatenate(ids).astype(np.int64),
        vocabulary,
        TermCounts(np.concatenate(starts), np.concatenate(terms), np.concatenate(counts)),
    )
