"""Assembling a Qdrant version and publishing it.

By the time :func:`publish_version` runs, the writer has written the version's chunk points.
Here go the document points, the skipped files, the frequency shards and the removal marks, all
invisible to readers of the published version; then the manifest, whose metadata update is the
single moment the new version becomes visible (for a rebuild, followed by the alias move). What
the new version no longer needs is collected last.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from semsearch.storage.manifest import FORMAT_VERSION, Manifest, keyword_info, sentence_info
from semsearch.storage.qdrant import connection as connections
from semsearch.storage.qdrant.pending import BATCH_SIZE
from semsearch.storage.qdrant.reader import QdrantIndex
from semsearch.storage.qdrant.schema import KIND, LIVE, SOURCES, record_id
from semsearch.storage.qdrant.state import STATE_KEY, EngineState, timestamp
from semsearch.storage.qdrant.versions import (
    collect_garbage,
    drop_other_collections,
    move_alias,
    publish,
)

if TYPE_CHECKING:
    from semsearch.storage.qdrant.writer import QdrantWriter

#: Removal marks per request.
MARK_BATCH = 1000


def mark_removed(writer: QdrantWriter, ids: list[object]) -> None:
    """Mark published points as removed by the writer's version (its readers no longer see them)."""
    unique = list(dict.fromkeys(ids))
    for start in range(0, len(unique), MARK_BATCH):
        writer.start.connection.call(
            "set_payload",
            writer.start.collection,
            {"v_del": writer.start.version},
            points=unique[start : start + MARK_BATCH],
            wait=True,
        )


def _write_records(writer: QdrantWriter) -> int:
    """Write the document points and the skipped files; the version of the skipped-file list."""
    from qdrant_client import models

    start = writer.start
    points = writer.documents.points()
    sources_version = start.base.state.sources_version if start.base else 0
    if writer.skipped is not None:
        payload = {
            KIND: SOURCES,
            "v_add": start.version,
            "v_del": LIVE,
            "skipped": [list(row) for row in writer.skipped],
        }
        points.append(
            models.PointStruct(id=record_id(SOURCES, "", start.version), vector={}, payload=payload)
        )
        if sources_version:
            writer.documents.retired.append(record_id(SOURCES, "", sources_version))
        sources_version = start.version
    for offset in range(0, len(points), BATCH_SIZE):
        start.lock.renew()
        start.connection.call(
            "upsert", start.collection, points[offset : offset + BATCH_SIZE], wait=True
        )
    return sources_version


def publish_version(writer: QdrantWriter, sentences_complete: bool) -> QdrantIndex:
    """Write the rest of the writer's version, publish it and collect what is no longer needed.

    Args:
        writer: The writer, its chunk points written.
        sentences_complete: Whether every chunk of the version has its sentence vectors.

    Returns:
        A reader of the new version.
    """
    start = writer.start
    started = time.perf_counter()
    sources_version = _write_records(writer)
    base_frequencies = start.base.frequencies if start.base else None
    shards, replaced = writer.keywords.write_frequencies(
        start.connection, start.collection, base_frequencies, start.version
    )
    mark_removed(writer, [*writer.documents.retired, *replaced])
    writer.documents.retired.clear()
    state = EngineState(
        collection=start.collection,
        version=start.version,
        keyword=writer.keywords.statistics,
        slots=dict(writer.slots.live),
        slots_since=dict(writer.slots.since),
        term_shards=shards,
        sources_version=sources_version,
    )
    manifest = Manifest(
        format_version=FORMAT_VERSION,
        model_id=writer.embedder.model_id,
        model_fingerprint=writer.embedder.fingerprint,
        dimension=int(writer.embedder.dimension),
        chunking=writer.chunking.as_dict(),
        keyword=keyword_info(),
        sentence_vectors=sentence_info() if sentences_complete else None,
        document_count=writer.documents.count,
        chunk_count=writer.keywords.statistics.chunk_count,
        generation=f"v{start.version:06d}",
        next_chunk_id=writer.next_chunk_id,
        created_at=start.created_at,
        updated_at=timestamp(),
        corpus_roots=list(writer.roots),
        vector_index={"type": "qdrant", "collection": start.collection},
        scanned_at_ns=writer.scanned_at_ns,
        extra={STATE_KEY: state.to_dict()},
    )
    writer.timings["records"] = time.perf_counter() - started
    started = time.perf_counter()
    publish(start.connection, start.collection, manifest)
    if start.rebuilding:
        move_alias(start.connection, start.index, start.collection, start.previous)
    start.published = True  # from here on a failure must not undo the write
    if start.rebuilding:
        if start.vector_source is not None:
            start.vector_source.close()
            start.vector_source = None
        drop_other_collections(start.connection, start.index, keep={start.collection})
    writer.timings["publish"] = time.perf_counter() - started
    collect_garbage(start.connection, start.collection, state)
    return QdrantIndex(connections.share(start.connection), start.index, manifest)
