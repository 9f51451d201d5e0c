"""Looking rows up by many keys in SQLite, in batches of bound parameters; lookup files.

SQLite limits the number of ``?`` parameters in one statement (999 in older builds), so a
lookup of thousands of ids is split; 500 per statement stays below every build's limit.

A lookup file is a table made once from something slow to load whole (jieba's dictionary, a
tokenizer's vocabulary) so that a short text looks up only its own entries
(:func:`open_lookup_file`).
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

#: Parameters per statement.
BATCH = 500


def select_in(
    connection: sqlite3.Connection, sql: str, values: Sequence[Any], batch: int = BATCH
) -> list[tuple[Any, ...]]:
    """Run ``sql`` for all ``values``, ``{marks}`` in it standing for one batch's placeholders.

    Args:
        connection: An open connection.
        sql: A statement with ``IN ({marks})``, e.g. ``SELECT a FROM t WHERE k IN ({marks})``.
        values: The keys (any number; duplicates are the caller's business).
        batch: Keys per statement.

    Returns:
        The rows of every batch, in batch order.
    """
    rows: list[tuple[Any, ...]] = []
    for offset in range(0, len(values), batch):
        part = list(values[offset : offset + batch])
        rows += connection.execute(sql.format(marks=",".join("?" * len(part))), part).fetchall()
    return rows


def open_lookup_file(path: Path, fill: Callable[[sqlite3.Connection], None]) -> sqlite3.Connection:
    """Open a lookup file read-only, making it first with ``fill`` if it is missing.

    The file is written under a scratch name and moved into place, so a reader never sees it
    half made (another process may make the same file: the last one wins, both are whole). A
    folder that cannot be written sends the file to the system's temporary folder.

    Args:
        path: Where the file is kept.
        fill: Creates and fills the tables, given a connection to the new file.

    Returns:
        A read-only connection usable from any thread (callers serialize their use).
    """
    if not path.is_file():
        try:
            _make(path, fill)
        except OSError:  # a read-only cache folder
            path = Path(tempfile.gettempdir()) / path.name
            if not path.is_file():
                _make(path, fill)
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False)


def _make(path: Path, fill: Callable[[sqlite3.Connection], None]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    scratch.unlink(missing_ok=True)
    with sqlite3.connect(scratch) as db:
        fill(db)
    db.close()
    os.replace(scratch, path)
