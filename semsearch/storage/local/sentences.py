"""Sentence vectors in a segment's records: their storage format, reading them, keeping them whole.

Each distinct chunk text (content key ``embed_key``) of a segment has one row: a float16 matrix
of its sentences' vectors, empty for a chunk of one sentence. A segment stores the rows of its
own chunks (a text held by two segments has a row in each), so it is complete on its own. The
manifest records the sentence version only when every chunk has its row
(:meth:`SentenceVectorTable.manifest_entry`); readers use them only then.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from semsearch.storage.local.records import SegmentRecords
from semsearch.storage.manifest import Manifest, sentence_info

#: How sentence vectors are stored. Half precision: a cosine moves by about 1e-3, and the table
#: is half the size.
STORED_TYPE = np.dtype(np.float16)


def to_blob(vectors: np.ndarray) -> bytes:
    """The stored form of one chunk's sentence vectors."""
    return np.ascontiguousarray(vectors, dtype=STORED_TYPE).tobytes()


def from_blob(blob: bytes, dimension: int) -> np.ndarray:
    """A float32 ``(sentences, dimension)`` matrix from its stored form."""
    return np.frombuffer(blob, dtype=STORED_TYPE).reshape(-1, dimension).astype(np.float32)


def read_for_chunks(
    records: SegmentRecords, chunk_ids: Sequence[int], dimension: int
) -> dict[int, np.ndarray]:
    """The sentence vectors of the given chunks that have two or more sentences.

    Args:
        records: A segment's records.
        chunk_ids: Chunk ids (of that segment).
        dimension: The vector size.

    Returns:
        Chunk id → float32 ``(sentences, dimension)`` matrix.
    """
    rows = [row for row in records.sentence_blobs_of_chunks(chunk_ids) if row[1]]
    if not rows:
        return {}
    # One conversion of all rows instead of one per chunk: a hybrid query reads 100–200 of
    # them, and the per-chunk conversions cost more than the reading.
    joined = from_blob(b"".join(blob for _, blob in rows), dimension)
    ends = np.cumsum([len(blob) // (STORED_TYPE.itemsize * dimension) for _, blob in rows])
    starts = [0, *ends[:-1].tolist()]
    # Plain slices: np.split builds the same views with more overhead per chunk.
    return {
        int(chunk_id): joined[start:end]
        for (chunk_id, _), start, end in zip(rows, starts, ends.tolist(), strict=True)
    }


def read_for_keys(
    records: SegmentRecords, keys: Iterable[str], dimension: int
) -> dict[str, np.ndarray]:
    """The stored sentence vectors of some chunk texts.

    Args:
        records: A segment's records.
        keys: Content keys.
        dimension: The vector size.

    Returns:
        Content key → float32 matrix (maybe of zero rows) for the keys stored there.
    """
    return {key: from_blob(blob, dimension) for key, blob in records.sentence_blobs_of_keys(keys)}


def is_current(manifest: Manifest) -> bool:
    """Whether a version's sentence vectors are complete and of the current version."""
    return manifest.sentence_vectors == sentence_info()


class SentenceVectorTable:
    """The sentence vectors of the segments being written.

    Two facts carry over from the starting generation: whether its segments are complete (then
    only the chunks of a new segment can lack rows), and whether the rows there are of the
    current version (an index made before sentence vectors, or by another version, has none or
    old ones until :meth:`clear`). A writer whose start is not complete rewrites every chunk
    into its new segment before asking what is missing (segments never change).

    Args:
        base: The starting generation's manifest, or None for a new index.
        dimension: The vector size.
    """

    def __init__(self, base: Manifest | None, dimension: int) -> None:
        self.dimension = dimension
        self.complete_at_start = base is not None and is_current(base)
        self.rows_current = base is None or is_current(base)

    def missing(self, db: sqlite3.Connection, limit: int = -1) -> list[tuple[str, str, str]]:
        """The chunk texts of a segment lacking their row.

        Args:
            db: The segment's records.
            limit: How many at most (-1: all).

        Returns:
            ``(embed_key, title, text)`` of each distinct text.
        """
        rows = db.execute(
            "SELECT c.embed_key, min(c.title), min(c.text) FROM chunks c "
            "LEFT JOIN sentence_vectors s ON s.embed_key = c.embed_key "
            "WHERE s.embed_key IS NULL GROUP BY c.embed_key LIMIT ?",
            (limit,),
        ).fetchall()
        return [(str(key), str(title), str(text)) for key, title, text in rows]

    def add(self, db: sqlite3.Connection, vectors_by_key: dict[str, np.ndarray]) -> None:
        """Store sentence vectors by content key (an empty matrix for a one-sentence chunk).

        Args:
            db: The records of the segment being written.
            vectors_by_key: Content key → float32 ``(sentences, dimension)`` matrix.

        Raises:
            ValueError: A matrix of the wrong shape.
        """
        for key, matrix in vectors_by_key.items():
            if matrix.ndim != 2 or (len(matrix) and matrix.shape[1] != self.dimension):
                raise ValueError(f"sentence vectors of {key} have shape {matrix.shape}")
        db.executemany(
            "INSERT OR REPLACE INTO sentence_vectors (embed_key, vectors) VALUES (?, ?)",
            [(key, to_blob(matrix)) for key, matrix in vectors_by_key.items()],
        )

    def clear(self, db: sqlite3.Connection) -> None:
        """Drop every row of a segment: they are of an old version (or partial), made again.

        Args:
            db: The segment's records.
        """
        db.execute("DELETE FROM sentence_vectors")
        self.rows_current = True

    @staticmethod
    def drop_unused(db: sqlite3.Connection) -> None:
        """Delete the rows of texts no chunk of the segment has any more.

        Args:
            db: The segment's records.
        """
        db.execute(
            "DELETE FROM sentence_vectors WHERE embed_key NOT IN (SELECT embed_key FROM chunks)"
        )

    def manifest_entry(self, dbs: Sequence[sqlite3.Connection]) -> dict[str, Any] | None:
        """What the new manifest says about sentence vectors: recorded only when complete.

        Args:
            dbs: The records of every segment written (kept ones are complete when the start
                was).

        Returns:
            :func:`sentence_info` when every chunk has its row, else None.
        """
        if not self.rows_current or any(self.missing(db, limit=1) for db in dbs):
            return None
        return sentence_info()
