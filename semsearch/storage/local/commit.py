"""Where a local write starts from, and assembling the generation it publishes.

:func:`starting_point` opens what a writer builds on (the current generation, or nothing for a
rebuild, which still reads the old manifest so chunk ids keep going up). :func:`write_generation`
fills the temporary generation folder: vectors (changed, or copied), BM25 (rebuilt from stored
tokens, or copied), the finished database and, last, the manifest.
"""

from __future__ import annotations

import contextlib
import shutil
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from semsearch.errors import IndexStoreError
from semsearch.lexical import KeywordIndex
from semsearch.storage.base import DescribesChunking, IdentifiesModel, WriteOptions
from semsearch.storage.local.generations import (
    CURRENT_LINK,
    KEYWORD_DIR,
    MANIFEST_FILE,
    VECTORS_FILE,
    file_sizes,
    generation_of,
    resolve_current,
)
from semsearch.storage.local.keyword import build_from_stored_tokens, copy_keyword_index
from semsearch.storage.local.reader import LocalIndex, open_local_index
from semsearch.storage.local.sentences import SentenceVectorTable
from semsearch.storage.local.vectors import PendingVectors, read_vectors, write_vectors
from semsearch.storage.local.working_copy import WorkingCopy
from semsearch.storage.manifest import FORMAT_VERSION, Manifest, keyword_info


def now() -> str:
    """The current time as the manifest records it (ISO-8601 UTC, seconds)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class Start:
    """What a writer builds on.

    Attributes:
        base: The current generation, or None for a new index or a rebuild.
        vector_source: Where vectors of known passages are looked up (the base, or the old
            generation of a rebuild that reuses vectors).
        next_chunk_id: The first chunk id to give out.
        created_at: When the index was first made (a rebuild starts anew).
    """

    base: LocalIndex | None
    vector_source: LocalIndex | None
    next_chunk_id: int
    created_at: str

    def close(self) -> None:
        """Close the readers (once each)."""
        for reader in {id(r): r for r in (self.base, self.vector_source) if r}.values():
            reader.close()
        self.base = self.vector_source = None


def starting_point(
    index_dir: Path,
    embedder: IdentifiesModel,
    chunking: DescribesChunking,
    options: WriteOptions,
) -> Start:
    """Open the generation a write starts from (see :class:`WriteOptions`).

    Raises:
        IndexStoreError: (Without ``rebuild``) the current generation is corrupt or was built
            with another model or chunking.
    """
    if not (index_dir / CURRENT_LINK).is_symlink():
        return Start(None, None, 1, now())
    if options.rebuild:
        previous = _readable_manifest(index_dir)
        reuse = options.reuse_vectors
        source = _compatible_reader(index_dir, embedder, chunking) if reuse else None
        return Start(None, source, previous.next_chunk_id if previous else 1, now())
    base = open_local_index(index_dir)
    try:
        base.check_compatible(embedder, chunking)
    except IndexStoreError:
        base.close()
        raise
    return Start(base, base, base.manifest.next_chunk_id, base.manifest.created_at or now())


def _readable_manifest(index_dir: Path) -> Manifest | None:
    """The old manifest if it is readable (a rebuild keeps chunk ids monotonic)."""
    try:
        return Manifest.read(resolve_current(index_dir) / MANIFEST_FILE, index_dir)
    except IndexStoreError:
        return None


def _compatible_reader(
    index_dir: Path, embedder: IdentifiesModel, chunking: DescribesChunking
) -> LocalIndex | None:
    """The old generation if it opens and matches the model and chunking, else None."""
    with contextlib.suppress(IndexStoreError):
        reader = open_local_index(index_dir)
        try:
            reader.check_compatible(embedder, chunking)
            return reader
        except IndexStoreError:
            reader.close()
    return None


def write_generation(
    work_dir: Path,
    copy: WorkingCopy,
    vectors: PendingVectors,
    sentences: SentenceVectorTable,
    base: LocalIndex | None,
    chunks_changed: bool,
    keyword_index: KeywordIndex | None,
    manifest_values: dict[str, Any],
    timings: dict[str, float],
) -> None:
    """Complete a temporary generation folder; publishing it is the caller's next step.

    Args:
        work_dir: The temporary generation folder (holding the working copy's database).
        copy: The database; finished and closed here.
        vectors: The vector changes of the write.
        sentences: The sentence vectors' bookkeeping.
        base: The starting generation (None: vectors and BM25 are made from scratch).
        chunks_changed: Whether chunks were added, removed or re-tokenized.
        keyword_index: A ready BM25 to write instead of rebuilding it from stored tokens.
        manifest_values: The manifest fields the writer knows (model, chunking, ids, roots…).
        timings: Receives the seconds of each step.
    """
    if base is not None and not chunks_changed:
        # Only file states, skipped files or roots changed: vectors and BM25 are the same.
        started = time.perf_counter()
        shutil.copyfile(base.path / VECTORS_FILE, work_dir / VECTORS_FILE)
        copy_keyword_index(base.path / KEYWORD_DIR, work_dir / KEYWORD_DIR)
        chunk_count, _documents = copy.counts()
        timings["vectors"] = time.perf_counter() - started
        vector_index = base.manifest.vector_index
    else:
        chunk_count, vector_index = _write_vectors_and_keyword(
            work_dir, copy, vectors, base, keyword_index, int(manifest_values["dimension"]), timings
        )
    started = time.perf_counter()
    if chunks_changed:
        sentences.drop_unused(copy.db)  # texts no chunk has any more
    sentence_entry = sentences.manifest_entry(copy.db)
    _chunks, document_count = copy.counts()
    copy.finish()
    manifest = Manifest(
        format_version=FORMAT_VERSION,
        keyword=keyword_info(),
        sentence_vectors=sentence_entry,
        document_count=document_count,
        chunk_count=chunk_count,
        updated_at=now(),
        generation=generation_of(work_dir),
        files=file_sizes(work_dir),
        vector_index=vector_index,
        **manifest_values,
    )
    manifest.write(work_dir / MANIFEST_FILE)
    timings["meta"] = time.perf_counter() - started


def _write_vectors_and_keyword(
    work_dir: Path,
    copy: WorkingCopy,
    vectors: PendingVectors,
    base: LocalIndex | None,
    keyword_index: KeywordIndex | None,
    dimension: int,
    timings: dict[str, float],
) -> tuple[int, dict[str, Any]]:
    """Apply removals and additions to the vectors, rebuild BM25; return the chunk count."""
    started = time.perf_counter()
    if base is not None:
        trained_on = int((base.manifest.vector_index or {}).get("trained_on") or 0)
        previous = read_vectors(base.path / VECTORS_FILE, base.index_dir)
        index, vector_index = vectors.apply_to(previous, trained_on, timings)
    else:
        index, vector_index = vectors.build(dimension, timings)
    write_vectors(index, work_dir / VECTORS_FILE)
    count = int(index.ntotal)
    del index
    timings["vectors"] = time.perf_counter() - started

    started = time.perf_counter()
    if keyword_index is None:
        keyword_index = build_from_stored_tokens(copy.db, count)
    elif len(keyword_index) != count:
        raise RuntimeError(f"internal error: BM25 of {len(keyword_index)} chunks, {count} vectors")
    keyword_index.save(work_dir / KEYWORD_DIR)
    timings["keyword"] = time.perf_counter() - started
    return count, vector_index
