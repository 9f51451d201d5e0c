"""What became of uploaded articles: saved (or not) into the corpus, then indexed (or not).

The service fills an :class:`UploadOutcome`; the page only words it. Which uploads count as
indexed, and which ones the indexer refused, is decided here. An upload is read as the indexer
would read it before it is saved (:func:`save_each`): a damaged file is refused with its reason
instead of being saved and then skipped forever, and one file's failure, whatever it is, never
stops the others.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from semsearch.errors import DocumentError, SemsearchError
from semsearch.uploads import SavedUpload, UploadError, save_upload

if TYPE_CHECKING:
    from semsearch.indexing import IndexReport
    from semsearch.ingest import SkippedFile
    from semsearch.ingest.boundary import Extraction
    from semsearch.progress import Reporter

LOG = logging.getLogger(__name__)


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


def save_each(
    corpus_dir: Path, files: Sequence[tuple[str, bytes]], extraction: Extraction
) -> list[UploadAttempt]:
    """Save every uploaded file the indexer can read; refuse the others with their reason.

    Args:
        corpus_dir: The folder of articles.
        files: ``(name as sent, content)`` of each uploaded file.
        extraction: Reads each file before it is saved (see :func:`check_readable`).

    Returns:
        One attempt per file, in order: saved, or refused with a user-facing error.
    """
    from semsearch.ingest import SUPPORTED_SUFFIXES

    def check(name: str, data: bytes) -> None:
        check_readable(name, data, extraction)

    attempts: list[UploadAttempt] = []
    for name, data in files:
        try:
            saved = save_upload(corpus_dir, name, data, SUPPORTED_SUFFIXES, check_content=check)
        except SemsearchError as error:
            attempts.append(UploadAttempt(name, error=error))
        except Exception as error:  # one file's unforeseen failure: the others still go in
            LOG.exception("Saving the upload %r failed", name)
            attempts.append(UploadAttempt(name, error=unexpected_error(error, f"{name} failed")))
        else:
            attempts.append(UploadAttempt(name, saved=saved))
    return attempts


def check_readable(name: str, data: bytes, extraction: Extraction) -> None:
    """Read an upload as the indexer will, refusing it when the indexer would skip it.

    Args:
        name: The name it is to be saved under.
        data: Its bytes.
        extraction: Runs the format's extractor (behind the extraction boundary).

    Raises:
        UploadError: The file cannot be read as an article (damaged, empty of text…).
    """
    from semsearch.ingest import read_document_bytes

    try:
        read_document_bytes(Path(name), data, extraction)
    except DocumentError as error:
        reason = getattr(error, "reason", error.message)
        raise UploadError(
            f"{name} cannot be indexed: {reason}. It was not saved.",
            "Check that the file opens and holds the article's text, or save it in another format.",
            key="upload.unreadable",
            params={"name": name, "reason": reason},
        ) from None


def unexpected_error(error: Exception, what: str) -> SemsearchError:
    """Word an unforeseen exception as a user-facing error (its traceback goes to the log).

    Args:
        error: The exception.
        what: What failed, e.g. ``"news.txt failed"``.

    Returns:
        An error naming the exception in one line.
    """
    message = " ".join(str(error).split())
    return SemsearchError(
        f"{what}: unexpected {type(error).__name__}" + (f" ({message})." if message else "."),
        "This is a bug in semsearch; the details are in the server log.",
        key="unexpected",
        params={"what": what, "kind": type(error).__name__, "reason": message},
    )


def save_and_index(
    corpus_dir: Path,
    files: Sequence[tuple[str, bytes]],
    index_files: Callable[..., IndexReport],
    reporter: Reporter | None = None,
) -> UploadOutcome:
    """Save uploaded articles into the corpus folder, then index those that were saved.

    Args:
        corpus_dir: The folder uploads are saved into.
        files: ``(name as sent, content)`` of each uploaded file.
        index_files: Indexes the given paths (``Service.index_files``).
        reporter: Receives the progress of indexing.

    Returns:
        What became of each file and the indexing report or error. Never raises: every
        failure is in it.
    """
    from semsearch.ingest.boundary import Extraction

    with Extraction() as extraction:
        outcome = UploadOutcome(save_each(corpus_dir, files, extraction))
    if outcome.saved:
        try:
            outcome.report = index_files([i.path for i in outcome.saved], reporter=reporter)
        except SemsearchError as error:
            outcome.index_error = error
        except Exception as error:  # the files are saved; the page must go on
            LOG.exception("Indexing uploads failed")
            outcome.index_error = unexpected_error(error, "Indexing the uploads")
    return outcome
