"""The catalog in two levels: an immutable base and a small delta per generation (format 3).

Every write used to copy the whole catalog into the next generation, change a few rows, fsync
and checksum it: 35 MB at 100k chunks, the part of a one-article update that grew with the index.
Like the keyword segments, the catalog is now an LSM tree with one level:

- ``base.sqlite`` holds every document row as of its last compaction. It is never changed:
  the next generation hard-links it (its CRC-32 is kept from the manifest, and verified once).
- ``meta.sqlite``, the delta, holds the rows added or changed since, the ids of the base rows
  removed or replaced (``base_removed``) and the skipped files. Both files have the catalog's
  schema (:mod:`semsearch.storage.local.schema`), indexes included.

A reader attaches the base to the delta and defines a TEMP view named ``documents`` (base rows
not removed, then the delta's), which hides the delta's own table of that name, so every query
of the catalog reads both levels unchanged. SQLite pushes a query's conditions into both arms
of the view, so lookups by id, file, date, segment, reprint group and band stay index lookups
(``tests/storage/test_catalog_levels.py`` checks the plans). A writer copies the delta, attaches
the base read-only and writes only to the delta: a base row it changes is first copied into the
delta and listed as removed (:func:`take_over`).

**Compaction**: when the delta holds more changes (rows plus removed ids) than
``max(COMPACT_MIN_ROWS, base rows / COMPACT_FRACTION)``, the writer writes a new base (a copy of
the old one with the delta applied, what every write cost before) and starts an empty delta. A
catalog without a base (an index written before format 3, or one smaller than
``COMPACT_MIN_ROWS`` documents) is a delta holding every row; its first compaction turns it
into the base by renaming it.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from semsearch.storage.local.schema import applied_upgrades, scratch_database, upgrade

#: The name a base is attached under.
BASE_SCHEMA = "base"
#: A delta is compacted into a new base when its changes exceed the larger of these many rows
#: and the base's rows divided by :data:`COMPACT_FRACTION`: at 22,783 documents (100k chunks)
#: after about 2,850 changed rows, so a compaction (0.1-0.2 s there) is amortized over 140
#: one-article updates, and the delta a write copies stays under 4.5 MB.
COMPACT_MIN_ROWS = 256
COMPACT_FRACTION = 8

# A base row's segment as the delta says it is now: merges move whole segments, so the delta
# records each move once (``moved_segments``) instead of copying every moved row.
_BASE_SEGMENT = (
    "coalesce((SELECT m.new FROM main.moved_segments m WHERE m.old = b.segment), b.segment)"
)


def attach_base(db: sqlite3.Connection, path: Path) -> None:
    """Attach a base (read-only) to a delta and show both as ``documents``: the base rows the
    delta did not remove or replace (in their segments after the delta's moves), then the
    delta's.

    Args:
        db: The delta's connection (opened by URI).
        path: The base file.
    """
    uri = path.resolve().as_uri() + "?mode=ro&immutable=1"
    db.execute(f"ATTACH DATABASE ? AS {BASE_SCHEMA}", (uri,))
    db.execute(
        f"CREATE TEMP VIEW documents AS SELECT {_base_row(db)} FROM {BASE_SCHEMA}.documents b "
        "WHERE b.doc_id NOT IN (SELECT doc_id FROM main.base_removed) "
        "UNION ALL SELECT * FROM main.documents"
    )


def _base_row(db: sqlite3.Connection) -> str:
    """The SQL selecting a base row (alias ``b``) as it is now: its segment after the moves."""
    return ", ".join(
        f"{_BASE_SEGMENT} AS segment" if name == "segment" else f"b.{name}" for name in columns(db)
    )


def segment_condition(name: str, column: str = "segment") -> tuple[str, tuple[str, ...]]:
    """The SQL condition selecting the rows stored with a segment, and its parameters: a lookup
    of the ``segment`` index (a format-1 generation's one segment, "", has NULL there).

    Args:
        name: The segment.
        column: The column (qualified if need be).

    Returns:
        ``(condition, parameters)``.
    """
    if name:
        return f"{column} = ?", (name,)
    return f"({column} IS NULL OR {column} = '')", ()


def documents_in(db: sqlite3.Connection, name: str, has_base: bool) -> list[str]:
    """The documents a segment holds, in both levels, found by the ``segment`` indexes.

    Args:
        db: The delta's connection (its base attached when ``has_base``).
        name: The segment.
        has_base: Whether there is a base.

    Returns:
        Their ids.
    """
    condition, params = segment_condition(name)
    found = [
        row[0] for row in db.execute(f"SELECT doc_id FROM main.documents WHERE {condition}", params)
    ]
    if not has_base:
        return found
    live = "doc_id NOT IN (SELECT doc_id FROM main.base_removed)"
    stored = [
        old for (old,) in db.execute("SELECT old FROM main.moved_segments WHERE new = ?", (name,))
    ]
    moved_away = db.execute("SELECT 1 FROM main.moved_segments WHERE old = ?", (name,)).fetchone()
    if moved_away is None:
        stored.append(name)
    for old in stored:
        condition, params = segment_condition(old)
        rows = db.execute(
            f"SELECT doc_id FROM {BASE_SCHEMA}.documents WHERE {condition} AND {live}", params
        )
        found += [row[0] for row in rows]
    return found


def move_segment(db: sqlite3.Connection, name: str, to: str, has_base: bool) -> None:
    """Record that a segment's documents are now held by another (a merge): the delta's rows are
    changed, the base's by one row of ``moved_segments``.

    Args:
        db: The delta's connection (its base attached when ``has_base``).
        name: The merged segment.
        to: The segment holding its documents now.
        has_base: Whether there is a base.
    """
    condition, params = segment_condition(name)
    db.execute(f"UPDATE main.documents SET segment = ? WHERE {condition}", (to, *params))
    if has_base:
        db.execute("UPDATE main.moved_segments SET new = ? WHERE new = ?", (to, name))
        db.execute("INSERT OR IGNORE INTO main.moved_segments (old, new) VALUES (?, ?)", (name, to))


def detach_base(db: sqlite3.Connection) -> None:
    """Undo :func:`attach_base` (before the base is replaced).

    Args:
        db: The delta's connection.
    """
    db.execute("DROP VIEW IF EXISTS temp.documents")
    db.execute(f"DETACH DATABASE {BASE_SCHEMA}")


def columns(db: sqlite3.Connection, schema: str = "main") -> list[str]:
    """The columns of one level's ``documents`` table, in order.

    Args:
        db: A connection.
        schema: The level (``main`` or :data:`BASE_SCHEMA`).

    Returns:
        Their names.
    """
    return [row[1] for row in db.execute(f"PRAGMA {schema}.table_info(documents)")]


def base_is_current(db: sqlite3.Connection) -> bool:
    """Whether an attached base has the delta's schema (else it must be compacted first).

    Args:
        db: The delta's connection, its base attached and the delta upgraded.

    Returns:
        True when both levels went through the same upgrades.
    """
    (version,) = db.execute(f"PRAGMA {BASE_SCHEMA}.user_version").fetchone()
    return applied_upgrades(db) == version and columns(db) == columns(db, BASE_SCHEMA)


def take_over(db: sqlite3.Connection, condition: str, params: tuple[object, ...]) -> None:
    """Copy the base rows matching a condition into the delta and list them as removed there, so
    the delta's rows can be changed (the base never is).

    Args:
        db: The delta's connection, its base attached.
        condition: SQL over the ``documents`` columns (of the stored row: not ``segment``).
        params: Its parameters.
    """
    db.execute(
        f"INSERT INTO main.documents SELECT {_base_row(db)} FROM {BASE_SCHEMA}.documents b "
        f"WHERE ({condition}) AND b.doc_id NOT IN (SELECT doc_id FROM main.base_removed)",
        params,
    )
    db.execute(
        "INSERT OR IGNORE INTO main.base_removed (doc_id) "
        f"SELECT doc_id FROM {BASE_SCHEMA}.documents WHERE {condition}",
        params,
    )


def is_due(db: sqlite3.Connection, has_base: bool) -> bool:
    """Whether the delta has grown enough to be compacted into a new base.

    Args:
        db: The delta's connection (its base attached when ``has_base``).
        has_base: Whether there is a base.

    Returns:
        True when its changes exceed the policy's bound (see the module's docstring).
    """
    (changes,) = db.execute(
        "SELECT (SELECT count(*) FROM main.documents) + (SELECT count(*) FROM main.base_removed)"
    ).fetchone()
    base_rows = _base_totals(db)[0] if has_base else 0
    return int(changes) > max(COMPACT_MIN_ROWS, base_rows // COMPACT_FRACTION)


def _base_totals(db: sqlite3.Connection) -> tuple[int, int]:
    """The attached base's ``(documents, chunks)``, as recorded when it was written."""
    row = db.execute(f"SELECT documents, chunks FROM {BASE_SCHEMA}.base_totals").fetchone()
    if row is None:
        raise sqlite3.DatabaseError("the base has no totals")
    return int(row[0]), int(row[1])


def counts(db: sqlite3.Connection, has_base: bool) -> tuple[int, int]:
    """How many documents and chunks both levels hold, reading the delta and the base rows it
    removed (by id), not every row: the base's totals are recorded in it.

    Args:
        db: The delta's connection (its base attached when ``has_base``).
        has_base: Whether there is a base.

    Returns:
        ``(documents, chunks)``.

    Raises:
        sqlite3.DatabaseError: A level cannot be read.
    """
    documents, chunks = db.execute(
        "SELECT count(*), coalesce(sum(chunk_count), 0) FROM main.documents"
    ).fetchone()
    if not has_base:
        return int(documents), int(chunks)
    base_documents, base_chunks = _base_totals(db)
    removed_documents, removed_chunks = db.execute(
        f"SELECT count(*), coalesce(sum(b.chunk_count), 0) FROM main.base_removed r "
        f"JOIN {BASE_SCHEMA}.documents b ON b.doc_id = r.doc_id"
    ).fetchone()
    return (
        base_documents - int(removed_documents) + int(documents),
        base_chunks - int(removed_chunks) + int(chunks),
    )


def write_base(delta: Path, old_base: Path | None, target: Path, index_dir: Path) -> None:
    """Write a new base: the old one with a delta applied (or the delta itself, without one).

    Args:
        delta: The delta, committed and closed (emptied afterwards by :func:`empty_delta`).
        old_base: The current base, or None.
        target: The new base's file (in the temporary generation folder).
        index_dir: The index folder (for messages).
    """
    if old_base is None:
        shutil.copyfile(delta, target)
        db = scratch_database(target)
    else:
        partial = target.with_name(target.name + ".new")
        shutil.copyfile(old_base, partial)
        db = scratch_database(partial)
        upgrade(db, partial, index_dir)
        names = ", ".join(columns(db))
        db.execute("ATTACH DATABASE ? AS delta", (delta.resolve().as_uri() + "?mode=ro",))
        db.execute(
            "UPDATE main.documents SET segment = (SELECT new FROM delta.moved_segments "
            "WHERE old = main.documents.segment) "
            "WHERE segment IN (SELECT old FROM delta.moved_segments)"
        )
        db.execute(
            "DELETE FROM main.documents WHERE doc_id IN (SELECT doc_id FROM delta.base_removed)"
        )
        db.execute(f"INSERT INTO main.documents ({names}) SELECT {names} FROM delta.documents")
        db.commit()
        db.execute("DETACH DATABASE delta")
    # A base lists no skipped files and removes nothing: those are the delta's.
    db.execute("DELETE FROM skipped")
    db.execute("DELETE FROM base_removed")
    db.execute("DELETE FROM moved_segments")
    db.execute("DELETE FROM base_totals")
    db.execute(
        "INSERT INTO base_totals SELECT count(*), coalesce(sum(chunk_count), 0) FROM documents"
    )
    db.commit()
    vacuum_if_sparse(db)
    db.close()
    if old_base is not None:
        partial.replace(target)


def empty_delta(db: sqlite3.Connection) -> None:
    """Remove a delta's rows once a new base holds them (its skipped files stay).

    Args:
        db: The delta's connection, no base attached.
    """
    db.execute("DELETE FROM main.documents")
    db.execute("DELETE FROM main.base_removed")
    db.execute("DELETE FROM main.moved_segments")
    db.commit()
    vacuum_if_sparse(db)


def vacuum_if_sparse(db: sqlite3.Connection) -> None:
    """Compact a database if deletions left much free space (before it is copied again).

    Args:
        db: A committed connection.
    """
    free_pages = db.execute("PRAGMA freelist_count").fetchone()[0]
    all_pages = db.execute("PRAGMA page_count").fetchone()[0]
    if free_pages > max(64, all_pages // 4):
        db.execute("VACUUM")
