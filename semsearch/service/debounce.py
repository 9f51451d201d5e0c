"""Which file events matter to a watched corpus, and when a burst of them is over.

:class:`EventFilter` drops what an update would never index: events in the index folder (it
may sit inside the corpus), hidden files and folders, the temporary files that editors, office
suites and downloads leave while they write (``.~lock.x.odt#``, ``~$x.docx``, ``x.txt.part``,
``x.tmp``), and files whose type is not read at all. :class:`Debouncer` collects the paths that
remain until the folders are quiet, then hands them over as one batch, but only once every one
of them is complete: its size and modification time did not change over a whole quiet window.
A file still being written keeps the batch waiting (it is taken by a later round, whole).

Both are pure: the clock and the ``stat`` are injected, so the rules are tested without
sleeping or writing files.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

#: Seconds without events (and without a file changing size or time) before an update runs.
#: Long enough for an editor's save (write a temporary file, rename it, touch the folder) to
#: end, short enough that a dropped article is searchable within a few seconds.
DEFAULT_QUIET_SECONDS = 1.5

#: Name beginnings of hidden files (LibreOffice's ``.~lock.x.odt#`` among them) and of the
#: owner file Word keeps beside an open document.
TEMPORARY_PREFIXES = (".", "~$")

#: Name endings of files still being written: downloads, editors' swap and backup files.
TEMPORARY_SUFFIXES = (".part", ".partial", ".crdownload", ".download", ".tmp", ".swp", "~")

#: What a file looks like for the completeness rule: (size, mtime_ns), None when it is gone.
FileStamp = tuple[int, int] | None


def is_temporary_name(name: str) -> bool:
    """Whether a file or folder name is hidden or belongs to a file still being written.

    Args:
        name: The last part of a path.

    Returns:
        True for hidden names and the temporary files of editors, office suites and downloads.
    """
    lowered = name.lower()
    return lowered.startswith(TEMPORARY_PREFIXES) or lowered.endswith(TEMPORARY_SUFFIXES)


def stamp(path: Path) -> FileStamp:
    """The size and modification time of a path, or None when it does not exist.

    Args:
        path: A file or folder.

    Returns:
        ``(size, mtime_ns)`` or None.
    """
    try:
        status = os.stat(path)
    except OSError:
        return None
    return status.st_size, status.st_mtime_ns


class EventFilter:
    """Decides which event paths concern the watched corpus.

    Args:
        roots: The watched files and folders.
        index_dir: The index folder, whose own writes are never a reason to update.
        suffixes: The file types an update reads (lower case, with the dot).
    """

    def __init__(self, roots: Sequence[Path], index_dir: Path, suffixes: Iterable[str]) -> None:
        self.roots = [Path(os.path.realpath(root)) for root in roots]
        self.index_dir = Path(os.path.realpath(index_dir))
        self.suffixes = frozenset(suffixes)

    def concerns(self, path: str | Path, is_directory: bool) -> bool:
        """Whether an event on ``path`` may change what the index holds.

        Args:
            path: The path an event names (it may no longer exist).
            is_directory: Whether it is (or was) a folder.

        Returns:
            True for article files and folders inside a root, outside the index folder, with
            no hidden or temporary part in their path below the root.
        """
        real = Path(os.path.realpath(path))
        if real == self.index_dir or real.is_relative_to(self.index_dir):
            return False
        root = next((r for r in self.roots if real == r or real.is_relative_to(r)), None)
        if root is None:
            return False
        if any(is_temporary_name(part) for part in real.relative_to(root).parts):
            return False
        return is_directory or real.suffix.lower() in self.suffixes


class Debouncer:
    """Collects changed paths until the folders are quiet and every changed file is complete.

    Thread-safe: the observer's thread calls :meth:`note`, the watching loop :meth:`take`.

    Args:
        quiet_seconds: How long nothing may happen before the collected paths are handed over.
        clock: Monotonic seconds (injected by tests).
        stat: Reads a path's :data:`FileStamp` (injected by tests).
    """

    def __init__(
        self,
        quiet_seconds: float = DEFAULT_QUIET_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        stat: Callable[[Path], FileStamp] = stamp,
    ) -> None:
        self.quiet_seconds = quiet_seconds
        self._clock = clock
        self._stat = stat
        self._pending: dict[Path, FileStamp] = {}
        self._last_change = 0.0
        self._lock = threading.Lock()

    def note(self, path: str | Path) -> None:
        """Record that something happened to ``path``; the quiet window starts again.

        Args:
            path: The file or folder an event named.
        """
        path = Path(path)
        with self._lock:
            self._pending[path] = self._stat(path)
            self._last_change = self._clock()

    def requeue(self, paths: Iterable[Path]) -> None:
        """Put back a batch that could not be used (the index was locked): retried when quiet.

        Args:
            paths: The batch :meth:`take` returned.
        """
        for path in paths:
            self.note(path)

    @property
    def pending(self) -> bool:
        """Whether any path waits for the next round."""
        with self._lock:
            return bool(self._pending)

    def take(self) -> list[Path] | None:
        """Hand over the collected paths if the folders were quiet and every file is complete.

        A file whose size or modification time changed since it was last looked at is still
        being written: its new stamp is kept and the quiet window starts again.

        Returns:
            The paths, sorted, or None when there are none or it is too early.
        """
        with self._lock:
            if not self._pending or self._clock() - self._last_change < self.quiet_seconds:
                return None
            growing = False
            for path, before in self._pending.items():
                now = self._stat(path)
                if now != before:
                    self._pending[path] = now
                    growing = True
            if growing:
                self._last_change = self._clock()
                return None
            batch = sorted(self._pending)
            self._pending.clear()
            return batch

    def seconds_to_wait(self) -> float:
        """How long until :meth:`take` may hand something over (the quiet window's rest).

        Returns:
            Seconds, 0 or more; the whole window when nothing is pending.
        """
        with self._lock:
            if not self._pending:
                return self.quiet_seconds
            return max(0.0, self.quiet_seconds - (self._clock() - self._last_change))
