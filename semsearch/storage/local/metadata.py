"""Reading one generation's ``meta.sqlite``: documents, chunks, file states, skipped files.

:class:`StoredRecords` holds the read-only connection of a published generation and answers
every record lookup of the :class:`~semsearch.storage.base.SearchIndex` protocol; the local
reader (:class:`~semsearch.storage.local.reader.LocalIndex`) adds search on top. A lock makes
the shared connection safe for the threads of the Streamlit app.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from semsearch.errors import IndexStoreError
from semsearch.ingest import RemovedLine, SkippedFile
from semsearch.sqlbatch import select_in
from semsearch.storage.base import (
    ChunkFilter,
    DocumentRecord,
    FileState,
    StoredChunk,
    StoredFile,
)
from semsearch.storage.local.generations import META_FILE
from semsearch.storage.manifest import damaged

_CHUNK_COLUMNS = (
    "c.chunk_id, c.doc_id, c.idx, c.paragraph, c.start_char, c.end_char, c.text, c.title, "
    "d.path, d.date"
)
_DOCUMENT_COLUMNS = "doc_id, path, title, date, source, author, content_hash, script, chunk_count"


class StoredRecords:
    """The records of one published generation, read from its database.

    Args:
        connection: The generation's database, opened read-only.
        index_dir: The index folder (for messages).
        generation_dir: The generation folder (for messages).
    """

    def __init__(
        self, connection: sqlite3.Connection, index_dir: Path, generation_dir: Path
    ) -> None:
        self.index_dir = index_dir
        self.path = generation_dir
        self.generation = generation_dir.name
        self._db = connection
        self._db_lock = threading.Lock()

    def select(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run a query; a damaged database is reported as such.

        Raises:
            IndexStoreError: SQLite cannot read the file.
        """
        return self._guarded(lambda: self._db.execute(sql, params).fetchall())

    def select_in(self, sql: str, values: Sequence[Any]) -> list[tuple[Any, ...]]:
        """Run ``sql`` with ``{marks}`` standing for the placeholders of ``values`` (batched)."""
        return self._guarded(lambda: select_in(self._db, sql, values))

    def _guarded(self, query: Callable[[], list[tuple[Any, ...]]]) -> list[tuple[Any, ...]]:
        try:
            with self._db_lock:
                return query()
        except sqlite3.DatabaseError as error:
            path = self.path / META_FILE
            raise damaged(path, f"cannot be read ({error})", self.index_dir) from None

    def chunks(self, ids: Sequence[int]) -> list[StoredChunk]:
        """Return the chunks with these ids, in the same order.

        Raises:
            KeyError: An id is not in this generation.
        """
        wanted = [int(i) for i in ids]
        rows = self.select_in(
            f"SELECT {_CHUNK_COLUMNS} FROM chunks c JOIN documents d USING (doc_id) "
            "WHERE c.chunk_id IN ({marks})",
            wanted,
        )
        found = {row[0]: StoredChunk(*row) for row in rows}
        missing = [i for i in wanted if i not in found]
        if missing:
            raise KeyError(f"chunk ids not in {self.generation}: {missing[:10]}")
        return [found[i] for i in wanted]

    def neighbours(
        self, chunk_id: int, before: int = 1, after: int = 1
    ) -> tuple[list[StoredChunk], list[StoredChunk]]:
        """Return up to ``before`` and ``after`` chunks around a chunk in its document, in order."""
        rows = self.select("SELECT doc_id, idx FROM chunks WHERE chunk_id = ?", (int(chunk_id),))
        if not rows:
            raise KeyError(f"chunk id {chunk_id} not in {self.generation}")
        doc_id, index = rows[0]
        around = self.select(
            f"SELECT {_CHUNK_COLUMNS} FROM chunks c JOIN documents d USING (doc_id) "
            "WHERE c.doc_id = ? AND c.idx BETWEEN ? AND ? AND c.idx != ? ORDER BY c.idx",
            (doc_id, index - max(before, 0), index + max(after, 0), index),
        )
        chunks = [StoredChunk(*row) for row in around]
        return [c for c in chunks if c.index < index], [c for c in chunks if c.index > index]

    def documents(self) -> list[DocumentRecord]:
        """Return every document (without its text), ordered by path."""
        rows = self.select(f"SELECT {_DOCUMENT_COLUMNS} FROM documents ORDER BY path, doc_id")
        return [DocumentRecord(*row, text="") for row in rows]

    def document(self, doc_id: str) -> DocumentRecord:
        """Return one document with its cleaned text.

        Raises:
            IndexStoreError: No document with that id (the hint says how to list them).
        """
        rows = self.select(
            f"SELECT {_DOCUMENT_COLUMNS}, text FROM documents WHERE doc_id = ?", (doc_id,)
        )
        if not rows:
            raise IndexStoreError(
                f"There is no document {doc_id!r} in the index {self.index_dir}.",
                f"List the documents with: semsearch info --index {self.index_dir}",
            )
        return DocumentRecord(*rows[0])

    def removed_lines(self, doc_id: str) -> list[RemovedLine]:
        """Return the lines cleaning removed from a document (empty for an unknown id)."""
        rows = self.select("SELECT removed FROM documents WHERE doc_id = ?", (doc_id,))
        if not rows:
            return []
        return [RemovedLine(*item) for item in json.loads(rows[0][0])]

    def matching_chunk_ids(self, where: ChunkFilter) -> np.ndarray:
        """Return the sorted int64 ids of the chunks whose document passes every condition."""
        conditions: list[str] = []
        params: list[Any] = []
        if where.doc_ids is not None:
            wanted = list(where.doc_ids)
            if not wanted:
                return np.zeros(0, dtype=np.int64)
            conditions.append(f"d.doc_id IN ({','.join('?' * len(wanted))})")
            params.extend(wanted)
        if where.date_from is not None:
            conditions.append("d.date >= ?")
            params.append(where.date_from)
        if where.date_to is not None:
            conditions.append("d.date <= ?")
            params.append(where.date_to)
        clause = f"WHERE {' AND '.join(conditions)}" if conditions else ""
        rows = self.select(
            f"SELECT c.chunk_id FROM chunks c JOIN documents d USING (doc_id) {clause} "
            "ORDER BY c.chunk_id",
            params,
        )
        return np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))

    def skipped_files(self) -> list[SkippedFile]:
        """Return the files the last build/update could not index, with the reasons."""
        rows = self.select("SELECT path, reason FROM skipped ORDER BY path")
        return [SkippedFile(path, reason) for path, reason in rows]

    def stored_files(self) -> list[StoredFile]:
        """Return each document's file state (the indexer's view of what is indexed)."""
        rows = self.select(
            "SELECT doc_id, path, content_hash, file_path, file_size, file_mtime_ns FROM documents"
        )
        files = []
        for doc_id, path, content_hash, file_path, size, mtime_ns in rows:
            state = FileState(file_path, size, mtime_ns) if file_path is not None else None
            files.append(StoredFile(doc_id, path, content_hash, state))
        return files

    def chunk_texts(self) -> list[tuple[int, str, str]]:
        """``(chunk_id, title, text)`` of every chunk, by id (to re-tokenize after an upgrade)."""
        return self.select("SELECT chunk_id, title, text FROM chunks ORDER BY chunk_id")

    def first_chunk_of_keys(self, keys: Iterable[str]) -> dict[str, int]:
        """The lowest chunk id holding each content key that is stored (see ``embed_key``)."""
        rows = self.select_in(
            "SELECT embed_key, min(chunk_id) FROM chunks "
            "WHERE embed_key IN ({marks}) GROUP BY embed_key",
            list(dict.fromkeys(keys)),
        )
        return {key: chunk_id for key, chunk_id in rows}

    def close(self) -> None:
        """Close the database (the records are unusable afterwards)."""
        with self._db_lock:
            self._db.close()


def count_rows(connection: sqlite3.Connection, path: Path, index_dir: Path) -> tuple[int, int]:
    """``(chunk rows, document rows)`` of a generation's database, checking every table reads.

    Args:
        connection: The database.
        path: Its file (for the message).
        index_dir: The index folder (for the hint).

    Raises:
        IndexStoreError: The file is not a valid index database.
    """
    try:
        (chunk_rows,) = connection.execute("SELECT count(*) FROM chunks").fetchone()
        (document_rows,) = connection.execute("SELECT count(*) FROM documents").fetchone()
        connection.execute("SELECT count(*) FROM skipped").fetchone()
    except sqlite3.DatabaseError as error:
        raise damaged(path, f"is not a valid index database ({error})", index_dir) from None
    return int(chunk_rows), int(document_rows)
