"""The Qdrant engine: one index as one Qdrant collection, on a server, a cluster or a folder.

The same :class:`~semsearch.storage.base.SearchIndex` and
:class:`~semsearch.storage.base.IndexWriter` as the local engine, for a corpus that outgrows one
machine (docs/scale-out.md). The layout is in :mod:`.schema`, versions and what keeps a
half-written one invisible in :mod:`.versions`, BM25 as sparse vectors in :mod:`.terms`.
A folder is served by Qdrant's in-process local mode: fine for tests and small corpora, slow
beyond about 20,000 points, and one process at a time.
"""

from __future__ import annotations

from pathlib import Path

from semsearch.storage.base import DescribesChunking, IdentifiesModel
from semsearch.storage.data import VersionFiles, WriteOptions
from semsearch.storage.manifest import Manifest
from semsearch.storage.qdrant.connection import (
    MEMORY,
    QdrantPlace,
    connect,
    index_name,
    release,
    resolve_place,
)
from semsearch.storage.qdrant.reader import QdrantIndex
from semsearch.storage.qdrant.start import open_qdrant_index, starting_point
from semsearch.storage.qdrant.versions import aliased_collection, read_manifest
from semsearch.storage.qdrant.writer import QdrantWriter

__all__ = [
    "QdrantIndex",
    "QdrantPlace",
    "QdrantWriter",
    "live_manifest_at",
    "open_index_at",
    "open_writer_at",
    "resolve_place",
    "version_files_at",
]


def open_index_at(index_dir: Path, qdrant_url: str | None) -> QdrantIndex:
    """Open the published version of the Qdrant index named after ``index_dir``.

    Args:
        index_dir: Its name is the index's name (``--index``).
        qdrant_url: A server URL or a folder (see :func:`resolve_place`).

    Raises:
        IndexStoreError: No such index, or Qdrant cannot be reached or used.
    """
    return open_qdrant_index(resolve_place(qdrant_url, index_dir), index_name(index_dir))


def open_writer_at(
    index_dir: Path,
    qdrant_url: str | None,
    embedder: IdentifiesModel,
    chunking: DescribesChunking,
    options: WriteOptions,
) -> QdrantWriter:
    """Become the one writer of the Qdrant index named after ``index_dir``.

    Raises:
        IndexStoreError: Another writer holds it, Qdrant cannot be used, or (without
            ``rebuild``) the index is damaged or was built with another model or chunking.
    """
    place = resolve_place(qdrant_url, index_dir)
    start = starting_point(place, index_name(index_dir), embedder, chunking, options)
    try:
        return QdrantWriter(start, embedder, chunking)
    except BaseException:
        start.close()
        raise


def live_manifest_at(index_dir: Path, qdrant_url: str | None) -> Manifest | None:
    """The manifest of the published version, read from the collection's metadata.

    Args:
        index_dir: Its name is the index's name.
        qdrant_url: A server URL or a folder (see :func:`resolve_place`).

    Returns:
        The manifest, or None when there is no such index yet.

    Raises:
        IndexStoreError: The manifest is damaged, or Qdrant cannot be reached or used.
    """
    place = resolve_place(qdrant_url, index_dir)
    if not place.is_server and place.location != MEMORY and not Path(place.location).is_dir():
        return None
    name = index_name(index_dir)
    connection = connect(place)
    try:
        collection = aliased_collection(connection, name)
        return read_manifest(connection, collection, name) if collection else None
    finally:
        release(connection)


def _folder_files(folder: Path) -> VersionFiles:
    """The files of a local-mode collection folder and their sizes."""
    files = {p.name: p.stat().st_size for p in sorted(folder.iterdir()) if p.is_file()}
    total = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    return VersionFiles(files, total)


def version_files_at(index_dir: Path, qdrant_url: str | None) -> VersionFiles:
    """What the published version's collection occupies in a local-mode folder.

    A server's disk is not visible to its clients, nor is memory's: both give nothing.

    Args:
        index_dir: Its name is the index's name.
        qdrant_url: A server URL or a folder (see :func:`resolve_place`).

    Returns:
        The collection's files and their sizes.
    """
    place = resolve_place(qdrant_url, index_dir)
    manifest = live_manifest_at(index_dir, qdrant_url)
    if place.is_server or place.location == MEMORY or manifest is None:
        return VersionFiles({}, 0)
    collection = str(manifest.vector_index.get("collection", "")) if manifest.vector_index else ""
    folder = Path(place.location) / "collection" / collection
    return _folder_files(folder) if collection and folder.is_dir() else VersionFiles({}, 0)
