"""Reading a generation's catalog (``meta.sqlite``): documents, file states, skipped files.

From format 3 the catalog has two levels, a base and a delta
(:mod:`semsearch.storage.local.catalog_levels`); once the base is attached, every query here
reads both through the view ``documents``.

The catalog holds one small row per document: its metadata, the range of its chunk ids (a
document's chunks get consecutive ids) and the segment holding its text. Chunk records live in
the segments (:mod:`semsearch.storage.local.records`). A generation written before segments
(format 1) has every record in this one database; :class:`Catalog` reads both layouts, which
differ only in how a filter finds its chunks.
"""

from __future__ import annotations

import sqlite3
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from semsearch.ingest import SkippedFile
from semsearch.storage.data import DocumentRecord, FileState, StoredFile, prefix_range
from semsearch.storage.local.catalog_levels import BASE_SCHEMA, attach_base
from semsearch.storage.local.catalog_levels import counts as level_counts
from semsearch.storage.local.database import Database
from semsearch.storage.local.reprints import group_column, read_reprint_states
from semsearch.storage.manifest import damaged

if TYPE_CHECKING:
    from semsearch.errors import IndexStoreError
    from semsearch.storage.data import ChunkFilter, FileScope, ReprintSelection, ReprintState

#: Places (path, date) of documents kept in memory at most: about 200 bytes each.
PLACES_KEPT = 200_000

_DOCUMENT_COLUMNS = "doc_id, path, title, date, source, author, content_hash, script, chunk_count"


class Catalog(Database):
    """The catalog of one published generation (see :class:`Database` for the arguments).

    Attributes:
        legacy: Whether it is a format-1 database holding every record.
        base_path: The catalog's base, once attached (None: the delta holds every row).
    """

    legacy = False
    base_path: Path | None = None

    def attach_base(self, path: Path) -> None:
        """Read the catalog's base with its delta (this database), as one ``documents``.

        Args:
            path: The base file of the generation.

        Raises:
            IndexStoreError: SQLite cannot read the delta's schema or open the base.
        """
        try:
            self._db.execute("SELECT count(*) FROM main.sqlite_master").fetchone()
        except sqlite3.DatabaseError as error:
            raise self.damaged(f"is not a valid index database ({error})") from None
        try:
            attach_base(self._db, path)
        except sqlite3.DatabaseError as error:
            raise damaged(path, f"cannot be opened ({error})", self.index_dir) from None
        self.base_path = path

    def damaged(self, what: str) -> IndexStoreError:
        """The error saying the catalog is damaged, naming both files once it has two levels.

        Args:
            what: How it is damaged.

        Returns:
            The error to raise.
        """
        if self.base_path is None:
            return super().damaged(what)
        return damaged(f"{self.path} (or its base {self.base_path})", what, self.index_dir)

    @cached_property
    def _known_places(self) -> dict[str, tuple[str, str | None]]:
        return {}

    def documents(self) -> list[DocumentRecord]:
        """Every document, without its text.

        Returns:
            The records, ordered by path.
        """
        rows = self.select(
            f"SELECT {_DOCUMENT_COLUMNS}, {self._group} FROM documents ORDER BY path, doc_id"
        )
        return [DocumentRecord(*row[:-1], text="", group=row[-1]) for row in rows]

    def document(self, doc_id: str) -> tuple[DocumentRecord, str | None] | None:
        """One document without its text, and the segment holding the text.

        Args:
            doc_id: The document.

        Returns:
            ``(record, segment name)`` (the name is None before segments), or None for an
            unknown id.
        """
        segment = "NULL" if self.legacy else "segment"
        rows = self.select(
            f"SELECT {_DOCUMENT_COLUMNS}, {self._group}, {segment} FROM documents WHERE doc_id = ?",
            (doc_id,),
        )
        if not rows:
            return None
        return DocumentRecord(*rows[0][:-2], text="", group=rows[0][-2]), rows[0][-1]

    @property
    def _group(self) -> str:
        """The SQL of a document's reprint group (NULL in a catalog made before reprints)."""
        return self._guarded(lambda: [(group_column(self._db),)])[0][0]

    def reprint_states(self, select: ReprintSelection | None = None) -> dict[str, ReprintState]:
        """Every document's reprint signature and group, or those of some documents.

        Args:
            select: Only the documents it selects (None: every one).

        Returns:
            The state of each document by doc id.
        """
        rows = self._guarded(lambda: list(read_reprint_states(self._db, select).items()))
        return dict(rows)

    def places(self, doc_ids: list[str]) -> dict[str, tuple[str, str | None]]:
        """What a hit shows of its document.

        Args:
            doc_ids: Document ids (repeats allowed).

        Returns:
            ``doc_id → (path, date)`` of the documents found.
        """
        # Kept for the life of the reader (a generation never changes): every search asks for
        # the places of its pool and of each hit, mostly the same articles again.
        known = self._known_places
        found: dict[str, tuple[str, str | None]] = {}
        missing = []
        for doc_id in dict.fromkeys(doc_ids):
            place = known.get(doc_id)
            if place is None:
                missing.append(doc_id)
            else:
                found[doc_id] = place
        if missing:
            rows = self.select_in(
                "SELECT doc_id, path, date FROM documents WHERE doc_id IN ({marks})", missing
            )
            read = {doc_id: (path, date) for doc_id, path, date in rows}
            if len(known) + len(read) > PLACES_KEPT:
                known.clear()
            known.update(read)
            found.update(read)
        return found

    def matching_chunk_ids(self, where: ChunkFilter) -> np.ndarray:
        """The chunks whose document passes every condition of a filter.

        Args:
            where: The filter (not empty).

        Returns:
            Sorted int64 chunk ids.
        """
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
        if self.legacy:
            clause = f"WHERE {' AND '.join(conditions)}" if conditions else ""
            rows = self.select(
                f"SELECT c.chunk_id FROM chunks c JOIN documents d USING (doc_id) {clause}", params
            )
            return np.sort(np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows)))
        conditions.append("d.chunk_count > 0")
        rows = self.select(
            f"SELECT d.first_chunk_id, d.chunk_count FROM documents d "
            f"WHERE {' AND '.join(conditions)}",
            params,
        )
        return id_ranges(rows)

    def skipped_files(self) -> list[SkippedFile]:
        """The files the last build/update could not index.

        Returns:
            Each file with the reason, ordered by path.
        """
        rows = self.select("SELECT path, reason FROM skipped ORDER BY path")
        return [SkippedFile(path, reason) for path, reason in rows]

    def stored_files(self, scope: FileScope | None = None) -> list[StoredFile]:
        """Each document's file state (the indexer's view of what is indexed).

        Args:
            scope: Only the documents it selects (None: every document); the paths under its
                folders are read as ranges of the ``file_path`` index.

        Returns:
            One entry per document selected.
        """
        where, params = ("", []) if scope is None else _scope_condition(scope)
        rows = self.select(
            "SELECT doc_id, path, content_hash, file_path, file_size, file_mtime_ns FROM documents"
            + where,
            params,
        )
        files = []
        for doc_id, path, content_hash, file_path, size, mtime_ns in rows:
            state = FileState(file_path, size, mtime_ns) if file_path is not None else None
            files.append(StoredFile(doc_id, path, content_hash, state))
        return files

    def counts(self) -> tuple[int, int]:
        """How many chunks and documents the catalog lists, checking that its tables read (a
        catalog with a base reads the base's recorded totals and the delta's rows).

        Returns:
            ``(chunks, documents)``.

        Raises:
            IndexStoreError: The file is not a valid index database.
        """
        if self.base_path is not None:
            try:
                self._db.execute(f"SELECT count(*) FROM {BASE_SCHEMA}.base_totals").fetchone()
            except sqlite3.DatabaseError as error:
                reason = f"is not a valid index database ({error})"
                raise damaged(self.base_path, reason, self.index_dir) from None
        try:
            if self.legacy:
                (chunk_count,) = self._db.execute("SELECT count(*) FROM chunks").fetchone()
                (document_count,) = self._db.execute("SELECT count(*) FROM documents").fetchone()
            else:
                document_count, chunk_count = level_counts(self._db, self.base_path is not None)
            self._db.execute("SELECT count(*) FROM skipped").fetchone()
        except sqlite3.DatabaseError as error:
            raise self.damaged(f"is not a valid index database ({error})") from None
        return int(chunk_count), int(document_count)


def _scope_condition(scope: FileScope) -> tuple[str, list[str]]:
    """The SQL ``WHERE`` clause selecting the documents of a scope, and its parameters."""
    conditions: list[str] = []
    params: list[str] = []
    for root in scope.under:
        conditions.append("file_path = ? OR (file_path >= ? AND file_path < ?)")
        params.extend([root, *prefix_range(root)])
    if scope.outside is not None:
        for low, high in _gaps(scope.outside):
            if high is None:
                conditions.append("file_path >= ?")
                params.append(low)
            else:
                conditions.append("file_path >= ? AND file_path < ?")
                params.extend([low, high])
    if scope.doc_ids:
        conditions.append(f"doc_id IN ({','.join('?' * len(scope.doc_ids))})")
        params.extend(scope.doc_ids)
    return " WHERE " + " OR ".join(f"({c})" for c in conditions or ["0"]), params


def _gaps(roots: tuple[str, ...]) -> list[tuple[str, str | None]]:
    """The text ranges of the paths inside none of ``roots``, as ``[low, high)`` (None: no end).

    "Not inside any root" as ranges lets SQLite read them from the ``file_path`` index (a
    ``NOT (…)`` condition reads every row: 30-40 ms at 22,783 documents, load 8). A root
    covers itself (``[root, root + NUL)``; a path holds no NUL) and ``prefix_range(root)``.
    """
    covered = sorted(piece for root in roots for piece in ((root, root + "\0"), prefix_range(root)))
    gaps: list[tuple[str, str | None]] = []
    low = ""
    for start, end in covered:
        if start > low:
            gaps.append((low, start))
        low = max(low, end)
    gaps.append((low, None))
    return gaps


class LegacyCatalog(Catalog):
    """The one database of a format-1 generation, read as a catalog."""

    legacy = True


def id_ranges(rows: list[tuple[int, int]]) -> np.ndarray:
    """Expand ranges of ids.

    Args:
        rows: ``(first id, count)`` pairs.

    Returns:
        Every id of every range, sorted (int64).
    """
    if not rows:
        return np.zeros(0, dtype=np.int64)
    firsts = np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))
    sizes = np.fromiter((row[1] for row in rows), dtype=np.int64, count=len(rows))
    ends = np.cumsum(sizes)
    ids = np.arange(ends[-1], dtype=np.int64) + np.repeat(firsts - (ends - sizes), sizes)
    ids.sort()
    return ids
