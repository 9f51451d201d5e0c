"""What the searcher and the indexer need from an index, whatever engine holds it.

Two engines implement these protocols: the embedded local engine (FAISS + SQLite + BM25 files in
generation folders, :mod:`semsearch.storage.local`) and, for a collection that outgrows one
machine, Qdrant. The searcher reads through :class:`SearchIndex` and the indexer writes through
:class:`IndexWriter`; neither knows which engine is behind them. Data moves in the plain
dataclasses below.

Chunk ids are integers that only go up: an id is never reused, so a reader holding one version
never confuses a new chunk with an old one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

if TYPE_CHECKING:
    from semsearch.chunking import Chunk
    from semsearch.ingest import Document, RemovedLine, SkippedFile
    from semsearch.storage.manifest import Manifest

#: Seconds a second writer waits for the lock before giving up with a clear message.
DEFAULT_LOCK_TIMEOUT = 2.0


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
    """A document as stored in the index (``text`` is empty in listings).

    ``group`` names the document's reprint group (the smallest doc id of the documents that are
    copies of one article, :mod:`semsearch.indexing.reprints`); None for a document without
    reprints or not grouped yet.
    """

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
    group: str | None = None


@dataclass(frozen=True)
class ReprintState:
    """What the index keeps per document to find its reprints.

    Attributes:
        signature: The MinHash signature of its text (``b""``: too short to be grouped; None:
            not signed yet, e.g. in an index made before reprints were detected).
        group: Its reprint group (the smallest doc id of the group), None without reprints.
    """

    signature: bytes | None
    group: str | None


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


@dataclass(frozen=True)
class ChunkFilter:
    """Which chunks a search may return; every given condition must hold (None: no condition).

    Attributes:
        doc_ids: Only chunks of these documents.
        date_from: Only documents dated on or after this ISO day (undated ones drop out).
        date_to: Only documents dated on or before this ISO day (undated ones drop out).
    """

    doc_ids: tuple[str, ...] | None = None
    date_from: str | None = None
    date_to: str | None = None

    @property
    def is_empty(self) -> bool:
        """Whether the filter lets every chunk through."""
        return self.doc_ids is None and self.date_from is None and self.date_to is None


@dataclass(frozen=True)
class VersionFiles:
    """What one version of an index occupies on disk (``semsearch info`` shows it).

    Attributes:
        files: The size in bytes of each file at the top of the version (by name).
        total_bytes: The size of everything the version holds, sub-folders included.
    """

    files: dict[str, int]
    total_bytes: int


@dataclass(frozen=True)
class WriteOptions:
    """How a writer starts.

    Attributes:
        rebuild: Start from an empty index instead of the current version.
        reuse_vectors: With ``rebuild``, still look up vectors of known passages in the old
            version when it is compatible (the evaluation rebuilds often).
        lock_timeout: Seconds to wait for another writer before giving up.
    """

    rebuild: bool = False
    reuse_vectors: bool = False
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT


class IdentifiesModel(Protocol):
    """What an index needs to know about an embedder (``semsearch.embed.Embedder``)."""

    model_id: str
    dimension: int
    fingerprint: str


class DescribesChunking(Protocol):
    """What an index needs to know about chunking settings (``ChunkingConfig``)."""

    def as_dict(self) -> dict[str, Any]:
        """Return the settings as a JSON-serializable dict."""
        ...


def embed_key(model_fingerprint: str, passage: str) -> str:
    """Return the content key of a passage's vector: the same text and weights give the same key.

    Args:
        model_fingerprint: The embedder's weights fingerprint.
        passage: The exact text that is embedded (``chunking.passage_text``).

    Returns:
        A sha256 hex digest.
    """
    return hashlib.sha256(f"{model_fingerprint}\x00{passage}".encode()).hexdigest()


def checked_chunk_vectors(
    chunks: Sequence[Chunk],
    vectors: np.ndarray,
    tokens: Sequence[Sequence[str]],
    embed_keys: Sequence[str],
    dimension: int,
) -> np.ndarray:
    """Check the arguments of :meth:`IndexWriter.add_document`; the vectors as one matrix.

    Args:
        chunks: The document's chunks.
        vectors: One vector per chunk.
        tokens: One token list per chunk.
        embed_keys: One content key per chunk.
        dimension: The index's vector size.

    Returns:
        A contiguous float32 ``(chunks, dimension)`` matrix.

    Raises:
        ValueError: The lengths or the vector size disagree.
    """
    count = len(chunks)
    if not (len(tokens) == len(embed_keys) == count):
        raise ValueError("chunks, tokens and embed_keys must have the same length")
    matrix = np.ascontiguousarray(vectors, dtype=np.float32).reshape(count, -1)
    if count and matrix.shape[1] != int(dimension):
        raise ValueError(f"vectors have dimension {matrix.shape[1]}, the index {dimension}")
    return matrix


class Retrieval(Protocol):
    """What ranking needs from an index: candidates and their scores, exact for given ids.

    Scores: ``dense_*`` are cosines of normalized vectors; ``keyword_*`` are BM25 scores of the
    query's keyword tokens (``lexical.tokenize_query``). Rankings are best first, ties broken by
    the lower chunk id.
    """

    def dense_search(
        self, vector: np.ndarray, k: int, where: ChunkFilter | None = None
    ) -> list[tuple[int, float]]:
        """The ``k`` chunks nearest to a normalized query vector: ``(chunk id, cosine)``."""
        ...

    def keyword_search(
        self, tokens: Sequence[str], k: int, where: ChunkFilter | None = None
    ) -> list[tuple[int, float]]:
        """The ``k`` best BM25 matches of the tokens (only chunks sharing a token)."""
        ...

    def dense_scores(self, vector: np.ndarray, ids: np.ndarray) -> np.ndarray:
        """The exact cosine of each given chunk to the query vector (same order as ``ids``)."""
        ...

    def keyword_scores(self, tokens: Sequence[str], ids: np.ndarray) -> np.ndarray:
        """The BM25 score of each given chunk for the tokens (0 where none is shared)."""
        ...

    def keyword_weights(self, tokens: Sequence[str]) -> dict[str, float]:
        """The IDF of each distinct token the index holds (absent tokens left out)."""
        ...

    def sentence_vectors(self, ids: Sequence[int]) -> dict[int, np.ndarray]:
        """The sentence vectors of each given chunk that has two or more sentences."""
        ...


class Records(Protocol):
    """What presenting a hit needs: chunks, their neighbours, documents, filters to ids."""

    def chunks(self, ids: Sequence[int]) -> list[StoredChunk]:
        """The chunks with these ids, same order (KeyError for an unknown id)."""
        ...

    def neighbours(
        self, chunk_id: int, before: int = 1, after: int = 1
    ) -> tuple[list[StoredChunk], list[StoredChunk]]:
        """Up to ``before`` and ``after`` chunks around a chunk in its document, in order."""
        ...

    def chunk_ids(self, where: ChunkFilter | None = None) -> np.ndarray:
        """Sorted ids of the chunks that pass the filter (all without one)."""
        ...

    def documents(self) -> list[DocumentRecord]:
        """Every document without its text, ordered by path."""
        ...

    def document(self, doc_id: str) -> DocumentRecord:
        """One document with its cleaned text (IndexStoreError for an unknown id)."""
        ...

    def removed_lines(self, doc_id: str) -> list[RemovedLine]:
        """The lines cleaning removed from a document (empty for an unknown id)."""
        ...


class SourceRecords(Protocol):
    """What an update needs to compare the index with the files: states and skipped files."""

    def skipped_files(self) -> list[SkippedFile]:
        """The files the last build/update could not index, with the reasons."""
        ...

    def stored_files(self) -> list[StoredFile]:
        """Each document's file state (the indexer's view of what is indexed)."""
        ...


class SearchIndex(Retrieval, Records, SourceRecords, Protocol):
    """A read-only view of one version of an index; searching it never sees a half-written one.

    The engines implement it whole; a caller that needs only one side types its argument with
    the narrower protocol (:class:`Retrieval`, :class:`Records`, :class:`SourceRecords`).
    """

    generation: str
    manifest: Manifest
    model_id: str
    dimension: int

    @property
    def chunk_count(self) -> int:
        """Number of chunks (and chunk vectors)."""
        ...

    @property
    def document_count(self) -> int:
        """Number of documents."""
        ...

    @property
    def has_sentence_vectors(self) -> bool:
        """Whether every chunk's sentence vectors are stored."""
        ...

    def check_compatible(self, embedder: IdentifiesModel, chunking: DescribesChunking) -> None:
        """Refuse (IndexStoreError) a model or chunking other than the index was built with."""
        ...

    def close(self) -> None:
        """Release files and connections (the view is unusable afterwards)."""
        ...


class IndexWriter(Protocol):
    """The single writer of an index: prepares the next version and publishes it atomically.

    Use it as a context manager. Leaving it without :meth:`commit` (or :meth:`close` after an
    error) discards the work and the previous version stays the live one. What the writer needs
    from the previous version (its files, skipped files, roots, manifest) is read from ``base``.
    """

    base: SearchIndex | None
    timings: dict[str, float]

    def __enter__(self) -> IndexWriter: ...

    def __exit__(self, *exc_info: object) -> None: ...

    @property
    def changed(self) -> bool:
        """Whether anything differs from ``base`` (a commit is worth it)."""
        ...

    def begin(self) -> None:
        """Start the next version before long work (a crash from here leaves it to clean up)."""
        ...

    def vectors_for_keys(self, keys: Iterable[str]) -> dict[str, np.ndarray]:
        """Chunk vectors already computed for these content keys (:func:`embed_key`)."""
        ...

    def sentence_vectors_for_keys(self, keys: Iterable[str]) -> dict[str, np.ndarray]:
        """Sentence vectors already computed for these content keys."""
        ...

    def add_document(
        self,
        document: Document,
        chunks: Sequence[Chunk],
        vectors: np.ndarray,
        tokens: Sequence[Sequence[str]],
        embed_keys: Sequence[str],
        state: FileState | None = None,
    ) -> list[int]:
        """Add a document with its chunks, vectors, keyword tokens and content keys; new ids."""
        ...

    def remove_document(self, doc_id: str) -> int:
        """Remove a document and its chunks; the number of chunks removed."""
        ...

    def update_file_state(self, doc_id: str, state: FileState) -> None:
        """Record a new size/mtime for a file whose content did not change."""
        ...

    def set_sources(
        self,
        roots: Sequence[str],
        skipped: Sequence[SkippedFile],
        scanned_at_ns: int | None = None,
    ) -> None:
        """Record the roots the index covers, the files it could not index and the scan time."""
        ...

    def reprint_states(self) -> dict[str, ReprintState]:
        """The signature and group of every document of the version being written."""
        ...

    def set_reprints(self, states: dict[str, ReprintState]) -> None:
        """Record the signature and group of documents of the version being written."""
        ...

    def retokenize(self, tokens_of: Callable[[str, str], Sequence[str]]) -> None:
        """Replace the keyword tokens of every chunk of ``base`` by ``tokens_of(title, text)``."""
        ...

    def chunks_without_sentence_vectors(self) -> list[tuple[str, str, str]]:
        """``(embed_key, title, text)`` of each distinct chunk text lacking sentence vectors."""
        ...

    def add_sentence_vectors(self, vectors_by_key: dict[str, np.ndarray]) -> None:
        """Store sentence vectors by content key (an empty matrix for a one-sentence chunk)."""
        ...

    def clear_sentence_vectors(self) -> None:
        """Drop every stored sentence vector (of an old version); they are made again."""
        ...

    def commit(self) -> SearchIndex:
        """Publish the new version atomically and return a view of it."""
        ...

    def close(self) -> None:
        """Discard uncommitted work and release the lock (safe to call twice)."""
        ...
