"""Reading one published version of a Qdrant index: its points, chunks, documents and files.

:class:`QdrantView` pins a version: every scroll carries its visibility filter and every point
read by id is checked against it, so what a writer is adding or removing at the same time stays
invisible. :class:`QdrantRecords` answers the record lookups of the
:class:`~semsearch.storage.base.SearchIndex` protocol on top; the reader
(:class:`~semsearch.storage.qdrant.reader.QdrantIndex`) adds search.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from semsearch.errors import IndexStoreError
from semsearch.ingest import RemovedLine, SkippedFile
from semsearch.storage.data import (
    ChunkFilter,
    DocumentRecord,
    FileScope,
    FileState,
    StoredChunk,
    StoredFile,
)
from semsearch.storage.manifest import Manifest, sentence_info
from semsearch.storage.qdrant import connection as connections
from semsearch.storage.qdrant.schema import (
    CHUNK,
    CHUNK_VECTOR,
    DOCUMENT,
    KEYWORDS,
    SENTENCES,
    SOURCES,
    chunk_conditions,
    document_record,
    is_visible,
    of_kind,
    record_id,
    slot_vector,
    stored_chunk,
    visible_at,
)
from semsearch.storage.qdrant.state import EngineState
from semsearch.storage.qdrant.versions import SCROLL_PAGE, scroll_points

#: Filters whose chunk ids are kept (the page re-runs a query as the user types).
FILTER_CACHE_SIZE = 16
#: Payload keys that say which versions see a point.
VISIBILITY = ["v_add", "v_del"]


class QdrantView:
    """One published version of a Qdrant index, for reading its points.

    Args:
        connection: The connection (released by :meth:`close`).
        index: The index name (its alias).
        manifest: The version's manifest.
    """

    def __init__(self, connection: connections.Connection, index: str, manifest: Manifest) -> None:
        self.index_dir = index
        self.manifest = manifest
        # What the protocol asks of a version, fixed with it (plain attributes).
        self.generation = manifest.generation
        self.model_id = manifest.model_id
        self.dimension = manifest.dimension
        self.chunk_count = manifest.chunk_count
        self.document_count = manifest.document_count
        self.has_sentence_vectors = manifest.has_sentence_vectors
        self.state = EngineState.of(manifest, index)
        self.collection = self.state.collection
        self.version = self.state.version
        self.keyword_vector = slot_vector(KEYWORDS, self.state.slots[KEYWORDS])
        self.sentence_vector = slot_vector(SENTENCES, self.state.slots[SENTENCES])
        self._connection: connections.Connection | None = connection

    @property
    def connection(self) -> connections.Connection:
        """The open connection (IndexStoreError after :meth:`close`)."""
        if self._connection is None:
            raise IndexStoreError(f"The index {self.index_dir} was closed.", None)
        return self._connection

    def _filter(self, *conditions: Any) -> Any:
        from qdrant_client import models

        return models.Filter(must=[*visible_at(self.version), *conditions])

    def scroll(
        self, conditions: Sequence[Any], payload: Any = True, vectors: Any = False
    ) -> Iterator[Any]:
        """Every point of this version that passes the conditions, page by page."""
        conditions = [*visible_at(self.version), *conditions]
        return scroll_points(self.connection, self.collection, conditions, payload, vectors)

    def retrieve(
        self, ids: Iterable[Any], payload: Sequence[str] = (), vectors: Sequence[str] = ()
    ) -> dict[Any, Any]:
        """The points of this version with these ids, by id (others left out)."""
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return {}
        points = self.connection.call(
            "retrieve",
            self.collection,
            wanted,
            with_payload=list(dict.fromkeys([*payload, *VISIBILITY])) if payload else True,
            with_vectors=list(vectors) or False,
        )
        return {p.id: p for p in points if is_visible(p.payload, self.version)}

    def _points_of_keys(self, keys: Iterable[str], vector: str) -> dict[str, Any]:
        from qdrant_client import models

        wanted = list(dict.fromkeys(keys))
        found: dict[str, Any] = {}
        for start in range(0, len(wanted), SCROLL_PAGE):
            condition = models.FieldCondition(
                key="embed_key", match=models.MatchAny(any=wanted[start : start + SCROLL_PAGE])
            )
            for point in self.scroll([condition], payload=["embed_key"], vectors=[vector]):
                key = point.payload["embed_key"]
                if key not in found or int(point.id) < int(found[key].id):
                    found[key] = point
        return found

    def vectors_for_keys(self, keys: Iterable[str]) -> dict[str, np.ndarray]:
        """Stored chunk vectors by content key (``embed_key``), for those present."""
        points = self._points_of_keys(keys, CHUNK_VECTOR)
        return {
            key: np.asarray(p.vector[CHUNK_VECTOR], dtype=np.float32) for key, p in points.items()
        }

    def sentence_vectors_for_keys(self, keys: Iterable[str]) -> dict[str, np.ndarray]:
        """Stored sentence vectors by content key (maybe 0 rows), if complete and current."""
        if self.manifest.sentence_vectors != sentence_info():
            return {}
        empty = np.zeros((0, self.dimension), dtype=np.float32)
        return {
            key: np.asarray(p.vector[self.sentence_vector], dtype=np.float32)
            if p.vector and p.vector.get(self.sentence_vector)
            else empty
            for key, p in self._points_of_keys(keys, self.sentence_vector).items()
        }

    def close(self) -> None:
        """Release the connection (the view is unusable afterwards; safe to call twice)."""
        if self._connection is not None:
            connections.release(self._connection)
            self._connection = None


class QdrantRecords(QdrantView):
    """The chunks, documents and files of one version (the record half of the reader).

    Args:
        connection: The connection (released by :meth:`close`).
        index: The index name (its alias).
        manifest: The version's manifest.
    """

    def __init__(self, connection: connections.Connection, index: str, manifest: Manifest) -> None:
        super().__init__(connection, index, manifest)
        self._matching = functools.lru_cache(maxsize=FILTER_CACHE_SIZE)(self._matching_ids)

    def chunks(self, ids: Sequence[int]) -> list[StoredChunk]:
        """The chunks with these ids, same order (KeyError for an unknown id)."""
        wanted = [int(i) for i in ids]
        points = self.retrieve(wanted)
        missing = [i for i in wanted if i not in points]
        if missing:
            raise KeyError(f"chunk ids not in {self.generation}: {missing[:10]}")
        return [stored_chunk(points[i].payload) for i in wanted]

    def neighbours(
        self, chunk_id: int, before: int = 1, after: int = 1
    ) -> tuple[list[StoredChunk], list[StoredChunk]]:
        """Up to ``before`` and ``after`` chunks around a chunk in its document, in order.

        A document's chunks have consecutive ids (the writer gives them out together), so the
        neighbours are read by id; the document and index are checked all the same.
        """
        around = range(max(chunk_id - max(before, 0), 1), chunk_id + max(after, 0) + 1)
        points = self.retrieve(around)
        if chunk_id not in points:
            raise KeyError(f"chunk id {chunk_id} not in {self.generation}")
        chunk = stored_chunk(points.pop(chunk_id).payload)
        near = [stored_chunk(p.payload) for p in points.values()]
        near = sorted((c for c in near if c.doc_id == chunk.doc_id), key=lambda c: c.index)
        return (
            [c for c in near if c.index < chunk.index],
            [c for c in near if c.index > chunk.index],
        )

    def chunk_ids(self, where: ChunkFilter | None = None) -> np.ndarray:
        """Sorted ids of the chunks that pass the filter (all without one); read-only."""
        return self._matching(where or ChunkFilter())

    def _matching_ids(self, where: ChunkFilter) -> np.ndarray:
        if where.doc_ids is not None and not where.doc_ids:
            ids = np.zeros(0, dtype=np.int64)
        else:
            points = self.scroll([of_kind(CHUNK), *chunk_conditions(where)], payload=False)
            ids = np.sort(np.fromiter((int(p.id) for p in points), dtype=np.int64))
        ids.setflags(write=False)
        return ids

    def _document_points(self, *conditions: Any, text: bool = False) -> list[Any]:
        from qdrant_client import models

        payload = True if text else models.PayloadSelectorExclude(exclude=["text", "removed"])
        return list(self.scroll([of_kind(DOCUMENT), *conditions], payload=payload))

    def document_points(self) -> list[Any]:
        """Every document point of this version, without texts (for the writer)."""
        return self._document_points()

    def documents(self) -> list[DocumentRecord]:
        """Every document without its text, ordered by path."""
        records = [document_record(p.payload) for p in self._document_points()]
        return sorted(records, key=lambda d: (d.path, d.doc_id))

    def _document_point(self, doc_id: str) -> Any | None:
        from qdrant_client import models

        condition = models.FieldCondition(key="doc_id", match=models.MatchValue(value=doc_id))
        found = self._document_points(condition, text=True)
        return found[0] if found else None

    def document(self, doc_id: str) -> DocumentRecord:
        """One document with its cleaned text (IndexStoreError for an unknown id)."""
        point = self._document_point(doc_id)
        if point is None:
            raise IndexStoreError(
                f"There is no document {doc_id!r} in the index {self.index_dir}.",
                f"List the documents with: semsearch info --engine qdrant --index {self.index_dir}",
            )
        return document_record(point.payload)

    def removed_lines(self, doc_id: str) -> list[RemovedLine]:
        """The lines cleaning removed from a document (empty for an unknown id)."""
        point = self._document_point(doc_id)
        return [RemovedLine(*item) for item in point.payload["removed"]] if point else []

    def skipped_files(self) -> list[SkippedFile]:
        """The files the last build/update could not index, with the reasons."""
        version = self.state.sources_version
        if not version:
            return []
        points = self.retrieve([record_id(SOURCES, "", version)])
        rows = next(iter(points.values())).payload["skipped"] if points else []
        return [SkippedFile(path, reason) for path, reason in sorted(map(tuple, rows))]

    def stored_files(self, scope: FileScope | None = None) -> list[StoredFile]:
        """Each document's file state (the indexer's view of what is indexed); with ``scope``,
        the documents it selects (filtered here, after reading every document point)."""
        files = []
        for point in self._document_points():
            payload = point.payload
            state = None
            if payload.get("file_path") is not None:
                state = FileState(
                    payload["file_path"], payload["file_size"], payload["file_mtime_ns"]
                )
            files.append(
                StoredFile(payload["doc_id"], payload["path"], payload["content_hash"], state)
            )
        return files if scope is None else [stored for stored in files if scope.holds(stored)]
