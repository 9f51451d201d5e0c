"""A segment's sentence vectors as a memory-mapped file: a search reads them by slicing.

The records (``records.sqlite``) keep one row of float16 sentence vectors per chunk text; a
writer reuses them by content key. A search, though, asks for the sentence vectors of its pool
(100–200 chunks): two B-tree lookups per chunk and a copy of each blob, about 1 ms at 5k chunks
and 4.7 ms at a million. So a segment written since format 5 also holds them as two files,
written once with the segment (or added when a write links an older segment unchanged):

- ``sentence_vectors.f16``: every distinct text's sentence vectors, one float16 row per
  sentence, rows of one text together (raw, little-endian; the manifest holds the dimension);
- ``sentence_rows.npy``: int64 ``(chunks, 3)``: per chunk of the segment, in id order (deleted
  ones included), its id and the ``[start, end)`` of its rows (``start == end``: one sentence).

They mirror the records' table exactly (the same float16 values), so a search answers the same
from either; a segment without them (an index written before, or one whose sentence vectors are
incomplete) is read from its records. Both files are in the manifest's sizes and checksums like
every other file of a generation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from semsearch.storage.manifest import damaged

#: The sentence vectors' rows.
MATRIX_FILE = "sentence_vectors.f16"
#: Each chunk's id and range of rows.
ROWS_FILE = "sentence_rows.npy"
#: As stored in the records (:data:`semsearch.storage.local.sentences.STORED_TYPE`).
STORED_TYPE = np.dtype("<f2")
#: Chunks read from the records at a time while the files are written (a million-chunk segment
#: holds gigabytes of sentence vectors; they are streamed, not loaded).
BATCH_ROWS = 20_000
#: Every chunk of a segment after a given id, with its text's sentence vectors (NULL: none).
_ROWS_SQL = (
    "SELECT c.chunk_id, c.embed_key, s.vectors FROM chunks c "
    "LEFT JOIN sentence_vectors s ON s.embed_key = c.embed_key "
    "WHERE c.chunk_id > ? ORDER BY c.chunk_id LIMIT ?"
)

#: Runs a query with parameters on a segment's records and returns every row.
Select = Callable[[str, tuple[Any, ...]], list[tuple[Any, ...]]]


def sentence_rows(select: Select) -> Iterator[tuple[int, str, bytes | None]]:
    """Every chunk of a segment's records with its sentence vectors, in id order, in batches.

    Args:
        select: Runs a query on the records (a writer's connection or a reader's records).

    Yields:
        ``(chunk id, content key, stored form or None)``.
    """
    last = -1
    while True:
        batch = select(_ROWS_SQL, (last, BATCH_ROWS))
        yield from batch
        if len(batch) < BATCH_ROWS:
            return
        last = int(batch[-1][0])


def write_sentence_file(folder: Path, select: Select, dimension: int) -> bool:
    """Write a segment's sentence-vector files, if every chunk has its row.

    Args:
        folder: The segment's folder.
        select: Runs a query on the segment's records (see :func:`sentence_rows`).
        dimension: The vector size.

    Returns:
        Whether the files were written (not when a chunk lacks its row: then a search reads
        the records, as it always did).
    """
    row_size = STORED_TYPE.itemsize * dimension
    spans: dict[str, tuple[int, int]] = {}
    table: list[tuple[int, int, int]] = []
    written = 0
    matrix_path = folder / MATRIX_FILE
    with matrix_path.open("wb") as matrix:
        for chunk_id, key, blob in sentence_rows(select):
            if blob is None:
                break
            if key not in spans:
                # A text held by two chunks of the segment is stored once.
                count = len(blob) // row_size
                matrix.write(blob)
                spans[key] = (written, written + count)
                written += count
            table.append((int(chunk_id), *spans[key]))
        else:
            matrix.flush()
            np.save(
                folder / ROWS_FILE,
                np.array(table, dtype=np.int64).reshape(-1, 3),
                allow_pickle=False,
            )
            return True
    matrix_path.unlink()
    return False


@dataclass
class SentenceFile:
    """A segment's sentence vectors, memory-mapped (see the module docstring).

    Attributes:
        ids: The segment's chunk ids (sorted), as the rows file lists them.
        starts: The first row of each chunk.
        ends: One past its last row.
        matrix: The float16 ``(rows, dimension)`` matrix (memory-mapped; None when empty).
    """

    ids: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    matrix: np.ndarray | None

    @classmethod
    def open(
        cls, folder: Path, ids: np.ndarray, dimension: int, index_dir: Path
    ) -> SentenceFile | None:
        """Map a segment's files, checked against its ids (None: the segment has none).

        Args:
            folder: The segment's folder.
            ids: Its chunk ids (sorted).
            dimension: The vector size.
            index_dir: The index folder (for messages).

        Returns:
            The mapped file, or None for a segment written without it.

        Raises:
            IndexStoreError: A file is missing beside the other, cannot be read, or disagrees
                with the segment's ids or with itself.
        """
        matrix_path, rows_path = folder / MATRIX_FILE, folder / ROWS_FILE
        if not matrix_path.exists() and not rows_path.exists():
            return None
        for path in (matrix_path, rows_path):
            if not path.is_file():
                raise damaged(path, "is missing", index_dir)
        try:
            table = np.load(rows_path, allow_pickle=False)
        except (OSError, ValueError) as error:
            raise damaged(rows_path, f"cannot be read ({error})", index_dir) from None
        row_size = STORED_TYPE.itemsize * dimension
        size = matrix_path.stat().st_size
        _check(table, ids, size, row_size, rows_path, matrix_path, index_dir)
        matrix = None
        if size:
            try:
                mapped = np.memmap(matrix_path, dtype=STORED_TYPE, mode="r")
            except (OSError, ValueError) as error:
                raise damaged(matrix_path, f"cannot be read ({error})", index_dir) from None
            matrix = mapped.reshape(-1, dimension)
        return cls(ids, table[:, 1].copy(), table[:, 2].copy(), matrix)

    def read(self, wanted: np.ndarray) -> dict[int, np.ndarray]:
        """The sentence vectors of some chunks of the segment that have two or more sentences.

        Args:
            wanted: Chunk ids held by the segment.

        Returns:
            Chunk id → float32 ``(sentences, dimension)`` matrix (views of one conversion).
        """
        at = np.searchsorted(self.ids, wanted)
        starts, ends = self.starts[at], self.ends[at]
        kept = ends > starts
        if self.matrix is None or not kept.any():
            return {}
        wanted, starts, ends = wanted[kept], starts[kept], ends[kept]
        lengths = ends - starts
        finish = np.cumsum(lengths)
        begin = finish - lengths
        # One gather and one conversion of all rows, as the records' reader joins its blobs.
        rows = np.arange(int(finish[-1])) + np.repeat(starts - begin, lengths)
        joined = self.matrix[rows].astype(np.float32)
        return {
            int(chunk_id): joined[start:end]
            for chunk_id, start, end in zip(
                wanted.tolist(), begin.tolist(), finish.tolist(), strict=True
            )
        }

    def close(self) -> None:
        """Let the mapping go (it is unmapped when no view of it is left)."""
        self.matrix = None


def _check(
    table: np.ndarray,
    ids: np.ndarray,
    size: int,
    row_size: int,
    rows_path: Path,
    matrix_path: Path,
    index_dir: Path,
) -> None:
    """Refuse a rows table that does not fit the segment's ids or the matrix file's size."""
    problem: tuple[Path, str] | None = None
    if table.dtype != np.int64 or table.ndim != 2 or table.shape[1] != 3:
        problem = rows_path, f"holds an array of {table.dtype} {table.shape}, not (chunks, 3)"
    elif len(table) != len(ids) or not np.array_equal(table[:, 0], ids):
        problem = rows_path, f"lists {len(table)} chunks, not the segment's {len(ids)}"
    elif size % row_size:
        problem = matrix_path, f"holds {size} bytes, not whole rows of {row_size}"
    elif len(table) and (
        np.any(table[:, 1] < 0)
        or np.any(table[:, 2] < table[:, 1])
        or int(table[:, 2].max()) > size // row_size
    ):
        problem = rows_path, f"names rows outside {matrix_path.name}"
    if problem is not None:
        raise damaged(*problem, index_dir)
