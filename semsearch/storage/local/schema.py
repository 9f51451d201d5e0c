"""The SQLite schema of ``meta.sqlite`` and its ordered list of named upgrades.

A database records how many upgrades it has been through in ``PRAGMA user_version``. The writer
applies the missing ones, in order, to its working copy, so an index made by an older semsearch
is brought up to date by its next update and the published generation is current. Databases
written before versions were recorded have ``user_version`` 0 but already hold the ``initial``
tables; every later upgrade is written to be harmless where its change is already there
(``IF NOT EXISTS``). A reader needs no upgrade: it never looks at what an older database lacks
(the manifest tells it what is complete).
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from semsearch.errors import IndexStoreError
from semsearch.storage.manifest import damaged, rebuild_hint

_INITIAL = """
CREATE TABLE documents (
    doc_id TEXT PRIMARY KEY,
    path TEXT NOT NULL,
    file_path TEXT,
    file_size INTEGER,
    file_mtime_ns INTEGER,
    title TEXT NOT NULL,
    date TEXT,
    source TEXT,
    author TEXT,
    content_hash TEXT NOT NULL,
    script TEXT NOT NULL,
    chunk_count INTEGER NOT NULL,
    text TEXT NOT NULL,
    removed TEXT NOT NULL
);
CREATE INDEX documents_by_file ON documents(file_path);
CREATE INDEX documents_by_date ON documents(date);
CREATE TABLE chunks (
    chunk_id INTEGER PRIMARY KEY,
    doc_id TEXT NOT NULL,
    idx INTEGER NOT NULL,
    paragraph INTEGER NOT NULL,
    start_char INTEGER NOT NULL,
    end_char INTEGER NOT NULL,
    text TEXT NOT NULL,
    title TEXT NOT NULL,
    embed_key TEXT NOT NULL,
    tokens TEXT NOT NULL
);
CREATE UNIQUE INDEX chunks_by_doc ON chunks(doc_id, idx);
CREATE INDEX chunks_by_embed_key ON chunks(embed_key);
CREATE TABLE skipped (
    path TEXT NOT NULL,
    reason TEXT NOT NULL
);
"""

# Sentence vectors are keyed by the chunk's content key: chunks of equal text share them, and an
# update finds them for unchanged text like the chunk vectors.
_SENTENCE_VECTORS = """
CREATE TABLE IF NOT EXISTS sentence_vectors (
    embed_key TEXT PRIMARY KEY,
    vectors BLOB NOT NULL
);
"""

#: Every change of the schema, oldest first: ``(name, SQL)``. Append, never edit or reorder.
UPGRADES: tuple[tuple[str, str], ...] = (
    ("initial", _INITIAL),
    ("sentence_vectors", _SENTENCE_VECTORS),
)


def applied_upgrades(db: sqlite3.Connection) -> int:
    """How many of :data:`UPGRADES` a database has been through."""
    (version,) = db.execute("PRAGMA user_version").fetchone()
    if version == 0:
        (tables,) = db.execute(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'documents'"
        ).fetchone()
        # Written before upgrades were counted: the initial tables are there, perhaps more.
        return 1 if tables else 0
    return int(version)


def upgrade(db: sqlite3.Connection, path: Path, index_dir: Path) -> list[str]:
    """Apply the upgrades a database has not had yet, in order, and record them.

    Args:
        db: A writable connection.
        path: The database file (for the message).
        index_dir: The index folder (for the hint).

    Returns:
        The names of the upgrades applied.

    Raises:
        IndexStoreError: The database comes from a newer semsearch.
    """
    done = applied_upgrades(db)
    if done > len(UPGRADES):
        raise IndexStoreError(
            f"The index database {path} has schema version {done}; this semsearch knows "
            f"{len(UPGRADES)}.",
            rebuild_hint(index_dir),
        )
    for _name, sql in UPGRADES[done:]:
        db.executescript(sql)
    db.execute(f"PRAGMA user_version = {len(UPGRADES)}")
    return [name for name, _sql in UPGRADES[done:]]


def open_readonly(path: Path, index_dir: Path) -> sqlite3.Connection:
    """Open a published generation's database for reading.

    Raises:
        IndexStoreError: The file is missing or cannot be opened.
    """
    if not path.is_file():
        raise damaged(path, "is missing", index_dir)
    # immutable=1: the generation never changes, so SQLite takes no locks and keeps its file
    # descriptor; the reader survives the writer deleting this generation later.
    uri = path.resolve().as_uri() + "?mode=ro&immutable=1"
    try:
        return sqlite3.connect(uri, uri=True, check_same_thread=False)
    except sqlite3.DatabaseError as error:
        raise damaged(path, f"cannot be opened ({error})", index_dir) from None


def open_working_copy(path: Path, base: Path | None, index_dir: Path) -> sqlite3.Connection:
    """Create the next generation's database: a copy of the base one (or a new one), upgraded.

    Args:
        path: Where the working copy goes (inside the temporary generation folder).
        base: The current generation's database, or None to start empty.
        index_dir: The index folder (for messages).
    """
    if base is not None:
        shutil.copyfile(base, path)
    db = sqlite3.connect(path)
    # The working copy is thrown away if the process dies, so it needs no journal.
    db.execute("PRAGMA journal_mode=OFF")
    db.execute("PRAGMA synchronous=OFF")
    upgrade(db, path, index_dir)
    return db
