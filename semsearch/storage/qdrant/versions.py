"""Versions of a Qdrant index: finding the published one, publishing, recovering, collecting.

An index named ``news`` is the alias ``news`` on a collection ``news--v<N>`` (N: the version
that created it). The manifest in that collection's metadata names the published version R;
readers see the points with ``v_add ≤ R < v_del``. A writer of version W = R + 1:

1. **recovers** from a writer that died: deletes points with ``v_add > R`` and clears removal
   marks ``v_del > R`` (they belong to versions never published), and drops collections of the
   index that the alias does not point to (a rebuild that died);
2. writes its points with ``v_add = W`` and marks the points it removes with ``v_del = W`` —
   readers of R see neither;
3. **publishes** with one metadata update (a rebuild, which writes a new collection, then moves
   the alias in one request and drops the old collection);
4. **collects** what no reader can need any more: points removed at W − 1 or earlier (a reader
   that opened R = W − 1 still sees the ones removed at W), and the vectors of a slot left two
   versions ago.

So a reader's view stays exact until two newer versions are published, and an update costs
O(changed chunks), not a copy of the collection (docs/scale-out.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from semsearch.errors import IndexStoreError
from semsearch.storage.manifest import Manifest
from semsearch.storage.qdrant.schema import (
    KEYWORDS,
    LIVE,
    SENTENCES,
    SLOTS,
    other_slot,
    slot_vector,
)
from semsearch.storage.qdrant.state import MANIFEST_KEY, EngineState

if TYPE_CHECKING:
    from semsearch.storage.qdrant.connection import Connection

_COLLECTION_MARK = "--v"
#: Points per scroll request.
SCROLL_PAGE = 1000


def collection_name(index: str, version: int) -> str:
    """The collection an index's version ``version`` creates (``news--v7``)."""
    return f"{index}{_COLLECTION_MARK}{version}"


def aliased_collection(connection: Connection, index: str) -> str | None:
    """The collection the index's alias points to (None: no such index)."""
    aliases = connection.call("get_aliases").aliases
    return next((a.collection_name for a in aliases if a.alias_name == index), None)


def read_manifest(connection: Connection, collection: str, index_label: str) -> Manifest:
    """The manifest of the version published in a collection.

    Raises:
        IndexStoreError: None was published there, or it is damaged.
    """
    metadata = connection.call("get_collection", collection).config.metadata or {}
    if MANIFEST_KEY not in metadata:
        raise IndexStoreError(
            f"The Qdrant collection {collection} holds no published semsearch index.",
            f"Rebuild it: semsearch build --rebuild [PATHS] --engine qdrant --index {index_label}",
            key="qdrant.nothing_published",
            params={"collection": collection, "index": index_label},
        )
    return Manifest.from_dict(metadata[MANIFEST_KEY], f"{collection} metadata", index_label)


def publish(connection: Connection, collection: str, manifest: Manifest) -> None:
    """Make a version the published one: one metadata update, the single commit point."""
    connection.call("update_collection", collection, metadata={MANIFEST_KEY: manifest.to_dict()})


def move_alias(connection: Connection, index: str, collection: str, old: str | None) -> None:
    """Point the alias at a new collection in one request (it was on ``old``, or absent)."""
    from qdrant_client import models

    operations: list[Any] = []
    if old is not None:
        operations.append(
            models.DeleteAliasOperation(delete_alias=models.DeleteAlias(alias_name=index))
        )
    operations.append(
        models.CreateAliasOperation(
            create_alias=models.CreateAlias(collection_name=collection, alias_name=index)
        )
    )
    connection.call("update_collection_aliases", change_aliases_operations=operations)


def drop_other_collections(connection: Connection, index: str, keep: set[str]) -> None:
    """Delete the index's collections that are not in ``keep`` (left by a rebuild that died)."""
    prefix = index + _COLLECTION_MARK
    for description in connection.call("get_collections").collections:
        name = description.name
        if name.startswith(prefix) and name[len(prefix) :].isdigit() and name not in keep:
            connection.call("delete_collection", name)


def _filter(*conditions: Any) -> Any:
    from qdrant_client import models

    return models.FilterSelector(filter=models.Filter(must=list(conditions)))


def _range(key: str, **bounds: int) -> Any:
    from qdrant_client import models

    return models.FieldCondition(key=key, range=models.Range(**bounds))


def recover(connection: Connection, collection: str, published: int) -> None:
    """Undo what a writer that died left of an unpublished version."""
    connection.call(
        "delete", collection, points_selector=_filter(_range("v_add", gt=published)), wait=True
    )
    connection.call(
        "set_payload",
        collection,
        {"v_del": LIVE},
        points=_filter(_range("v_del", gt=published, lt=LIVE)),
        wait=True,
    )


def collect_garbage(connection: Connection, collection: str, state: EngineState) -> None:
    """Delete what no reader of the last two versions can use (see the module docstring)."""
    published = state.version
    connection.call(
        "delete", collection, points_selector=_filter(_range("v_del", lte=published - 1)), wait=True
    )
    for kind in (KEYWORDS, SENTENCES):
        # ``since`` 0: the slot never changed, so the other one never held anything.
        if 0 < state.slots_since[kind] == published - 1:
            old = slot_vector(kind, other_slot(state.slots[kind]))
            connection.call(
                "delete_vectors", collection, vectors=[old], points=_filter(), wait=True
            )


def scroll_points(
    connection: Connection,
    collection: str,
    conditions: list[Any],
    payload: Any = True,
    vectors: Any = False,
) -> Iterator[Any]:
    """Every point that passes all the conditions, read page by page."""
    from qdrant_client import models

    offset = None
    while True:
        points, offset = connection.call(
            "scroll",
            collection,
            scroll_filter=models.Filter(must=conditions),
            limit=SCROLL_PAGE,
            offset=offset,
            with_payload=payload,
            with_vectors=vectors,
        )
        yield from points
        if offset is None:
            return


class Slots:
    """The live slot of each slotted vector in the version being written.

    Args:
        connection: The Qdrant connection.
        collection: The collection written.
        version: The version being written.
        state: The published version's state (None: a new collection, slots ``a``, the others
            empty).
    """

    def __init__(
        self, connection: Connection, collection: str, version: int, state: EngineState | None
    ) -> None:
        self._connection = connection
        self._collection = collection
        self._version = version
        self._others_empty = state is None
        self.live = dict(state.slots) if state else {KEYWORDS: SLOTS[0], SENTENCES: SLOTS[0]}
        self.since = dict(state.slots_since) if state else {KEYWORDS: 0, SENTENCES: 0}

    def vector(self, kind: str) -> str:
        """The name of the live vector of a kind (``bm25_b``)."""
        return slot_vector(kind, self.live[kind])

    def flip(self, kind: str) -> None:
        """Write a kind's vectors into the other slot from now on (once per version).

        The other slot is emptied first: a vector left there from two versions ago must not
        pass for a new one (a one-sentence chunk has none to overwrite it).
        """
        if self.since[kind] == self._version:
            return
        other = slot_vector(kind, other_slot(self.live[kind]))
        if not self._others_empty:
            self._connection.call(
                "delete_vectors", self._collection, vectors=[other], points=_filter(), wait=True
            )
        self.live[kind] = other_slot(self.live[kind])
        self.since[kind] = self._version
