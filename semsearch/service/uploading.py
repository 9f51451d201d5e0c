"""What became of uploaded articles: saved (or not) into the corpus, then indexed (or not).

The service fills an :class:`UploadOutcome`; the page only words it. Which uploads count as
indexed, and which ones the indexer refused, is decided here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from semsearch.errors import SemsearchError
    from semsearch.indexing import IndexReport
    from semsearch.ingest import SkippedFile
    from semsearch.uploads import SavedUpload


@dataclass(frozen=True)
class UploadAttempt:
    """One uploaded file: saved into the corpus, or refused.

    Attributes:
        name: The file name the browser sent.
        saved: Where and how it was saved (None when refused).
        error: Why it was refused (None when saved).
    """

    name: str
    saved: SavedUpload | None = None
    error: SemsearchError | None = None


@dataclass
class UploadOutcome:
    """What an upload did, file by file, and what indexing the saved files did.

    Attributes:
        attempts: One entry per uploaded file, in the order given.
        report: The update of the index with the saved files (None: nothing was saved, or
            indexing failed).
        index_error: Why indexing failed (the files stay saved in the corpus).
    """

    attempts: list[UploadAttempt]
    report: IndexReport | None = None
    index_error: SemsearchError | None = None

    @property
    def saved(self) -> list[SavedUpload]:
        """The files now in the corpus (new ones and identical ones found there)."""
        return [attempt.saved for attempt in self.attempts if attempt.saved is not None]

    @property
    def unindexable(self) -> list[SkippedFile]:
        """The saved files the indexer skipped, with its reasons."""
        if self.report is None:
            return []
        uploaded = {item.path.resolve() for item in self.saved}
        return [s for s in self.report.skipped if Path(s.path).resolve() in uploaded]

    @property
    def indexed(self) -> list[SavedUpload]:
        """The files to announce as indexed; empty when indexing changed nothing worth saying.

        Duplicates are indexed too (cheap when unchanged), since one copied in by hand may be
        new to the index; they are named only when no new file was.
        """
        if self.report is None:
            return []
        refused = {Path(s.path).resolve() for s in self.unindexable}
        fresh = [
            item
            for item in self.saved
            if item.status != "duplicate" and item.path.resolve() not in refused
        ]
        if fresh or not self.report.nothing_changed:
            return fresh or self.saved
        return []
