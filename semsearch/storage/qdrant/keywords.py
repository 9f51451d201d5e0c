"""The BM25 side of the version being written: statistics, frequency changes, average length.

Stored weights depend on the average chunk length (``avgdl``), a statistic of the whole
corpus. Rewriting every chunk's weights on each update would make updates cost O(corpus), so
the average is **frozen** in the manifest: a new index fixes it when its first chunks are
written (all chunks are added by then), updates keep it, and the true mean
(``total_length / N``) is watched. When it drifts by more than :data:`AVERAGE_LENGTH_TOLERANCE`,
the writer rewrites every chunk's weights with the new mean, into the other slot. Measured on
cmrc2018 (issue-13 research): the natural drift of growing the corpus by 10–50 % is about 0.2 %,
and a 1 % error in avgdl changes 4 of 300 top-10 keyword rankings — so within the tolerance
rankings are the local engine's; a tiny test corpus drifts past it on every change and is
rewritten, which makes it exact.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from semsearch.lexical import DEFAULT_B, DEFAULT_K1
from semsearch.storage.qdrant.frequencies import TermFrequencies, write_frequencies
from semsearch.storage.qdrant.pending import BATCH_SIZE
from semsearch.storage.qdrant.schema import KEYWORDS
from semsearch.storage.qdrant.state import EngineState, KeywordStatistics
from semsearch.storage.qdrant.terms import (
    BM25Parameters,
    ChunkTerms,
    StoredTerms,
    read_stored_terms,
    sparse_vector,
)

if TYPE_CHECKING:
    from semsearch.storage.qdrant.connection import Connection
    from semsearch.storage.qdrant.versions import Slots
    from semsearch.storage.qdrant.written import WrittenChunks

#: Relative drift of the true average chunk length from the frozen one that triggers a rewrite
#: of every weight (0.5 %: below the 1 % that changed 4/300 top-10 rankings, above the ~0.2 %
#: that growing a corpus moves it).
AVERAGE_LENGTH_TOLERANCE = 0.005


class KeywordBook:
    """BM25 statistics and frequency changes of the version being written.

    Args:
        state: The published version's state (None for a new index or a rebuild).
        slots: The writer's slots.
    """

    def __init__(self, state: EngineState | None, slots: Slots) -> None:
        base = state.keyword if state else KeywordStatistics(DEFAULT_K1, DEFAULT_B)
        self.statistics = dataclasses.replace(base)
        self._slots = slots
        self._changes: Counter[int] = Counter()
        self._table: Counter[int] | None = None
        # An index with chunks has its average fixed; a new or empty one fixes it later.
        self.parameters: BM25Parameters | None = base.parameters if base.chunk_count else None

    @property
    def vector(self) -> str:
        """The live sparse vector's name."""
        return self._slots.vector(KEYWORDS)

    def count(self, terms: Iterable[int], length: int, sign: int) -> None:
        """Count one chunk in (``sign`` 1) or out (−1): N, total length, frequencies."""
        statistics = self.statistics
        statistics.chunk_count += sign
        statistics.total_length += sign * length
        changes = self._table if self._table is not None else self._changes
        for term in terms:
            changes[int(term)] += sign

    def freeze(self) -> BM25Parameters:
        """The parameters of the weights written from now on (fixed at the first call)."""
        if self.parameters is None:
            statistics = self.statistics
            if statistics.chunk_count:
                statistics.average_length = statistics.total_length / statistics.chunk_count
            self.parameters = statistics.parameters
        return self.parameters

    def drifted(self) -> bool:
        """Whether the true average length left the tolerance around the frozen one."""
        statistics = self.statistics
        if not statistics.chunk_count or self.parameters is None:
            return False
        mean = statistics.total_length / statistics.chunk_count
        return abs(mean / self.parameters.average_length - 1.0) > AVERAGE_LENGTH_TOLERANCE

    def rewrite(
        self,
        written: WrittenChunks,
        held: list[ChunkTerms],
        terms_of: Callable[[Any, StoredTerms], ChunkTerms],
        on_batch: Callable[[], None],
    ) -> None:
        """Recount everything and write every written chunk's weights into the other slot.

        Args:
            written: The chunk points of the version (their weights are rewritten).
            held: The terms of the chunks not written yet (they are written with the new
                parameters later).
            terms_of: A written chunk's new terms, given its point (``title``, ``text``,
                ``v_add``) and its stored weights.
            on_batch: Called before each request.
        """
        vector = self.vector
        points = written.scroll(["title", "text", "length", "v_add"], [vector])
        chunks = []
        for point in points:
            stored = read_stored_terms(point, vector)
            if stored is not None:
                chunks.append((point.id, terms_of(point, stored)))
        everything = [terms for _, terms in chunks] + held
        self._table = Counter(term for terms in everything for term in terms.ids.tolist())
        self._changes.clear()
        statistics = self.statistics
        statistics.chunk_count = len(everything)
        statistics.total_length = sum(terms.length for terms in everything)
        statistics.average_length = statistics.total_length / max(statistics.chunk_count, 1)
        self.parameters = statistics.parameters
        self._slots.flip(KEYWORDS)
        for start in range(0, len(chunks), BATCH_SIZE):
            on_batch()
            written.update_vectors(
                {
                    point_id: {self.vector: sparse_vector(terms, self.parameters)}
                    for point_id, terms in chunks[start : start + BATCH_SIZE]
                }
            )

    def write_frequencies(
        self, connection: Connection, collection: str, base: TermFrequencies | None, version: int
    ) -> tuple[list[int], list[str]]:
        """Write the frequency shards this version changes.

        Returns:
            The new shard versions and the ids of the shard points they replace.
        """
        from_scratch = self._table is not None
        changes = self._table if self._table is not None else self._changes
        shards, term_count, replaced = write_frequencies(
            connection, collection, base, changes, version, from_scratch
        )
        self.statistics.term_count = term_count
        return shards, replaced


def recovered_terms(stored: StoredTerms, parameters: BM25Parameters) -> ChunkTerms:
    """A written chunk's terms, from its stored weights."""
    from semsearch.storage.qdrant.terms import recover_counts

    return ChunkTerms(
        stored.ids, recover_counts(stored.values, stored.length, parameters), stored.length
    )
