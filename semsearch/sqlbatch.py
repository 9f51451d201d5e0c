"""Looking rows up by many keys in SQLite, in batches of bound parameters.

SQLite limits the number of ``?`` parameters in one statement (999 in older builds), so a
lookup of thousands of ids is split; 500 per statement stays below every build's limit.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
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
