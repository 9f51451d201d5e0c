"""The service both front ends call: open the live index, describe it, index, upload, read.

:class:`Service` (:mod:`.facade`) holds every rule the CLI and the page share; they keep only
argument parsing and rendering. It hands out plain data: :class:`LiveIndex` (:mod:`.live`, the
version open for searching), :class:`IndexInfo` and :class:`Inspection` (:mod:`.reports`),
:class:`UploadOutcome` (:mod:`.uploading`), :class:`Neighbourhood` and :class:`Article`
(:mod:`.context`). Importing it loads no model, index or heavy library.
"""

from __future__ import annotations

from semsearch.service.context import Article, Neighbourhood, paragraph_window
from semsearch.service.facade import EmbedderLoader, Service, load_model
from semsearch.service.live import LiveIndex
from semsearch.service.reports import IndexInfo, Inspection
from semsearch.service.uploading import UploadAttempt, UploadOutcome

__all__ = [
    "Article",
    "EmbedderLoader",
    "IndexInfo",
    "Inspection",
    "LiveIndex",
    "Neighbourhood",
    "Service",
    "UploadAttempt",
    "UploadOutcome",
    "load_model",
    "paragraph_window",
]
