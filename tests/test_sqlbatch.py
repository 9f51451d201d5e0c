"""Tests of the shared SQLite helpers: batched lookups and lookup files."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from semsearch.sqlbatch import open_lookup_file, select_in


def _fill(db: sqlite3.Connection) -> None:
    db.execute("CREATE TABLE words (word TEXT PRIMARY KEY, n INTEGER)")
    db.executemany("INSERT INTO words VALUES (?, ?)", [(f"w{i}", i) for i in range(1200)])


def test_a_lookup_file_is_made_once_and_opened_read_only(tmp_path: Path) -> None:
    calls: list[int] = []

    def fill(db: sqlite3.Connection) -> None:
        calls.append(1)
        _fill(db)

    path = tmp_path / "cache" / "words.sqlite"
    db = open_lookup_file(path, fill)
    rows = select_in(db, "SELECT word, n FROM words WHERE word IN ({marks})", ["w3", "w1100", "x"])
    assert sorted(rows) == [("w1100", 1100), ("w3", 3)]
    with pytest.raises(sqlite3.OperationalError):
        db.execute("INSERT INTO words VALUES ('y', 1)")
    open_lookup_file(path, fill).close()
    db.close()
    assert calls == [1] and [p.name for p in path.parent.iterdir()] == ["words.sqlite"]
