"""Indexing: files → documents → chunks → vectors and tokens → a new version of the index.

:func:`build`, :func:`update` and :func:`build_from_chunks` (:mod:`.indexer`) are what the CLI,
the app and the evaluation call; they report what they did in an :class:`IndexReport`.
"""

from __future__ import annotations

from semsearch.indexing.indexer import build, build_from_chunks, update
from semsearch.indexing.report import IndexReport

__all__ = ["IndexReport", "build", "build_from_chunks", "update"]
