"""Storage: the index behind the searcher and the indexer, whatever engine holds it.

The searcher reads through :class:`SearchIndex` and the indexer writes through
:class:`IndexWriter` (:mod:`semsearch.storage.base`); :func:`open_index` and :func:`open_writer`
give the engine's implementation: ``"local"`` (FAISS + SQLite + BM25 in generation folders,
:mod:`semsearch.storage.local`, the default) or ``"qdrant"`` (a Qdrant collection on a server,
a cluster or a local-mode folder, :mod:`semsearch.storage.qdrant`). Engines are imported when
first opened, so importing this package stays cheap.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from semsearch import settings
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
ENGINES: tuple[str, ...] = ("local", "qdrant")


@dataclass(frozen=True)
class EngineConfig:
    """Which engine holds an index, and where a Qdrant one lives.

    Attributes:
        name: ``"local"`` or ``"qdrant"``.
        qdrant_url: A Qdrant server or cluster URL (``http(s)://host:6333``) or a folder for
            Qdrant's in-process local mode; None: ``$SEMSEARCH_QDRANT_URL``, else local mode in
            the index folder. The index's name on it is the last part of ``index_dir``.
    """

    name: str = settings.DEFAULT_ENGINE
    qdrant_url: str | None = None


def engine_config(engine: str | EngineConfig | None) -> EngineConfig:
    """The engine a caller asked for (None: ``$SEMSEARCH_ENGINE``, else the local one).

    Raises:
        IndexStoreError: An unknown engine.
    """
    if engine is None:
        engine = settings.default_engine()
    config = engine if isinstance(engine, EngineConfig) else EngineConfig(engine)
    if config.name not in ENGINES:
        raise IndexStoreError(
            f"Unknown storage engine {config.name!r}.", f"Choose one of {', '.join(ENGINES)}."
        )
    return config


__all__ = [
    "DEFAULT_LOCK_TIMEOUT",
    "ENGINES",
    "ChunkFilter",
    "DocumentRecord",
    "EngineConfig",
    "FileState",
    "IndexWriter",
    "SearchIndex",
    "StoredChunk",
    "StoredFile",
    "WriteOptions",
    "embed_key",
    "engine_config",
    "open_index",
    "open_writer",
]


def open_index(index_dir: Path, engine: str | EngineConfig = "local") -> SearchIndex:
    """Open the current version of an index for searching.

    Args:
        index_dir: Where the index is (the local engine: its folder; Qdrant: its name is the
            index's name).
        engine: Which engine holds it (a name, or an :class:`EngineConfig`).

    Returns:
        A read-only view of the version current at the time of the call.

    Raises:
        IndexStoreError: No index there, or it is damaged, or the engine is unknown.
    """
    config = engine_config(engine)
    if config.name == "qdrant":
        from semsearch.storage.qdrant import open_index_at

        return open_index_at(Path(index_dir), config.qdrant_url)
    from semsearch.storage.local import open_local_index

    return open_local_index(Path(index_dir))


def open_writer(
    index_dir: Path,
    embedder: IdentifiesModel,
    chunking: DescribesChunking,
    rebuild: bool = False,
    reuse_vectors: bool = False,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    engine: str | EngineConfig = "local",
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
        engine: Which engine holds the index (a name, or an :class:`EngineConfig`).

    Returns:
        The writer, with the starting version open.

    Raises:
        IndexStoreError: Another writer is at work, the place is not an index, the engine is
            unknown, or (without ``rebuild``) the index is damaged or was built with another
            model or chunking.
    """
    config = engine_config(engine)
    options = WriteOptions(rebuild, reuse_vectors, lock_timeout)
    if config.name == "qdrant":
        from semsearch.storage.qdrant import open_writer_at

        return open_writer_at(Path(index_dir), config.qdrant_url, embedder, chunking, options)
    from semsearch.storage.local import open_local_writer

    return open_local_writer(Path(index_dir), embedder, chunking, options)
