"""Tests of the SQLite schema: its named upgrades run in order, once, and are recorded."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from semsearch.errors import IndexStoreError
from semsearch.storage.local.schema import (
    UPGRADES,
    applied_upgrades,
    open_working_copy,
    upgrade,
)


def tables(db: sqlite3.Connection) -> list[str]:
    return sorted(row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'"))


def test_upgrades_are_named_and_ordered() -> None:
    assert [name for name, _sql in UPGRADES] == ["initial", "sentence_vectors"]


def test_a_new_database_gets_every_upgrade(tmp_path: Path) -> None:
    db = open_working_copy(tmp_path / "meta.sqlite", None, tmp_path)
    assert tables(db) == ["chunks", "documents", "sentence_vectors", "skipped"]
    assert applied_upgrades(db) == len(UPGRADES)
    assert upgrade(db, tmp_path / "meta.sqlite", tmp_path) == []  # nothing left to do


def test_an_unversioned_database_is_taken_from_where_it_is(tmp_path: Path) -> None:
    # As written before schema versions: the initial tables, without sentence_vectors.
    db = sqlite3.connect(tmp_path / "old.sqlite")
    db.executescript(UPGRADES[0][1])
    db.commit()
    assert applied_upgrades(db) == 1
    assert upgrade(db, tmp_path / "old.sqlite", tmp_path) == ["sentence_vectors"]
    assert tables(db) == ["chunks", "documents", "sentence_vectors", "skipped"]
    # As written just before schema versions: every table there, user_version still 0.
    db.execute("PRAGMA user_version = 0")
    assert upgrade(db, tmp_path / "old.sqlite", tmp_path) == ["sentence_vectors"]
    assert applied_upgrades(db) == len(UPGRADES)


def test_the_working_copy_starts_from_the_base(tmp_path: Path) -> None:
    base = sqlite3.connect(tmp_path / "base.sqlite")
    base.executescript(UPGRADES[0][1])
    base.execute("INSERT INTO skipped (path, reason) VALUES ('a.jpg', 'unsupported')")
    base.commit()
    base.close()
    db = open_working_copy(tmp_path / "next.sqlite", tmp_path / "base.sqlite", tmp_path)
    assert db.execute("SELECT path FROM skipped").fetchall() == [("a.jpg",)]
    assert "sentence_vectors" in tables(db)
    # The base itself is untouched.
    base = sqlite3.connect(tmp_path / "base.sqlite")
    assert "sentence_vectors" not in tables(base) and applied_upgrades(base) == 1


def test_a_newer_database_is_refused(tmp_path: Path) -> None:
    db = open_working_copy(tmp_path / "meta.sqlite", None, tmp_path)
    db.execute(f"PRAGMA user_version = {len(UPGRADES) + 1}")
    with pytest.raises(IndexStoreError, match="schema version 3"):
        upgrade(db, tmp_path / "meta.sqlite", tmp_path)
