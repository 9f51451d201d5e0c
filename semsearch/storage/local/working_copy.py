"""The next generation's catalog while a writer changes it: every SQL write of the catalog.

The working copy is the next generation's delta (:mod:`semsearch.storage.local.catalog_levels`):
a copy of the current generation's delta (or an empty one), upgraded to the current schema
(:mod:`semsearch.storage.local.schema`), with the current base attached read-only. Reads see
both levels; writes go to the delta, so copying and checksumming it costs what changed since
the last compaction, not the index. It lives in the temporary generation folder, so a crash
throws it away with the folder.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from semsearch.storage.data import FileState, ReprintSelection, ReprintState
from semsearch.storage.local import catalog_levels as levels
from semsearch.storage.local.generations import BASE_FILE, META_FILE, link_file
from semsearch.storage.local.reprints import read_reprint_states, write_reprint_states
from semsearch.storage.local.schema import open_working_copy

if TYPE_CHECKING:
    from semsearch.ingest import Document


class CatalogCopy:
    """The catalog of the generation being written.

    Args:
        work_dir: The temporary generation folder (the catalog goes there).
        previous: The current generation's folder to start from, or None to start empty.
        index_dir: The index folder (for messages).
    """

    def __init__(self, work_dir: Path, previous: Path | None, index_dir: Path) -> None:
        self.path = work_dir / META_FILE
        self.index_dir = index_dir
        start = previous / META_FILE if previous is not None else None
        self.db = open_working_copy(self.path, start, index_dir)
        #: The base the delta applies to (the current generation's, until a compaction).
        self.base_path: Path | None = None
        base = previous / BASE_FILE if previous is not None else None
        if base is not None and base.is_file():
            self._attach(base)
            if not levels.base_is_current(self.db):
                # An older base lacks the delta's columns: rewrite it before the first change.
                self._compact()

    def _attach(self, base: Path) -> None:
        levels.attach_base(self.db, base)
        self.base_path = base

    def _take_over(self, condition: str, *params: object) -> None:
        """Make the rows matching ``condition`` the delta's own before changing them."""
        if self.base_path is not None:
            levels.take_over(self.db, condition, params)

    def add_document(
        self,
        document: Document,
        state: FileState | None,
        chunk_count: int,
        first_chunk_id: int,
        segment: str,
    ) -> None:
        """Insert a document's row.

        Args:
            document: The document.
            state: Its file's path, size and mtime (None: not read from a file).
            chunk_count: How many chunks it has.
            first_chunk_id: The id of its first chunk (the others follow).
            segment: The segment holding its text and chunks.

        Raises:
            ValueError: The document id is already there.
        """
        known = self.db.execute("SELECT 1 FROM documents WHERE doc_id = ?", (document.doc_id,))
        if known.fetchone() is not None:
            raise ValueError(f"document {document.doc_id!r} is already in the index")
        try:
            self.db.execute(
                "INSERT INTO main.documents (doc_id, path, file_path, file_size, file_mtime_ns, "
                "title, date, source, author, content_hash, script, chunk_count, first_chunk_id, "
                "segment) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    document.doc_id,
                    document.path,
                    state.file_path if state else None,
                    state.size if state else None,
                    state.mtime_ns if state else None,
                    document.title,
                    document.date,
                    document.source,
                    document.author,
                    document.content_hash,
                    document.script,
                    chunk_count,
                    first_chunk_id,
                    segment,
                ),
            )
        except sqlite3.IntegrityError:
            raise ValueError(f"document {document.doc_id!r} is already in the index") from None

    def remove_document(self, doc_id: str) -> tuple[str, list[int]] | None:
        """Delete a document's row.

        Args:
            doc_id: The document.

        Returns:
            The segment that held it and its chunk ids, or None if it was not there.
        """
        row = self.db.execute(
            "SELECT segment, first_chunk_id, chunk_count FROM documents WHERE doc_id = ?",
            (doc_id,),
        ).fetchone()
        if row is None:
            return None
        self._take_over("doc_id = ?", doc_id)
        self.db.execute("DELETE FROM main.documents WHERE doc_id = ?", (doc_id,))
        segment, first, count = row
        return segment or "", list(range(first, first + count)) if count else []

    def update_file_state(self, doc_id: str, state: FileState) -> None:
        """Record a document's new file path, size and mtime.

        Args:
            doc_id: The document.
            state: Its file's new state.
        """
        self._take_over("doc_id = ?", doc_id)
        self.db.execute(
            "UPDATE main.documents SET file_path = ?, file_size = ?, file_mtime_ns = ? "
            "WHERE doc_id = ?",
            (state.file_path, state.size, state.mtime_ns, doc_id),
        )

    def reprint_states(self, select: ReprintSelection | None = None) -> dict[str, ReprintState]:
        """Every document's reprint signature and group, or those ``select`` selects."""
        return read_reprint_states(self.db, select)

    def set_reprints(self, states: Mapping[str, ReprintState]) -> None:
        """Record documents' reprint signatures and groups."""
        for doc_id in states:
            self._take_over("doc_id = ?", doc_id)
        write_reprint_states(self.db, states)

    def documents_in(self, segment: str) -> list[str]:
        """The documents whose text a segment holds.

        Args:
            segment: The segment's name ("" for a format-1 generation's).

        Returns:
            Their ids.
        """
        return levels.documents_in(self.db, segment, self.base_path is not None)

    def move_documents(self, segments: Sequence[str], to: str) -> None:
        """Record that the documents of some segments are now held by another (a merge).

        Args:
            segments: The merged segments' names.
            to: The new segment's name.
        """
        for name in segments:
            levels.move_segment(self.db, name, to, self.base_path is not None)

    def replace_skipped(self, rows: Sequence[tuple[str, str]]) -> None:
        """Replace the list of skipped files.

        Args:
            rows: ``(path, reason)`` pairs.
        """
        self.db.execute("DELETE FROM main.skipped")
        self.db.executemany("INSERT INTO main.skipped (path, reason) VALUES (?, ?)", rows)

    def counts(self) -> tuple[int, int]:
        """How many chunks and documents the working copy lists.

        Returns:
            ``(chunks, documents)``.
        """
        documents, chunks = levels.counts(self.db, self.base_path is not None)
        return chunks, documents

    def finish(self) -> set[str]:
        """Commit, compact the delta into a new base if the policy asks for it, and close.

        Returns:
            The files hard-linked from the current generation (its base, when kept).
        """
        self.db.commit()
        if levels.is_due(self.db, self.base_path is not None):
            self._compact()
        linked: set[str] = set()
        target = self.path.parent / BASE_FILE
        if self.base_path is not None and self.base_path != target:
            link_file(self.base_path, target)
            linked.add(BASE_FILE)
        levels.vacuum_if_sparse(self.db)
        self.db.close()
        return linked

    def _compact(self) -> None:
        """Write the next generation's base (the current one with the delta applied) and empty
        the delta; the new base is attached in place of the old one."""
        self.db.commit()
        old_base = self.base_path
        if old_base is not None:
            levels.detach_base(self.db)
        target = self.path.parent / BASE_FILE
        levels.write_base(self.path, old_base, target, self.index_dir)
        levels.empty_delta(self.db)
        self._attach(target)

    def close(self) -> None:
        """Close without committing (the folder it lives in is thrown away)."""
        self.db.close()
