"""The one writer of a Qdrant index: a lock in this process, a lease on a server.

In local mode Qdrant itself keeps other processes out of the folder, so a lock per index within
this process is enough. A server is shared: the writer holds a **lease**, a point in the small
collection ``<index>--lock`` naming its owner and when the lease runs out. Taking it is one
conditional upsert (``update_filter``: only a lease that has run out, or our own, is replaced),
which the server applies atomically, then a read to see who won. The writer renews the lease as
it works; one that dies stops renewing, and the next writer may take over after
:data:`LEASE_SECONDS` (its recovery then removes what the dead one left).
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from typing import TYPE_CHECKING, Any

from semsearch.errors import IndexLockedError, IndexStoreError

if TYPE_CHECKING:
    from semsearch.storage.qdrant.connection import Connection

#: Seconds a server lease lasts without renewal (renewed every fifth of it while writing).
LEASE_SECONDS = 300.0
_LEASE_POINT = "00000000-0000-5000-8000-00000000000a"
_POLL_SECONDS = 0.2

_local_locks: dict[tuple[str, str], threading.Lock] = {}
_local_locks_guard = threading.Lock()


class WriterLock:
    """The write lock of one index.

    Args:
        connection: The Qdrant connection.
        index: The index name.
        timeout: Seconds to wait for another writer before giving up.
    """

    def __init__(self, connection: Connection, index: str, timeout: float) -> None:
        self._connection = connection
        self._index = index
        self._timeout = timeout
        self._owner = f"{socket.gethostname()} pid {os.getpid()} ({uuid.uuid4().hex[:8]})"
        self._held = False
        self._renewed = 0.0
        self._local: threading.Lock | None = None

    @property
    def held(self) -> bool:
        """Whether this writer holds the lock."""
        return self._held

    @property
    def _lease_collection(self) -> str:
        return f"{self._index}--lock"

    def acquire(self) -> None:
        """Take the lock, waiting up to the timeout.

        Raises:
            IndexStoreError: Another writer holds it (the message names it).
        """
        if self._connection.is_local:
            key = (self._connection.place.location, self._index)
            with _local_locks_guard:
                self._local = _local_locks.setdefault(key, threading.Lock())
            if not self._local.acquire(timeout=max(self._timeout, 0.0)):
                self._local = None
                raise self._busy("another writer in this process")
            self._held = True
            return
        self._ensure_lease_collection()
        deadline = time.monotonic() + max(self._timeout, 0.0)
        while True:
            holder = self._try_lease()
            if holder is None:
                self._held = True
                return
            if time.monotonic() >= deadline:
                raise self._busy(holder)
            time.sleep(_POLL_SECONDS)

    def renew(self) -> None:
        """Extend a server lease (cheap to call often: it renews every fifth of its life)."""
        if not self._held or self._connection.is_local:
            return
        if time.time() - self._renewed > LEASE_SECONDS / 5:
            holder = self._try_lease()
            if holder is not None:
                raise IndexStoreError(
                    f"The write lease on the index {self._index} passed to {holder} while this "
                    "writer was busy (it was not renewed in time).",
                    "Nothing of this write is published; run it again.",
                    key="qdrant.lease_lost",
                    params={"index": self._index, "holder": holder},
                )

    def release(self) -> None:
        """Give the lock back (safe to call twice)."""
        if not self._held:
            return
        self._held = False
        if self._local is not None:
            self._local.release()
            self._local = None
            return
        from qdrant_client import models

        mine = models.Filter(must=[_match("owner", self._owner)])
        self._connection.call(
            "delete",
            self._lease_collection,
            points_selector=models.FilterSelector(filter=mine),
            wait=True,
        )

    def _busy(self, holder: str) -> IndexLockedError:
        return IndexLockedError(
            f"Another writer is updating the index {self._index} on {self._connection.place} "
            f"({holder}).",
            "Wait for it to finish, then run the command again.",
            key="qdrant.locked",
            params={"index": self._index, "place": self._connection.place, "holder": holder},
        )

    def _ensure_lease_collection(self) -> None:
        from qdrant_client import models

        if not self._connection.call("collection_exists", self._lease_collection):
            try:
                self._connection.call(
                    "create_collection",
                    self._lease_collection,
                    vectors_config={"unused": models.VectorParams(size=1, distance="Dot")},
                )
            except IndexStoreError:
                # Two writers created it at once: the other one's collection serves as well.
                if not self._connection.call("collection_exists", self._lease_collection):
                    raise

    def _try_lease(self) -> str | None:
        """Take or renew the lease; None on success, else who holds it."""
        from qdrant_client import models

        now = time.time()
        free_or_mine = models.Filter(
            should=[
                models.FieldCondition(key="expires", range=models.Range(lt=now)),
                _match("owner", self._owner),
            ]
        )
        lease = {"owner": self._owner, "expires": now + LEASE_SECONDS}
        self._connection.call(
            "upsert",
            self._lease_collection,
            [models.PointStruct(id=_LEASE_POINT, vector={}, payload=lease)],
            update_filter=free_or_mine,
            wait=True,
        )
        held = self._connection.call("retrieve", self._lease_collection, [_LEASE_POINT])
        owner = held[0].payload.get("owner") if held else None
        if owner == self._owner:
            self._renewed = now
            return None
        return f"held by {owner}"


def _match(key: str, value: str) -> Any:
    from qdrant_client import models

    return models.FieldCondition(key=key, match=models.MatchValue(value=value))
