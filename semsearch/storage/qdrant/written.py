"""The chunk points a write has in Qdrant: the published ones it keeps, and its own.

A version being written is, in the collection, every chunk point with ``v_add`` up to its
version and no removal mark at or before it — less the published chunks it removes, which are
marked only at commit (until then they are kept in :attr:`WrittenChunks.removed`). Whatever has
to touch every chunk of the version (a rewrite of its BM25 weights or sentence vectors) reads
them here.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from semsearch.storage.qdrant.schema import CHUNK, of_kind, visible_at
from semsearch.storage.qdrant.terms import StoredTerms, read_stored_terms
from semsearch.storage.qdrant.versions import scroll_points

if TYPE_CHECKING:
    from semsearch.storage.qdrant.connection import Connection


class WrittenChunks:
    """The chunk points of the version being written.

    Args:
        connection: The Qdrant connection.
        collection: The collection written.
        version: The version being written.
    """

    def __init__(self, connection: Connection, collection: str, version: int) -> None:
        self._connection = connection
        self._collection = collection
        self._version = version
        #: Published chunks this version removes (marked at commit).
        self.removed: set[int] = set()

    def scroll(self, payload: list[str], vectors: list[str] | None = None) -> Iterator[Any]:
        """Every chunk point of the version, with these payload keys and vectors."""
        conditions = [of_kind(CHUNK), *visible_at(self._version)]
        points = scroll_points(
            self._connection, self._collection, conditions, payload, vectors or False
        )
        return (p for p in points if int(p.id) not in self.removed)

    def stored_terms(self, ids: Iterable[int], vector: str) -> dict[int, StoredTerms]:
        """Some chunks' sparse vectors (``vector``) and lengths, by id (absent ones left out)."""
        points = self._connection.call(
            "retrieve", self._collection, list(ids), with_payload=["length"], with_vectors=[vector]
        )
        stored = {int(p.id): read_stored_terms(p, vector) for p in points}
        return {chunk_id: terms for chunk_id, terms in stored.items() if terms is not None}

    def update_vectors(self, vectors_by_point: dict[Any, dict[str, Any]]) -> None:
        """Set named vectors of written points (only slots no reader of them uses)."""
        from qdrant_client import models

        points = [models.PointVectors(id=i, vector=v) for i, v in vectors_by_point.items()]
        self._connection.call("update_vectors", self._collection, points, wait=True)

    def delete(self, ids: Iterable[int]) -> None:
        """Delete points of this version's own (never published, so no reader has them)."""
        self._connection.call("delete", self._collection, list(ids), wait=True)
