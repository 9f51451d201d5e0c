"""The records of one opened generation: documents from its catalog, chunks from its segments.

:class:`StoredRecords` answers every record lookup of the
:class:`~semsearch.storage.base.SearchIndex` protocol; the local reader
(:class:`~semsearch.storage.local.reader.LocalIndex`) adds search on top.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from semsearch.errors import IndexStoreError
from semsearch.ingest import RemovedLine, SkippedFile
from semsearch.storage.data import ChunkFilter, DocumentRecord, FileScope, StoredChunk, StoredFile
from semsearch.storage.local.catalog import Catalog
from semsearch.storage.local.segments import SegmentSet

#: Filters whose chunk ids are kept: the app re-runs a query as the user types and an
#: evaluation runs thousands, and resolving a broad date range costs a scan of the catalog.
FILTER_CACHE_SIZE = 16
#: Chunks kept in memory per reader at most (about 1.5 KB each with their text): the pools of
#: successive searches share most of their chunks on a small index (a generation never changes).
CHUNKS_KEPT = 20_000


class StoredRecords:
    """Documents, chunks, file states and skipped files of one generation.

    Args:
        index_dir: The index folder.
        generation_dir: The generation's folder.
        catalog: Its catalog, opened read-only.
        segments: Its segments, opened.
    """

    def __init__(
        self, index_dir: Path, generation_dir: Path, catalog: Catalog, segments: SegmentSet
    ) -> None:
        self.index_dir = index_dir
        self.path = generation_dir
        self.generation = generation_dir.name
        self.catalog = catalog
        self.segments = segments
        self._by_name = {segment.name: segment for segment in segments.segments}
        self._filters: dict[ChunkFilter, np.ndarray] = {}
        self._filters_lock = threading.Lock()
        self._known_chunks: dict[int, StoredChunk] = {}

    def chunks(self, ids: Sequence[int]) -> list[StoredChunk]:
        """The chunks with these ids.

        Args:
            ids: Chunk ids.

        Returns:
            The chunks, in the order of ``ids``.

        Raises:
            KeyError: An id is not in this generation (or its chunk was deleted).
        """
        wanted = [int(i) for i in ids]
        known = self._known_chunks
        found_chunks = {}
        for i in wanted:  # get(): another thread may clear the dict meanwhile
            chunk = known.get(i)
            if chunk is not None:
                found_chunks[i] = chunk
        unread = [i for i in dict.fromkeys(wanted) if i not in found_chunks]
        if unread:
            rows = []
            for segment, found, _positions in self.segments.split(np.array(unread, np.int64)):
                rows += segment.records.chunk_rows(found.tolist())
            places = self.catalog.places([row[1] for row in rows])
            read = {row[0]: StoredChunk(*row, *places[row[1]]) for row in rows}
            # Kept for the life of the reader, like the places: a 150-chunk pool read from
            # SQLite cost about 1 ms of a 5 ms search at 5k chunks.
            if len(known) + len(read) > CHUNKS_KEPT:
                known.clear()
            known.update(read)
            found_chunks.update(read)
        missing = [i for i in wanted if i not in found_chunks]
        if missing:
            raise KeyError(f"chunk ids not in {self.generation}: {missing[:10]}")
        return [found_chunks[i] for i in wanted]

    def neighbours(
        self, chunk_id: int, before: int = 1, after: int = 1
    ) -> tuple[list[StoredChunk], list[StoredChunk]]:
        """The chunks around a chunk in its document.

        Args:
            chunk_id: The chunk.
            before: How many chunks before it, at most.
            after: How many chunks after it, at most.

        Returns:
            The chunks before it and the chunks after it, each in document order.

        Raises:
            KeyError: The chunk is not in this generation.
        """
        found = self.neighbours_of([chunk_id], before, after)
        if int(chunk_id) not in found:
            raise KeyError(f"chunk id {chunk_id} not in {self.generation}")
        return found[int(chunk_id)]

    def neighbours_of(
        self, chunk_ids: Sequence[int], before: int = 1, after: int = 1
    ) -> dict[int, tuple[list[StoredChunk], list[StoredChunk]]]:
        """The chunks around each of some chunks in its document (see :meth:`neighbours`).

        Args:
            chunk_ids: The chunks.
            before: How many chunks before each, at most.
            after: How many chunks after each, at most.

        Returns:
            Chunk id → ``(chunks before, chunks after)``, for the chunks of this generation.
        """
        rows: list[tuple] = []
        for segment, held, _positions in self.segments.split(np.array(chunk_ids, np.int64)):
            rows += segment.records.rows_around(held.tolist(), max(before, 0), max(after, 0))
        places = self.catalog.places([row[2] for row in rows])
        around: dict[int, list[StoredChunk]] = {}
        for asked, *row in rows:
            around.setdefault(asked, []).append(StoredChunk(*row, *places[row[1]]))
        found = {}
        for asked, chunks in around.items():
            index = next((c.index for c in chunks if c.chunk_id == asked), None)
            if index is not None:
                found[asked] = (
                    [c for c in chunks if c.index < index],
                    [c for c in chunks if c.index > index],
                )
        return found

    def documents(self) -> list[DocumentRecord]:
        """Every document, without its text.

        Returns:
            The records, ordered by path.
        """
        return self.catalog.documents()

    def _document_text(self, doc_id: str) -> tuple[DocumentRecord, str, list[RemovedLine]] | None:
        found = self.catalog.document(doc_id)
        if found is None:
            return None
        record, segment_name = found
        segment = self._by_name.get(segment_name or "") or self.segments.segments[0]
        text, removed = segment.records.document_text(doc_id) or ("", [])
        return record, text, removed

    def document(self, doc_id: str) -> DocumentRecord:
        """One document with its cleaned text.

        Args:
            doc_id: The document.

        Returns:
            Its record.

        Raises:
            IndexStoreError: No document with that id (the hint says how to list them).
        """
        found = self._document_text(doc_id)
        if found is None:
            raise IndexStoreError(
                f"There is no document {doc_id!r} in the index {self.index_dir}.",
                f"List the documents with: semsearch info --index {self.index_dir}",
                key="index.no_document",
                params={"document": doc_id, "index": self.index_dir},
            )
        record, text, _removed = found
        return replace(record, text=text)

    def removed_lines(self, doc_id: str) -> list[RemovedLine]:
        """The lines cleaning removed from a document.

        Args:
            doc_id: The document.

        Returns:
            The lines (empty for an unknown id).
        """
        found = self._document_text(doc_id)
        return found[2] if found is not None else []

    def chunk_ids(self, where: ChunkFilter | None = None) -> np.ndarray:
        """The live chunks that pass a filter (kept for the next call with the same filter).

        Args:
            where: The filter (None or empty: every chunk).

        Returns:
            Sorted int64 ids, read-only.
        """
        where = where or ChunkFilter()
        with self._filters_lock:
            cached = self._filters.get(where)
        if cached is not None:
            return cached
        ids = self.segments.live_ids() if where.is_empty else self.catalog.matching_chunk_ids(where)
        ids.setflags(write=False)
        with self._filters_lock:
            if len(self._filters) >= FILTER_CACHE_SIZE:
                self._filters.pop(next(iter(self._filters)))
            self._filters[where] = ids
        return ids

    def skipped_files(self) -> list[SkippedFile]:
        """The files the last build/update could not index.

        Returns:
            Each file with the reason, ordered by path.
        """
        return self.catalog.skipped_files()

    def stored_files(self, scope: FileScope | None = None) -> list[StoredFile]:
        """Each document's file state (the indexer's view of what is indexed).

        Args:
            scope: Only the documents it selects (None: every document).

        Returns:
            One entry per document selected.
        """
        return self.catalog.stored_files(scope)

    def chunk_texts(self) -> list[tuple[int, str, str]]:
        """Every live chunk's title and text (to re-tokenize them).

        Returns:
            ``(chunk_id, title, text)`` rows, by id.
        """
        rows: list[tuple[int, str, str]] = []
        for segment in self.segments.segments:
            deleted = set(segment.deleted.tolist())
            rows += [row for row in segment.records.chunk_texts() if row[0] not in deleted]
        return sorted(rows)

    def first_chunk_of_keys(self, keys: Iterable[str]) -> dict[str, int]:
        """Where the vectors of some passages are stored.

        Args:
            keys: Content keys (``embed_key``).

        Returns:
            Each key a live chunk holds → the lowest such chunk id.
        """
        keys = list(dict.fromkeys(keys))
        first: dict[str, int] = {}
        deleted = set(self.segments.deleted.tolist())
        for segment in self.segments.segments:
            for key, chunk_id in segment.records.chunks_of_keys(keys):
                if chunk_id not in deleted and chunk_id < first.get(key, chunk_id + 1):
                    first[key] = chunk_id
        return first

    def close(self) -> None:
        """Close the databases (the records are unusable afterwards)."""
        self.segments.close()
        self.catalog.close()
