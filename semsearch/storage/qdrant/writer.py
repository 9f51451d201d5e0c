"""The Qdrant engine's writer: writes the next version beside the published one, then publishes.

Use as a context manager; leaving it without :meth:`QdrantWriter.commit` removes what it wrote
and the published version stays the one readers see::

    with open_writer(index_dir, embedder, chunking, engine="qdrant") as writer:
        writer.remove_document("a.txt")
        writer.add_document(document, chunks, vectors, tokens, keys, state)
        writer.commit()

Points are written under the new version as the write goes (new chunks once their sentence
vectors are known, :mod:`.pending`); removed ones are marked at commit; the manifest update
publishes (:mod:`.versions`). The jobs are split: :class:`~.documents.DocumentBook` (document
records), :class:`~.keywords.KeywordBook` (BM25 statistics, frequencies, the average length),
:class:`~.sentences.SentenceBook` (sentence vectors of written chunks) and :mod:`.commit`
(assembling and publishing the version); this class keeps track of what changed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from semsearch.storage.base import DescribesChunking, IdentifiesModel
from semsearch.storage.data import (
    FileState,
    ReprintSelection,
    ReprintState,
    checked_chunk_vectors,
)
from semsearch.storage.manifest import sentence_info
from semsearch.storage.qdrant.commit import mark_removed, publish_version
from semsearch.storage.qdrant.documents import DocumentBook, chunk_range, document_payload
from semsearch.storage.qdrant.keywords import KeywordBook, recovered_terms
from semsearch.storage.qdrant.pending import PendingChunk, PendingChunks
from semsearch.storage.qdrant.reader import QdrantIndex
from semsearch.storage.qdrant.schema import chunk_payload
from semsearch.storage.qdrant.sentences import SentenceBook
from semsearch.storage.qdrant.start import WriteStart
from semsearch.storage.qdrant.terms import (
    ChunkTerms,
    StoredTerms,
    chunk_terms,
)
from semsearch.storage.qdrant.versions import Slots, recover
from semsearch.storage.qdrant.written import WrittenChunks

if TYPE_CHECKING:
    from semsearch.chunking import Chunk
    from semsearch.ingest import Document, SkippedFile


class QdrantWriter:
    """The single writer of a Qdrant index (the :class:`IndexWriter` of the Qdrant engine).

    Made by :func:`~semsearch.storage.qdrant.open_writer_at`, which takes the lock and opens the
    published version.

    Args:
        start: What the write starts from.
        embedder: Gives the model id, fingerprint and dimension written to the manifest.
        chunking: The chunking settings written to the manifest.
    """

    def __init__(
        self, start: WriteStart, embedder: IdentifiesModel, chunking: DescribesChunking
    ) -> None:
        self.embedder = embedder
        self.chunking = chunking
        self.base: QdrantIndex | None = start.base
        self.timings: dict[str, float] = {}
        self.start = start
        self._connection = start.connection
        self._collection = start.collection
        self._version = start.version
        self.next_chunk_id = start.next_chunk_id
        state = start.base.state if start.base else None
        self.slots = Slots(self._connection, self._collection, self._version, state)
        self.keywords = KeywordBook(state, self.slots)
        self.documents = DocumentBook(start.base, self._version)
        self.pending = PendingChunks(self._connection, self._collection, start.lock.renew)
        self.written = WrittenChunks(self._connection, self._collection, self._version)
        base_current = start.base is None or start.base.manifest.sentence_vectors == sentence_info()
        self.sentences = SentenceBook(self.slots, self.written, not base_current)
        self.roots = list(start.base.manifest.corpus_roots) if start.base else []
        self.skipped: list[tuple[str, str]] | None = None
        self.scanned_at_ns: int | None = None
        self._changed = False

    def __enter__(self) -> QdrantWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def changed(self) -> bool:
        """Whether anything differs from the published version (a commit is worth it)."""
        return self._changed

    def begin(self) -> None:
        """Nothing to prepare: points are written under the new version as they come."""
        self.start.lock.renew()

    def vectors_for_keys(self, keys: Iterable[str]) -> dict[str, np.ndarray]:
        """Chunk vectors the published version holds for these content keys (to reuse them)."""
        source = self.start.vector_source
        return {} if source is None else source.vectors_for_keys(keys)

    def sentence_vectors_for_keys(self, keys: Iterable[str]) -> dict[str, np.ndarray]:
        """Sentence vectors the published version holds for these content keys (to reuse them)."""
        source = self.start.vector_source
        return {} if source is None else source.sentence_vectors_for_keys(keys)

    def add_document(
        self,
        document: Document,
        chunks: Sequence[Chunk],
        vectors: np.ndarray,
        tokens: Sequence[Sequence[str]],
        embed_keys: Sequence[str],
        state: FileState | None = None,
    ) -> list[int]:
        """Add a new document: its record now, its chunks as soon as they are complete.

        Args:
            document: The cleaned document; no document of the index may have its id.
            chunks: The document's chunks in order; they get consecutive ids.
            vectors: Their normalized float32 vectors, a row each.
            tokens: Their keyword tokens, a list each (``lexical.tokenize``).
            embed_keys: Their content keys (``embed_key``).
            state: Where the file is and its size and mtime (None when not read from a file).

        Returns:
            The chunk ids given, in chunk order.

        Raises:
            ValueError: The counts or the vector size do not match, or the id is in use.
        """
        count = len(chunks)
        dimension = int(self.embedder.dimension)
        matrix = checked_chunk_vectors(chunks, vectors, tokens, embed_keys, dimension)
        first = self.next_chunk_id
        payload = document_payload(document, state, first, count, self._version)
        self.documents.add(payload)
        ids = list(range(first, first + count))
        self.next_chunk_id += count
        held = []
        for chunk_id, chunk, row, chunk_tokens, key in zip(
            ids, chunks, matrix, tokens, embed_keys, strict=True
        ):
            terms = chunk_terms(chunk_tokens)
            self.keywords.count(terms.ids, terms.length, +1)
            chunk_data = chunk_payload(chunk, chunk_id, document, key, terms.length, self._version)
            held.append(PendingChunk(chunk_id, key, chunk_data, row, terms))
        self.pending.add(held)
        self._changed = True
        self._write_ready()
        return ids

    def remove_document(self, doc_id: str) -> int:
        """Remove a document and its chunks from the next version.

        Returns:
            The number of chunks removed (0 if the document was not there).
        """
        added = self.documents.take_added(doc_id)
        if added is not None:
            ids = chunk_range(added)
            for chunk in self.pending.drop(ids):
                self.keywords.count(chunk.terms.ids, chunk.terms.length, -1)
            self._count_out(ids, retire=False)
            return len(ids)
        ids = self.documents.remove_published(doc_id)
        if ids is None:
            return 0
        self._count_out(ids, retire=True)
        self._changed = True
        return len(ids)

    def _count_out(self, ids: list[int], retire: bool) -> None:
        """Count written chunks out; retire published ones, delete this version's own."""
        stored = self.written.stored_terms(ids, self.keywords.vector)
        for terms in stored.values():
            self.keywords.count(terms.ids, terms.length, -1)
        if retire:
            self.written.removed.update(ids)
            self.documents.retired.extend(ids)
        elif stored:
            self.written.delete(stored)

    def update_file_state(self, doc_id: str, state: FileState) -> None:
        """Record a new size/mtime for a file whose content did not change (it was touched)."""
        self.documents.restate(doc_id, state)
        self._changed = True

    def reprint_states(self, select: ReprintSelection | None = None) -> dict[str, ReprintState]:
        """The reprint signature and group of every document of the version being written, or
        of those ``select`` selects (filtered here, from the payloads)."""
        states = self.documents.reprint_states()
        if select is None:
            return states
        return {doc_id: state for doc_id, state in states.items() if select.holds(doc_id, state)}

    def set_reprints(self, states: dict[str, ReprintState]) -> None:
        """Record documents' reprint signatures and groups in the version being written."""
        if states:
            self.documents.set_reprints(states)
            self._changed = True

    def set_sources(
        self,
        roots: Sequence[str],
        skipped: Sequence[SkippedFile],
        scanned_at_ns: int | None = None,
    ) -> None:
        """Record what the index covers: its roots, the files it could not index, the scan time."""
        if list(roots) != self.roots:
            self.roots = list(roots)
            self._changed = True
        new = sorted((s.path, s.reason) for s in skipped)
        old = sorted((s.path, s.reason) for s in (self.base.skipped_files() if self.base else []))
        if new != old or self.base is None:
            self.skipped = new
            self._changed = self._changed or new != old
        if scanned_at_ns is not None:
            self.scanned_at_ns = scanned_at_ns

    def retokenize(self, tokens_of: Callable[[str, str], Sequence[str]]) -> None:
        """Replace the keyword tokens of every chunk of the published version.

        Args:
            tokens_of: The tokens of a chunk given its title and text.
        """
        if self.base is None:
            return
        published = self.base.version

        def terms_of(point: Any, stored: StoredTerms) -> ChunkTerms:
            if int(point.payload["v_add"]) <= published:
                return chunk_terms(tokens_of(point.payload["title"], point.payload["text"]))
            return recovered_terms(stored, self.keywords.freeze())

        self._rewrite_keywords(terms_of)
        self._changed = True

    def _rewrite_keywords(self, terms_of: Callable[[Any, StoredTerms], ChunkTerms]) -> None:
        """Write every chunk's weights again, into the other slot (see :mod:`.keywords`)."""
        held = [chunk.terms for chunk in self.pending.chunks()]
        self.keywords.rewrite(self.written, held, terms_of, self.start.lock.renew)

    def chunks_without_sentence_vectors(self) -> list[tuple[str, str, str]]:
        """``(embed_key, title, text)`` of each distinct chunk text lacking sentence vectors.

        Normally these are the chunks added in this write; after :meth:`clear_sentence_vectors`
        (or on a published version without complete ones) every chunk's.
        """
        return self.sentences.missing(self.pending)

    def add_sentence_vectors(self, vectors_by_key: dict[str, np.ndarray]) -> None:
        """Store sentence vectors by content key (an empty matrix for a one-sentence chunk).

        Raises:
            ValueError: A matrix of the wrong shape.
        """
        dimension = int(self.embedder.dimension)
        for key, matrix in vectors_by_key.items():
            if matrix.ndim != 2 or (len(matrix) and matrix.shape[1] != dimension):
                raise ValueError(f"sentence vectors of {key} have shape {matrix.shape}")
        if not vectors_by_key:
            return
        self.keywords.freeze()  # every chunk is added by now: the average length is known
        self.sentences.add(vectors_by_key, self.pending, self.start.lock.renew)
        self._changed = True
        self._write_ready()

    def clear_sentence_vectors(self) -> None:
        """Drop every stored sentence vector (old version or partial); all are made again."""
        self.pending.forget_sentences()
        self.sentences.redo_everything()

    def _write_ready(self) -> None:
        """Write the held chunks that are complete, once the average length is fixed."""
        if self.keywords.parameters is not None:
            self.pending.flush(self.keywords.parameters, self.slots.live)

    def commit(self) -> QdrantIndex:
        """Write what is held, mark what was removed and publish the new version.

        Returns:
            A reader of the new version.
        """
        started = time.perf_counter()
        complete = not self.pending.without_sentences()
        self.pending.flush(self.keywords.freeze(), self.slots.live, everything=True)
        self.timings["points"] = time.perf_counter() - started
        if self.keywords.drifted():
            # Mark removals first: the rewrite reads the version's chunks from Qdrant.
            mark_removed(self, self.documents.retired)
            self.documents.retired.clear()
            parameters = self.keywords.parameters
            assert parameters is not None
            self._rewrite_keywords(lambda _point, stored: recovered_terms(stored, parameters))
        complete = complete and self.sentences.written_complete()
        reader = publish_version(self, complete)
        self.timings["commit"] = time.perf_counter() - started
        self.start.close()
        return reader

    def close(self) -> None:
        """Discard uncommitted work and release the lock (safe to call twice)."""
        start = self.start
        if start.is_open and not start.published:
            if start.rebuilding:
                self._connection.call("delete_collection", self._collection)
            else:
                recover(self._connection, self._collection, self._version - 1)
        start.close()
        self.base = None
