"""The next generation's ``meta.sqlite`` while a writer changes it: every SQL write.

The working copy starts as a copy of the current generation's database (or an empty one),
upgraded to the current schema (:mod:`semsearch.storage.local.schema`). It lives in the
temporary generation folder, so a crash throws it away with the folder.
"""

from __future__ import annotations

import json
import operator
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from semsearch.storage.base import FileState
from semsearch.storage.local.schema import open_working_copy

if TYPE_CHECKING:
    from semsearch.chunking import Chunk
    from semsearch.ingest import Document


#: The columns of a chunk row that come from the chunk itself, in table order.
_CHUNK_FIELDS = operator.attrgetter("index", "paragraph", "start", "end", "text", "title")


def _tokens_json(tokens: Sequence[str]) -> str:
    """The stored form of a chunk's keyword tokens (a JSON list, characters unescaped)."""
    return json.dumps(list(tokens), ensure_ascii=False)


class WorkingCopy:
    """The database of the generation being written.

    Args:
        path: Where it goes (inside the temporary generation folder).
        base: The current generation's database to start from, or None to start empty.
        index_dir: The index folder (for messages).
    """

    def __init__(self, path: Path, base: Path | None, index_dir: Path) -> None:
        self.db = open_working_copy(path, base, index_dir)

    def add_document(
        self,
        document: Document,
        state: FileState | None,
        chunks: Sequence[Chunk],
        ids: Sequence[int],
        tokens: Sequence[Sequence[str]],
        embed_keys: Sequence[str],
    ) -> None:
        """Insert a document and its chunks (the ids are given by the writer).

        Raises:
            ValueError: The document id is already there.
        """
        removed = json.dumps(
            [[line.line_no, line.text, line.reason] for line in document.removed],
            ensure_ascii=False,
        )
        try:
            self.db.execute(
                "INSERT INTO documents (doc_id, path, file_path, file_size, file_mtime_ns, title, "
                "date, source, author, content_hash, script, chunk_count, text, removed) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
                    len(chunks),
                    document.text,
                    removed,
                ),
            )
        except sqlite3.IntegrityError:
            raise ValueError(f"document {document.doc_id!r} is already in the index") from None
        self.db.executemany(
            "INSERT INTO chunks (chunk_id, doc_id, idx, paragraph, start_char, end_char, text, "
            "title, embed_key, tokens) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (chunk_id, document.doc_id, *_CHUNK_FIELDS(chunk), key, _tokens_json(t))
                for chunk_id, chunk, key, t in zip(ids, chunks, embed_keys, tokens, strict=True)
            ],
        )

    def remove_document(self, doc_id: str) -> tuple[bool, list[int]]:
        """Delete a document and its chunks.

        Returns:
            Whether the document was there, and the ids of its chunks.
        """
        ids = [
            row[0]
            for row in self.db.execute("SELECT chunk_id FROM chunks WHERE doc_id = ?", (doc_id,))
        ]
        deleted = self.db.execute("DELETE FROM documents WHERE doc_id = ?", (doc_id,)).rowcount
        self.db.execute("DELETE FROM chunks WHERE doc_id = ?", (doc_id,))
        return bool(deleted), ids

    def update_file_state(self, doc_id: str, state: FileState) -> None:
        """Record a document's new file path, size and mtime."""
        self.db.execute(
            "UPDATE documents SET file_path = ?, file_size = ?, file_mtime_ns = ? WHERE doc_id = ?",
            (state.file_path, state.size, state.mtime_ns, doc_id),
        )

    def set_tokens(self, tokens_by_chunk: dict[int, list[str]]) -> None:
        """Replace the stored keyword tokens of chunks."""
        self.db.executemany(
            "UPDATE chunks SET tokens = ? WHERE chunk_id = ?",
            [(_tokens_json(t), cid) for cid, t in tokens_by_chunk.items()],
        )

    def replace_skipped(self, rows: Sequence[tuple[str, str]]) -> None:
        """Replace the list of skipped files by ``(path, reason)`` rows."""
        self.db.execute("DELETE FROM skipped")
        self.db.executemany("INSERT INTO skipped (path, reason) VALUES (?, ?)", rows)

    def counts(self) -> tuple[int, int]:
        """``(chunks, documents)`` in the working copy."""
        (chunks,) = self.db.execute("SELECT count(*) FROM chunks").fetchone()
        (documents,) = self.db.execute("SELECT count(*) FROM documents").fetchone()
        return int(chunks), int(documents)

    def finish(self) -> None:
        """Commit, compact if deletions left much free space, and close."""
        self.db.commit()
        free_pages = self.db.execute("PRAGMA freelist_count").fetchone()[0]
        all_pages = self.db.execute("PRAGMA page_count").fetchone()[0]
        if free_pages > max(64, all_pages // 4):
            # Deleted documents leave free pages; compact before the file is copied again.
            self.db.execute("VACUUM")
        self.db.close()

    def close(self) -> None:
        """Close without committing (the folder it lives in is thrown away)."""
        self.db.close()
