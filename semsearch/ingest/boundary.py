"""The one boundary every extractor runs behind: a failure of a file never stops a build.

A file's extractor may raise anything, loop, or exhaust memory (a malformed ``.docx``, a zip
bomb, a PDF that pypdf chokes on). :class:`Extraction` runs the formats whose parsers are third
party (HTML, ``.docx``, PDF: :attr:`~semsearch.ingest.extract.FileFormat.isolated`) in a worker
process (:mod:`semsearch.ingest.worker`) with a time and a memory limit per file, and decodes
plain text and Markdown in this process; either way, whatever goes wrong becomes an
:class:`~semsearch.ingest.document.UnreadableFileError` with a one-line reason, which the
indexer turns into a skipped file. Python cannot stop a thread that is stuck in C code, and
the page indexes from a script thread where signals cannot be used: a separate process is the
only boundary that holds for time and memory.

The limits (docs/cleaning.md, "Limits and bad input") are :data:`MAX_SECONDS_PER_FILE` and
:data:`MAX_MEMORY_PER_FILE`; the sizes a file may have on disk and once unpacked are in
:mod:`semsearch.ingest.extract` and :mod:`semsearch.ingest.formats.package`.
"""

from __future__ import annotations

import atexit
import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from semsearch.ingest.document import Extracted, UnreadableFileError
from semsearch.ingest.worker import ExtractionWorker, WorkerUnavailableError

if TYPE_CHECKING:
    from semsearch.ingest.extract import FileFormat

LOG = logging.getLogger(__name__)

#: Longest time one file's extractor may take (seconds). A news article in any format takes
#: well under a second (docs/performance.md, "Extraction"); a 50 MB PDF of text, the largest
#: read, about 20 s.
MAX_SECONDS_PER_FILE = 60.0
#: Memory one file's extractor may take on top of the worker's own (about 70 MB): the worker's
#: address space is capped at its size after start-up plus this. The 1 GB zip bomb of issue 14
#: took 2.2 GB.
MAX_MEMORY_PER_FILE = 1 << 30
#: Longest one-line reason kept from an exception's message (characters).
MAX_REASON_CHARS = 200


@dataclass(frozen=True)
class ExtractionLimits:
    """What one file's extraction may cost before it is stopped and the file skipped.

    Attributes:
        seconds: Wall-clock time per file.
        memory_bytes: Address space per file, above the worker's own.
    """

    # Read when an instance is made, so that tests can lower the module's limits.
    seconds: float = field(default_factory=lambda: MAX_SECONDS_PER_FILE)
    memory_bytes: int = field(default_factory=lambda: MAX_MEMORY_PER_FILE)


def failure_reason(error: BaseException, during: str = "cannot be read") -> str:
    """Turn any exception into a skipped file's one-line reason.

    Args:
        error: What the extractor (or a later step) raised.
        during: The start of the reason.

    Returns:
        E.g. ``"cannot be read (XMLSyntaxError: Opening and ending tag mismatch…)"``.
    """
    if isinstance(error, MemoryError):
        return f"{during} (it needs more memory than there is)"
    message = " ".join(str(error).split())
    if len(message) > MAX_REASON_CHARS:
        message = message[: MAX_REASON_CHARS - 1] + "…"
    name = type(error).__name__
    if name.lower() == "error":  # zlib.error, binascii.Error…: the module says more
        name = f"{type(error).__module__}.{name}"
    return f"{during} ({name}: {message})" if message else f"{during} ({name})"


class Extraction:
    """Runs extractors for one build: third-party parsers in a worker, plain text here.

    The worker starts with the first file that needs it (a corpus of ``.txt`` files never starts
    one), is reused for every later file, restarted after a file that killed or stopped it, and
    ended by :meth:`close` (or leaving the ``with`` block). Safe to share between threads.

    Args:
        limits: Time and memory per file.
        isolate: False runs every extractor in this process, inside the same exception
            boundary but without limits (what happens anyway where no worker can start).
    """

    def __init__(self, limits: ExtractionLimits | None = None, isolate: bool = True) -> None:
        self.limits = limits or ExtractionLimits()
        self.isolate = isolate
        self._worker: ExtractionWorker | None = None
        self._lock = threading.Lock()

    def __enter__(self) -> Extraction:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def run(self, file_format: FileFormat, path: Path, data: bytes) -> Extracted:
        """Extract one file's text with its format's extractor, behind the boundary.

        Args:
            file_format: How the file is read.
            path: The file (named in reasons).
            data: Its bytes.

        Returns:
            The text and hints, with any warnings of the parser as notes.

        Raises:
            UnreadableFileError: For every failure: the extractor's own refusal, any exception,
                the time or memory limit, a crash of the worker.
        """
        if file_format.isolated and self.isolate:
            with self._lock:
                worker = self._running_worker()
                if worker is not None:
                    return worker.extract(file_format.extract, path, data)
        try:
            return file_format.extract(path, data)
        except UnreadableFileError:
            raise
        except Exception as error:  # any failure of one file is that file's reason
            raise UnreadableFileError(path, failure_reason(error)) from None

    def _running_worker(self) -> ExtractionWorker | None:
        """The worker, started if need be; None (in-process from now on) if it cannot start."""
        if self._worker is None:
            self._worker = ExtractionWorker(self.limits.seconds, self.limits.memory_bytes)
        try:
            self._worker.ensure_started()
        except WorkerUnavailableError as error:
            LOG.warning("Extracting in process, without time or memory limits: %s", error)
            self.isolate = False
            return None
        return self._worker

    def close(self) -> None:
        """End the worker, if one was started (the object can still be used: it restarts)."""
        with self._lock:
            if self._worker is not None:
                self._worker.close()
                self._worker = None


_shared: Extraction | None = None
_shared_lock = threading.Lock()


def shared_extraction() -> Extraction:
    """The process's own :class:`Extraction`, for reading single files outside a build.

    Returns:
        One instance per process, created on first use and closed when the process exits.
    """
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = Extraction()
            atexit.register(_shared.close)
        return _shared
