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
from typing import TYPE_CHECKING

from semsearch import settings
from semsearch.errors import IndexStoreError
from semsearch.storage.base import (
    DescribesChunking,
    IdentifiesModel,
    IndexWriter,
    Records,
    Retrieval,
    SearchIndex,
    SourceRecords,
)
from semsearch.storage.data import (
    DEFAULT_LOCK_TIMEOUT,
    ChunkFilter,
    DocumentRecord,
    FileScope,
    FileState,
    ReprintSelection,
    ReprintState,
    StoredChunk,
    StoredFile,
    VersionFiles,
    WriteOptions,
    embed_key,
)

if TYPE_CHECKING:
    from semsearch.storage.manifest import Manifest

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
            f"Unknown storage engine {config.name!r}.",
            f"Choose one of {', '.join(ENGINES)}.",
            key="engine.unknown",
            params={"engine": config.name, "choices": ", ".join(ENGINES)},
        )
    return config


__all__ = [
    "DEFAULT_LOCK_TIMEOUT",
    "ENGINES",
    "ChunkFilter",
    "DocumentRecord",
    "EngineConfig",
    "FileScope",
    "FileState",
    "IndexWriter",
    "Records",
    "ReprintSelection",
    "ReprintState",
    "Retrieval",
    "SearchIndex",
    "SourceRecords",
    "StoredChunk",
    "StoredFile",
    "VersionFiles",
    "WriteOptions",
    "describe_location",
    "embed_key",
    "engine_config",
    "live_manifest",
    "live_version",
    "open_index",
    "open_writer",
    "version_files",
]


def describe_location(index_dir: Path, engine: str | EngineConfig = "local") -> str:
    """Say where an index lives, for people: its folder, or its name and Qdrant place.

    Args:
        index_dir: Where the index is.
        engine: Which engine holds it.

    Returns:
        ``index`` for the local engine; ``news on Qdrant at http://host:6333`` for Qdrant.

    Raises:
        IndexStoreError: The engine is unknown.
    """
    config = engine_config(engine)
    if config.name != "qdrant":
        return str(index_dir)
    from semsearch.storage.qdrant.connection import resolve_place

    return f"{Path(index_dir).name} on Qdrant at {resolve_place(config.qdrant_url, index_dir)}"


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


def live_version(index_dir: Path, engine: str | EngineConfig = "local") -> str | None:
    """Name the version :func:`open_index` would open now, without opening it.

    It is cheap (the local engine reads one link), so a front end that keeps an index open can
    ask on every interaction whether a newer version was published.

    Args:
        index_dir: Where the index is.
        engine: Which engine holds it.

    Returns:
        The version's name (a local generation, e.g. ``gen-000007``; a Qdrant version,
        ``v000007``), or None when there is no index there yet.

    Raises:
        IndexStoreError: The engine is unknown (or Qdrant cannot be reached).
    """
    config = engine_config(engine)
    if config.name == "qdrant":
        from semsearch.storage.qdrant import live_manifest_at

        manifest = live_manifest_at(Path(index_dir), config.qdrant_url)
        return manifest.generation if manifest is not None else None
    from semsearch.storage.local.generations import current_name

    return current_name(Path(index_dir))


def live_manifest(index_dir: Path, engine: str | EngineConfig = "local") -> Manifest | None:
    """Read the description of the live version (its model, roots…) without opening it.

    Args:
        index_dir: Where the index is.
        engine: Which engine holds it.

    Returns:
        The live version's manifest, or None when there is no index there yet.

    Raises:
        IndexStoreError: The index is damaged, or the engine is unknown.
    """
    config = engine_config(engine)
    if config.name == "qdrant":
        from semsearch.storage.qdrant import live_manifest_at

        return live_manifest_at(Path(index_dir), config.qdrant_url)
    from semsearch.storage.local.generations import current_manifest

    return current_manifest(Path(index_dir))


def version_files(
    index_dir: Path, version: str, engine: str | EngineConfig = "local"
) -> VersionFiles:
    """Measure what one version of an index occupies on disk.

    Args:
        index_dir: Where the index is.
        version: The version's name (:attr:`SearchIndex.generation`).
        engine: Which engine holds it.

    Returns:
        Its files and their sizes (Qdrant: its collection's storage in a local-mode folder;
        nothing for a server, whose disk the client cannot see).

    Raises:
        IndexStoreError: The engine is unknown.
        OSError: The version is no longer on disk.
    """
    config = engine_config(engine)
    if config.name == "qdrant":
        from semsearch.storage.qdrant import version_files_at

        return version_files_at(Path(index_dir), config.qdrant_url)
    from semsearch.storage.local.generations import generation_footprint

    return generation_footprint(Path(index_dir) / version)


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
