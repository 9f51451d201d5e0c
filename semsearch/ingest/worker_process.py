"""The extraction worker's own side: limits, the parsers imported once, one file at a time.

Started by :class:`semsearch.ingest.worker.ExtractionWorker`; never imported by the indexer.
Its stdout carries the protocol, so anything a library prints goes to the null device instead,
and the warnings parsers log (pypdf's "Ignoring wrong pointing object…") come back as notes of
the file they concern, to be printed with its name.
"""

from __future__ import annotations

import importlib
import logging
import os
import resource
import signal
import sys
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

from semsearch.ingest.boundary import MAX_REASON_CHARS, failure_reason
from semsearch.ingest.document import Extracted, UnreadableFileError
from semsearch.ingest.worker import WorkerGoneError, receive_message, send_message

#: The parsers imported at start-up, so that the first file's time limit is not spent on them.
PARSERS = ("docx", "pypdf", "trafilatura", "lxml.etree", "semsearch.ingest.extract")
#: Notes kept per file (the rest are counted).
MAX_NOTES = 3

_STDIN = 0


class TimeLimitReached(BaseException):
    """Raised by the alarm in the extractor's frame; a BaseException, so that the parsers'
    own ``except Exception`` cannot swallow it."""


def main() -> None:
    """Serve extraction requests until the indexer closes the pipe or a file needs a restart."""
    replies = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    sys.stdout = sys.stderr
    settings = receive_message(_STDIN)
    sys.path.extend(p for p in settings["sys_path"] if p not in sys.path)
    for module in PARSERS:
        importlib.import_module(module)
    memory_bytes = settings["memory_bytes"]
    _limit_memory(memory_bytes)
    signal.signal(signal.SIGALRM, _on_alarm)
    send_message(replies, ("ready", os.getpid()))
    while True:
        try:
            _, reference, path, data, seconds = receive_message(_STDIN)
        except WorkerGoneError:
            return
        reply = _extract(_resolve(reference), Path(path), data, seconds, memory_bytes)
        send_message(replies, reply)
        if reply[2]:
            return


def _limit_memory(memory_bytes: int) -> None:
    """Cap the address space at what is mapped now plus ``memory_bytes``; no core dumps."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            line = next(row for row in status if row.startswith("VmSize:"))
        mapped = int(line.split()[1]) * 1024
    except (OSError, StopIteration, ValueError):
        return  # no /proc: no way to tell the worker's own size, so no cap
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = mapped + memory_bytes
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _on_alarm(signum: int, frame: FrameType | None) -> None:
    raise TimeLimitReached


_resolved: dict[str, Callable[[Path, bytes], Extracted]] = {}


def _resolve(reference: str) -> Callable[[Path, bytes], Extracted]:
    """Import the function a ``"module:qualified.name"`` reference names (once)."""
    if reference not in _resolved:
        module_name, _, qualified = reference.partition(":")
        target: Any = importlib.import_module(module_name)
        for part in qualified.split("."):
            target = getattr(target, part)
        _resolved[reference] = target
    return _resolved[reference]


def _extract(
    extractor: Callable[[Path, bytes], Extracted],
    path: Path,
    data: bytes,
    seconds: float,
    memory_bytes: int,
) -> tuple[str, Any, bool]:
    """Run one extractor: ``(status, payload, exiting)`` for the indexer.

    ``("ok", Extracted, False)``, or ``("refused", (reason, hint), exiting)``; after a time or
    memory limit the worker exits (the parser may have been left half-way), and is restarted.
    """
    try:
        with captured_notes() as notes:
            signal.setitimer(signal.ITIMER_REAL, seconds)
            try:
                extracted = extractor(path, data)
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
    except UnreadableFileError as error:
        # A parser that gave up quietly says why in its warnings ("PDF has no text layer",
        # when pypdf stopped decompressing a bomb).
        reason = f"{error.reason}; {notes[0]}" if notes else error.reason
        return "refused", (reason, error.hint), False
    except TimeLimitReached:
        return "refused", (f"took longer than {seconds:g} s to read (stopped)", None), True
    except MemoryError:
        limit = f"more than {memory_bytes / 2**20:,.0f} MB of memory"
        return "refused", (f"needs {limit} to read (stopped)", None), True
    except Exception as error:  # any failure of one file is that file's reason
        return "refused", (failure_reason(error), None), False
    return "ok", _plain(extracted, notes), False


def _plain(extracted: Extracted, notes: list[str]) -> Extracted:
    """The result with plain ``str`` fields (parsers return str subclasses that may not pickle)."""

    def text(value: str | None) -> str | None:
        return None if value is None else str(value)

    return Extracted(
        str(extracted.text),
        title=text(extracted.title),
        date=text(extracted.date),
        author=text(extracted.author),
        notes=[*extracted.notes, *notes],
    )


class _NoteHandler(logging.Handler):
    def __init__(self, notes: list[str]) -> None:
        super().__init__(logging.WARNING)
        self.notes = notes

    def emit(self, record: logging.LogRecord) -> None:
        self.notes.append(f"{record.name.split('.')[0]}: {record.getMessage()}")


@contextmanager
def captured_notes() -> Iterator[list[str]]:
    """Collect what parsers log or warn while reading one file, as one-line notes.

    Yields:
        A list filled when the block ends: at most :data:`MAX_NOTES` distinct lines, then a
        count of the others.
    """
    raw: list[str] = []
    handler = _NoteHandler(raw)
    root = logging.getLogger()
    root.addHandler(handler)
    notes: list[str] = []
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield notes
    finally:
        root.removeHandler(handler)
        raw.extend(f"{w.category.__name__}: {w.message}" for w in caught)
        distinct = list(dict.fromkeys(" ".join(line.split())[:MAX_REASON_CHARS] for line in raw))
        notes.extend(distinct[:MAX_NOTES])
        if len(distinct) > MAX_NOTES:
            notes.append(f"and {len(distinct) - MAX_NOTES} more warnings")
