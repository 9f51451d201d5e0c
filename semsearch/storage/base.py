"""What the searcher and the indexer need from an index, whatever engine holds it.

Two engines implement these protocols: the embedded local engine (FAISS + SQLite + BM25 files in
generation folders, :mod:`semsearch.storage.local`) and, for a collection that outgrows one
machine, Qdrant. The searcher reads through :class:`SearchIndex` and the indexer writes through
:class:`IndexWriter`; neither knows which engine is behind them. Data moves in the plain
dataclasses of :mod:`semsearch.storage.data`.

Chunk ids are integers that only go up: an id is never reused, so a reader holding one version
never confuses a new chunk with an old one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from semsearch.storage.data import (
    ChunkFilter,
    DocumentRecord,
    FileScope,
    FileState,
    ReprintSelection,
    ReprintState,
    StoredChunk,
    StoredFile,
)

if TYPE_CHECKING:
    from semsearch.chunking import Chunk
    from semsearch.ingest import Document, RemovedLine, SkippedFile
    from semsearch.storage.manifest import Manifest


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

    def stored_files(self, scope: FileScope | None = None) -> list[StoredFile]:
        """Each document's file state (the indexer's view of what is indexed); with ``scope``,
        only the documents it selects (an update of named paths reads no other)."""
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

    def reprint_states(self, select: ReprintSelection | None = None) -> dict[str, ReprintState]:
        """The signature and group of every document of the version being written, or of the
        documents ``select`` selects."""
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
