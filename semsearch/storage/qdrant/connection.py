"""Where a Qdrant index lives, and the one client a process keeps for each such place.

A place is either a server or cluster (``http(s)://host:6333``; the API key comes from
``$SEMSEARCH_QDRANT_API_KEY``) or a folder, which Qdrant's client serves in-process ("local
mode"). Local mode locks its folder for one client, so readers and writers of one process share
a :class:`Connection` (kept for the process's life), and a second process gets a clear message
instead of the client's ``RuntimeError``.

Every call goes through :meth:`Connection.call`, the one place where the client's exceptions
become :class:`~semsearch.errors.IndexStoreError` messages and where local mode, whose in-memory
tables are not safe for threads, is serialized.
"""

from __future__ import annotations

import atexit
import os
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from semsearch import settings
from semsearch.errors import IndexStoreError
from semsearch.storage.local.generations import CURRENT_LINK

#: Collection names are made from the index name plus a suffix; Qdrant accepts these characters.
_NAME_RE = re.compile(r"^[A-Za-z0-9_-]{1,120}$")
_URL_RE = re.compile(r"^https?://", re.IGNORECASE)
#: The place of an index held in this process's memory only (tests and benchmarks): it lives
#: as long as the process, and local mode writes to memory 4× faster than to disk.
MEMORY = ":memory:"
#: Seconds a server request may take: building pushes batches of a few hundred points.
SERVER_TIMEOUT = 120


@dataclass(frozen=True)
class QdrantPlace:
    """A Qdrant server (by URL) or a local-mode folder.

    Attributes:
        location: The URL, or the folder as an absolute path.
        is_server: Whether ``location`` is a URL.
    """

    location: str
    is_server: bool

    def __str__(self) -> str:
        return self.location


def resolve_place(qdrant_url: str | None, index_dir: Path) -> QdrantPlace:
    """Decide where a Qdrant index lives.

    Args:
        qdrant_url: ``http(s)://…`` for a server, a folder path for local mode (``:memory:``:
            this process's memory), or None for ``$SEMSEARCH_QDRANT_URL``, and without it local
            mode in the index folder itself.
        index_dir: The index folder the user named (``--index``).

    Returns:
        The place.
    """
    given = qdrant_url or settings.default_qdrant_url()
    if given and _URL_RE.match(given):
        return QdrantPlace(given.rstrip("/"), is_server=True)
    if given == MEMORY:
        return QdrantPlace(MEMORY, is_server=False)
    return QdrantPlace(str(Path(given or index_dir).expanduser().resolve()), is_server=False)


def index_name(index_dir: Path) -> str:
    """The name of the index on a Qdrant place: the last part of ``--index``.

    Raises:
        IndexStoreError: The name holds characters a collection name cannot have.
    """
    name = Path(index_dir).name
    if not _NAME_RE.match(name):
        raise IndexStoreError(
            f"{name!r} cannot name a Qdrant index (letters, digits, '-' and '_' only).",
            "Give --index a plain name, e.g. --index news.",
            key="qdrant.bad_name",
            params={"name": name},
        )
    return name


class Connection:
    """One client to one place, shared by every reader and writer of this process.

    Args:
        place: Where it connects.
        client: The ``QdrantClient``.
    """

    def __init__(self, place: QdrantPlace, client: Any) -> None:
        self.place = place
        self.client = client
        self.users = 0
        # Local mode keeps its collections in plain dicts; a thread searching while another
        # writes could see one half-changed. A server client is safe for threads.
        self._lock: threading.RLock | None = None if place.is_server else threading.RLock()

    @property
    def is_local(self) -> bool:
        """Whether the client runs Qdrant in this process (local mode)."""
        return not self.place.is_server

    def call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """Call a client method, turning its failures into messages a user can act on.

        Args:
            method: The ``QdrantClient`` method's name.
            *args: Its positional arguments.
            **kwargs: Its keyword arguments.

        Returns:
            What the method returns.

        Raises:
            IndexStoreError: The server cannot be reached or refused the request, or a
                collection vanished (a rebuild replaced it while it was being read).
        """
        function: Callable[..., Any] = getattr(self.client, method)
        try:
            if self._lock is None:
                return function(*args, **kwargs)
            with self._lock:
                return function(*args, **kwargs)
        except IndexStoreError:
            raise
        except Exception as error:
            raise _explain(self.place, error) from error


def _explain(place: QdrantPlace, error: Exception) -> IndexStoreError:
    """The message for a failed client call."""
    from qdrant_client.http.exceptions import ResponseHandlingException, UnexpectedResponse

    text = str(error)
    if "not found" in text.lower() and ("collection" in text.lower() or "404" in text):
        return IndexStoreError(
            f"A collection of the index on {place} is gone: the index was rebuilt or deleted "
            "while it was being read.",
            "Run the command again (it opens the current version).",
        )
    if isinstance(error, ResponseHandlingException):
        return IndexStoreError(
            f"Cannot reach the Qdrant server at {place} ({error.source!r}).",
            f"Check the URL and that the server runs; ${settings.ENV_QDRANT_API_KEY} holds its "
            "API key if it needs one.",
            key="qdrant.unreachable",
            params={"place": place, "variable": settings.ENV_QDRANT_API_KEY},
        )
    if isinstance(error, UnexpectedResponse):
        return IndexStoreError(
            f"The Qdrant server at {place} refused a request (HTTP {error.status_code}: "
            f"{error.content[:300].decode(errors='replace')}).",
            f"Check ${settings.ENV_QDRANT_API_KEY} (a 401/403 means a missing or wrong key).",
        )
    return IndexStoreError(f"Qdrant failed on {place}: {error!r}.", None)


_connections: dict[QdrantPlace, Connection] = {}
_connections_lock = threading.Lock()


def connect(place: QdrantPlace) -> Connection:
    """The process's connection to a place, opened on first use (pair with :func:`release`).

    Raises:
        IndexStoreError: The folder is held by another process, or the client cannot start.
    """
    with _connections_lock:
        connection = _connections.get(place)
        if connection is None:
            connection = Connection(place, _open_client(place))
            _connections[place] = connection
        connection.users += 1
        return connection


def share(connection: Connection) -> Connection:
    """Count one more user of an open connection (a reader made by a writer); returns it."""
    with _connections_lock:
        connection.users += 1
    return connection


def release(connection: Connection) -> None:
    """Give a connection back; the last user closes a server's.

    A local-mode client stays open until the process ends: opening one reads every point of
    its folder into memory (seconds per thousand points), and a command that looks at an
    index and then writes it would otherwise read the folder twice. (In memory, closing would
    also lose the index.)
    """
    with _connections_lock:
        connection.users -= 1
        if connection.users > 0 or not connection.place.is_server:
            return
        _connections.pop(connection.place, None)
    connection.client.close()


def close_unused() -> None:
    """Close the connections no reader or writer uses (local mode then frees its folders for
    other processes; an index only in memory is lost)."""
    with _connections_lock:
        unused = [c for c in _connections.values() if c.users <= 0]
        for connection in unused:
            del _connections[connection.place]
    for connection in unused:
        connection.client.close()


@atexit.register
def _close_all() -> None:
    """Close what is still open at exit: local mode then writes its folder's lock cleanly
    instead of failing in the client's finalizer while Python shuts down."""
    with _connections_lock:
        open_now = list(_connections.values())
        _connections.clear()
    for connection in open_now:
        connection.client.close()


def _open_client(place: QdrantPlace) -> Any:
    from qdrant_client import QdrantClient

    if place.is_server:
        api_key = os.environ.get(settings.ENV_QDRANT_API_KEY) or None
        return QdrantClient(url=place.location, api_key=api_key, timeout=SERVER_TIMEOUT)
    if place.location == MEMORY:
        return QdrantClient(location=MEMORY)
    folder = Path(place.location)
    if (folder / CURRENT_LINK).is_symlink():
        raise IndexStoreError(
            f"{folder} holds an index of the local engine, not a Qdrant one.",
            "Name another folder with --index or --qdrant-url, or leave out --engine qdrant.",
            key="qdrant.local_folder",
            params={"folder": folder},
        )
    try:
        return QdrantClient(path=str(folder))
    except RuntimeError as error:
        if "already accessed" not in str(error):
            raise
        raise IndexStoreError(
            f"The Qdrant folder {folder} is open in another process (the page, or another "
            "semsearch command).",
            "Qdrant's local mode lets one process at a time use a folder: stop the other one "
            "and try again, or run a Qdrant server and pass its URL with --qdrant-url.",
            key="qdrant.busy",
            params={"folder": folder},
        ) from None
