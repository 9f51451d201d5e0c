"""Document frequencies of every term, versioned with the index: exact IDF without asking Qdrant.

Qdrant applies IDF inside a search but no call returns it, and the searcher needs it twice:
``keyword_weights`` (the sentence evidence) and the exact rescoring of a pool. Probing the engine
one term at a time costs a full scan per term in local mode (6 s for 28 terms at 2k points), so
the writer keeps the table itself: ``df`` per term, split by ``term mod shards`` into payload
points. A write rewrites only the shards its chunks touched, under its own version, and the
manifest lists the version of each shard, so a reader fetches the few shards of its query's
terms by id — exactly the frequencies of its version, however the collection is changing.

The shard count is a power of two chosen so a shard holds about :data:`TERMS_PER_SHARD` terms
(one shard for a small index); when the vocabulary outgrows it the whole table is re-split.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from semsearch.storage.qdrant.schema import KIND, LIVE, TERMS, record_id

if TYPE_CHECKING:
    from semsearch.storage.qdrant.connection import Connection

#: Terms per shard point: about 300 KB of payload, a few milliseconds to read.
TERMS_PER_SHARD = 16384


def shard_count(term_count: int) -> int:
    """The number of shards for a table of ``term_count`` terms (a power of two)."""
    count = 1
    while count * TERMS_PER_SHARD < term_count:
        count *= 2
    return count


def shard_id(shard: int, version: int) -> str:
    """The point id of one shard as written by ``version``."""
    return record_id(TERMS, str(shard), version)


class TermFrequencies:
    """The frequency table of one version, read shard by shard as queries need them.

    Args:
        connection: The Qdrant connection.
        collection: The collection.
        shard_versions: The version of each shard's point (from the manifest).
        term_count: The number of distinct terms (from the manifest).
    """

    def __init__(
        self, connection: Connection, collection: str, shard_versions: list[int], term_count: int
    ) -> None:
        self._connection = connection
        self._collection = collection
        self.shard_versions = list(shard_versions)
        self.term_count = term_count
        self._shards: dict[int, dict[int, int]] = {}
        self._lock = threading.Lock()

    def of(self, terms: Iterable[int]) -> dict[int, int]:
        """The frequency of each given term the index holds (absent terms left out)."""
        terms = list(terms)
        count = len(self.shard_versions)
        if not count:
            return {}
        tables = self.shards({term % count for term in terms})
        found = {}
        for term in terms:
            frequency = tables[term % count].get(term)
            if frequency:
                found[term] = frequency
        return found

    def shards(self, wanted: Iterable[int]) -> dict[int, dict[int, int]]:
        """Some shards' tables (term → frequency), read once per reader."""
        wanted = set(wanted)
        with self._lock:
            missing = sorted(wanted - set(self._shards))
        if missing:
            ids = [shard_id(shard, self.shard_versions[shard]) for shard in missing]
            points = self._connection.call(
                "retrieve", self._collection, ids, with_payload=True, with_vectors=False
            )
            read = {
                int(point.payload["shard"]): dict(
                    zip(point.payload["terms"], point.payload["counts"], strict=True)
                )
                for point in points
            }
            with self._lock:
                self._shards.update({shard: read.get(shard, {}) for shard in missing})
        with self._lock:
            return {shard: self._shards[shard] for shard in wanted}

    def everything(self) -> dict[int, int]:
        """The whole table (to re-split it)."""
        table: dict[int, int] = {}
        for shard in self.shards(range(len(self.shard_versions))).values():
            table.update(shard)
        return table


def write_frequencies(
    connection: Connection,
    collection: str,
    base: TermFrequencies | None,
    changes: Counter[int],
    version: int,
    from_scratch: bool = False,
) -> tuple[list[int], int, list[str]]:
    """Write the shards a version changes.

    Args:
        connection: The Qdrant connection.
        collection: The collection written.
        base: The previous version's table (None for a new index).
        changes: Frequency changes per term (+1 per added chunk holding it, −1 per removed);
            with ``from_scratch``, the whole new table.
        version: The version being written.
        from_scratch: Replace the whole table by ``changes``.

    Returns:
        The new shard versions, the new number of distinct terms, and the ids of the base's
        shard points this version replaces (to be marked removed).
    """
    old_versions = base.shard_versions if base is not None else []
    replaced = [shard_id(shard, old) for shard, old in enumerate(old_versions)]
    if from_scratch or base is None or not old_versions:
        tables = _split(_apply({}, changes))
    else:
        grouped = _group(changes, len(old_versions))
        before = base.shards(grouped)
        tables = {shard: _apply(before[shard], grouped[shard]) for shard in grouped}
        term_count = base.term_count + sum(map(len, tables.values()))
        term_count -= sum(map(len, before.values()))
        if shard_count(term_count) == len(old_versions):
            new_versions = list(old_versions)
            for shard in tables:
                new_versions[shard] = version
            replaced = [shard_id(shard, old_versions[shard]) for shard in sorted(tables)]
            _upsert_shards(connection, collection, tables, version)
            return new_versions, term_count, replaced
        tables = _split(_apply(base.everything(), changes))
    _upsert_shards(connection, collection, tables, version)
    return [version] * len(tables), sum(map(len, tables.values())), replaced


def _upsert_shards(
    connection: Connection, collection: str, tables: dict[int, dict[int, int]], version: int
) -> None:
    points = [_shard_point(shard, table, version) for shard, table in sorted(tables.items())]
    for start in range(0, len(points), 16):
        connection.call("upsert", collection, points[start : start + 16], wait=True)


def _group(changes: Counter[int], count: int) -> dict[int, dict[int, int]]:
    """The changes of each shard."""
    grouped: dict[int, dict[int, int]] = {}
    for term, change in changes.items():
        grouped.setdefault(term % count, {})[term] = change
    return grouped


def _apply(table: dict[int, int], changes: dict[int, int]) -> dict[int, int]:
    """A table with changes applied (terms down to 0 dropped)."""
    updated = dict(table)
    for term, change in changes.items():
        frequency = updated.get(term, 0) + change
        if frequency > 0:
            updated[term] = frequency
        else:
            updated.pop(term, None)
    return updated


def _split(table: dict[int, int]) -> dict[int, dict[int, int]]:
    """A whole table cut into shards by ``term mod shards``."""
    count = shard_count(len(table))
    shards: dict[int, dict[int, int]] = {shard: {} for shard in range(count)}
    for term, frequency in table.items():
        shards[term % count][term] = frequency
    return shards


def _shard_point(shard: int, table: dict[int, int], version: int) -> Any:
    from qdrant_client import models

    terms = sorted(table)
    payload = {
        KIND: TERMS,
        "v_add": version,
        "v_del": LIVE,
        "shard": shard,
        "terms": terms,
        "counts": [table[term] for term in terms],
    }
    return models.PointStruct(id=shard_id(shard, version), vector={}, payload=payload)
