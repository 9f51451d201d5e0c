"""Document records of the version being written: added, restated, removed.

A document point is never edited once a reader may see it: a new file state is a new point of
the writer's version, and the old point is marked removed at commit, like a removed document's
point and its chunks (:data:`DocumentBook.retired`). A document's chunks have consecutive ids,
so its point records the first id and the count.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from semsearch.storage.data import FileState, ReprintState
from semsearch.storage.qdrant.schema import (
    DOCUMENT,
    KIND,
    LIVE,
    record_id,
    reprint_fields,
    reprint_state,
)

if TYPE_CHECKING:
    from semsearch.ingest import Document
    from semsearch.storage.qdrant.reader import QdrantIndex

#: Published documents read per request when many are rewritten at once (texts included).
_RETRIEVE_BATCH = 256


def document_payload(
    document: Document, state: FileState | None, first_chunk_id: int, chunk_count: int, version: int
) -> dict[str, Any]:
    """The payload of a document point."""
    return {
        KIND: DOCUMENT,
        "v_add": version,
        "v_del": LIVE,
        "doc_id": document.doc_id,
        "path": document.path,
        "title": document.title,
        "date": document.date,
        "source": document.source,
        "author": document.author,
        "content_hash": document.content_hash,
        "script": document.script,
        "chunk_count": chunk_count,
        "first_chunk_id": first_chunk_id,
        "text": document.text,
        "removed": [[line.line_no, line.text, line.reason] for line in document.removed],
        **file_fields(state),
    }


def file_fields(state: FileState | None) -> dict[str, Any]:
    """The file-state keys of a document payload (None for a document not read from a file)."""
    return {
        "file_path": state.file_path if state else None,
        "file_size": state.size if state else None,
        "file_mtime_ns": state.mtime_ns if state else None,
    }


def chunk_range(payload: dict[str, Any]) -> list[int]:
    """The chunk ids of a document point."""
    first = int(payload["first_chunk_id"])
    return list(range(first, first + int(payload["chunk_count"])))


class DocumentBook:
    """The documents of the version being written, against the published ones.

    Args:
        base: The published version (None for a new index or a rebuild).
        version: The version being written.
    """

    def __init__(self, base: QdrantIndex | None, version: int) -> None:
        self._base = base
        self._version = version
        self._base_points: dict[str, Any] | None = None
        #: Payloads of document points this version writes, by doc id.
        self.written: dict[str, dict[str, Any]] = {}
        self.added: set[str] = set()
        self.removed: set[str] = set()
        #: Ids of published points this version removes (marked at commit).
        self.retired: list[Any] = []

    def _published(self) -> dict[str, Any]:
        """The published version's document points (without texts), read once."""
        if self._base_points is None:
            points = self._base.document_points() if self._base is not None else []
            self._base_points = {p.payload["doc_id"]: p for p in points}
        return self._base_points

    def published(self, doc_id: str) -> Any | None:
        """The published point of a document this version has not removed, or None."""
        return None if doc_id in self.removed else self._published().get(doc_id)

    @property
    def count(self) -> int:
        """Documents in the version being written."""
        return len(self._published()) - len(self.removed) + len(self.added)

    def add(self, payload: dict[str, Any]) -> None:
        """Record a new document.

        Raises:
            ValueError: Its id is in the index already.
        """
        doc_id = payload["doc_id"]
        if doc_id in self.added or self.published(doc_id) is not None:
            raise ValueError(f"document {doc_id!r} is already in the index")
        self.written[doc_id] = payload
        self.added.add(doc_id)

    def take_added(self, doc_id: str) -> dict[str, Any] | None:
        """Forget a document added in this version; its payload, or None if it was not."""
        if doc_id not in self.added:
            return None
        self.added.discard(doc_id)
        return self.written.pop(doc_id)

    def remove_published(self, doc_id: str) -> list[int] | None:
        """Remove a published document; its chunk ids (to retire), or None if it is not there."""
        point = self.published(doc_id)
        if point is None:
            return None
        self.removed.add(doc_id)
        self.written.pop(doc_id, None)
        self.retired.append(point.id)
        return chunk_range(point.payload)

    def restate(self, doc_id: str, state: FileState) -> None:
        """Give a document a new file state (a new point for a published one)."""
        self._amend(doc_id, file_fields(state))

    def _amend(self, doc_id: str, fields: dict[str, Any]) -> None:
        """Change payload keys of a document (a new point for a published one)."""
        self._rewrite_published([doc_id])
        if doc_id in self.written:
            self.written[doc_id].update(fields)

    def _rewrite_published(self, doc_ids: list[str]) -> None:
        """Copy published documents not yet written into new points of this version (their
        full payloads read in one request) and retire the old points."""
        points = [self.published(d) for d in doc_ids if d not in self.written]
        points = [point for point in points if point is not None]
        if not points or self._base is None:
            return
        for start in range(0, len(points), _RETRIEVE_BATCH):
            batch = points[start : start + _RETRIEVE_BATCH]
            full = self._base.retrieve([point.id for point in batch])
            for point in batch:
                payload = full[point.id].payload
                self.written[payload["doc_id"]] = {
                    **payload,
                    "v_add": self._version,
                    "v_del": LIVE,
                }
                self.retired.append(point.id)

    def reprint_states(self) -> dict[str, ReprintState]:
        """The reprint signature and group of every document of the version being written."""
        states = {
            doc_id: reprint_state(point.payload)
            for doc_id, point in self._published().items()
            if doc_id not in self.removed
        }
        states.update({doc_id: reprint_state(p) for doc_id, p in self.written.items()})
        return states

    def set_reprints(self, states: dict[str, ReprintState]) -> None:
        """Record documents' reprint signatures and groups."""
        self._rewrite_published(list(states))
        for doc_id, state in states.items():
            self._amend(doc_id, reprint_fields(state))

    def points(self) -> list[Any]:
        """The document points this version writes."""
        from qdrant_client import models

        return [
            models.PointStruct(
                id=record_id(DOCUMENT, doc_id, self._version), vector={}, payload=payload
            )
            for doc_id, payload in sorted(self.written.items())
        ]
