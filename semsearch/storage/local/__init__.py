"""The local engine: generations of FAISS vectors, a SQLite database, BM25 files and a manifest.

One index is a folder of immutable generations (:mod:`.generations`); a reader
(:class:`.reader.LocalIndex`) loads one whole, the one writer (:class:`.writer.LocalWriter`)
prepares the next and swaps it in. docs/index-format.md describes the files.
"""

from __future__ import annotations

from semsearch.storage.local.reader import LocalIndex, open_local_index
from semsearch.storage.local.writer import LocalWriter, open_local_writer

__all__ = ["LocalIndex", "LocalWriter", "open_local_index", "open_local_writer"]
