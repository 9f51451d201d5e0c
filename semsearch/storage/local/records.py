"""Reading one segment's records (``records.sqlite``): chunks, document texts, sentence vectors.

A segment's records are written once (:mod:`semsearch.storage.local.segment_builder`) and never
change. A format-1 generation's single database has the same tables and columns (and more), so
it is read as the records of its one segment.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence

from semsearch.ingest import RemovedLine
from semsearch.storage.local.database import Database

#: The columns of a chunk row, in :class:`~semsearch.storage.base.StoredChunk` order (path and
#: date come from the catalog).
CHUNK_COLUMNS = "chunk_id, doc_id, idx, paragraph, start_char, end_char, text, title"


class SegmentRecords(Database):
    """The records of one segment (see :class:`Database` for the arguments)."""

    def chunk_rows(self, ids: Sequence[int]) -> list[tuple]:
        """The rows of the chunks with these ids that are here.

        Args:
            ids: Chunk ids.

        Returns:
            One tuple of :data:`CHUNK_COLUMNS` per chunk found, in no particular order.
        """
        return self.select_in(
            f"SELECT {CHUNK_COLUMNS} FROM chunks WHERE chunk_id IN ({{marks}})", list(ids)
        )

    def rows_around(self, chunk_ids: Sequence[int], before: int, after: int) -> list[tuple]:
        """The rows of some chunks' neighbours in their documents (and their own), in one query.

        Args:
            chunk_ids: The chunks.
            before: How many chunks before each, at most.
            after: How many chunks after each, at most.

        Returns:
            ``(chunk id asked for, *CHUNK_COLUMNS)`` tuples, by chunk asked for, then in index
            order (none for a chunk that is not here).
        """
        # One statement for all hits of a search instead of one per hit (the pair (doc_id, idx)
        # is indexed), which cost about 0.6 ms of a 5k-chunk search.
        columns = ", ".join(f"c.{column.strip()}" for column in CHUNK_COLUMNS.split(","))
        return self.select_in(
            f"SELECT h.chunk_id, {columns} FROM chunks h JOIN chunks c "
            f"ON c.doc_id = h.doc_id AND c.idx BETWEEN h.idx - {int(before)} "
            f"AND h.idx + {int(after)} WHERE h.chunk_id IN ({{marks}}) ORDER BY h.chunk_id, c.idx",
            [int(i) for i in chunk_ids],
        )

    def document_text(self, doc_id: str) -> tuple[str, list[RemovedLine]] | None:
        """A document's cleaned text and the lines cleaning removed.

        Args:
            doc_id: The document.

        Returns:
            ``(text, removed lines)``, or None if the segment does not hold the document.
        """
        rows = self.select("SELECT text, removed FROM documents WHERE doc_id = ?", (doc_id,))
        if not rows:
            return None
        text, removed = rows[0]
        return str(text), [RemovedLine(*item) for item in json.loads(removed)]

    def chunks_of_keys(self, keys: Iterable[str]) -> list[tuple[str, int]]:
        """The chunks here holding one of the content keys.

        Args:
            keys: Content keys (``embed_key``).

        Returns:
            ``(embed_key, chunk_id)`` pairs, deleted chunks included.
        """
        return self.select_in(
            "SELECT embed_key, chunk_id FROM chunks WHERE embed_key IN ({marks})",
            list(dict.fromkeys(keys)),
        )

    def sentence_blobs_of_chunks(self, ids: Sequence[int]) -> list[tuple[int, bytes]]:
        """The stored sentence vectors of the given chunks.

        Args:
            ids: Chunk ids.

        Returns:
            ``(chunk_id, stored form)`` of the chunks here that have a row.
        """
        return self.select_in(
            "SELECT c.chunk_id, s.vectors FROM chunks c JOIN sentence_vectors s "
            "ON s.embed_key = c.embed_key WHERE c.chunk_id IN ({marks})",
            [int(i) for i in ids],
        )

    def sentence_blobs_of_keys(self, keys: Iterable[str]) -> list[tuple[str, bytes]]:
        """The stored sentence vectors of some chunk texts.

        Args:
            keys: Content keys (``embed_key``).

        Returns:
            ``(embed_key, stored form)`` of the keys that have a row here.
        """
        return self.select_in(
            "SELECT embed_key, vectors FROM sentence_vectors WHERE embed_key IN ({marks})",
            list(dict.fromkeys(keys)),
        )

    def chunk_texts(self) -> list[tuple[int, str, str]]:
        """Every chunk's title and text (to re-tokenize after an upgrade).

        Returns:
            ``(chunk_id, title, text)`` rows, by id, deleted chunks included.
        """
        return self.select("SELECT chunk_id, title, text FROM chunks ORDER BY chunk_id")

    def row_count(self) -> int:
        """How many chunk rows the segment holds (deleted chunks included).

        Returns:
            The count.

        Raises:
            IndexStoreError: The file is not a valid index database.
        """
        try:
            (count,) = self._db.execute("SELECT count(*) FROM chunks").fetchone()
            self._db.execute("SELECT count(*) FROM documents").fetchone()
        except sqlite3.DatabaseError as error:
            raise self.damaged(f"is not a valid index database ({error})") from None
        return int(count)
