"""The index on disk: generations of FAISS vectors, SQLite metadata, BM25 and a manifest.

An index folder holds immutable *generations*; ``current`` is a symlink to the live one::

    index/
      current -> gen-000007           swapped atomically with os.replace
      gen-000006/                     the previous generation (kept for readers that just opened it)
      gen-000007/
        manifest.json                 model, dimension, chunking, counts, timestamps, file sizes
        vectors.faiss                 IndexIDMap2(IndexFlatIP): normalized vectors by chunk id
        meta.sqlite                   documents (cleaned text), chunks (tokens), skipped files
        keyword/                      BM25 (lexical.KeywordIndex.save)
      .write.lock                     held by the one writer (filelock)

:class:`IndexWriter` builds the next generation in ``gen-NNNNNN.tmp-<pid>/``, fsyncs it, renames it
and swaps ``current``, so a process killed at any moment leaves the previous generation intact.
:class:`IndexReader` loads everything it needs when it opens, so it keeps working after a writer
replaces (and later deletes) its generation. docs/index-format.md describes the format.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import faiss
import numpy as np
from filelock import FileLock, Timeout

from semsearch import lexical
from semsearch.chunking import SENTENCE_VERSION
from semsearch.errors import IndexStoreError
from semsearch.ingest import RemovedLine, SkippedFile

if TYPE_CHECKING:
    from semsearch.chunking import Chunk
    from semsearch.ingest import Document

# One query is searched at a time, and FAISS's OpenMP threads cost more than they bring then: on
# the 2-core machine an exact search of 100k vectors took 38 ms with 2 threads and 8 ms with one
# (docs/performance.md). Training an IVF index, which does benefit, asks for all cores itself.
faiss.omp_set_num_threads(1)

#: Bumped when the layout of a generation changes in a way older readers cannot read.
FORMAT_VERSION = 1

CURRENT_LINK = "current"
MANIFEST_FILE = "manifest.json"
VECTORS_FILE = "vectors.faiss"
META_FILE = "meta.sqlite"
KEYWORD_DIR = "keyword"
LOCK_FILE = ".write.lock"
LOCK_OWNER_FILE = ".write.owner"

#: Seconds a second writer waits for the lock before giving up with a clear message.
DEFAULT_LOCK_TIMEOUT = 2.0

#: From this many chunks on, vectors are kept in an approximate index (IVF, inverted lists over
#: k-means cells) instead of an exact one: a query then scans ``nprobe`` cells instead of every
#: vector. Below it exact search is fast enough (docs/performance.md has the measurements).
APPROXIMATE_MIN_CHUNKS = 200_000
#: An approximate index goes back to exact search when it shrinks below this many chunks.
EXACT_MAX_CHUNKS = APPROXIMATE_MIN_CHUNKS // 2
#: Cells of the IVF index per chunk count: ``sqrt(n)`` cells within these bounds.
IVF_MIN_CELLS = 256
IVF_MAX_CELLS = 4096
#: Training samples per cell (k-means on a sample keeps training to seconds).
IVF_TRAINING_POINTS_PER_CELL = 64
#: The IVF index is retrained (cells recomputed) once it holds this many times the vectors it
#: was trained on, so that the cells keep following the corpus.
IVF_RETRAIN_GROWTH = 2.0
#: A filtered vector search over at most this many chunks is computed exactly from the stored
#: vectors (a matrix product over the allowed ones) instead of scanning the index with a filter.
EXACT_FILTER_MAX_CHUNKS = 50_000

_GENERATION_RE = re.compile(r"^gen-(\d{6})$")
_TEMP_MARK = ".tmp-"
_REQUIRED_MANIFEST_KEYS = (
    "format_version",
    "model_id",
    "model_fingerprint",
    "dimension",
    "chunking",
    "document_count",
    "chunk_count",
    "generation",
    "next_chunk_id",
)
# Sentence vectors are keyed by the chunk's content key: chunks of equal text share them, and an
# update finds them for unchanged text like the chunk vectors.
_SENTENCE_SCHEMA = """
CREATE TABLE IF NOT EXISTS sentence_vectors (
    embed_key TEXT PRIMARY KEY,
    vectors BLOB NOT NULL
);
"""
_SCHEMA = (
    """
CREATE TABLE documents (
    doc_id TEXT PRIMARY KEY,
    path TEXT NOT NULL,
    file_path TEXT,
    file_size INTEGER,
    file_mtime_ns INTEGER,
    title TEXT NOT NULL,
    date TEXT,
    source TEXT,
    author TEXT,
    content_hash TEXT NOT NULL,
    script TEXT NOT NULL,
    chunk_count INTEGER NOT NULL,
    text TEXT NOT NULL,
    removed TEXT NOT NULL
);
CREATE INDEX documents_by_file ON documents(file_path);
CREATE INDEX documents_by_date ON documents(date);
CREATE TABLE chunks (
    chunk_id INTEGER PRIMARY KEY,
    doc_id TEXT NOT NULL,
    idx INTEGER NOT NULL,
    paragraph INTEGER NOT NULL,
    start_char INTEGER NOT NULL,
    end_char INTEGER NOT NULL,
    text TEXT NOT NULL,
    title TEXT NOT NULL,
    embed_key TEXT NOT NULL,
    tokens TEXT NOT NULL
);
CREATE UNIQUE INDEX chunks_by_doc ON chunks(doc_id, idx);
CREATE INDEX chunks_by_embed_key ON chunks(embed_key);
CREATE TABLE skipped (
    path TEXT NOT NULL,
    reason TEXT NOT NULL
);
"""
    + _SENTENCE_SCHEMA
)
_REBUILD_HINT = "Rebuild it: semsearch build --rebuild [PATHS] --index {index_dir}"


class IdentifiesModel(Protocol):
    """What the store needs to know about an embedder (``semsearch.embed.Embedder``)."""

    model_id: str
    dimension: int
    fingerprint: str


class DescribesChunking(Protocol):
    """What the store needs to know about chunking settings (``ChunkingConfig``)."""

    def as_dict(self) -> dict[str, Any]:
        """Return the settings as a JSON-serializable dict."""
        ...


@dataclass(frozen=True)
class StoredChunk:
    """A chunk as stored in the index, with what a hit needs from its document."""

    chunk_id: int
    doc_id: str
    index: int
    paragraph: int
    start: int
    end: int
    text: str
    title: str
    path: str
    date: str | None


@dataclass(frozen=True)
class DocumentRecord:
    """A document as stored in the index (``text`` is empty in listings)."""

    doc_id: str
    path: str
    title: str
    date: str | None
    source: str | None
    author: str | None
    content_hash: str
    script: str
    chunk_count: int
    text: str


@dataclass(frozen=True)
class FileState:
    """Where a document's file is and what it looked like when indexed.

    The indexer compares size and mtime to skip unchanged files without reading them.

    Attributes:
        file_path: Absolute, resolved path of the file.
        size: Size in bytes.
        mtime_ns: Modification time in nanoseconds.
    """

    file_path: str
    size: int
    mtime_ns: int


@dataclass(frozen=True)
class StoredFile:
    """A stored document seen from the file system: what the indexer needs to decide on it."""

    doc_id: str
    path: str
    content_hash: str
    state: FileState | None


def embed_key(model_fingerprint: str, passage: str) -> str:
    """Return the content key of a passage's vector: the same text and weights give the same key.

    Args:
        model_fingerprint: The embedder's weights fingerprint.
        passage: The exact text that is embedded (``chunking.passage_text``).

    Returns:
        A sha256 hex digest.
    """
    return hashlib.sha256(f"{model_fingerprint}\x00{passage}".encode()).hexdigest()


def keyword_info() -> dict[str, Any]:
    """Describe the keyword tokenizer for the manifest (a change means stored tokens are stale)."""
    return {"tokenizer": lexical.TOKENIZER_VERSION}


def sentence_info() -> dict[str, Any]:
    """What the manifest records about the sentence vectors of a generation."""
    return {"version": SENTENCE_VERSION}


def _sentence_blob(vectors: np.ndarray) -> bytes:
    # Half precision: a cosine moves by about 1e-3, and the table is half the size.
    return np.ascontiguousarray(vectors, dtype=np.float16).tobytes()


def _sentence_matrix(blob: bytes, dimension: int) -> np.ndarray:
    return np.frombuffer(blob, dtype=np.float16).reshape(-1, dimension).astype(np.float32)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _generation_number(name: str) -> int | None:
    match = _GENERATION_RE.match(name)
    return int(match.group(1)) if match else None


def _generation_name(number: int) -> str:
    return f"gen-{number:06d}"


def _fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(root: Path) -> None:
    for folder, _dirs, files in os.walk(root):
        for name in files:
            _fsync_path(Path(folder) / name)
        _fsync_path(Path(folder))


def _file_sizes(generation_dir: Path) -> dict[str, int]:
    sizes = {}
    for path in sorted(generation_dir.rglob("*")):
        if path.is_file() and path.name != MANIFEST_FILE:
            sizes[path.relative_to(generation_dir).as_posix()] = path.stat().st_size
    return sizes


def _looks_like_index(index_dir: Path) -> bool:
    """Tell an index folder (or an empty one) from a folder the user did not mean."""
    for entry in index_dir.iterdir():
        if entry.name.startswith(".") or entry.name == CURRENT_LINK:
            continue
        if entry.name.startswith("gen-") or entry.name.startswith(CURRENT_LINK + _TEMP_MARK):
            continue
        return False
    return True


def _corrupt(path: Path, what: str, index_dir: Path) -> IndexStoreError:
    return IndexStoreError(
        f"The index file {path} {what}.", _REBUILD_HINT.format(index_dir=index_dir)
    )


def _open_sqlite_readonly(path: Path) -> sqlite3.Connection:
    # immutable=1: the generation never changes, so SQLite takes no locks and keeps its file
    # descriptor; the reader survives the writer deleting this generation later.
    uri = path.resolve().as_uri() + "?mode=ro&immutable=1"
    return sqlite3.connect(uri, uri=True, check_same_thread=False)


class IndexReader:
    """An immutable, thread-safe view of one generation of an index.

    Everything is loaded or opened in :meth:`open`: the FAISS index is read into memory, the
    SQLite file is opened read-only and the BM25 index is loaded, so deleting the generation
    afterwards (a writer keeps only the current and the previous one) does not disturb it.
    """

    def __init__(
        self,
        index_dir: Path,
        generation_dir: Path,
        manifest: dict[str, Any],
        vectors: faiss.Index,
        connection: sqlite3.Connection,
        keyword_index: lexical.KeywordIndex,
    ) -> None:
        self.index_dir = index_dir
        self.path = generation_dir
        self.generation = generation_dir.name
        self.manifest = manifest
        self.model_id: str = manifest["model_id"]
        self.dimension: int = int(manifest["dimension"])
        self._vectors = vectors
        self._db = connection
        self._db_lock = threading.Lock()
        self._keyword_index = keyword_index

    # -- opening -----------------------------------------------------------------------------

    @classmethod
    def open(cls, index_dir: Path) -> IndexReader:
        """Open the current generation of the index in ``index_dir``.

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
            generation_dir = _resolve_current(index_dir)
            try:
                return cls._open_generation(index_dir, generation_dir)
            except IndexStoreError:
                if generation_dir.exists() or _resolve_current(index_dir) == generation_dir:
                    raise
        raise IndexStoreError(
            f"The index in {index_dir} keeps changing while it is being opened.",
            "Try again when the running build/update has finished.",
        )

    @classmethod
    def _open_generation(cls, index_dir: Path, generation_dir: Path) -> IndexReader:
        manifest = read_manifest(generation_dir, index_dir)
        expected_sizes: dict[str, int] = manifest.get("files") or {}
        for name, size in expected_sizes.items():
            file_path = generation_dir / name
            if not file_path.is_file():
                raise _corrupt(file_path, "is missing", index_dir)
            actual = file_path.stat().st_size
            if actual != size:
                raise _corrupt(
                    file_path,
                    f"is truncated or damaged ({actual} bytes, expected {size})",
                    index_dir,
                )
        vectors = _read_vectors(generation_dir / VECTORS_FILE, index_dir)
        connection = _open_meta(generation_dir / META_FILE, index_dir)
        try:
            cls._check_counts(manifest, vectors, connection, generation_dir, index_dir)
            keyword_index = _load_keyword(generation_dir / KEYWORD_DIR, index_dir)
        except BaseException:
            connection.close()
            raise
        return cls(index_dir, generation_dir, manifest, vectors, connection, keyword_index)

    @staticmethod
    def _check_counts(
        manifest: dict[str, Any],
        vectors: faiss.Index,
        connection: sqlite3.Connection,
        generation_dir: Path,
        index_dir: Path,
    ) -> None:
        meta_path = generation_dir / META_FILE
        try:
            (chunk_rows,) = connection.execute("SELECT count(*) FROM chunks").fetchone()
            (document_rows,) = connection.execute("SELECT count(*) FROM documents").fetchone()
            connection.execute("SELECT count(*) FROM skipped").fetchone()
        except sqlite3.DatabaseError as error:
            raise _corrupt(
                meta_path, f"is not a valid index database ({error})", index_dir
            ) from None
        if vectors.d != int(manifest["dimension"]):
            raise _corrupt(
                generation_dir / VECTORS_FILE,
                f"holds {vectors.d}-dimensional vectors but the manifest says "
                f"{manifest['dimension']}",
                index_dir,
            )
        counts = {
            f"{VECTORS_FILE} vectors": int(vectors.ntotal),
            f"{META_FILE} chunks": int(chunk_rows),
            f"{MANIFEST_FILE} chunk_count": int(manifest["chunk_count"]),
        }
        if len(set(counts.values())) != 1 or int(manifest["document_count"]) != document_rows:
            detail = ", ".join(f"{name} {value}" for name, value in counts.items())
            detail += f", {META_FILE} documents {document_rows}"
            detail += f", {MANIFEST_FILE} document_count {manifest['document_count']}"
            raise IndexStoreError(
                f"The index generation {generation_dir} is inconsistent ({detail}).",
                _REBUILD_HINT.format(index_dir=index_dir),
            )

    # -- compatibility -----------------------------------------------------------------------

    @property
    def chunk_count(self) -> int:
        """Number of chunks (and vectors) in this generation."""
        return int(self.manifest["chunk_count"])

    @property
    def document_count(self) -> int:
        """Number of documents in this generation."""
        return int(self.manifest["document_count"])

    @property
    def corpus_roots(self) -> list[str]:
        """The files and folders the index was built from (absolute paths)."""
        return list(self.manifest.get("corpus_roots") or [])

    def check_compatible(self, embedder: IdentifiesModel, chunking: DescribesChunking) -> None:
        """Refuse an embedder or chunking settings other than those the index was built with.

        Args:
            embedder: The embedder about to be used for queries or an update.
            chunking: The chunking settings about to be used for an update.

        Raises:
            IndexStoreError: Naming the index's value, the given value and how to rebuild.
        """
        check_manifest_compatible(self.manifest, self.index_dir, embedder, chunking)

    # -- search ------------------------------------------------------------------------------

    def vector_search(
        self, query_vector: np.ndarray, k: int, chunk_ids: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """Return the ``k`` chunks nearest to a query vector (cosine), best first.

        Args:
            query_vector: A normalized vector of the index's dimension, shape (dim,) or (1, dim).
            k: How many results at most.
            chunk_ids: If given, only these chunk ids are candidates.

        Returns:
            ``(chunk_id, cosine)`` pairs.
        """
        if k <= 0 or self._vectors.ntotal == 0:
            return []
        query = np.ascontiguousarray(query_vector, dtype=np.float32).reshape(1, -1)
        if query.shape[1] != self.dimension:
            raise ValueError(f"query vector has dimension {query.shape[1]}, not {self.dimension}")
        allowed = None
        if chunk_ids is not None:
            allowed = np.unique(np.asarray(chunk_ids, dtype=np.int64))
            if allowed.size == 0:
                return []
            if allowed.size <= EXACT_FILTER_MAX_CHUNKS:
                exact = _exact_search(self._vectors, query[0], k, allowed)
                if exact is not None:
                    return exact
        return _index_search(self._vectors, query, k, allowed)

    def keyword_search(
        self, query: str | lexical.AnalyzedQuery, k: int, chunk_ids: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """Return the ``k`` best BM25 matches for a query, best first.

        Args:
            query: The query text, or the search's analysed query (``lexical.analyze_query``).
            k: How many results at most.
            chunk_ids: If given, only these chunk ids are candidates.

        Returns:
            ``(chunk_id, bm25 score)`` pairs.
        """
        if k <= 0 or self.chunk_count == 0:
            return []
        tokens = lexical.analyze_query(query).tokens
        if not tokens:
            return []
        allowed = None if chunk_ids is None else np.asarray(chunk_ids, dtype=np.int64)
        return [
            (int(i), float(s)) for i, s in self._keyword_index.search(tokens, k, chunk_ids=allowed)
        ]

    def keyword_weights(self, query: str | lexical.AnalyzedQuery) -> dict[str, float]:
        """The IDF weight of each distinct keyword token of a query (absent tokens left out).

        Args:
            query: The query text, or the search's analysed query (``lexical.analyze_query``).
        """
        return self._keyword_index.token_weights(lexical.analyze_query(query).tokens)

    # -- metadata ----------------------------------------------------------------------------

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        try:
            with self._db_lock:
                return self._db.execute(sql, params).fetchall()
        except sqlite3.DatabaseError as error:
            raise _corrupt(
                self.path / META_FILE, f"cannot be read ({error})", self.index_dir
            ) from None

    def _query_in(self, sql: str, values: Sequence[Any]) -> list[tuple[Any, ...]]:
        """Run ``sql`` with ``{marks}`` standing for the placeholders of ``values``, in batches.

        SQLite limits bound parameters; 500 per query stays far below every build's limit.
        """
        rows: list[tuple[Any, ...]] = []
        for offset in range(0, len(values), 500):
            batch = list(values[offset : offset + 500])
            rows += self._query(sql.format(marks=",".join("?" * len(batch))), batch)
        return rows

    _CHUNK_COLUMNS = (
        "c.chunk_id, c.doc_id, c.idx, c.paragraph, c.start_char, c.end_char, c.text, c.title, "
        "d.path, d.date"
    )

    def chunks(self, ids: Sequence[int]) -> list[StoredChunk]:
        """Return the chunks with these ids, in the same order.

        Raises:
            KeyError: An id is not in this generation.
        """
        wanted = [int(i) for i in ids]
        rows = self._query_in(
            f"SELECT {self._CHUNK_COLUMNS} FROM chunks c JOIN documents d USING (doc_id) "
            "WHERE c.chunk_id IN ({marks})",
            wanted,
        )
        found = {row[0]: StoredChunk(*row) for row in rows}
        missing = [i for i in wanted if i not in found]
        if missing:
            raise KeyError(f"chunk ids not in {self.generation}: {missing[:10]}")
        return [found[i] for i in wanted]

    def neighbours(
        self, chunk_id: int, before: int = 1, after: int = 1
    ) -> tuple[list[StoredChunk], list[StoredChunk]]:
        """Return up to ``before`` and ``after`` chunks around a chunk in its document, in order."""
        rows = self._query("SELECT doc_id, idx FROM chunks WHERE chunk_id = ?", (int(chunk_id),))
        if not rows:
            raise KeyError(f"chunk id {chunk_id} not in {self.generation}")
        doc_id, index = rows[0]
        around = self._query(
            f"SELECT {self._CHUNK_COLUMNS} FROM chunks c JOIN documents d USING (doc_id) "
            "WHERE c.doc_id = ? AND c.idx BETWEEN ? AND ? AND c.idx != ? ORDER BY c.idx",
            (doc_id, index - max(before, 0), index + max(after, 0), index),
        )
        chunks = [StoredChunk(*row) for row in around]
        return [c for c in chunks if c.index < index], [c for c in chunks if c.index > index]

    _DOCUMENT_COLUMNS = (
        "doc_id, path, title, date, source, author, content_hash, script, chunk_count"
    )

    def documents(self) -> list[DocumentRecord]:
        """Return every document (without its text), ordered by path."""
        rows = self._query(f"SELECT {self._DOCUMENT_COLUMNS} FROM documents ORDER BY path, doc_id")
        return [DocumentRecord(*row, text="") for row in rows]

    def document(self, doc_id: str) -> DocumentRecord:
        """Return one document with its cleaned text.

        Raises:
            IndexStoreError: No document with that id (the hint says how to list them).
        """
        rows = self._query(
            f"SELECT {self._DOCUMENT_COLUMNS}, text FROM documents WHERE doc_id = ?", (doc_id,)
        )
        if not rows:
            raise IndexStoreError(
                f"There is no document {doc_id!r} in the index {self.index_dir}.",
                f"List the documents with: semsearch info --index {self.index_dir}",
            )
        return DocumentRecord(*rows[0])

    def removed_lines(self, doc_id: str) -> list[RemovedLine]:
        """Return the lines cleaning removed from a document (empty for an unknown id)."""
        rows = self._query("SELECT removed FROM documents WHERE doc_id = ?", (doc_id,))
        if not rows:
            return []
        return [RemovedLine(*item) for item in json.loads(rows[0][0])]

    def chunk_ids_where(
        self,
        doc_ids: Sequence[str] | None = None,
        date_from: str | None = None,
        date_to: str | None = None,
    ) -> np.ndarray:
        """Return the ids of chunks whose document matches every given condition.

        Args:
            doc_ids: Only these documents.
            date_from: Only documents dated on or after this ISO date (undated ones are left out).
            date_to: Only documents dated on or before this ISO date (undated ones are left out).

        Returns:
            Sorted int64 chunk ids.
        """
        conditions: list[str] = []
        params: list[Any] = []
        if doc_ids is not None:
            wanted = list(doc_ids)
            if not wanted:
                return np.zeros(0, dtype=np.int64)
            conditions.append(f"d.doc_id IN ({','.join('?' * len(wanted))})")
            params.extend(wanted)
        if date_from is not None:
            conditions.append("d.date >= ?")
            params.append(date_from)
        if date_to is not None:
            conditions.append("d.date <= ?")
            params.append(date_to)
        where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
        rows = self._query(
            f"SELECT c.chunk_id FROM chunks c JOIN documents d USING (doc_id) {where} "
            "ORDER BY c.chunk_id",
            params,
        )
        return np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))

    def skipped_files(self) -> list[SkippedFile]:
        """Return the files the last build/update could not index, with the reasons."""
        rows = self._query("SELECT path, reason FROM skipped ORDER BY path")
        return [SkippedFile(path, reason) for path, reason in rows]

    def stored_files(self) -> list[StoredFile]:
        """Return each document's file state (the indexer's view of what is indexed)."""
        rows = self._query(
            "SELECT doc_id, path, content_hash, file_path, file_size, file_mtime_ns FROM documents"
        )
        files = []
        for doc_id, path, content_hash, file_path, size, mtime_ns in rows:
            state = FileState(file_path, size, mtime_ns) if file_path is not None else None
            files.append(StoredFile(doc_id, path, content_hash, state))
        return files

    def vectors_for_keys(self, keys: Iterable[str]) -> dict[str, np.ndarray]:
        """Return stored vectors by content key (see :func:`embed_key`), for those present."""
        rows = self._query_in(
            "SELECT embed_key, min(chunk_id) FROM chunks "
            "WHERE embed_key IN ({marks}) GROUP BY embed_key",
            list(dict.fromkeys(keys)),
        )
        chunk_for_key: dict[str, int] = {key: chunk_id for key, chunk_id in rows}
        if not chunk_for_key:
            return {}
        keys_found = list(chunk_for_key)
        ids = np.array([chunk_for_key[key] for key in keys_found], dtype=np.int64)
        vectors = self._vectors.reconstruct_batch(ids)
        return {key: vectors[row] for row, key in enumerate(keys_found)}

    @property
    def has_sentence_vectors(self) -> bool:
        """Whether this generation stores sentence vectors (indexes made before them do not)."""
        return bool(self.manifest.get("sentence_vectors"))

    def sentence_vectors(self, chunk_ids: Sequence[int]) -> dict[int, np.ndarray]:
        """Return the sentence vectors of chunks, by chunk id (chunks of one sentence have none).

        Args:
            chunk_ids: The chunks (typically a query's candidates).

        Returns:
            A float32 ``(sentences, dimension)`` matrix of normalized vectors per chunk that has
            two or more sentences.
        """
        if not self.has_sentence_vectors or not len(chunk_ids):
            return {}
        rows = self._query_in(
            "SELECT c.chunk_id, s.vectors FROM chunks c JOIN sentence_vectors s "
            "ON s.embed_key = c.embed_key WHERE c.chunk_id IN ({marks})",
            [int(i) for i in chunk_ids],
        )
        return {
            int(chunk_id): _sentence_matrix(blob, self.dimension) for chunk_id, blob in rows if blob
        }

    def sentence_vectors_for_keys(self, keys: Iterable[str]) -> dict[str, np.ndarray]:
        """Return stored sentence vectors by content key, for those present (maybe 0 rows).

        Only vectors of the current :data:`~semsearch.chunking.SENTENCE_VERSION` are returned,
        since they are reused for new chunks.
        """
        if self.manifest.get("sentence_vectors") != sentence_info():
            return {}
        rows = self._query_in(
            "SELECT embed_key, vectors FROM sentence_vectors WHERE embed_key IN ({marks})",
            list(dict.fromkeys(keys)),
        )
        return {key: _sentence_matrix(blob, self.dimension) for key, blob in rows}

    def iter_chunk_rows(self) -> Iterator[tuple[int, str, str]]:
        """Yield ``(chunk_id, title, text)`` of every chunk (to re-tokenize after an upgrade)."""
        yield from self._query("SELECT chunk_id, title, text FROM chunks ORDER BY chunk_id")

    def close(self) -> None:
        """Close the SQLite connection (the reader is unusable afterwards)."""
        with self._db_lock:
            self._db.close()


def _resolve_current(index_dir: Path) -> Path:
    """Return the generation folder ``current`` points to, or say why there is none."""
    hint = f"Build one first: semsearch build [PATHS] --index {index_dir}"
    if not index_dir.is_dir():
        raise IndexStoreError(f"There is no index at {index_dir} (no such folder).", hint)
    link = index_dir / CURRENT_LINK
    if not link.is_symlink():
        if link.exists():
            raise IndexStoreError(
                f"{link} is not a symlink to a generation: {index_dir} is not a semsearch index.",
                _REBUILD_HINT.format(index_dir=index_dir),
            )
        if _looks_like_index(index_dir):
            raise IndexStoreError(f"There is no index in {index_dir} yet.", hint)
        raise IndexStoreError(
            f"{index_dir} is not a semsearch index (it has no '{CURRENT_LINK}' link).",
            f"Pass the index folder with --index, or build one: semsearch build [PATHS] "
            f"--index {index_dir}",
        )
    target = os.readlink(link)
    if _generation_number(target) is None:
        raise IndexStoreError(
            f"{link} points to {target!r}, which is not a generation folder.",
            _REBUILD_HINT.format(index_dir=index_dir),
        )
    return index_dir / target


def read_manifest(generation_dir: Path, index_dir: Path) -> dict[str, Any]:
    """Read and validate a generation's ``manifest.json``.

    Raises:
        IndexStoreError: Missing, not JSON, lacking required keys, or from a newer format.
    """
    path = generation_dir / MANIFEST_FILE
    hint = _REBUILD_HINT.format(index_dir=index_dir)
    if not generation_dir.is_dir():
        raise IndexStoreError(f"The index generation {generation_dir} is missing.", hint)
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise _corrupt(path, "is missing", index_dir) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise _corrupt(path, f"is not valid JSON ({error})", index_dir) from None
    if not isinstance(manifest, dict):
        raise _corrupt(path, "is not a JSON object", index_dir)
    missing = [key for key in _REQUIRED_MANIFEST_KEYS if key not in manifest]
    if missing:
        raise _corrupt(path, f"lacks {', '.join(missing)}", index_dir)
    version = manifest["format_version"]
    if not isinstance(version, int) or version > FORMAT_VERSION or version < 1:
        raise IndexStoreError(
            f"The index {index_dir} has format version {version!r}; this semsearch reads "
            f"format {FORMAT_VERSION}.",
            hint,
        )
    return manifest


def _read_vectors(path: Path, index_dir: Path) -> faiss.Index:
    if not path.is_file():
        raise _corrupt(path, "is missing", index_dir)
    try:
        vectors = faiss.read_index(str(path))
    except RuntimeError as error:
        reason = str(error).strip().splitlines()[-1] if str(error).strip() else "read error"
        raise _corrupt(
            path, f"is truncated or corrupt (FAISS: {reason[:160]})", index_dir
        ) from None
    if not isinstance(vectors, faiss.IndexIDMap2 | faiss.IndexIVFFlat):
        raise _corrupt(
            path, f"holds a {type(vectors).__name__}, not an IndexIDMap2 or IndexIVFFlat", index_dir
        )
    return vectors


# -- the vector index: exact below APPROXIMATE_MIN_CHUNKS, IVF above -------------------------------


def is_approximate(vectors: faiss.Index) -> bool:
    """Tell whether a vector index is the approximate (IVF) kind."""
    return isinstance(vectors, faiss.IndexIVF)


def ivf_cells(count: int) -> int:
    """The number of IVF cells for ``count`` vectors: ``sqrt(count)``, within bounds."""
    return int(min(IVF_MAX_CELLS, max(IVF_MIN_CELLS, round(count**0.5))))


def ivf_nprobe(cells: int) -> int:
    """Cells a query scans: 32, or 1/32 of them if more (recall@10 ≥ 0.97, see the docs)."""
    return int(min(cells, max(32, cells // 32)))


def new_exact_index(dimension: int) -> faiss.Index:
    """An empty exact index: inner product over normalized vectors, by chunk id."""
    return faiss.IndexIDMap2(faiss.IndexFlatIP(dimension))


def build_ivf_index(
    vectors: np.ndarray, ids: np.ndarray, cells: int | None = None, seed: int = 1234
) -> faiss.IndexIVFFlat:
    """Train an IVF index (inner product) on a sample of ``vectors`` and add them with ``ids``.

    The index keeps a direct map (id → position), so vectors can be read back by id and removed.

    Args:
        vectors: Normalized float32 rows.
        ids: One int64 chunk id per row.
        cells: Number of k-means cells (default :func:`ivf_cells`).
        seed: Seed of the k-means sample, for reproducible indexes.
    """
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    count, dimension = vectors.shape
    cells = cells or ivf_cells(count)
    quantizer = faiss.IndexFlatIP(dimension)
    index = faiss.IndexIVFFlat(quantizer, dimension, cells, faiss.METRIC_INNER_PRODUCT)
    index.own_fields = True
    quantizer.this.disown()
    index.cp.seed = seed
    index.cp.max_points_per_centroid = IVF_TRAINING_POINTS_PER_CELL
    sample = min(count, cells * IVF_TRAINING_POINTS_PER_CELL)
    rows = np.random.default_rng(seed).choice(count, size=sample, replace=False)
    faiss.omp_set_num_threads(os.cpu_count() or 1)
    try:
        index.train(vectors[np.sort(rows)])
        index.set_direct_map_type(faiss.DirectMap.Hashtable)
        index.nprobe = ivf_nprobe(cells)
        index.add_with_ids(vectors, np.ascontiguousarray(ids, dtype=np.int64))
    finally:
        faiss.omp_set_num_threads(1)
    return index


def all_vectors(vectors: faiss.Index) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(ids, vectors)`` of every entry of an exact or IVF index (ids sorted)."""
    if isinstance(vectors, faiss.IndexIDMap2):
        ids = faiss.vector_to_array(vectors.id_map).astype(np.int64)
    else:
        ids_parts = []
        invlists = vectors.invlists
        for cell in range(vectors.nlist):
            size = invlists.list_size(cell)
            if size:
                pointer = invlists.get_ids(cell)
                ids_parts.append(faiss.rev_swig_ptr(pointer, size).copy())
        ids = np.concatenate(ids_parts) if ids_parts else np.zeros(0, dtype=np.int64)
    ids = np.sort(ids.astype(np.int64))
    if not len(ids):
        return ids, np.zeros((0, vectors.d), dtype=np.float32)
    return ids, vectors.reconstruct_batch(ids)


def _describe_vector_index(vectors: faiss.Index, trained_on: int) -> dict[str, Any]:
    """The manifest's ``vector_index`` entry: kind and parameters of ``vectors.faiss``."""
    if is_approximate(vectors):
        return {
            "type": "ivf-flat",
            "cells": int(vectors.nlist),
            "nprobe": int(vectors.nprobe),
            "trained_on": int(trained_on),
        }
    return {"type": "flat"}


def _exact_search(
    vectors: faiss.Index, query: np.ndarray, k: int, allowed: np.ndarray
) -> list[tuple[int, float]] | None:
    """Score the allowed chunks exactly from their stored vectors (None if an id is unknown)."""
    try:
        candidates = vectors.reconstruct_batch(allowed)
    except RuntimeError:  # an id that is not in the index: let the filtered index search decide
        return None
    scores = candidates @ query
    k = min(k, len(allowed))
    top = np.argpartition(-scores, k - 1)[:k] if len(allowed) > k else np.arange(len(allowed))
    # Best first; ties broken by the lower chunk id, as FAISS does.
    order = np.lexsort((allowed[top], -scores[top]))
    return [(int(allowed[top[i]]), float(scores[top[i]])) for i in order]


def _index_search(
    vectors: faiss.Index, query: np.ndarray, k: int, allowed: np.ndarray | None
) -> list[tuple[int, float]]:
    """Search the index itself, optionally restricted to ``allowed`` chunk ids."""
    k = min(k, int(vectors.ntotal), int(allowed.size) if allowed is not None else k)
    selector = faiss.IDSelectorBatch(allowed) if allowed is not None else None
    if is_approximate(vectors):
        nprobe = int(vectors.nprobe)
        if allowed is not None:
            # A filter leaves fewer candidates per cell: scan more cells to still find k.
            share = max(allowed.size / max(vectors.ntotal, 1), 1e-6)
            nprobe = int(min(vectors.nlist, nprobe * min(16.0, 1.0 / share)))
        params = faiss.SearchParametersIVF(sel=selector, nprobe=nprobe)
    else:
        params = faiss.SearchParameters(sel=selector) if selector is not None else None
    scores, ids = vectors.search(query, k, params=params)
    return [
        (int(chunk_id), float(score))
        for chunk_id, score in zip(ids[0], scores[0], strict=True)
        if chunk_id >= 0
    ]


def _open_meta(path: Path, index_dir: Path) -> sqlite3.Connection:
    if not path.is_file():
        raise _corrupt(path, "is missing", index_dir)
    try:
        return _open_sqlite_readonly(path)
    except sqlite3.DatabaseError as error:
        raise _corrupt(path, f"cannot be opened ({error})", index_dir) from None


def _load_keyword(path: Path, index_dir: Path) -> lexical.KeywordIndex:
    if not path.is_dir():
        raise _corrupt(path, "is missing", index_dir)
    try:
        return lexical.KeywordIndex.load(path)
    except Exception as error:  # whatever the BM25 library raises on a damaged file
        reason = error.message if isinstance(error, IndexStoreError) else repr(error)
        raise _corrupt(path, f"cannot be loaded ({reason})", index_dir) from None


def check_manifest_compatible(
    manifest: dict[str, Any],
    index_dir: Path,
    embedder: IdentifiesModel,
    chunking: DescribesChunking,
) -> None:
    """Raise :class:`IndexStoreError` if the index was built with another model or chunking.

    Args:
        manifest: The index's manifest.
        index_dir: The index folder (for the message).
        embedder: The embedder about to be used.
        chunking: The chunking settings about to be used.
    """
    rebuild = (
        f"Rebuild the index for it: semsearch build --rebuild [PATHS] --index {index_dir} "
        f"--model {embedder.model_id}"
    )
    if manifest["model_id"] != embedder.model_id:
        raise IndexStoreError(
            f"The index {index_dir} was built with the model {manifest['model_id']!r}, "
            f"not {embedder.model_id!r}.",
            f"{rebuild}\n(or use --model {manifest['model_id']} to keep this index)",
        )
    if manifest["model_fingerprint"] != embedder.fingerprint:
        raise IndexStoreError(
            f"The index {index_dir} was built with other weights of {embedder.model_id!r}, or "
            f"vectors made another way (backend or text preparation; fingerprint "
            f"{manifest['model_fingerprint']}, now {embedder.fingerprint}).",
            f"{rebuild}\n(if only $SEMSEARCH_BACKEND differs from when the index was built, set it "
            "back instead)",
        )
    if int(manifest["dimension"]) != int(embedder.dimension):
        raise IndexStoreError(
            f"The index {index_dir} holds {manifest['dimension']}-dimensional vectors but "
            f"{embedder.model_id!r} makes {embedder.dimension}-dimensional ones.",
            rebuild,
        )
    wanted = chunking.as_dict()
    if manifest["chunking"] != wanted:
        raise IndexStoreError(
            f"The index {index_dir} was cut with the chunking settings "
            f"{json.dumps(manifest['chunking'], sort_keys=True)}, not "
            f"{json.dumps(wanted, sort_keys=True)}.",
            f"Rebuild it with the new settings: semsearch build --rebuild [PATHS] "
            f"--index {index_dir}",
        )


class IndexWriter:
    """The single writer of an index: prepares the next generation and swaps it in.

    Use as a context manager; leaving it without :meth:`commit` discards the work and the
    previous generation stays current::

        with IndexWriter.open(index_dir, embedder, chunking) as writer:
            writer.remove_document("a.txt")
            writer.add_document(document, chunks, vectors, tokens, keys, state)
            writer.commit()

    Args:
        index_dir: The index folder (created if missing).
        embedder: Gives the model id, fingerprint and dimension written to the manifest.
        chunking: The chunking settings written to the manifest.
        rebuild: Start from an empty index instead of the current generation.
        reuse_vectors: With ``rebuild``, still look up vectors of known passages in the old
            generation when it is compatible (the evaluation rebuilds often).
        lock_timeout: Seconds to wait for another writer before giving up.
    """

    def __init__(
        self,
        index_dir: Path,
        embedder: IdentifiesModel,
        chunking: DescribesChunking,
        rebuild: bool = False,
        reuse_vectors: bool = False,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    ) -> None:
        self.index_dir = Path(index_dir)
        self.embedder = embedder
        self.chunking = chunking
        self.rebuild = rebuild
        self.timings: dict[str, float] = {}
        self.base: IndexReader | None = None
        self._vector_source: IndexReader | None = None
        self._lock = FileLock(str(self.index_dir / LOCK_FILE), timeout=lock_timeout)
        self._locked = False
        self._work_dir: Path | None = None
        self._db: sqlite3.Connection | None = None
        self._pending_ids: list[np.ndarray] = []
        self._pending_vectors: list[np.ndarray] = []
        self._removed_ids: list[int] = []
        self._next_chunk_id = 1
        self._corpus_roots: list[str] = []
        self._created_at: str | None = None
        self._committed = False
        self._reuse_vectors = reuse_vectors
        #: Extra manifest entries (the indexer records when it scanned the files).
        self.manifest_extra: dict[str, Any] = {}
        self.changed = False
        self._chunks_changed = False
        self._vector_index: dict[str, Any] | None = None
        self._sentences_cleared = False

    @classmethod
    def open(
        cls,
        index_dir: Path,
        embedder: IdentifiesModel,
        chunking: DescribesChunking,
        rebuild: bool = False,
        reuse_vectors: bool = False,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    ) -> IndexWriter:
        """Take the write lock, clean up after killed writers and open the current generation.

        Raises:
            IndexStoreError: Another writer holds the lock, the folder is not an index, or
                (without ``rebuild``) the current generation is corrupt or incompatible.
        """
        writer = cls(index_dir, embedder, chunking, rebuild, reuse_vectors, lock_timeout)
        writer._start()
        return writer

    def __enter__(self) -> IndexWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _start(self) -> None:
        index_dir = self.index_dir
        if index_dir.exists() and not index_dir.is_dir():
            raise IndexStoreError(
                f"{index_dir} is a file, not an index folder.", "Choose another --index folder."
            )
        if index_dir.is_dir() and not _looks_like_index(index_dir):
            raise IndexStoreError(
                f"{index_dir} holds other files and is not a semsearch index; refusing to write "
                "there.",
                "Choose an empty or new folder with --index.",
            )
        index_dir.mkdir(parents=True, exist_ok=True)
        self._acquire_lock()
        try:
            self._remove_stale_entries()
            self._open_base()
        except BaseException:
            self.close()
            raise

    def _acquire_lock(self) -> None:
        owner_file = self.index_dir / LOCK_OWNER_FILE
        try:
            self._lock.acquire()
        except Timeout:
            try:
                owner = owner_file.read_text(encoding="utf-8").strip() or "unknown"
            except OSError:
                owner = "unknown"
            raise IndexStoreError(
                f"Another semsearch build/update is running on {self.index_dir} (pid {owner}).",
                "Wait for it to finish, then run the command again.",
            ) from None
        self._locked = True
        # The lock file itself is truncated by every contender, so the owner goes in its own file.
        owner_file.write_text(f"{os.getpid()}\n", encoding="utf-8")

    def _remove_stale_entries(self) -> None:
        """Delete what a killed writer left: temporary folders/links, unpublished generations."""
        current = self._current_number()
        for entry in self.index_dir.iterdir():
            if _TEMP_MARK in entry.name:
                _remove(entry)
                continue
            number = _generation_number(entry.name)
            if number is not None and current is not None and number > current:
                # Renamed but never made current: the writer died between rename and swap.
                _remove(entry)

    def _current_number(self) -> int | None:
        link = self.index_dir / CURRENT_LINK
        if not link.is_symlink():
            return None
        return _generation_number(os.readlink(link))

    def _open_base(self) -> None:
        has_index = (self.index_dir / CURRENT_LINK).is_symlink()
        if not has_index:
            self._created_at = _now()
            return
        if self.rebuild:
            self._created_at = _now()
            previous = self._previous_manifest()
            if previous is not None:
                self._next_chunk_id = int(previous.get("next_chunk_id", 1))
            if self._reuse_vectors:
                with contextlib.suppress(IndexStoreError):
                    reader = IndexReader.open(self.index_dir)
                    try:
                        reader.check_compatible(self.embedder, self.chunking)
                        self._vector_source = reader
                    except IndexStoreError:
                        reader.close()
            return
        base = IndexReader.open(self.index_dir)
        try:
            base.check_compatible(self.embedder, self.chunking)
        except IndexStoreError:
            base.close()
            raise
        self.base = base
        self._vector_source = base
        self._next_chunk_id = int(base.manifest["next_chunk_id"])
        self._corpus_roots = base.corpus_roots
        self._created_at = base.manifest.get("created_at") or _now()

    def _previous_manifest(self) -> dict[str, Any] | None:
        """Read the old manifest if it is readable (a rebuild keeps chunk ids monotonic)."""
        try:
            return read_manifest(_resolve_current(self.index_dir), self.index_dir)
        except IndexStoreError:
            return None

    # -- what is there -----------------------------------------------------------------------

    @property
    def corpus_roots(self) -> list[str]:
        """The files and folders the index covers (absolute paths)."""
        return list(self._corpus_roots)

    def set_corpus_roots(self, roots: Sequence[str]) -> None:
        """Record the files and folders the index covers (``update`` without paths reuses them)."""
        roots = list(roots)
        if roots != self._corpus_roots:
            self._corpus_roots = roots
            self.changed = True

    def stored_files(self) -> list[StoredFile]:
        """Return the documents of the starting generation with their file states."""
        return self.base.stored_files() if self.base is not None else []

    def skipped_files(self) -> list[SkippedFile]:
        """Return the skipped files recorded in the starting generation."""
        return self.base.skipped_files() if self.base is not None else []

    def keyword_outdated(self) -> bool:
        """Tell whether the stored tokens were made by another keyword tokenizer."""
        return self.base is not None and self.base.manifest.get("keyword") != keyword_info()

    def vectors_for_keys(self, keys: Iterable[str]) -> dict[str, np.ndarray]:
        """Return vectors already computed for these content keys (see :func:`embed_key`).

        The lookup is in the starting generation, so vectors of chunks removed in this write
        are still found.
        """
        if self._vector_source is None:
            return {}
        return self._vector_source.vectors_for_keys(keys)

    def sentence_vectors_for_keys(self, keys: Iterable[str]) -> dict[str, np.ndarray]:
        """Return sentence vectors already computed for these content keys (starting generation)."""
        if self._vector_source is None:
            return {}
        return self._vector_source.sentence_vectors_for_keys(keys)

    def _sentence_vectors_current(self) -> bool:
        """Whether the starting generation's sentence vectors are complete and of this version."""
        return (
            self.base is not None and self.base.manifest.get("sentence_vectors") == sentence_info()
        )

    def chunks_without_sentence_vectors(self) -> list[tuple[str, str, str]]:
        """Return ``(embed_key, title, text)`` of each distinct chunk text lacking sentence vectors.

        Normally these are the chunks added in this write. An index made before sentence vectors
        existed (or by another :data:`~semsearch.chunking.SENTENCE_VERSION`) gets them for every
        chunk: the old ones are dropped first.
        """
        if self._sentence_vectors_current() and self._db is None:
            return []  # nothing was added
        db = self._connection()
        outdated = self.base is not None and not self._sentence_vectors_current()
        if outdated and not self._sentences_cleared:
            db.execute("DELETE FROM sentence_vectors")
            self._sentences_cleared = True
        return self._missing_sentence_rows(db)

    def _missing_sentence_rows(
        self, db: sqlite3.Connection, limit: int = -1
    ) -> list[tuple[str, str, str]]:
        # Chunk ids only go up, so on a complete base only ids from its next_chunk_id are new.
        first_new = (
            int(self.base.manifest["next_chunk_id"])
            if self.base is not None and self._sentence_vectors_current()
            else 0
        )
        rows = db.execute(
            "SELECT c.embed_key, min(c.title), min(c.text) FROM chunks c "
            "LEFT JOIN sentence_vectors s ON s.embed_key = c.embed_key "
            "WHERE c.chunk_id >= ? AND s.embed_key IS NULL GROUP BY c.embed_key LIMIT ?",
            (first_new, limit),
        ).fetchall()
        return [(str(key), str(title), str(text)) for key, title, text in rows]

    def _sentence_manifest(self, db: sqlite3.Connection) -> dict[str, Any] | None:
        """What the new manifest says about sentence vectors: recorded only when complete."""
        outdated = self.base is not None and not self._sentence_vectors_current()
        if outdated and not self._sentences_cleared:
            return None  # old vectors, not replaced in this write
        return None if self._missing_sentence_rows(db, limit=1) else sentence_info()

    def add_sentence_vectors(self, vectors_by_key: dict[str, np.ndarray]) -> None:
        """Store sentence vectors by content key (an empty matrix for a one-sentence chunk)."""
        if not vectors_by_key:
            return
        dimension = int(self.embedder.dimension)
        for key, matrix in vectors_by_key.items():
            if matrix.ndim != 2 or (len(matrix) and matrix.shape[1] != dimension):
                raise ValueError(f"sentence vectors of {key} have shape {matrix.shape}")
        db = self._connection()
        db.executemany(
            "INSERT OR REPLACE INTO sentence_vectors (embed_key, vectors) VALUES (?, ?)",
            [(key, _sentence_blob(matrix)) for key, matrix in vectors_by_key.items()],
        )
        self.changed = True

    # -- changes -----------------------------------------------------------------------------

    def begin(self) -> None:
        """Create the working copy of the next generation (done on the first change anyway)."""
        if self._db is not None:
            return
        started = time.perf_counter()
        number = max([*self._existing_generation_numbers(), 0]) + 1
        work_dir = self.index_dir / f"{_generation_name(number)}{_TEMP_MARK}{os.getpid()}"
        work_dir.mkdir()
        self._work_dir = work_dir
        meta_path = work_dir / META_FILE
        if self.base is not None:
            shutil.copyfile(self.base.path / META_FILE, meta_path)
        self._db = sqlite3.connect(meta_path)
        # The working copy is thrown away if the process dies, so it needs no journal.
        self._db.execute("PRAGMA journal_mode=OFF")
        self._db.execute("PRAGMA synchronous=OFF")
        if self.base is None:
            self._db.executescript(_SCHEMA)
        else:
            self._db.executescript(_SENTENCE_SCHEMA)  # an index from before sentence vectors
        self.timings["copy"] = time.perf_counter() - started

    def _existing_generation_numbers(self) -> list[int]:
        numbers = []
        for entry in self.index_dir.iterdir():
            number = _generation_number(entry.name.split(_TEMP_MARK)[0])
            if number is not None:
                numbers.append(number)
        return numbers

    def _connection(self) -> sqlite3.Connection:
        self.begin()
        assert self._db is not None
        return self._db

    def remove_document(self, doc_id: str) -> int:
        """Remove a document and its chunks from the next generation.

        Returns:
            The number of chunks removed (0 if the document was not there).
        """
        db = self._connection()
        ids = [
            row[0] for row in db.execute("SELECT chunk_id FROM chunks WHERE doc_id = ?", (doc_id,))
        ]
        deleted = db.execute("DELETE FROM documents WHERE doc_id = ?", (doc_id,)).rowcount
        db.execute("DELETE FROM chunks WHERE doc_id = ?", (doc_id,))
        self._removed_ids.extend(ids)
        if deleted:
            self.changed = True
            self._chunks_changed = self._chunks_changed or bool(ids)
        return len(ids)

    def add_document(
        self,
        document: Document,
        chunks: Sequence[Chunk],
        vectors: np.ndarray,
        tokens: Sequence[Sequence[str]],
        embed_keys: Sequence[str],
        state: FileState | None = None,
    ) -> list[int]:
        """Add a document with its chunks, their vectors, tokens and content keys.

        Args:
            document: The cleaned document (its ``doc_id`` must not be in the index).
            chunks: Its chunks, in order.
            vectors: One normalized float32 row per chunk.
            tokens: One token list per chunk (``lexical.tokenize`` of the passage text).
            embed_keys: One content key per chunk (:func:`embed_key`).
            state: The file's path, size and mtime (None for documents not read from a file).

        Returns:
            The new chunk ids, in chunk order.
        """
        count = len(chunks)
        if not (len(tokens) == len(embed_keys) == count):
            raise ValueError("chunks, tokens and embed_keys must have the same length")
        matrix = np.ascontiguousarray(vectors, dtype=np.float32).reshape(count, -1)
        if count and matrix.shape[1] != int(self.embedder.dimension):
            raise ValueError(
                f"vectors have dimension {matrix.shape[1]}, the index {self.embedder.dimension}"
            )
        db = self._connection()
        removed = json.dumps(
            [[line.line_no, line.text, line.reason] for line in document.removed],
            ensure_ascii=False,
        )
        try:
            db.execute(
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
                    count,
                    document.text,
                    removed,
                ),
            )
        except sqlite3.IntegrityError:
            raise ValueError(f"document {document.doc_id!r} is already in the index") from None
        ids = list(range(self._next_chunk_id, self._next_chunk_id + count))
        self._next_chunk_id += count
        db.executemany(
            "INSERT INTO chunks (chunk_id, doc_id, idx, paragraph, start_char, end_char, text, "
            "title, embed_key, tokens) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    chunk_id,
                    document.doc_id,
                    chunk.index,
                    chunk.paragraph,
                    chunk.start,
                    chunk.end,
                    chunk.text,
                    chunk.title,
                    key,
                    json.dumps(list(chunk_tokens), ensure_ascii=False),
                )
                for chunk_id, chunk, key, chunk_tokens in zip(
                    ids, chunks, embed_keys, tokens, strict=True
                )
            ],
        )
        if count:
            self._pending_ids.append(np.array(ids, dtype=np.int64))
            self._pending_vectors.append(matrix)
            self._chunks_changed = True
        self.changed = True
        return ids

    def update_file_state(self, doc_id: str, state: FileState) -> None:
        """Record a new size/mtime for a file whose content did not change (it was touched)."""
        db = self._connection()
        db.execute(
            "UPDATE documents SET file_path = ?, file_size = ?, file_mtime_ns = ? WHERE doc_id = ?",
            (state.file_path, state.size, state.mtime_ns, doc_id),
        )
        self.changed = True

    def set_tokens(self, tokens_by_chunk: dict[int, list[str]]) -> None:
        """Replace the stored tokens of chunks (after a keyword tokenizer upgrade)."""
        db = self._connection()
        db.executemany(
            "UPDATE chunks SET tokens = ? WHERE chunk_id = ?",
            [(json.dumps(t, ensure_ascii=False), cid) for cid, t in tokens_by_chunk.items()],
        )
        self.changed = True
        self._chunks_changed = True

    def set_skipped(self, skipped: Sequence[SkippedFile]) -> None:
        """Replace the list of skipped files."""
        new = sorted((s.path, s.reason) for s in skipped)
        old = sorted((s.path, s.reason) for s in self.skipped_files())
        if new == old and self._db is None:
            return
        db = self._connection()
        db.execute("DELETE FROM skipped")
        db.executemany("INSERT INTO skipped (path, reason) VALUES (?, ?)", new)
        if new != old:
            self.changed = True

    # -- commit ------------------------------------------------------------------------------

    def _fit_vector_index(self, vectors: faiss.Index) -> faiss.Index:
        """Switch between exact and approximate search as the index crosses the thresholds.

        An exact index becomes IVF at :data:`APPROXIMATE_MIN_CHUNKS`; an IVF index goes back to
        exact below :data:`EXACT_MAX_CHUNKS` (the gap avoids switching back and forth), and is
        retrained when it has grown :data:`IVF_RETRAIN_GROWTH` times since its cells were made.
        Ids never change.
        """
        count = int(vectors.ntotal)
        approximate = is_approximate(vectors)
        trained_on = int(self._vector_index_info().get("trained_on") or 0)
        if not approximate and count >= APPROXIMATE_MIN_CHUNKS:
            started = time.perf_counter()
            ids, matrix = all_vectors(vectors)
            vectors = build_ivf_index(matrix, ids)
            self.timings["vectors_train"] = time.perf_counter() - started
            trained_on = count
        elif approximate and count < EXACT_MAX_CHUNKS:
            ids, matrix = all_vectors(vectors)
            vectors = new_exact_index(int(self.embedder.dimension))
            if len(ids):
                vectors.add_with_ids(matrix, ids)
            trained_on = 0
        elif approximate and trained_on and count >= IVF_RETRAIN_GROWTH * trained_on:
            started = time.perf_counter()
            ids, matrix = all_vectors(vectors)
            vectors = build_ivf_index(matrix, ids)
            self.timings["vectors_train"] = time.perf_counter() - started
            trained_on = count
        self._vector_index = _describe_vector_index(vectors, trained_on)
        return vectors

    def _vector_index_info(self) -> dict[str, Any]:
        if self.base is None:
            return {}
        return dict(self.base.manifest.get("vector_index") or {})

    def _write_vectors_and_keyword(self, db: sqlite3.Connection, work_dir: Path) -> int:
        """Apply removals and additions to the vectors, rebuild BM25; return the chunk count."""
        started = time.perf_counter()
        if self.base is not None:
            vectors = _read_vectors(self.base.path / VECTORS_FILE, self.index_dir)
        else:
            vectors = new_exact_index(int(self.embedder.dimension))
        if self._removed_ids:
            removed = np.array(sorted(set(self._removed_ids)), dtype=np.int64)
            # The IVF index finds ids through its hash table, which takes a plain id list.
            if is_approximate(vectors):
                vectors.remove_ids(faiss.IDSelectorArray(removed))
            else:
                vectors.remove_ids(faiss.IDSelectorBatch(removed))
        if self._pending_ids:
            vectors.add_with_ids(
                np.concatenate(self._pending_vectors), np.concatenate(self._pending_ids)
            )
        vectors = self._fit_vector_index(vectors)
        faiss.write_index(vectors, str(work_dir / VECTORS_FILE))
        self.timings["vectors"] = time.perf_counter() - started

        started = time.perf_counter()
        ids: list[int] = []
        token_lists: list[list[str]] = []
        for chunk_id, tokens in db.execute("SELECT chunk_id, tokens FROM chunks ORDER BY chunk_id"):
            ids.append(chunk_id)
            token_lists.append(json.loads(tokens))
        if len(ids) != vectors.ntotal:
            raise RuntimeError(
                f"internal error: {len(ids)} chunk rows but {vectors.ntotal} vectors"
            )
        # BM25 weights depend on corpus-wide statistics, so the whole index is rebuilt from the
        # stored tokens (no re-tokenizing); this is the one step whose cost grows with the index.
        bm25 = lexical.KeywordIndex()
        bm25.build(ids, token_lists)
        bm25.save(work_dir / KEYWORD_DIR)
        self.timings["keyword"] = time.perf_counter() - started
        return len(ids)

    def commit(self) -> IndexReader:
        """Write the next generation, make it current atomically and remove old generations.

        Returns:
            A reader of the new generation.
        """
        db = self._connection()
        assert self._work_dir is not None
        timings = self.timings

        base = self.base
        if base is not None and not self._chunks_changed:
            # Only file states, skipped files or roots changed: vectors and BM25 are the same.
            started = time.perf_counter()
            shutil.copyfile(base.path / VECTORS_FILE, self._work_dir / VECTORS_FILE)
            shutil.copytree(base.path / KEYWORD_DIR, self._work_dir / KEYWORD_DIR)
            (chunk_count,) = db.execute("SELECT count(*) FROM chunks").fetchone()
            timings["vectors"] = time.perf_counter() - started
        else:
            chunk_count = self._write_vectors_and_keyword(db, self._work_dir)

        started = time.perf_counter()
        if self._chunks_changed:
            # Sentence vectors of texts no chunk has any more.
            db.execute(
                "DELETE FROM sentence_vectors WHERE embed_key NOT IN (SELECT embed_key FROM chunks)"
            )
        sentence_manifest = self._sentence_manifest(db)
        (document_count,) = db.execute("SELECT count(*) FROM documents").fetchone()
        db.commit()
        free_pages = db.execute("PRAGMA freelist_count").fetchone()[0]
        all_pages = db.execute("PRAGMA page_count").fetchone()[0]
        if free_pages > max(64, all_pages // 4):
            # Deleted documents leave free pages; compact before the file is copied again.
            db.execute("VACUUM")
        db.close()
        self._db = None
        generation = _generation_name(int(self._work_dir.name[4:10]))
        manifest = {
            "format_version": FORMAT_VERSION,
            "model_id": self.embedder.model_id,
            "model_fingerprint": self.embedder.fingerprint,
            "dimension": int(self.embedder.dimension),
            "chunking": self.chunking.as_dict(),
            "keyword": keyword_info(),
            "sentence_vectors": sentence_manifest,
            "document_count": int(document_count),
            "chunk_count": int(chunk_count),
            "next_chunk_id": self._next_chunk_id,
            "created_at": self._created_at,
            "updated_at": _now(),
            "generation": generation,
            "corpus_roots": self._corpus_roots,
            "files": _file_sizes(self._work_dir),
            "vector_index": self._vector_index or self._vector_index_info() or None,
            **self.manifest_extra,
        }
        (self._work_dir / MANIFEST_FILE).write_text(
            json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
        timings["meta"] = time.perf_counter() - started

        started = time.perf_counter()
        _fsync_tree(self._work_dir)
        final_dir = self.index_dir / generation
        previous = self._current_number()
        os.rename(self._work_dir, final_dir)
        self._work_dir = None
        _fsync_path(self.index_dir)
        temp_link = self.index_dir / f"{CURRENT_LINK}{_TEMP_MARK}{os.getpid()}"
        with contextlib.suppress(FileNotFoundError):
            temp_link.unlink()
        os.symlink(generation, temp_link)
        os.replace(temp_link, self.index_dir / CURRENT_LINK)
        _fsync_path(self.index_dir)
        self._committed = True
        timings["publish"] = time.perf_counter() - started

        keep = {generation} | ({_generation_name(previous)} if previous is not None else set())
        for entry in self.index_dir.iterdir():
            if _generation_number(entry.name) is not None and entry.name not in keep:
                _remove(entry)
        return IndexReader.open(self.index_dir)

    def close(self) -> None:
        """Discard uncommitted work and release the lock (safe to call twice)."""
        if self._db is not None:
            self._db.close()
            self._db = None
        if self._work_dir is not None:
            _remove(self._work_dir)
            self._work_dir = None
        for reader in {id(r): r for r in (self.base, self._vector_source) if r}.values():
            reader.close()
        self.base = None
        self._vector_source = None
        if self._locked:
            with contextlib.suppress(OSError):
                (self.index_dir / LOCK_OWNER_FILE).unlink()
            self._lock.release()
            self._locked = False


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    elif path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
