"""Tests of the SQLite schemas: the catalog's named upgrades run in order, once, and are
recorded; segment records are of a known layout."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from semsearch.errors import IndexStoreError
from semsearch.storage.local.schema import (
    RECORDS_VERSION,
    UPGRADES,
    applied_upgrades,
    check_records_version,
    new_records,
    open_working_copy,
    upgrade,
)


def tables(db: sqlite3.Connection) -> list[str]:
    return sorted(row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'"))


def test_upgrades_are_named_and_ordered() -> None:
    assert [name for name, _sql in UPGRADES] == [
        "initial",
        "sentence_vectors",
        "segments",
        "reprints",
        "unsigned_documents",
        "reprint_bands",
        "catalog_levels",
    ]


def columns(db: sqlite3.Connection, table: str) -> list[str]:
    return [row[1] for row in db.execute(f"PRAGMA table_info({table})")]


def test_a_new_database_gets_every_upgrade(tmp_path: Path) -> None:
    db = open_working_copy(tmp_path / "meta.sqlite", None, tmp_path)
    assert tables(db) == ["base_removed", "base_totals", "documents", "moved_segments", "skipped"]
    assert "text" not in columns(db, "documents")
    assert columns(db, "documents")[-4:] == [
        "first_chunk_id",
        "segment",
        "signature",
        "reprint_group",
    ]
    assert applied_upgrades(db) == len(UPGRADES)
    assert upgrade(db, tmp_path / "meta.sqlite", tmp_path) == []  # nothing left to do


def test_an_unversioned_database_is_taken_from_where_it_is(tmp_path: Path) -> None:
    # As written before schema versions: the initial tables, without sentence_vectors.
    db = sqlite3.connect(tmp_path / "old.sqlite")
    db.executescript(UPGRADES[0][1])
    db.commit()
    assert applied_upgrades(db) == 1
    db.execute(
        "INSERT INTO documents VALUES ('a', 'a.txt', NULL, NULL, NULL, 'T', NULL, NULL, NULL, "
        "'h', 'simplified', 2, 'text', '[]')"
    )
    db.executemany(
        "INSERT INTO chunks VALUES (?, 'a', ?, ?, 0, 1, 'x', 'T', 'k', '[]')",
        [(7, 0, 0), (8, 1, 1)],
    )
    assert upgrade(db, tmp_path / "old.sqlite", tmp_path) == [
        "sentence_vectors",
        "segments",
        "reprints",
        "unsigned_documents",
        "reprint_bands",
        "catalog_levels",
    ]
    assert tables(db) == ["base_removed", "base_totals", "documents", "moved_segments", "skipped"]
    # A document keeps the range of its chunk ids; the segment is the writer's to set.
    assert db.execute("SELECT first_chunk_id, chunk_count, segment FROM documents").fetchall() == [
        (7, 2, None)
    ]
    assert applied_upgrades(db) == len(UPGRADES)


def test_a_database_of_every_table_but_no_version_is_taken_from_where_it_is(
    tmp_path: Path,
) -> None:
    # As written just before schema versions: every table there, user_version still 0.
    db = sqlite3.connect(tmp_path / "old.sqlite")
    db.executescript(UPGRADES[0][1] + UPGRADES[1][1])
    assert upgrade(db, tmp_path / "old.sqlite", tmp_path) == [
        "sentence_vectors",
        "segments",
        "reprints",
        "unsigned_documents",
        "reprint_bands",
        "catalog_levels",
    ]
    assert applied_upgrades(db) == len(UPGRADES)


def test_the_working_copy_starts_from_the_base(tmp_path: Path) -> None:
    base = sqlite3.connect(tmp_path / "base.sqlite")
    base.executescript(UPGRADES[0][1])
    base.execute("INSERT INTO skipped (path, reason) VALUES ('a.jpg', 'unsupported')")
    base.commit()
    base.close()
    db = open_working_copy(tmp_path / "next.sqlite", tmp_path / "base.sqlite", tmp_path)
    assert db.execute("SELECT path FROM skipped").fetchall() == [("a.jpg",)]
    assert "segment" in columns(db, "documents")
    # The base itself is untouched.
    base = sqlite3.connect(tmp_path / "base.sqlite")
    assert "sentence_vectors" not in tables(base) and applied_upgrades(base) == 1


def test_a_newer_database_is_refused(tmp_path: Path) -> None:
    db = open_working_copy(tmp_path / "meta.sqlite", None, tmp_path)
    db.execute(f"PRAGMA user_version = {len(UPGRADES) + 1}")
    with pytest.raises(IndexStoreError, match=f"schema version {len(UPGRADES) + 1}"):
        upgrade(db, tmp_path / "meta.sqlite", tmp_path)


def test_segment_records_of_an_unknown_layout_are_refused(tmp_path: Path) -> None:
    db = new_records(tmp_path / "records.sqlite")
    assert tables(db) == ["chunks", "documents", "sentence_vectors"]
    check_records_version(db, tmp_path / "records.sqlite", tmp_path)
    db.execute(f"PRAGMA user_version = {RECORDS_VERSION + 1}")
    with pytest.raises(IndexStoreError, match="records version"):
        check_records_version(db, tmp_path / "records.sqlite", tmp_path)
