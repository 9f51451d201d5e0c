"""The next generation's catalog while a writer changes it: every SQL write of the catalog.

The working copy starts as a copy of the current generation's catalog (or an empty one),
upgraded to the current schema (:mod:`semsearch.storage.local.schema`). It holds one small row
per document, so copying it costs little even for a large index. It lives in the temporary
generation folder, so a crash throws it away with the folder.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from semsearch.storage.data import FileState, ReprintSelection, ReprintState
from semsearch.storage.local.reprints import read_reprint_states, write_reprint_states
from semsearch.storage.local.schema import open_working_copy

if TYPE_CHECKING:
    from semsearch.ingest import Document


class CatalogCopy:
    """The catalog of the generation being written.

    Args:
        path: Where it goes (inside the temporary generation folder).
        base: The current generation's catalog to start from, or None to start empty.
        index_dir: The index folder (for messages).
    """

    def __init__(self, path: Path, base: Path | None, index_dir: Path) -> None:
        self.db = open_working_copy(path, base, index_dir)

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
        try:
            self.db.execute(
                "INSERT INTO documents (doc_id, path, file_path, file_size, file_mtime_ns, title, "
                "date, source, author, content_hash, script, chunk_count, first_chunk_id, "
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
        self.db.execute("DELETE FROM documents WHERE doc_id = ?", (doc_id,))
        segment, first, count = row
        return segment or "", list(range(first, first + count)) if count else []

    def update_file_state(self, doc_id: str, state: FileState) -> None:
        """Record a document's new file path, size and mtime.

        Args:
            doc_id: The document.
            state: Its file's new state.
        """
        self.db.execute(
            "UPDATE documents SET file_path = ?, file_size = ?, file_mtime_ns = ? WHERE doc_id = ?",
            (state.file_path, state.size, state.mtime_ns, doc_id),
        )

    def reprint_states(self, select: ReprintSelection | None = None) -> dict[str, ReprintState]:
        """Every document's reprint signature and group, or those ``select`` selects."""
        return read_reprint_states(self.db, select)

    def set_reprints(self, states: Mapping[str, ReprintState]) -> None:
        """Record documents' reprint signatures and groups."""
        write_reprint_states(self.db, states)

    def documents_in(self, segment: str) -> list[str]:
        """The documents whose text a segment holds.

        Args:
            segment: The segment's name ("" for a format-1 generation's).

        Returns:
            Their ids.
        """
        rows = self.db.execute(
            "SELECT doc_id FROM documents WHERE coalesce(segment, '') = ?", (segment,)
        )
        return [row[0] for row in rows]

    def move_documents(self, segments: Sequence[str], to: str) -> None:
        """Record that the documents of some segments are now held by another (a merge).

        Args:
            segments: The merged segments' names.
            to: The new segment's name.
        """
        self.db.executemany(
            "UPDATE documents SET segment = ? WHERE coalesce(segment, '') = ?",
            [(to, name) for name in segments],
        )

    def replace_skipped(self, rows: Sequence[tuple[str, str]]) -> None:
        """Replace the list of skipped files.

        Args:
            rows: ``(path, reason)`` pairs.
        """
        self.db.execute("DELETE FROM skipped")
        self.db.executemany("INSERT INTO skipped (path, reason) VALUES (?, ?)", rows)

    def counts(self) -> tuple[int, int]:
        """How many chunks and documents the working copy lists.

        Returns:
            ``(chunks, documents)``.
        """
        (chunks,) = self.db.execute(
            "SELECT coalesce(sum(chunk_count), 0) FROM documents"
        ).fetchone()
        (documents,) = self.db.execute("SELECT count(*) FROM documents").fetchone()
        return int(chunks), int(documents)

    def finish(self) -> None:
        """Commit, compact if deletions left much free space, and close."""
        self.db.commit()
        free_pages = self.db.execute("PRAGMA freelist_count").fetchone()[0]
        all_pages = self.db.execute("PRAGMA page_count").fetchone()[0]
        if free_pages > max(64, all_pages // 4):
            # Deleted rows (or the records an upgrade moved out) leave free pages; compact
            # before the file is copied again.
            self.db.execute("VACUUM")
        self.db.close()

    def close(self) -> None:
        """Close without committing (the folder it lives in is thrown away)."""
        self.db.close()
