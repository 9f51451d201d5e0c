"""The local engine's writer: prepares the next generation and publishes it atomically.

Use as a context manager; leaving it without :meth:`LocalWriter.commit` discards the work and
the previous generation stays current::

    with open_local_writer(index_dir, embedder, chunking) as writer:
        writer.remove_document("a.txt")
        writer.add_document(document, chunks, vectors, tokens, keys, state)
        writer.commit()

A write costs what it changes: added chunks go into one new segment
(:class:`~semsearch.storage.local.segment_builder.SegmentBuilder`), removed ones become
tombstones, the catalog's delta (:class:`~semsearch.storage.local.working_copy.CatalogCopy`,
the rows changed since its base was written) is copied and changed, and every other file
(the catalog's base too) is hard-linked from the previous generation
(:mod:`~semsearch.storage.local.commit`). Upgrades that change every chunk (a new tokenizer, new
sentence vectors, the format before segments) merge every segment into the new one instead.
:class:`~semsearch.storage.local.generations.IndexFolder` takes the lock, removes leftovers and
publishes; this class keeps track of what changed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from semsearch.atomic import remove_path
from semsearch.storage.base import DescribesChunking, IdentifiesModel
from semsearch.storage.data import FileState, ReprintSelection, ReprintState, WriteOptions
from semsearch.storage.local.checksums import remember_written
from semsearch.storage.local.commit import Changes, absorb_everything, write_generation
from semsearch.storage.local.failures import reported_as_write_failure, writes_files
from semsearch.storage.local.generations import IndexFolder, segment_name, segment_number
from semsearch.storage.local.opening import open_local_index
from semsearch.storage.local.reader import LocalIndex
from semsearch.storage.local.segment_builder import SegmentBuilder
from semsearch.storage.local.sentences import SentenceVectorTable
from semsearch.storage.local.start import Start, starting_point
from semsearch.storage.local.working_copy import CatalogCopy

if TYPE_CHECKING:
    from semsearch.chunking import Chunk
    from semsearch.ingest import Document, SkippedFile
    from semsearch.lexical import KeywordIndex

#: What a write can change; chunk changes mean a new segment or tombstones.
CHUNKS = "chunks"
RECORDS = "records"


class LocalWriter:
    """The single writer of a local index (the :class:`IndexWriter` of the local engine).

    Made by :func:`open_local_writer`, which takes the lock and opens the starting generation.

    Args:
        folder: The locked index folder.
        embedder: Gives the model id, fingerprint and dimension written to the manifest.
        chunking: The chunking settings written to the manifest.
        start: The starting generation and what carries over from the previous one.
    """

    def __init__(
        self,
        folder: IndexFolder,
        embedder: IdentifiesModel,
        chunking: DescribesChunking,
        start: Start,
    ) -> None:
        self.embedder = embedder
        self.chunking = chunking
        self.base: LocalIndex | None = start.base
        self.index_dir = folder.index_dir
        self.timings: dict[str, float] = {}
        #: Manifest keys kept as they are (the synthetic benchmark notes its recipe).
        self.extra_manifest: dict[str, Any] = {}
        self._folder = folder
        self._start = start
        self._roots = list(start.base.manifest.corpus_roots) if start.base else []
        self._scanned_at_ns: int | None = None
        self._work_dir: Path | None = None
        self._catalog: CatalogCopy | None = None
        self._changes: Changes | None = None
        self._sentences = SentenceVectorTable(
            start.base.manifest if start.base else None, int(embedder.dimension)
        )
        self._next_chunk_id = start.next_chunk_id
        self._changed: set[str] = set()

    def __enter__(self) -> LocalWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def changed(self) -> bool:
        """Whether anything differs from the starting generation (a commit is worth it)."""
        return bool(self._changed)

    @writes_files
    def begin(self) -> None:
        """Create the next generation's folder, catalog and segment (done on the first change).

        From here on a temporary generation folder exists; a crash leaves it for the next
        writer to remove.
        """
        if self._changes is not None:
            return
        started = time.perf_counter()
        self._work_dir = self._folder.new_work_dir()
        previous = self.base.path if self.base is not None else None
        self._catalog = CatalogCopy(self._work_dir, previous, self.index_dir)
        entries = (self.base.manifest.segments or []) if self.base is not None else []
        numbers = [segment_number(entry["name"]) or 0 for entry in entries]
        folder = self._work_dir / segment_name(max([0, *numbers]) + 1)
        self._changes = Changes(SegmentBuilder(folder, int(self.embedder.dimension)))
        self.timings["copy"] = time.perf_counter() - started

    def _pending(self, everything: bool = False) -> tuple[CatalogCopy, Changes]:
        """The catalog and the changes; with ``everything``, every segment of the start merged
        into the new one first (an upgrade that changes all chunks)."""
        self.begin()
        assert self._catalog is not None and self._changes is not None
        if everything and absorb_everything(
            self._changes, self.base, self._catalog, self._sentences.rows_current
        ):
            self._changed.update((CHUNKS, RECORDS))
        return self._catalog, self._changes

    def vectors_for_keys(self, keys: Iterable[str]) -> dict[str, np.ndarray]:
        """Return chunk vectors already computed for these content keys (``embed_key``).

        The lookup is in the starting generation, so vectors of chunks removed in this write
        are still found.
        """
        source = self._start.vector_source
        return source.vectors_for_keys(keys) if source is not None else {}

    def sentence_vectors_for_keys(self, keys: Iterable[str]) -> dict[str, np.ndarray]:
        """Return sentence vectors already computed for these content keys (starting generation)."""
        source = self._start.vector_source
        return source.sentence_vectors_for_keys(keys) if source is not None else {}

    @writes_files
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
            embed_keys: One content key per chunk (``embed_key``).
            state: The file's path, size and mtime (None for documents not read from a file).

        Returns:
            The new chunk ids, in chunk order.

        Raises:
            ValueError: Lengths or the vector dimension disagree, or the id is taken.
        """
        count = len(chunks)
        if not (len(tokens) == len(embed_keys) == count):
            raise ValueError("chunks, tokens and embed_keys must have the same length")
        matrix = np.ascontiguousarray(vectors, dtype=np.float32).reshape(count, -1)
        if count and matrix.shape[1] != int(self.embedder.dimension):
            raise ValueError(
                f"vectors have dimension {matrix.shape[1]}, the index {self.embedder.dimension}"
            )
        catalog, changes = self._pending()
        ids = list(range(self._next_chunk_id, self._next_chunk_id + count))
        builder = changes.builder
        catalog.add_document(document, state, count, self._next_chunk_id, builder.name)
        builder.add_document(document, chunks, ids, matrix, tokens, embed_keys)
        self._next_chunk_id += count
        self._changed.update((CHUNKS, RECORDS) if count else (RECORDS,))
        return ids

    @writes_files
    def remove_document(self, doc_id: str) -> int:
        """Remove a document and its chunks from the next generation.

        Returns:
            The number of chunks removed (0 if the document was not there).
        """
        catalog, changes = self._pending()
        found = catalog.remove_document(doc_id)
        if found is None:
            return 0
        segment, ids = found
        if segment == changes.builder.name or segment in changes.absorbed:
            changes.builder.remove_document(doc_id)
        else:
            changes.deleted.setdefault(segment, set()).update(ids)
        self._changed.update((CHUNKS, RECORDS) if ids else (RECORDS,))
        return len(ids)

    @writes_files
    def update_file_state(self, doc_id: str, state: FileState) -> None:
        """Record a new size/mtime for a file whose content did not change (it was touched)."""
        self._pending()[0].update_file_state(doc_id, state)
        self._changed.add(RECORDS)

    @writes_files
    def set_sources(
        self,
        roots: Sequence[str],
        skipped: Sequence[SkippedFile],
        scanned_at_ns: int | None = None,
    ) -> None:
        """Record what the index covers: its roots, the files it could not index, the scan time.

        Args:
            roots: The files and folders the index covers (``update`` without paths uses them).
            skipped: The files that could not be indexed, with the reasons (replaces the list).
            scanned_at_ns: When the files were scanned (kept in the manifest; None: not noted).
        """
        if list(roots) != self._roots:
            self._roots = list(roots)
            self._changed.add(RECORDS)
        new = sorted((s.path, s.reason) for s in skipped)
        old = sorted((s.path, s.reason) for s in (self.base.skipped_files() if self.base else []))
        if new != old or self._changes is not None:
            self._pending()[0].replace_skipped(new)
        if new != old:
            self._changed.add(RECORDS)
        if scanned_at_ns is not None:
            self._scanned_at_ns = scanned_at_ns

    def reprint_states(self, select: ReprintSelection | None = None) -> dict[str, ReprintState]:
        """The reprint signature and group of every document of the next generation, or of
        the documents ``select`` selects.

        Before any change this reads the starting generation, so an update with nothing to do
        starts no generation.
        """
        if self._catalog is not None:
            return self._catalog.reprint_states(select)
        return self.base.catalog.reprint_states(select) if self.base is not None else {}

    @writes_files
    def set_reprints(self, states: dict[str, ReprintState]) -> None:
        """Record documents' reprint signatures and groups in the next generation."""
        if states:
            self._pending()[0].set_reprints(states)
            self._changed.add(RECORDS)

    @writes_files
    def retokenize(self, tokens_of: Callable[[str, str], Sequence[str]]) -> None:
        """Replace the stored keyword tokens of every chunk of the starting generation.

        Args:
            tokens_of: The tokens of a chunk given its title and text.
        """
        if self.base is None:
            return
        self._pending(everything=True)[1].builder.retokenize(tokens_of)
        self._changed.update((CHUNKS, RECORDS))

    @writes_files
    def chunks_without_sentence_vectors(self) -> list[tuple[str, str, str]]:
        """Return ``(embed_key, title, text)`` of each distinct chunk text lacking sentence vectors.

        Normally these are the chunks added in this write; after :meth:`clear_sentence_vectors`
        (or on a starting generation without complete ones) every chunk's.
        """
        if self._sentences.complete_at_start:
            if self._changes is None:
                return []  # nothing was added
            return self._sentences.missing(self._changes.builder.db)
        return self._sentences.missing(self._pending(everything=True)[1].builder.db)

    @writes_files
    def add_sentence_vectors(self, vectors_by_key: dict[str, np.ndarray]) -> None:
        """Store sentence vectors by content key (an empty matrix for a one-sentence chunk)."""
        if not vectors_by_key:
            return
        self._sentences.add(self._pending()[1].builder.db, vectors_by_key)
        self._changed.add(RECORDS)

    @writes_files
    def clear_sentence_vectors(self) -> None:
        """Drop every stored sentence vector (old version or partial); all are made again."""
        self._sentences.clear(self._pending(everything=True)[1].builder.db)

    def commit(self, keyword_index: KeywordIndex | None = None) -> LocalIndex:
        """Write the next generation, make it current atomically and remove old generations.

        Args:
            keyword_index: BM25 of exactly the chunks added, to publish instead of one computed
                from their tokens (the synthetic benchmark builds it from term counts).

        Returns:
            A reader of the new generation.

        Raises:
            IndexStoreError: The file system refused a write (the previous generation stays).
        """
        with reported_as_write_failure(self.index_dir):
            # The format before segments is rewritten once, as one segment.
            legacy = self.base is not None and self.base.manifest.segments is None
            catalog, changes = self._pending(everything=legacy)
            assert self._work_dir is not None
            written, linked = write_generation(
                self._work_dir,
                catalog,
                changes,
                self._sentences,
                self.base,
                manifest_values={
                    "model_id": self.embedder.model_id,
                    "model_fingerprint": self.embedder.fingerprint,
                    "dimension": int(self.embedder.dimension),
                    "chunking": self.chunking.as_dict(),
                    "next_chunk_id": self._next_chunk_id,
                    "created_at": self._start.created_at,
                    "corpus_roots": self._roots,
                    "scanned_at_ns": self._scanned_at_ns,
                    "extra": dict(self.extra_manifest),
                },
                timings=self.timings,
                keyword=keyword_index.segments[0] if keyword_index is not None else None,
            )
            self._catalog = self._changes = None
            started = time.perf_counter()
            generation = self._folder.publish(self._work_dir, set(linked))
            self._work_dir = None
            self.timings["publish"] = time.perf_counter() - started
        reader = open_local_index(self.index_dir, verify="none", lazy=True)
        generation_dir = self.index_dir / generation
        remember_written(self.index_dir, generation_dir, written, linked, reader.manifest.crc32)
        return reader

    def close(self) -> None:
        """Discard uncommitted work and release the lock (safe to call twice)."""
        if self._changes is not None:
            self._changes.builder.close()
            self._changes = None
        if self._catalog is not None:
            self._catalog.close()
            self._catalog = None
        if self._work_dir is not None:
            remove_path(self._work_dir)
            self._work_dir = None
        self._start.close()
        self.base = None
        self._folder.unlock()


def open_local_writer(
    index_dir: Path,
    embedder: IdentifiesModel,
    chunking: DescribesChunking,
    options: WriteOptions | None = None,
) -> LocalWriter:
    """Take the write lock, clean up after killed writers and open the current generation.

    Args:
        index_dir: The index folder (created if missing).
        embedder: The embedder the new generation's vectors come from.
        chunking: The chunking settings of its chunks.
        options: Rebuild or not, reuse of old vectors, lock timeout (default: an update).

    Raises:
        IndexStoreError: Another writer holds the lock, the folder is not an index, the file
            system refuses to write there, or (without ``rebuild``) the current generation is
            corrupt or incompatible.
    """
    options = options or WriteOptions()
    folder = IndexFolder(Path(index_dir), options.lock_timeout)
    try:
        with reported_as_write_failure(folder.index_dir):
            folder.lock()
            folder.remove_leftovers()
        start = starting_point(folder.index_dir, embedder, chunking, options)
    except BaseException:
        folder.unlock()
        raise
    return LocalWriter(folder, embedder, chunking, start)
