"""The local engine's reader: one generation, opened whole, searched in memory.

:func:`open_local_index` validates the generation ``current`` points to and loads everything
it needs at once: the FAISS index and BM25 are read into memory and the SQLite file is opened
read-only, so deleting the generation afterwards (a writer keeps only the current and the
previous one) does not disturb the reader.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path

import faiss
import numpy as np

from semsearch.errors import IndexStoreError
from semsearch.lexical import KeywordIndex
from semsearch.storage.base import ChunkFilter, DescribesChunking, IdentifiesModel
from semsearch.storage.local import sentences
from semsearch.storage.local.generations import (
    KEYWORD_DIR,
    MANIFEST_FILE,
    META_FILE,
    VECTORS_FILE,
    resolve_current,
)
from semsearch.storage.local.keyword import keyword_scores, load_keyword_index
from semsearch.storage.local.metadata import StoredRecords, count_rows
from semsearch.storage.local.schema import open_readonly
from semsearch.storage.local.vectors import (
    EXACT_FILTER_MAX_CHUNKS,
    exact_scores,
    exact_search,
    index_search,
    read_vectors,
)
from semsearch.storage.manifest import Manifest, check_compatible, damaged, rebuild_hint

#: Filters whose chunk ids are kept: the app re-runs a query as the user types and an
#: evaluation runs thousands, and resolving a broad date range costs a scan of the chunk table.
FILTER_CACHE_SIZE = 16


class LocalIndex(StoredRecords):
    """An immutable, thread-safe view of one generation: the local :class:`SearchIndex`.

    Args:
        index_dir: The index folder.
        generation_dir: The generation's folder.
        manifest: Its manifest.
        vectors: Its FAISS index, in memory.
        connection: Its database, opened read-only.
        keyword_index: Its BM25, in memory.
    """

    def __init__(
        self,
        index_dir: Path,
        generation_dir: Path,
        manifest: Manifest,
        vectors: faiss.Index,
        connection: sqlite3.Connection,
        keyword_index: KeywordIndex,
    ) -> None:
        super().__init__(connection, index_dir, generation_dir)
        self.manifest = manifest
        self.model_id = manifest.model_id
        self.dimension = manifest.dimension
        self._vectors = vectors
        self._keyword_index = keyword_index
        self._filters: dict[ChunkFilter, np.ndarray] = {}
        self._filters_lock = threading.Lock()

    @property
    def chunk_count(self) -> int:
        """Number of chunks (and vectors) in this generation."""
        return self.manifest.chunk_count

    @property
    def document_count(self) -> int:
        """Number of documents in this generation."""
        return self.manifest.document_count

    @property
    def has_sentence_vectors(self) -> bool:
        """Whether this generation stores sentence vectors (indexes made before them do not)."""
        return self.manifest.has_sentence_vectors

    def check_compatible(self, embedder: IdentifiesModel, chunking: DescribesChunking) -> None:
        """Refuse an embedder or chunking settings other than those the index was built with.

        Raises:
            IndexStoreError: Naming the index's value, the given value and how to rebuild.
        """
        check_compatible(self.manifest, self.index_dir, embedder, chunking)

    def chunk_ids(self, where: ChunkFilter | None = None) -> np.ndarray:
        """Sorted int64 ids of the chunks that pass the filter (all without one); read-only."""
        where = where or ChunkFilter()
        with self._filters_lock:
            cached = self._filters.get(where)
        if cached is not None:
            return cached
        ids = self.matching_chunk_ids(where)
        ids.setflags(write=False)
        with self._filters_lock:
            if len(self._filters) >= FILTER_CACHE_SIZE:
                self._filters.pop(next(iter(self._filters)))
            self._filters[where] = ids
        return ids

    def _allowed(self, where: ChunkFilter | None) -> np.ndarray | None:
        return None if where is None or where.is_empty else self.chunk_ids(where)

    def dense_search(
        self, vector: np.ndarray, k: int, where: ChunkFilter | None = None
    ) -> list[tuple[int, float]]:
        """Return the ``k`` chunks nearest to a normalized query vector (cosine), best first.

        Args:
            vector: A normalized vector of the index's dimension, shape (dim,) or (1, dim).
            k: How many results at most.
            where: Only chunks passing this filter are candidates.

        Returns:
            ``(chunk_id, cosine)`` pairs.
        """
        if k <= 0 or self._vectors.ntotal == 0:
            return []
        query = _as_query(vector, self.dimension)
        allowed = self._allowed(where)
        if allowed is not None:
            if allowed.size == 0:
                return []
            if allowed.size <= EXACT_FILTER_MAX_CHUNKS:
                exact = exact_search(self._vectors, query[0], k, allowed)
                if exact is not None:
                    return exact
        return index_search(self._vectors, query, k, allowed)

    def dense_scores(self, vector: np.ndarray, ids: np.ndarray) -> np.ndarray:
        """The exact cosine of each given chunk to the query vector (NaN for an unknown id)."""
        ids = np.asarray(ids, dtype=np.int64)
        if not len(ids):
            return np.zeros(0, dtype=np.float32)
        return exact_scores(self._vectors, _as_query(vector, self.dimension)[0], ids)

    def keyword_search(
        self, tokens: Sequence[str], k: int, where: ChunkFilter | None = None
    ) -> list[tuple[int, float]]:
        """Return the ``k`` best BM25 matches of the query tokens, best first.

        Args:
            tokens: The query's tokens (``keyword.tokenize_query``).
            k: How many results at most.
            where: Only chunks passing this filter are candidates.

        Returns:
            ``(chunk_id, bm25 score)`` pairs of chunks sharing a token with the query.
        """
        if k <= 0 or self.chunk_count == 0 or not tokens:
            return []
        allowed = self._allowed(where)
        found = self._keyword_index.search(tokens, k, chunk_ids=allowed)
        return [(int(i), float(s)) for i, s in found]

    def keyword_scores(self, tokens: Sequence[str], ids: np.ndarray) -> np.ndarray:
        """The BM25 score of each given chunk for the tokens (0 where none is shared)."""
        return keyword_scores(self._keyword_index, tokens, np.asarray(ids, dtype=np.int64))

    def keyword_weights(self, tokens: Sequence[str]) -> dict[str, float]:
        """The IDF of each distinct query token the index holds (absent tokens left out)."""
        return self._keyword_index.token_weights(tokens)

    def sentence_vectors(self, ids: Sequence[int]) -> dict[int, np.ndarray]:
        """The sentence vectors of the given chunks that have two or more sentences.

        Returns:
            A float32 ``(sentences, dimension)`` matrix of normalized vectors per chunk id.
        """
        if not self.has_sentence_vectors or not len(ids):
            return {}
        return sentences.read_for_chunks(self, ids, self.dimension)

    def vectors_for_keys(self, keys: Iterable[str]) -> dict[str, np.ndarray]:
        """Return stored chunk vectors by content key (``embed_key``), for those present."""
        chunk_for_key = self.first_chunk_of_keys(keys)
        if not chunk_for_key:
            return {}
        keys_found = list(chunk_for_key)
        ids = np.array([chunk_for_key[key] for key in keys_found], dtype=np.int64)
        vectors = self._vectors.reconstruct_batch(ids)
        return {key: vectors[row] for row, key in enumerate(keys_found)}

    def sentence_vectors_for_keys(self, keys: Iterable[str]) -> dict[str, np.ndarray]:
        """Return stored sentence vectors by content key, for those present (maybe 0 rows).

        Only vectors of the current sentence version are returned, since they are reused for
        new chunks.
        """
        if not sentences.is_current(self.manifest):
            return {}
        return sentences.read_for_keys(self, keys, self.dimension)


def _as_query(vector: np.ndarray, dimension: int) -> np.ndarray:
    """A query vector as the ``(1, dimension)`` float32 matrix FAISS takes."""
    query = np.ascontiguousarray(vector, dtype=np.float32).reshape(1, -1)
    if query.shape[1] != dimension:
        raise ValueError(f"query vector has dimension {query.shape[1]}, not {dimension}")
    return query


def open_local_index(index_dir: Path) -> LocalIndex:
    """Open the current generation of the local index in ``index_dir``.

    Args:
        index_dir: The index folder (holding ``current``).

    Returns:
        A reader of the generation that was current at the time of the call.

    Raises:
        IndexStoreError: No index there, or a file is missing, truncated, corrupt, of an
            unknown format, or the files disagree with each other.
    """
    index_dir = Path(index_dir)
    # A writer may swap `current` and delete the generation between our readlink and the
    # opening of its files; resolving again then lands on a complete newer generation.
    for _attempt in range(5):
        generation_dir = resolve_current(index_dir)
        try:
            return _open_generation(index_dir, generation_dir)
        except IndexStoreError:
            if generation_dir.exists() or resolve_current(index_dir) == generation_dir:
                raise
    raise IndexStoreError(
        f"The index in {index_dir} keeps changing while it is being opened.",
        "Try again when the running build/update has finished.",
    )


def _open_generation(index_dir: Path, generation_dir: Path) -> LocalIndex:
    if not generation_dir.is_dir():
        raise IndexStoreError(
            f"The index generation {generation_dir} is missing.", rebuild_hint(index_dir)
        )
    manifest = Manifest.read(generation_dir / MANIFEST_FILE, index_dir)
    for name, size in manifest.files.items():
        file_path = generation_dir / name
        if not file_path.is_file():
            raise damaged(file_path, "is missing", index_dir)
        actual = file_path.stat().st_size
        if actual != size:
            raise damaged(
                file_path, f"is truncated or damaged ({actual} bytes, expected {size})", index_dir
            )
    vectors = read_vectors(generation_dir / VECTORS_FILE, index_dir)
    connection = open_readonly(generation_dir / META_FILE, index_dir)
    try:
        rows = count_rows(connection, generation_dir / META_FILE, index_dir)
        _check_consistent(manifest, vectors, rows, generation_dir, index_dir)
        keyword_index = load_keyword_index(generation_dir / KEYWORD_DIR, index_dir)
    except BaseException:
        connection.close()
        raise
    return LocalIndex(index_dir, generation_dir, manifest, vectors, connection, keyword_index)


def _check_consistent(
    manifest: Manifest,
    vectors: faiss.Index,
    rows: tuple[int, int],
    generation_dir: Path,
    index_dir: Path,
) -> None:
    """Refuse a generation whose files disagree on the dimension or the counts."""
    chunk_rows, document_rows = rows
    if vectors.d != manifest.dimension:
        raise damaged(
            generation_dir / VECTORS_FILE,
            f"holds {vectors.d}-dimensional vectors but the manifest says {manifest.dimension}",
            index_dir,
        )
    counts = {
        f"{VECTORS_FILE} vectors": int(vectors.ntotal),
        f"{META_FILE} chunks": chunk_rows,
        f"{MANIFEST_FILE} chunk_count": manifest.chunk_count,
    }
    if len(set(counts.values())) != 1 or manifest.document_count != document_rows:
        detail = ", ".join(f"{name} {value}" for name, value in counts.items())
        detail += f", {META_FILE} documents {document_rows}"
        detail += f", {MANIFEST_FILE} document_count {manifest.document_count}"
        raise IndexStoreError(
            f"The index generation {generation_dir} is inconsistent ({detail}).",
            rebuild_hint(index_dir),
        )
