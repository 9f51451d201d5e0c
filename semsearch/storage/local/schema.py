"""The SQLite schemas: the catalog ``meta.sqlite`` with its ordered list of named upgrades, and a
segment's ``records.sqlite``.

A catalog records how many upgrades it has been through in ``PRAGMA user_version``. The writer
applies the missing ones, in order, to its working copy, so an index made by an older semsearch
is brought up to date by its next update and the published generation is current. Databases
written before versions were recorded have ``user_version`` 0 but already hold the ``initial``
tables; ``sentence_vectors`` is written to be harmless where its change is already there
(``IF NOT EXISTS``). A reader needs no upgrade: the manifest's format says which layout it reads.

The ``segments`` upgrade turned the one database of a generation into a small catalog (documents
without their text, skipped files) and segments: every chunk row, document text and sentence
vector moves to the segment the writer makes of the old generation (it copies them from the old
database before the catalog loses them). Segment records are written once and never upgraded;
``RECORDS_VERSION`` tells a reader whether it knows their layout.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from semsearch.errors import IndexStoreError
from semsearch.storage.data import BAND_BYTES, SIGNATURE_BANDS
from semsearch.storage.manifest import damaged, rebuild_hint

# A chunk's row; before segments it also held its keyword tokens (a JSON list, ``tokens``).
_CHUNK_COLUMNS = """
    chunk_id INTEGER PRIMARY KEY,
    doc_id TEXT NOT NULL,
    idx INTEGER NOT NULL,
    paragraph INTEGER NOT NULL,
    start_char INTEGER NOT NULL,
    end_char INTEGER NOT NULL,
    text TEXT NOT NULL,
    title TEXT NOT NULL,
    embed_key TEXT NOT NULL"""
_CHUNK_INDEXES = """
CREATE UNIQUE INDEX chunks_by_doc ON chunks(doc_id, idx);
CREATE INDEX chunks_by_embed_key ON chunks(embed_key);
"""

_INITIAL = f"""
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
CREATE TABLE chunks ({_CHUNK_COLUMNS},
    tokens TEXT NOT NULL
);{_CHUNK_INDEXES}CREATE TABLE skipped (
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

# The records of chunks move to the segments; a document keeps the range of its chunk ids (ids
# given to a document are consecutive) and the name of the segment that holds its text.
_SEGMENTS = """
ALTER TABLE documents ADD COLUMN first_chunk_id INTEGER;
ALTER TABLE documents ADD COLUMN segment TEXT;
UPDATE documents SET first_chunk_id =
    (SELECT min(chunk_id) FROM chunks WHERE chunks.doc_id = documents.doc_id);
DROP TABLE chunks;
DROP TABLE IF EXISTS sentence_vectors;
ALTER TABLE documents DROP COLUMN text;
ALTER TABLE documents DROP COLUMN removed;
CREATE INDEX documents_by_segment ON documents(segment);
"""


#: Bytes of each band that its index holds: the band's first MinHash value. As selective as the
#: whole band on the 100k bench catalog (672 rows for a document's 32 bands, the same as whole
#: bands) and half the size: the indexes add 8.5 MB at 22,783 documents instead of 18 MB.
INDEXED_BAND_BYTES = 4


def band_expression(band: int) -> str:
    """The SQL of the indexed start of one band of a document's signature (as its index is made,
    so that a query with it uses the index).

    Args:
        band: The band, from 0.

    Returns:
        A ``substr`` of the signature column.
    """
    return f"substr(signature, {band * BAND_BYTES + 1}, {INDEXED_BAND_BYTES})"


# Reprint detection (:mod:`semsearch.indexing.reprints`): a document's MinHash signature (NULL
# until signed, so the next update of an older index signs it) and its reprint group.
_REPRINTS = """
ALTER TABLE documents ADD COLUMN signature BLOB;
ALTER TABLE documents ADD COLUMN reprint_group TEXT;
CREATE INDEX documents_by_reprint_group ON documents(reprint_group);
"""

# The documents an update must sign (normally none): found without reading every row.
_UNSIGNED = """
CREATE INDEX documents_unsigned ON documents(doc_id) WHERE signature IS NULL;
"""

# The documents sharing an LSH band with a new one, found by these indexes (one per band of the
# signature, :data:`~semsearch.storage.data.SIGNATURE_BANDS`) instead of by reading every
# signature: about 1 ms against 0.23 s at 22,783 documents; the catalog grows by 8.5 MB there.
_REPRINT_BANDS = "".join(
    f"CREATE INDEX documents_by_band_{band} ON documents({band_expression(band)});\n"
    for band in range(SIGNATURE_BANDS)
)

# The catalog in two levels (:mod:`semsearch.storage.local.catalog_levels`): the delta lists the
# base's documents it removed or replaced and the base's segments merged into others (both
# empty in a base, and in a catalog without one); a base records its totals, so counting the
# catalog reads the delta, not every row.
_CATALOG_LEVELS = """
CREATE TABLE IF NOT EXISTS base_removed (doc_id TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS base_totals (documents INTEGER NOT NULL, chunks INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS moved_segments (old TEXT PRIMARY KEY, new TEXT NOT NULL);
"""

#: Every change of the catalog's schema, oldest first: ``(name, SQL)``. Append, never edit or
#: reorder.
UPGRADES: tuple[tuple[str, str], ...] = (
    ("initial", _INITIAL),
    ("sentence_vectors", _SENTENCE_VECTORS),
    ("segments", _SEGMENTS),
    ("reprints", _REPRINTS),
    ("unsigned_documents", _UNSIGNED),
    ("reprint_bands", _REPRINT_BANDS),
    ("catalog_levels", _CATALOG_LEVELS),
)

#: A segment's ``records.sqlite``: its chunks, the texts of the documents whose chunks it holds
#: (a table named ``documents`` with the columns of the same name in a format-1 database, so one
#: query reads both), and the sentence vectors of its chunk texts.
RECORDS_SCHEMA = f"""
CREATE TABLE chunks ({_CHUNK_COLUMNS}
);{_CHUNK_INDEXES}
CREATE TABLE documents (
    doc_id TEXT PRIMARY KEY,
    text TEXT NOT NULL,
    removed TEXT NOT NULL
);
{_SENTENCE_VECTORS}"""
#: The layout of segment records (``PRAGMA user_version`` of ``records.sqlite``).
RECORDS_VERSION = 1


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
            key="index.schema_version",
            params={"path": path, "version": done, "known": len(UPGRADES), "index": index_dir},
        )
    for _name, sql in UPGRADES[done:]:
        db.executescript(sql)
    db.execute(f"PRAGMA user_version = {len(UPGRADES)}")
    return [name for name, _sql in UPGRADES[done:]]


def open_working_copy(path: Path, base: Path | None, index_dir: Path) -> sqlite3.Connection:
    """Create the next generation's catalog: a copy of the base one (or a new one), upgraded.

    Args:
        path: Where the working copy goes (inside the temporary generation folder).
        base: The current generation's catalog (or format-1 database), or None to start empty.
        index_dir: The index folder (for messages).
    """
    if base is not None:
        shutil.copyfile(base, path)
    db = scratch_database(path)
    upgrade(db, path, index_dir)
    return db


def new_records(path: Path) -> sqlite3.Connection:
    """Create a new segment's ``records.sqlite``, empty, of the current layout.

    Args:
        path: Where it goes (inside the temporary generation).

    Returns:
        A writable connection without a journal (a crash throws the folder away).
    """
    db = scratch_database(path)
    db.executescript(RECORDS_SCHEMA)
    db.execute(f"PRAGMA user_version = {RECORDS_VERSION}")
    return db


def scratch_database(path: Path) -> sqlite3.Connection:
    """Open (or create) a database of a temporary generation for writing.

    Args:
        path: The file.

    Returns:
        A connection without a journal, opened by URI (so it can attach a base read-only).
    """
    db = sqlite3.connect(path.resolve().as_uri(), uri=True)
    # A database being written is thrown away if the process dies, so it needs no journal.
    db.execute("PRAGMA journal_mode=OFF")
    db.execute("PRAGMA synchronous=OFF")
    return db


def check_records_version(db: sqlite3.Connection, path: Path, index_dir: Path) -> None:
    """Refuse segment records of a layout this semsearch does not know.

    Args:
        db: The records database.
        path: Its file (for the message).
        index_dir: The index folder (for the hint).

    Raises:
        IndexStoreError: A newer layout, or not a records database at all.
    """
    try:
        (version,) = db.execute("PRAGMA user_version").fetchone()
    except sqlite3.DatabaseError as error:
        raise damaged(path, f"is not a valid index database ({error})", index_dir) from None
    if version != RECORDS_VERSION:
        raise IndexStoreError(
            f"The index database {path} has records version {version}; this semsearch knows "
            f"{RECORDS_VERSION}.",
            rebuild_hint(index_dir),
            key="index.records_version",
            params={"path": path, "version": version, "known": RECORDS_VERSION, "index": index_dir},
        )
