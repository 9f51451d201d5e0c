"""Sentence vectors in ``meta.sqlite``: their storage format, reading them, and keeping them whole.

Each distinct chunk text (content key ``embed_key``) has one row: a float16 matrix of its
sentences' vectors, empty for a chunk of one sentence. The manifest records the sentence
version only when every chunk has its row (:meth:`SentenceVectorTable.manifest_entry`); readers
use them only then.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from semsearch.storage.local.metadata import StoredRecords
from semsearch.storage.manifest import Manifest, sentence_info


def to_blob(vectors: np.ndarray) -> bytes:
    """The stored form of one chunk's sentence vectors."""
    # Half precision: a cosine moves by about 1e-3, and the table is half the size.
    return np.ascontiguousarray(vectors, dtype=np.float16).tobytes()


def from_blob(blob: bytes, dimension: int) -> np.ndarray:
    """A float32 ``(sentences, dimension)`` matrix from its stored form."""
    return np.frombuffer(blob, dtype=np.float16).reshape(-1, dimension).astype(np.float32)


def read_for_chunks(
    records: StoredRecords, chunk_ids: Sequence[int], dimension: int
) -> dict[int, np.ndarray]:
    """The sentence vectors of the given chunks that have two or more sentences, by chunk id."""
    rows = records.select_in(
        "SELECT c.chunk_id, s.vectors FROM chunks c JOIN sentence_vectors s "
        "ON s.embed_key = c.embed_key WHERE c.chunk_id IN ({marks})",
        [int(i) for i in chunk_ids],
    )
    return {int(chunk_id): from_blob(blob, dimension) for chunk_id, blob in rows if blob}


def read_for_keys(
    records: StoredRecords, keys: Iterable[str], dimension: int
) -> dict[str, np.ndarray]:
    """The stored sentence vectors of these content keys (maybe zero rows each)."""
    rows = records.select_in(
        "SELECT embed_key, vectors FROM sentence_vectors WHERE embed_key IN ({marks})",
        list(dict.fromkeys(keys)),
    )
    return {key: from_blob(blob, dimension) for key, blob in rows}


def is_current(manifest: Manifest) -> bool:
    """Whether a version's sentence vectors are complete and of the current version."""
    return manifest.sentence_vectors == sentence_info()


class SentenceVectorTable:
    """The sentence vectors of the generation being written.

    Two facts carry over from the starting generation: up to which chunk id the vectors are
    known to be complete (chunk ids only go up, so on a complete base only later ids can lack
    them), and whether the rows in the table are of the current version (an index made before
    sentence vectors, or by another version, has none or old ones until :meth:`clear`).

    Args:
        base: The starting generation's manifest, or None for a new index.
        dimension: The vector size.
    """

    def __init__(self, base: Manifest | None, dimension: int) -> None:
        current = base is None or is_current(base)
        self.dimension = dimension
        self._rows_current = current
        self._complete_below = base.next_chunk_id if base is not None and current else 0

    @property
    def complete_at_start(self) -> bool:
        """Whether the starting generation had every chunk's vectors, of this version."""
        return self._complete_below > 0

    def missing(self, db: sqlite3.Connection, limit: int = -1) -> list[tuple[str, str, str]]:
        """``(embed_key, title, text)`` of each distinct chunk text lacking its row."""
        rows = db.execute(
            "SELECT c.embed_key, min(c.title), min(c.text) FROM chunks c "
            "LEFT JOIN sentence_vectors s ON s.embed_key = c.embed_key "
            "WHERE c.chunk_id >= ? AND s.embed_key IS NULL GROUP BY c.embed_key LIMIT ?",
            (self._complete_below, limit),
        ).fetchall()
        return [(str(key), str(title), str(text)) for key, title, text in rows]

    def add(self, db: sqlite3.Connection, vectors_by_key: dict[str, np.ndarray]) -> None:
        """Store sentence vectors by content key (an empty matrix for a one-sentence chunk).

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
        """Drop every row: they are of an old version (or partial) and are made again."""
        db.execute("DELETE FROM sentence_vectors")
        self._rows_current = True
        self._complete_below = 0

    def drop_unused(self, db: sqlite3.Connection) -> None:
        """Delete the rows of texts no chunk has any more."""
        db.execute(
            "DELETE FROM sentence_vectors WHERE embed_key NOT IN (SELECT embed_key FROM chunks)"
        )

    def manifest_entry(self, db: sqlite3.Connection) -> dict[str, Any] | None:
        """What the new manifest says about sentence vectors: recorded only when complete."""
        if not self._rows_current or self.missing(db, limit=1):
            return None
        return sentence_info()
