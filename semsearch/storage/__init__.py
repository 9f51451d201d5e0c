"""Storage: the index behind the searcher and the indexer, whatever engine holds it.

The searcher reads through :class:`SearchIndex` and the indexer writes through
:class:`IndexWriter` (:mod:`semsearch.storage.base`); :func:`open_index` and :func:`open_writer`
give the engine's implementation. The one engine today is ``"local"`` (FAISS + SQLite + BM25 in
generation folders, :mod:`semsearch.storage.local`). Engines are imported when first opened,
so importing this package stays cheap.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

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
    VersionFiles,
    WriteOptions,
    embed_key,
)

if TYPE_CHECKING:
    from semsearch.storage.manifest import Manifest

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
    "VersionFiles",
    "WriteOptions",
    "embed_key",
    "live_manifest",
    "live_version",
    "open_index",
    "open_writer",
    "version_files",
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


def live_version(index_dir: Path, engine: str = "local") -> str | None:
    """Name the version :func:`open_index` would open now, without opening it.

    It is cheap (the local engine reads one link), so a front end that keeps an index open can
    ask on every interaction whether a newer version was published.

    Args:
        index_dir: Where the index is.
        engine: Which engine holds it.

    Returns:
        The version's name (a local generation, e.g. ``gen-000007``), or None when there is no
        index there yet.

    Raises:
        IndexStoreError: The engine is unknown.
    """
    _check_engine(engine)
    from semsearch.storage.local.generations import current_name

    return current_name(Path(index_dir))


def live_manifest(index_dir: Path, engine: str = "local") -> Manifest | None:
    """Read the description of the live version (its model, roots…) without opening it.

    Args:
        index_dir: Where the index is.
        engine: Which engine holds it.

    Returns:
        The live version's manifest, or None when there is no index there yet.

    Raises:
        IndexStoreError: The index is damaged, or the engine is unknown.
    """
    _check_engine(engine)
    from semsearch.storage.local.generations import current_manifest

    return current_manifest(Path(index_dir))


def version_files(index_dir: Path, version: str, engine: str = "local") -> VersionFiles:
    """Measure what one version of an index occupies on disk.

    Args:
        index_dir: Where the index is.
        version: The version's name (:attr:`SearchIndex.generation`).
        engine: Which engine holds it.

    Returns:
        Its files and their sizes.

    Raises:
        IndexStoreError: The engine is unknown.
        OSError: The version is no longer on disk.
    """
    _check_engine(engine)
    from semsearch.storage.local.generations import generation_footprint

    return generation_footprint(Path(index_dir) / version)


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
