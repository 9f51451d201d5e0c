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

from semsearch.storage.base import DescribesChunking, IdentifiesModel, WriteOptions
from semsearch.storage.qdrant.connection import QdrantPlace, index_name, resolve_place
from semsearch.storage.qdrant.reader import QdrantIndex
from semsearch.storage.qdrant.start import open_qdrant_index, starting_point
from semsearch.storage.qdrant.writer import QdrantWriter

__all__ = [
    "QdrantIndex",
    "QdrantPlace",
    "QdrantWriter",
    "open_index_at",
    "open_writer_at",
    "resolve_place",
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
