"""Writing one new segment: the chunks a write adds, and the live chunks of segments it merges.

A :class:`SegmentBuilder` owns a folder in the temporary generation. Chunk records, document
texts and sentence vectors go straight into its ``records.sqlite``; vectors and term counts are
kept until :meth:`SegmentBuilder.finish` writes ``vectors.faiss`` and ``keyword/`` with rows in
chunk id order. Merging an old segment (:meth:`SegmentBuilder.absorb`) copies its live rows with
SQL and takes its vectors and term counts from memory, so it costs that segment's size, not the
index's.
"""

from __future__ import annotations

import json
import operator
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from semsearch.lexical.bm25 import CountedChunks, concatenate
from semsearch.lexical.bm25_files import write_segment
from semsearch.lexical.bm25_segment import KeywordSegment
from semsearch.storage.local.generations import KEYWORD_DIR, RECORDS_FILE, VECTORS_FILE
from semsearch.storage.local.schema import new_records
from semsearch.storage.local.segments import Segment
from semsearch.storage.local.sentence_file import write_sentence_file
from semsearch.storage.local.vectors import build_for, write_vectors

if TYPE_CHECKING:
    from semsearch.chunking import Chunk
    from semsearch.ingest import Document

#: The columns of a chunk row that come from the chunk itself, in table order.
_CHUNK_FIELDS = operator.attrgetter("index", "paragraph", "start", "end", "text", "title")
_CHUNK_COLUMNS = "chunk_id, doc_id, idx, paragraph, start_char, end_char, text, title, embed_key"

#: Re-tokenizes a stored chunk from its title and text (the indexer's keyword upgrade).
TokensOf = Callable[[str, str], Sequence[str]]


class SegmentBuilder:
    """A segment being written (see the module docstring).

    Args:
        folder: Its folder, inside the temporary generation (created here).
        dimension: The vector size.
    """

    def __init__(self, folder: Path, dimension: int) -> None:
        folder.mkdir()
        self.folder = folder
        self.name = folder.name
        self.dimension = dimension
        self.db = new_records(folder / RECORDS_FILE)
        self._ids: list[np.ndarray] = []
        self._vectors: list[np.ndarray] = []
        self._counts: list[CountedChunks] = []

    @property
    def row_count(self) -> int:
        """How many chunks it holds so far."""
        return int(sum(len(ids) for ids in self._ids))

    def document_ids(self) -> list[str]:
        """The documents whose text it holds.

        Returns:
            Their ids.
        """
        return [row[0] for row in self.db.execute("SELECT doc_id FROM documents")]

    def add_document(
        self,
        document: Document,
        chunks: Sequence[Chunk],
        ids: Sequence[int],
        vectors: np.ndarray,
        tokens: Sequence[Sequence[str]],
        embed_keys: Sequence[str],
    ) -> None:
        """Add a new document's text and its chunks.

        Args:
            document: The document.
            chunks: Its chunks, in order.
            ids: Their ids (given by the writer).
            vectors: One normalized float32 row per chunk.
            tokens: One token list per chunk.
            embed_keys: One content key per chunk.
        """
        removed = json.dumps(
            [[line.line_no, line.text, line.reason] for line in document.removed],
            ensure_ascii=False,
        )
        self.db.execute(
            "INSERT INTO documents (doc_id, text, removed) VALUES (?, ?, ?)",
            (document.doc_id, document.text, removed),
        )
        self.db.executemany(
            f"INSERT INTO chunks ({_CHUNK_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (chunk_id, document.doc_id, *_CHUNK_FIELDS(chunk), key)
                for chunk_id, chunk, key in zip(ids, chunks, embed_keys, strict=True)
            ],
        )
        if len(ids):
            id_array = np.asarray(ids, dtype=np.int64)
            self._ids.append(id_array)
            self._vectors.append(vectors)
            self._counts.append(CountedChunks.of_tokens(id_array, tokens))

    def remove_document(self, doc_id: str) -> list[int]:
        """Take out a document it holds (added or merged in this write).

        Args:
            doc_id: The document.

        Returns:
            The ids of the chunks taken out.
        """
        rows = self.db.execute("SELECT chunk_id FROM chunks WHERE doc_id = ?", (doc_id,))
        ids = [row[0] for row in rows]
        self.db.execute("DELETE FROM documents WHERE doc_id = ?", (doc_id,))
        self.db.execute("DELETE FROM chunks WHERE doc_id = ?", (doc_id,))
        if ids:
            gone = np.asarray(ids, dtype=np.int64)
            keep = [~np.isin(part, gone) for part in self._ids]
            self._vectors = [v[k] for v, k in zip(self._vectors, keep, strict=True)]
            self._ids = [part[k] for part, k in zip(self._ids, keep, strict=True)]
            self._counts = [counted.without(gone) for counted in self._counts]
        return ids

    def retokenize(self, tokens_of: TokensOf) -> None:
        """Replace the term counts of every chunk it holds by those of ``tokens_of(title, text)``.

        Args:
            tokens_of: The tokens of a chunk given its title and text.
        """
        rows = self.db.execute("SELECT chunk_id, title, text FROM chunks ORDER BY chunk_id")
        ids, token_lists = [], []
        for chunk_id, title, text in rows:
            ids.append(chunk_id)
            token_lists.append(list(tokens_of(title, text)))
        self._counts = [CountedChunks.of_tokens(ids, token_lists)]

    def absorb(
        self, segment: Segment, live_ids: np.ndarray, doc_ids: Sequence[str], copy_sentences: bool
    ) -> None:
        """Copy an old segment's live chunks and the texts of its documents into this one.

        Args:
            segment: The old segment (of the starting generation).
            live_ids: Its chunks to keep (sorted).
            doc_ids: The documents whose text it holds and that are kept.
            copy_sentences: Copy their sentence vectors too (they are of the current version).
        """
        self.db.execute("ATTACH DATABASE ? AS source", (str(segment.records.path),))
        try:
            self._copy_records(live_ids, doc_ids, copy_sentences)
            if segment.keyword.counts is None:
                counts = self._counted_from_tokens(live_ids)
            else:
                rows = np.searchsorted(segment.keyword.ids, live_ids)
                counts = segment.keyword.kept(rows)
            self.db.commit()
        finally:
            self.db.execute("DETACH DATABASE source")
        if len(live_ids):
            self._ids.append(np.asarray(live_ids, dtype=np.int64))
            self._vectors.append(segment.vectors.reconstruct_batch(live_ids))
            self._counts.append(counts)

    def _copy_records(self, live_ids: np.ndarray, doc_ids: Sequence[str], sentences: bool) -> None:
        self.db.execute("CREATE TEMP TABLE kept_chunks (chunk_id INTEGER PRIMARY KEY)")
        self.db.execute("CREATE TEMP TABLE kept_documents (doc_id TEXT PRIMARY KEY)")
        try:
            self.db.executemany("INSERT INTO kept_chunks VALUES (?)", [(int(i),) for i in live_ids])
            self.db.executemany("INSERT INTO kept_documents VALUES (?)", [(d,) for d in doc_ids])
            self.db.execute(
                f"INSERT INTO main.chunks ({_CHUNK_COLUMNS}) SELECT {_CHUNK_COLUMNS} "
                "FROM source.chunks WHERE chunk_id IN (SELECT chunk_id FROM kept_chunks)"
            )
            self.db.execute(
                "INSERT INTO main.documents (doc_id, text, removed) SELECT doc_id, text, removed "
                "FROM source.documents WHERE doc_id IN (SELECT doc_id FROM kept_documents)"
            )
            has_sentences = self.db.execute(
                "SELECT count(*) FROM source.sqlite_master WHERE name = 'sentence_vectors'"
            ).fetchone()[0]
            if sentences and has_sentences:
                self.db.execute(
                    "INSERT OR IGNORE INTO main.sentence_vectors (embed_key, vectors) "
                    "SELECT embed_key, vectors FROM source.sentence_vectors WHERE embed_key IN "
                    "(SELECT embed_key FROM source.chunks WHERE chunk_id IN "
                    "(SELECT chunk_id FROM kept_chunks))"
                )
        finally:
            self.db.execute("DROP TABLE temp.kept_chunks")
            self.db.execute("DROP TABLE temp.kept_documents")

    def _counted_from_tokens(self, live_ids: np.ndarray) -> CountedChunks:
        """Term counts from the token lists a format-1 database stored with each chunk."""
        rows = self.db.execute(
            "SELECT chunk_id, tokens FROM source.chunks WHERE chunk_id IN "
            "(SELECT chunk_id FROM main.chunks) ORDER BY chunk_id"
        ).fetchall()
        wanted = set(live_ids.tolist())
        rows = [row for row in rows if row[0] in wanted]
        return CountedChunks.of_tokens([r[0] for r in rows], [json.loads(t) for _, t in rows])

    def lengths(self) -> np.ndarray:
        """The token count of each chunk it holds (to decide the index's ``avgdl``).

        Returns:
            One count per chunk (int64).
        """
        parts = [counted.counts.lengths() for counted in self._counts]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)

    def finish(
        self,
        k1: float,
        b: float,
        average_length: float,
        timings: dict[str, float],
        keyword: KeywordSegment | None = None,
    ) -> dict[str, Any]:
        """Write the vectors, BM25 postings (rows in id order) and sentence-vector files
        (:mod:`~semsearch.storage.local.sentence_file`) and close the records.

        Args:
            k1: BM25's term-frequency saturation.
            b: BM25's length normalization.
            average_length: The ``avgdl`` of the index's postings.
            timings: Receives the seconds spent on ``vectors`` and ``keyword`` (added up).
            keyword: Ready-made postings of exactly these chunks, written instead.

        Raises:
            RuntimeError: ``keyword`` holds other chunks (a bug, not a user error).

        Returns:
            The segment's manifest entry (without its tombstone count).
        """
        self.db.commit()
        started = time.perf_counter()
        write_sentence_file(
            self.folder, lambda sql, params: self.db.execute(sql, params).fetchall(), self.dimension
        )
        timings["sentence_file"] = timings.get("sentence_file", 0.0) + time.perf_counter() - started
        self.db.close()
        started = time.perf_counter()
        ids = np.concatenate(self._ids) if self._ids else np.zeros(0, dtype=np.int64)
        matrix = (
            np.concatenate(self._vectors).astype(np.float32, copy=False)
            if self._vectors
            else np.zeros((0, self.dimension), dtype=np.float32)
        )
        self._vectors = []  # at a million chunks, the parts and the whole are gigabytes each
        if np.any(ids[1:] < ids[:-1]):
            order = np.argsort(ids, kind="stable")
            ids, matrix = ids[order], matrix[order]
        vectors, description = build_for(ids, matrix, self.dimension, timings)
        del matrix
        write_vectors(vectors, self.folder / VECTORS_FILE)
        timings["vectors"] = timings.get("vectors", 0.0) + time.perf_counter() - started
        started = time.perf_counter()
        if keyword is None:
            counted = concatenate(self._counts).sorted_by_id()
            keyword = KeywordSegment.build(counted, k1, b, average_length)
        elif not np.array_equal(np.sort(keyword.ids), ids):
            raise RuntimeError(f"internal error: BM25 of {len(keyword.ids)} chunks, {len(ids)} ids")
        elif np.any(keyword.ids[1:] < keyword.ids[:-1]):
            # Rows in id order, as every segment keeps them (lookups by binary search).
            order = np.argsort(keyword.ids, kind="stable")
            keyword = KeywordSegment.build(keyword.kept(order), k1, b, average_length)
        self._counts = []
        write_segment(self.folder / KEYWORD_DIR, keyword)
        timings["keyword"] = timings.get("keyword", 0.0) + time.perf_counter() - started
        return {"name": self.name, "chunks": len(ids), "vector_index": description}

    def close(self) -> None:
        """Close the records without finishing (the folder is thrown away with the generation)."""
        self.db.close()
