"""The reprint columns of the catalog: each document's MinHash signature and reprint group.

The ``reprints`` upgrade of :mod:`semsearch.storage.local.schema` adds them; a generation
published before it has neither, so reads here work on both (an old generation's documents are
unsigned and ungrouped until the next update signs them, :mod:`semsearch.indexing.reprints`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from typing import Any

from semsearch.sqlbatch import select_in
from semsearch.storage.data import (
    BAND_BYTES,
    SIGNATURE_BANDS,
    ReprintSelection,
    ReprintState,
    signature_bands,
)
from semsearch.storage.local.schema import INDEXED_BAND_BYTES, band_expression

#: The catalog column holding a document's reprint group.
GROUP_COLUMN = "reprint_group"


def has_reprint_columns(db: sqlite3.Connection) -> bool:
    """Whether a catalog has the reprint columns (made after the ``reprints`` upgrade).

    Args:
        db: A catalog (or format-1 database).

    Returns:
        True when its documents table has a group column.
    """
    columns = {row[1] for row in db.execute("PRAGMA table_info(documents)")}
    return GROUP_COLUMN in columns


def group_column(db: sqlite3.Connection) -> str:
    """The SQL selecting a document's group: the column, or NULL before the upgrade.

    Args:
        db: A catalog.

    Returns:
        A column name or ``NULL``.
    """
    return GROUP_COLUMN if has_reprint_columns(db) else "NULL"


def read_reprint_states(
    db: sqlite3.Connection, select: ReprintSelection | None = None
) -> dict[str, ReprintState]:
    """Every document's signature and group, or those of the documents a selection selects.

    Args:
        db: A catalog.
        select: Only these documents (None: every one); ids are found by the primary key and
            groups by their index, so a selection reads only its rows.

    Returns:
        The state of each document by doc id (unsigned and ungrouped before the upgrade).
    """
    columns = (
        f"doc_id, signature, {GROUP_COLUMN}" if has_reprint_columns(db) else "doc_id, NULL, NULL"
    )
    sql = f"SELECT {columns} FROM documents"
    if select is None:
        rows = db.execute(sql).fetchall()
    elif not has_reprint_columns(db):
        # Before the upgrade every document is unsigned and ungrouped.
        every = db.execute(sql).fetchall() if select.unsigned else []
        rows = every + select_in(db, sql + " WHERE doc_id IN ({marks})", list(select.doc_ids))
    else:
        rows = select_in(db, sql + " WHERE doc_id IN ({marks})", list(select.doc_ids))
        rows += select_in(db, sql + f" WHERE {GROUP_COLUMN} IN ({{marks}})", list(select.groups))
        if select.unsigned:
            rows += db.execute(sql + " WHERE signature IS NULL").fetchall()
        rows += _sharing_a_band(db, sql, select.sharing_a_band)
    return {
        doc_id: ReprintState(None if signature is None else bytes(signature), group)
        for doc_id, signature, group in rows
    }


def _sharing_a_band(
    db: sqlite3.Connection, sql: str, signatures: tuple[bytes, ...]
) -> list[tuple[Any, ...]]:
    """The rows of the documents sharing a whole band with one of ``signatures``: one indexed
    lookup per band (``schema.band_expression``, the band's start), then the whole band
    compared."""
    rows: list[tuple[Any, ...]] = []
    bands = [signature_bands(signature) for signature in signatures]
    for band in range(SIGNATURE_BANDS):
        wanted = {of[band] for of in bands if of}
        starts = list({value[:INDEXED_BAND_BYTES] for value in wanted})
        where = f" WHERE {band_expression(band)} IN ({{marks}})"
        rows += [
            row
            for row in select_in(db, sql + where, starts)
            if bytes(row[1])[band * BAND_BYTES : (band + 1) * BAND_BYTES] in wanted
        ]
    return rows


def write_reprint_states(db: sqlite3.Connection, states: Mapping[str, ReprintState]) -> None:
    """Record documents' signatures and groups in a catalog being written.

    Args:
        db: The working copy (upgraded, so it has the columns), its rows of ``states`` taken
            over from the base (the delta's own table is written).
        states: The new state of each document to change.
    """
    db.executemany(
        f"UPDATE main.documents SET signature = ?, {GROUP_COLUMN} = ? WHERE doc_id = ?",
        [(state.signature, state.group, doc_id) for doc_id, state in states.items()],
    )
