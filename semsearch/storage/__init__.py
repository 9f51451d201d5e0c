"""Storage: the index behind the searcher and the indexer, whatever engine holds it.

The searcher reads through :class:`SearchIndex` and the indexer writes through
:class:`IndexWriter` (:mod:`semsearch.storage.base`); :func:`open_index` and :func:`open_writer`
give the engine's implementation. The one engine today is ``"local"`` (FAISS + SQLite + BM25 in
generation folders, :mod:`semsearch.storage.local`). Engines are imported when first opened,
so importing this package stays cheap.
"""

from __future__ import annotations

from pathlib import Path

from semsearch.errors import IndexStoreError
from semsearch.storage.base import (
    DEFAULT_LOCK_TIMEOUT,
    ChunkFilter,
    DescribesChunking,
    DocumentRecord,
    FileState,
    IdentifiesModel,
    IndexWriter,
    SearchIndex,
    StoredChunk,
    StoredFile,
    WriteOptions,
    embed_key,
)

#: The engines :func:`open_index` and :func:`open_writer` know.
ENGINES: tuple[str, ...] = ("local",)

__all__ = [
    "DEFAULT_LOCK_TIMEOUT",
    "ENGINES",
    "ChunkFilter",
    "DocumentRecord",
    "FileState",
    "IndexWriter",
    "SearchIndex",
    "StoredChunk",
    "StoredFile",
    "WriteOptions",
    "embed_key",
    "open_index",
    "open_writer",
]


def _check_engine(engine: str) -> None:
    if engine not in ENGINES:
        raise IndexStoreError(
            f"Unknown storage engine {engine!r}.", f"Choose one of {', '.join(ENGINES)}."
        )


def open_index(index_dir: Path, engine: str = "local") -> SearchIndex:
    """Open the current version of an index for searching.

    Args:
        index_dir: Where the index is (the local engine: its folder).
        engine: Which engine holds it.

    Returns:
        A read-only view of the version current at the time of the call.

    Raises:
        IndexStoreError: No index there, or it is damaged, or the engine is unknown.
    """
    _check_engine(engine)
    from semsearch.storage.local import open_local_index

    return open_local_index(Path(index_dir))


def open_writer(
    index_dir: Path,
    embedder: IdentifiesModel,
    chunking: DescribesChunking,
    rebuild: bool = False,
    reuse_vectors: bool = False,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    engine: str = "local",
) -> IndexWriter:
    """Become the one writer of an index (a context manager; leave without commit to discard).

    Args:
        index_dir: Where the index is (created if missing).
        embedder: The embedder the new vectors come from (its model id, fingerprint, dimension).
        chunking: The chunking settings of the new chunks.
        rebuild: Start from an empty index instead of the current version.
        reuse_vectors: With ``rebuild``, still look up vectors of known passages in the old
            version when it is compatible (the evaluation rebuilds often).
        lock_timeout: Seconds to wait for another writer before giving up.
        engine: Which engine holds the index.

    Returns:
        The writer, with the starting version open.

    Raises:
        IndexStoreError: Another writer is at work, the place is not an index, the engine is
            unknown, or (without ``rebuild``) the index is damaged or was built with another
            model or chunking.
    """
    _check_engine(engine)
    from semsearch.storage.local import open_local_writer

    options = WriteOptions(rebuild, reuse_vectors, lock_timeout)
    return open_local_writer(Path(index_dir), embedder, chunking, options)
