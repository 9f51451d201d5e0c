"""Opening a Qdrant index: a reader of the published version, or the start of a write.

A write starts by taking the lock, finding the published version R through the alias and
cleaning what a writer that died left (:func:`~semsearch.storage.qdrant.versions.recover`). An
update then writes version R + 1 into the same collection; a rebuild (or a new index) writes a
new collection, which the alias moves to when it is published.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from semsearch.errors import IndexStoreError
from semsearch.storage.base import DescribesChunking, IdentifiesModel
from semsearch.storage.data import WriteOptions
from semsearch.storage.manifest import Manifest
from semsearch.storage.qdrant import connection as connections
from semsearch.storage.qdrant.connection import MEMORY, Connection, QdrantPlace
from semsearch.storage.qdrant.locking import WriterLock
from semsearch.storage.qdrant.reader import QdrantIndex
from semsearch.storage.qdrant.schema import create_collection
from semsearch.storage.qdrant.state import EngineState, timestamp
from semsearch.storage.qdrant.versions import (
    aliased_collection,
    collect_garbage,
    collection_name,
    drop_other_collections,
    read_manifest,
    recover,
)


def _missing(place: QdrantPlace, index: str) -> IndexStoreError:
    return IndexStoreError(
        f"There is no index {index!r} in Qdrant at {place}.",
        f"Build one first: semsearch build [PATHS] --engine qdrant --qdrant-url {place} "
        f"--index {index}",
        key="qdrant.no_index",
        params={"index": index, "place": place},
    )


def open_qdrant_index(place: QdrantPlace, index: str) -> QdrantIndex:
    """Open the published version of a Qdrant index for searching.

    Raises:
        IndexStoreError: No such index, its manifest is damaged, or Qdrant cannot be used.
    """
    if not place.is_server and place.location != MEMORY and not Path(place.location).is_dir():
        raise _missing(place, index)
    connection = connections.connect(place)
    try:
        collection = aliased_collection(connection, index)
        if collection is None:
            raise _missing(place, index)
        return QdrantIndex(connection, index, read_manifest(connection, collection, index))
    except BaseException:
        connections.release(connection)
        raise


@dataclass
class WriteStart:
    """What a Qdrant write starts from.

    Attributes:
        connection: The connection (one use of it, released by :meth:`close`).
        lock: The index's write lock, held.
        index: The index name.
        collection: The collection written (new for a rebuild or a new index).
        previous: The collection the alias points to now (None for a new index).
        version: The version being written.
        base: The published version it changes (None for a rebuild or a new index).
        vector_source: Where vectors of known passages are looked up.
        next_chunk_id: The first chunk id to give out.
        created_at: When the index was first made.
        is_open: Whether the lock and the connection are still held.
        published: Whether the new version is visible (past this point, leaving must not undo
            the write).
    """

    connection: Connection
    lock: WriterLock
    index: str
    collection: str
    previous: str | None
    version: int
    base: QdrantIndex | None
    vector_source: QdrantIndex | None
    next_chunk_id: int
    created_at: str
    is_open: bool = True
    published: bool = False

    @property
    def rebuilding(self) -> bool:
        """Whether a new collection is written (the alias moves to it at commit)."""
        return self.collection != self.previous

    def close(self) -> None:
        """Close the readers, release the lock and the connection (safe to call twice)."""
        for reader in {id(r): r for r in (self.base, self.vector_source) if r}.values():
            reader.close()
        self.base = self.vector_source = None
        if self.is_open:
            self.is_open = False
            self.lock.release()
            connections.release(self.connection)


def starting_point(
    place: QdrantPlace,
    index: str,
    embedder: IdentifiesModel,
    chunking: DescribesChunking,
    options: WriteOptions,
) -> WriteStart:
    """Take the lock, recover from a dead writer and open what the write builds on.

    Raises:
        IndexStoreError: Another writer holds the lock, or (without ``rebuild``) the index is
            damaged or was built with another model or chunking.
    """
    connection = connections.connect(place)
    lock = WriterLock(connection, index, options.lock_timeout)
    try:
        lock.acquire()
        return _start(connection, lock, index, embedder, chunking, options)
    except BaseException:
        lock.release()
        connections.release(connection)
        raise


def _start(
    connection: Connection,
    lock: WriterLock,
    index: str,
    embedder: IdentifiesModel,
    chunking: DescribesChunking,
    options: WriteOptions,
) -> WriteStart:
    previous = aliased_collection(connection, index)
    drop_other_collections(connection, index, keep={previous} if previous else set())
    manifest = _published_manifest(connection, previous, index, options.rebuild)
    if previous is not None and manifest is not None:
        state = EngineState.of(manifest, index)
        recover(connection, previous, state.version)
        collect_garbage(connection, previous, state)
    if previous is None or manifest is None or options.rebuild:
        published = EngineState.of(manifest, index).version if manifest else 0
        version = max(published, _collection_number(previous)) + 1
        collection = collection_name(index, version)
        create_collection(connection, collection, int(embedder.dimension))
        source = None
        if manifest is not None and options.reuse_vectors:
            source = _compatible_reader(connection, index, manifest, embedder, chunking)
        next_id = manifest.next_chunk_id if manifest else 1
        created = timestamp()
        return WriteStart(
            connection, lock, index, collection, previous, version, None, source, next_id, created
        )
    base = _reader(connection, index, manifest)
    try:
        base.check_compatible(embedder, chunking)
    except IndexStoreError:
        base.close()
        raise
    created_at = manifest.created_at or timestamp()
    return WriteStart(
        connection,
        lock,
        index,
        previous,
        previous,
        base.version + 1,
        base,
        base,
        manifest.next_chunk_id,
        created_at,
    )


def _reader(connection: Connection, index: str, manifest: Manifest) -> QdrantIndex:
    """A reader on the writer's connection (it counts as one more user of it)."""
    return QdrantIndex(connections.share(connection), index, manifest)


def _published_manifest(
    connection: Connection, collection: str | None, index: str, rebuild: bool
) -> Manifest | None:
    """The published manifest (None for a new index; a rebuild ignores a damaged one)."""
    if collection is None:
        return None
    try:
        manifest = read_manifest(connection, collection, index)
        EngineState.of(manifest, index)
        return manifest
    except IndexStoreError:
        if rebuild:
            return None
        raise


def _collection_number(collection: str | None) -> int:
    """The version that created a collection (0 for none)."""
    return int(collection.rsplit("--v", 1)[1]) if collection else 0


def _compatible_reader(
    connection: Connection,
    index: str,
    manifest: Manifest,
    embedder: IdentifiesModel,
    chunking: DescribesChunking,
) -> QdrantIndex | None:
    """The published version if it matches the model and chunking (to reuse its vectors)."""
    reader = _reader(connection, index, manifest)
    try:
        reader.check_compatible(embedder, chunking)
    except IndexStoreError:
        reader.close()
        return None
    return reader
