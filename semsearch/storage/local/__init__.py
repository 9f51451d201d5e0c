"""The local engine: generations of FAISS vectors, a SQLite database, BM25 files and a manifest.

One index is a folder of immutable generations (:mod:`.generations`), each a small catalog and
segments of chunks written once (:mod:`.segments`); a reader (:class:`.reader.LocalIndex`,
opened by :mod:`.opening`) loads one whole, the one writer (:class:`.writer.LocalWriter`)
prepares the next, writing only a new segment and tombstones, and swaps it in.
docs/index-format.md describes the files.
"""

from __future__ import annotations

from semsearch.storage.local.opening import open_local_index
from semsearch.storage.local.reader import LocalIndex
from semsearch.storage.local.writer import LocalWriter, open_local_writer

__all__ = ["LocalIndex", "LocalWriter", "open_local_index", "open_local_writer"]
