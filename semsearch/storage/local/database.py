"""One read-only SQLite database of a published generation, shared by the app's threads.

The catalog and every segment's records are read through :class:`Database`: a query runs under
a lock (the Streamlit app's threads share the connections), and a damaged file is reported as
such, with the file and the rebuild hint, instead of as a SQLite traceback.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from semsearch.errors import IndexStoreError
from semsearch.sqlbatch import select_in
from semsearch.storage.manifest import damaged

#: SQLite's page cache for a segment's records, in KiB (its default is 2,000): at a million
#: chunks the records are 5 GB, and a search reads 150–200 rows by id plus their neighbours; with
#: the B-tree's inner pages kept (about 18 MB there) a row costs one page read from the OS, not
#: four: 1.3 ms of a hybrid query at 1M (CPU, interleaved). Filled only as pages are read.
RECORDS_CACHE_KIB = 32_768


def open_readonly(path: Path, index_dir: Path, cache_kib: int | None = None) -> sqlite3.Connection:
    """Open a published generation's database for reading.

    Args:
        path: The database file.
        index_dir: The index folder (for the hint of errors).
        cache_kib: SQLite's page cache for this connection, in KiB (None: SQLite's default).

    Returns:
        A read-only connection usable from any thread.

    Raises:
        IndexStoreError: The file is missing or cannot be opened.
    """
    if not path.is_file():
        raise damaged(path, "is missing", index_dir)
    # immutable=1: the generation never changes, so SQLite takes no locks and keeps its file
    # descriptor; the reader survives the writer deleting this generation later.
    uri = path.resolve().as_uri() + "?mode=ro&immutable=1"
    try:
        connection = sqlite3.connect(uri, uri=True, check_same_thread=False)
    except sqlite3.DatabaseError as error:
        raise damaged(path, f"cannot be opened ({error})", index_dir) from None
    if cache_kib is not None:
        # Reads the header: a damaged file is left to the first query, which names the damage.
        with contextlib.suppress(sqlite3.DatabaseError):
            connection.execute(f"PRAGMA cache_size = {-int(cache_kib)}")
    return connection


class Database:
    """A read-only connection, its file (for messages) and the lock its queries run under.

    Args:
        connection: The database, opened by :func:`open_readonly`.
        path: Its file.
        index_dir: The index folder (for the hint of errors).
        lock: The lock shared by the connections of one reader.
    """

    def __init__(
        self, connection: sqlite3.Connection, path: Path, index_dir: Path, lock: threading.Lock
    ) -> None:
        self.path = path
        self.index_dir = index_dir
        self._db = connection
        self._lock = lock

    def select(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run a query; a damaged database is reported as such.

        Args:
            sql: The query.
            params: Its parameters.

        Returns:
            Every row.

        Raises:
            IndexStoreError: SQLite cannot read the file.
        """
        return self._guarded(lambda: self._db.execute(sql, params).fetchall())

    def select_in(self, sql: str, values: Sequence[Any]) -> list[tuple[Any, ...]]:
        """Run a query over many values, in batches (see :func:`semsearch.sqlbatch.select_in`).

        Args:
            sql: The query, ``{marks}`` standing for the placeholders of ``values``.
            values: The values.

        Returns:
            Every row of every batch.
        """
        return self._guarded(lambda: select_in(self._db, sql, values))

    def _guarded(self, query: Callable[[], list[tuple[Any, ...]]]) -> list[tuple[Any, ...]]:
        try:
            with self._lock:
                return query()
        except sqlite3.DatabaseError as error:
            raise self.damaged(f"cannot be read ({error})") from None

    def damaged(self, what: str) -> IndexStoreError:
        """The error saying this file is damaged, with the rebuild hint.

        Args:
            what: How it is damaged.

        Returns:
            The error to raise.
        """
        return damaged(self.path, what, self.index_dir)

    def close(self) -> None:
        """Close the connection (the database is unusable afterwards)."""
        with self._lock:
            self._db.close()
