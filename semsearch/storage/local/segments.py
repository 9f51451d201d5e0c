"""The segments of an opened generation: each chunk id's home, and vector search over all of them.

A segment holds the chunks one write added (or a merge joined): their records, vectors and BM25
postings, written once. Segments cover disjoint, increasing ranges of chunk ids (a write gives
out ids above every existing one, and a merge joins neighbours), so the segment of an id is found
by binary search. A deleted chunk stays in its segment, listed in the generation's tombstones,
until a merge rewrites the segment; every lookup here leaves it out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import numpy as np

from semsearch.lexical.bm25_segment import KeywordSegment
from semsearch.storage.local.records import SegmentRecords
from semsearch.storage.local.sentence_file import SentenceFile
from semsearch.storage.local.vectors import (
    EXACT_FILTER_MAX_CHUNKS,
    best_first,
    exact_scores,
    index_search,
)

if TYPE_CHECKING:
    import faiss


class Segment:
    """One opened segment.

    Its records are open and its chunk ids known; its vectors and BM25 postings are read on
    first use (a reader of the index asks for them at once, so deleting the generation later
    does not disturb it; a writer asks only for those of segments it merges).

    Args:
        name: Its folder's name (empty for the one segment of a format-1 generation).
        path: Its folder.
        records: Its chunks, document texts and sentence vectors.
        ids: Its chunk ids, sorted (deleted ones included).
        lengths: Each chunk's token count, in the order of ``ids``.
        deleted: The ids of its deleted chunks, sorted.
        load: Reads its vector index and BM25 postings (and checks them against ``ids``).
        pinned: Its files, opened at once so that reading them later works even after the
            generation is deleted; closed once read.
        sentence_file: Its sentence vectors, memory-mapped (None: read from its records).
    """

    def __init__(
        self,
        name: str,
        path: Path,
        records: SegmentRecords,
        ids: np.ndarray,
        lengths: np.ndarray,
        deleted: np.ndarray,
        load: Callable[[], tuple[faiss.Index, KeywordSegment]],
        pinned: Sequence[BinaryIO] = (),
        sentence_file: SentenceFile | None = None,
    ) -> None:
        self.name = name
        self.path = path
        self.records = records
        self.ids = ids
        self.lengths = lengths
        self.deleted = deleted
        self._load = load
        self._pinned = list(pinned)
        self._loaded: tuple[faiss.Index, KeywordSegment] | None = None
        self.sentence_file = sentence_file

    def _contents(self) -> tuple[faiss.Index, KeywordSegment]:
        if self._loaded is None:
            self._loaded = self._load()
            self.unpin()
        return self._loaded

    def unpin(self) -> None:
        """Close the files opened for reading later (when read, or when the segment closes)."""
        for handle in self._pinned:
            handle.close()
        self._pinned = []

    @property
    def vectors(self) -> faiss.Index:
        """Its vector index, in memory (read on first use)."""
        return self._contents()[0]

    @property
    def keyword(self) -> KeywordSegment:
        """Its BM25 postings, in memory (read on first use)."""
        return self._contents()[1]

    @property
    def live_count(self) -> int:
        """How many of its chunks are not deleted."""
        return len(self.ids) - len(self.deleted)


class SegmentSet:
    """The segments of one generation, in chunk id order, and its tombstones.

    Args:
        segments: The opened segments, in chunk id order.
        dimension: The vector size.
    """

    def __init__(self, segments: list[Segment], dimension: int) -> None:
        self.segments = segments
        self.dimension = dimension
        self._holding = [s for s in segments if len(s.ids)]
        self._firsts = np.array([s.ids[0] for s in self._holding], dtype=np.int64)
        deleted = [s.deleted for s in segments]
        self.deleted = np.concatenate(deleted) if deleted else np.zeros(0, dtype=np.int64)

    def live_ids(self) -> np.ndarray:
        """Every live chunk id.

        Returns:
            The ids, sorted (int64).
        """
        parts = [np.setdiff1d(s.ids, s.deleted, assume_unique=True) for s in self._holding]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)

    def split(self, ids: np.ndarray) -> Iterator[tuple[Segment, np.ndarray, np.ndarray]]:
        """Group live ids by segment (unknown and deleted ids are left out).

        Args:
            ids: Chunk ids.

        Yields:
            ``(segment, the ids it holds, their positions in ids)``.
        """
        ids = np.asarray(ids, dtype=np.int64)
        if not len(ids) or not len(self._holding):
            return
        for segment, positions in self._owners(ids):
            wanted = ids[positions]
            at = np.minimum(np.searchsorted(segment.ids, wanted), len(segment.ids) - 1)
            held = segment.ids[at] == wanted
            if len(segment.deleted):
                held &= ~np.isin(wanted, segment.deleted)
            if held.any():
                yield segment, wanted[held], positions[held]

    def _owners(self, ids: np.ndarray) -> Iterator[tuple[Segment, np.ndarray]]:
        """The segment whose range each id falls in: ``(segment, positions in ids)``."""
        if len(self._holding) == 1:
            # One segment (a fresh or merged index): every lookup of a search comes here, and
            # grouping ids by segment costs more than the lookup itself.
            yield self._holding[0], np.arange(len(ids))
            return
        owners = np.searchsorted(self._firsts, ids, side="right") - 1
        for number in np.unique(owners[owners >= 0]):
            yield self._holding[int(number)], np.flatnonzero(owners == number)

    def vectors_of(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The stored vectors of some chunks.

        Args:
            ids: Chunk ids (unknown and deleted ones are left out).

        Returns:
            ``(ids found, one vector per id)``.
        """
        found, matrices = [], []
        for segment, wanted, _positions in self.split(ids):
            found.append(wanted)
            matrices.append(segment.vectors.reconstruct_batch(wanted))
        if not found:
            return np.zeros(0, dtype=np.int64), np.zeros((0, self.dimension), dtype=np.float32)
        return np.concatenate(found), np.concatenate(matrices)

    def dense_search(
        self, query: np.ndarray, k: int, allowed: np.ndarray | None
    ) -> list[tuple[int, float]]:
        """The ``k`` live chunks nearest to a ``(1, dimension)`` query, best first.

        Args:
            query: The normalized query vector.
            k: How many results at most.
            allowed: Only these chunks are candidates (None: all).

        Returns:
            ``(chunk id, cosine)`` pairs, ties broken by the lower id.
        """
        if allowed is not None and allowed.size <= EXACT_FILTER_MAX_CHUNKS:
            # A small filter: score the allowed chunks exactly from their stored vectors.
            found, matrix = self.vectors_of(allowed)
            return best_first(found, matrix @ query[0], k)
        hits: list[tuple[int, float]] = []
        if allowed is None:
            for segment in self._holding:
                hits += index_search(segment.vectors, query, k, excluded=segment.deleted)
        else:
            for segment, wanted, _positions in self.split(allowed):
                hits += index_search(segment.vectors, query, k, allowed=wanted)
        if not hits:
            return []
        ids = np.array([chunk_id for chunk_id, _ in hits], dtype=np.int64)
        scores = np.array([score for _, score in hits], dtype=np.float32)
        return best_first(ids, scores, k)

    def dense_scores(self, query: np.ndarray, ids: np.ndarray) -> np.ndarray:
        """The exact cosine of some chunks to a query.

        Args:
            query: The normalized ``(1, dimension)`` query.
            ids: Chunk ids.

        Returns:
            One float32 cosine per id, NaN for an unknown or deleted one.
        """
        scores = np.full(len(ids), np.nan, dtype=np.float32)
        for segment, wanted, positions in self.split(ids):
            scores[positions] = exact_scores(segment.vectors, query[0], wanted)
        return scores

    def close(self) -> None:
        """Close every segment's records and files."""
        for segment in self.segments:
            segment.records.close()
            segment.unpin()
            if segment.sentence_file is not None:
                segment.sentence_file.close()
