"""The layout of a semsearch collection in Qdrant: vectors, points, payload and filters.

One index is one collection (found through an alias named after the index):

- **chunk points**, id = chunk id: the chunk vector (``chunk``, dot product of normalized vectors
  = cosine), the sentence multivector (``sentences_<slot>``, max-sim, float16 as locally; left
  out for a chunk of one sentence), the BM25 sparse vector (``bm25_<slot>``, ``Modifier.IDF``)
  and the payload: document id, path, title, date (and ``day``, days since 1970 for the date
  filter), paragraph, index, offsets, text, content key and token count;
- **document points** (payload only): the document's record with its text and removed lines;
- a **sources point** (the skipped files) and the **term points** (document frequencies, see
  :mod:`.frequencies`).

Every point carries ``v_add`` (the version that wrote it) and ``v_del`` (the version that removed
it, :data:`LIVE` until then); a reader of version R sees ``v_add ≤ R < v_del``
(:func:`visible_at`). Sparse and sentence vectors come in two slots: a change of every chunk's
weights (a new tokenizer or average length, new sentence vectors) is written into the slot no
reader uses, and the manifest switches slots when it publishes.
"""

from __future__ import annotations

import datetime as dt
import uuid
import warnings
from typing import TYPE_CHECKING, Any

from semsearch.storage.data import ChunkFilter, DocumentRecord, ReprintState, StoredChunk

if TYPE_CHECKING:
    from semsearch.chunking import Chunk
    from semsearch.ingest import Document
    from semsearch.storage.qdrant.connection import Connection

CHUNK_VECTOR = "chunk"
KEYWORDS = "bm25"
SENTENCES = "sentences"
SLOTS = ("a", "b")

#: ``v_del`` of a point no version removed (Qdrant's integers are 64-bit).
LIVE = 2**62

KIND = "kind"
CHUNK = "chunk"
DOCUMENT = "document"
SOURCES = "sources"
TERMS = "terms"

#: Payload keys with an index on a server (local mode scans and warns, so it is skipped there).
PAYLOAD_INDEXES = {
    KIND: "keyword",
    "doc_id": "keyword",
    "embed_key": "keyword",
    "day": "integer",
    "v_add": "integer",
    "v_del": "integer",
}

_IDS = uuid.UUID("5b0a4c1e-6d34-4f0c-9a55-3a1c2f4a9e10")
_EPOCH = dt.date(1970, 1, 1)


def slot_vector(kind: str, slot: str) -> str:
    """The name of a slotted vector (``bm25_a``, ``sentences_b``)."""
    return f"{kind}_{slot}"


def other_slot(slot: str) -> str:
    """The slot no reader of the current version uses."""
    return SLOTS[1 - SLOTS.index(slot)]


def record_id(kind: str, key: str, version: int) -> str:
    """The id of a payload point: the same kind, key and version give the same id."""
    return str(uuid.uuid5(_IDS, f"{kind}/{version}/{key}"))


def day_number(date: str | None) -> int | None:
    """Days from 1970-01-01 to an ISO date (None for no date)."""
    return None if date is None else (dt.date.fromisoformat(date) - _EPOCH).days


def create_collection(connection: Connection, name: str, dimension: int) -> None:
    """Create an empty collection for an index with vectors of ``dimension``."""
    from qdrant_client import models

    sentences = models.VectorParams(
        size=dimension,
        distance=models.Distance.DOT,
        datatype=models.Datatype.FLOAT16,
        multivector_config=models.MultiVectorConfig(
            comparator=models.MultiVectorComparator.MAX_SIM
        ),
        # Sentence vectors are only read back by id to rescore a pool: no graph, kept on disk.
        hnsw_config=models.HnswConfigDiff(m=0),
        on_disk=True,
    )
    vectors = {CHUNK_VECTOR: models.VectorParams(size=dimension, distance=models.Distance.DOT)}
    vectors.update({slot_vector(SENTENCES, slot): sentences for slot in SLOTS})
    sparse = models.SparseVectorParams(modifier=models.Modifier.IDF)
    connection.call(
        "create_collection",
        name,
        vectors_config=vectors,
        sparse_vectors_config={slot_vector(KEYWORDS, slot): sparse for slot in SLOTS},
    )
    if connection.is_local:
        return
    for key, schema in PAYLOAD_INDEXES.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            connection.call("create_payload_index", name, key, field_schema=schema, wait=True)


def visible_at(version: int) -> list[Any]:
    """The conditions a point of version ``version`` passes (``v_add ≤ version < v_del``)."""
    from qdrant_client import models

    return [
        models.FieldCondition(key="v_add", range=models.Range(lte=version)),
        models.FieldCondition(key="v_del", range=models.Range(gt=version)),
    ]


def is_visible(payload: dict[str, Any], version: int) -> bool:
    """Whether a point read back by id belongs to version ``version``."""
    return int(payload["v_add"]) <= version < int(payload["v_del"])


def of_kind(kind: str) -> Any:
    """The condition on the kind of point."""
    from qdrant_client import models

    return models.FieldCondition(key=KIND, match=models.MatchValue(value=kind))


def chunk_conditions(where: ChunkFilter) -> list[Any]:
    """The conditions of a chunk filter (``doc_ids`` must not be empty: nothing passes that)."""
    from qdrant_client import models

    conditions: list[Any] = []
    if where.doc_ids is not None:
        conditions.append(
            models.FieldCondition(key="doc_id", match=models.MatchAny(any=list(where.doc_ids)))
        )
    if where.date_from is not None or where.date_to is not None:
        days = models.Range(gte=day_number(where.date_from), lte=day_number(where.date_to))
        conditions.append(models.FieldCondition(key="day", range=days))
    return conditions


def chunk_payload(
    chunk: Chunk, chunk_id: int, document: Document, embed_key: str, length: int, version: int
) -> dict[str, Any]:
    """The payload of a chunk point: the chunk with what a hit shows of its document.

    Args:
        chunk: The chunk.
        chunk_id: Its id.
        document: Its document (path and date are copied: filters and hits need no join).
        embed_key: Its content key.
        length: Its token count.
        version: The version writing it.
    """
    return {
        KIND: CHUNK,
        "v_add": version,
        "v_del": LIVE,
        "chunk_id": chunk_id,
        "doc_id": document.doc_id,
        "index": chunk.index,
        "paragraph": chunk.paragraph,
        "start": chunk.start,
        "end": chunk.end,
        "text": chunk.text,
        "title": chunk.title,
        "path": document.path,
        "date": document.date,
        "day": day_number(document.date),
        "embed_key": embed_key,
        "length": length,
    }


def stored_chunk(payload: dict[str, Any]) -> StoredChunk:
    """The chunk a chunk point holds."""
    return StoredChunk(
        chunk_id=int(payload["chunk_id"]),
        doc_id=payload["doc_id"],
        index=int(payload["index"]),
        paragraph=int(payload["paragraph"]),
        start=int(payload["start"]),
        end=int(payload["end"]),
        text=payload["text"],
        title=payload["title"],
        path=payload["path"],
        date=payload["date"],
    )


#: Payload keys of a document point, in :class:`DocumentRecord` order (text last).
DOCUMENT_FIELDS = (
    "doc_id",
    "path",
    "title",
    "date",
    "source",
    "author",
    "content_hash",
    "script",
    "chunk_count",
    "text",
)
#: The file state of a document point (None for a document not read from a file).
FILE_FIELDS = ("file_path", "file_size", "file_mtime_ns")


#: Payload keys of a document's reprint signature (hex; "" too short, absent unsigned) and group.
SIGNATURE_FIELD = "signature"
GROUP_FIELD = "reprint_group"


def document_record(payload: dict[str, Any]) -> DocumentRecord:
    """The record a document point holds (an empty text when it was not read)."""
    values = {key: payload.get(key) for key in DOCUMENT_FIELDS}
    values["text"] = values["text"] or ""
    return DocumentRecord(**values, group=payload.get(GROUP_FIELD))


def reprint_state(payload: dict[str, Any]) -> ReprintState:
    """The reprint signature and group a document point holds."""
    signature = payload.get(SIGNATURE_FIELD)
    return ReprintState(
        None if signature is None else bytes.fromhex(signature), payload.get(GROUP_FIELD)
    )


def reprint_fields(state: ReprintState) -> dict[str, Any]:
    """The payload keys of a reprint state."""
    signature = None if state.signature is None else state.signature.hex()
    return {SIGNATURE_FIELD: signature, GROUP_FIELD: state.group}
