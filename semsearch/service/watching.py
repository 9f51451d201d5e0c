"""Keeping the index in step with its folders: file events, a quiet window, one update.

A :class:`Watcher` first brings the index up to date (what changed while nobody watched), then
lets a watchdog observer report file events. The events that concern the corpus
(:class:`~semsearch.service.debounce.EventFilter`) are collected by a
:class:`~semsearch.service.debounce.Debouncer` until the folders are quiet and every changed
file is complete; then one incremental update of the watched paths runs through
:meth:`semsearch.service.Service.index_files`, the update the CLI and the page run too. The
update rereads only what changed (unchanged files are not even opened), so a round costs about
as much as the articles that changed.

Another writer holding the index (a ``semsearch update`` in another terminal) is waited for:
the round is retried after the next quiet window, and the listener is told once. Where the
system's file events are not available (no inotify, or its watch limit reached) the folders
are polled instead, and the listener is told so.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from watchdog.events import FileSystemEvent, FileSystemEventHandler

from semsearch.errors import IndexLockedError, SemsearchError
from semsearch.progress import Note, NullReporter
from semsearch.service.debounce import DEFAULT_QUIET_SECONDS, Debouncer, EventFilter

if TYPE_CHECKING:
    from watchdog.observers.api import BaseObserver

    from semsearch.indexing import IndexReport
    from semsearch.service.facade import Service

LOG = logging.getLogger(__name__)

#: Makes the observer that reports file events (tests inject a polling one).
ObserverFactory = Callable[[], "BaseObserver"]

#: Event kinds that may change what an update finds (opening or reading a file does not).
CHANGE_EVENTS = frozenset({"created", "modified", "deleted", "moved", "closed"})

#: How long a stop waits for the observer's threads (they are daemons: the process can end).
OBSERVER_JOIN_SECONDS = 5.0

#: Longest sleep of the watching loop: how late a stop request or a due round is noticed.
LOOP_TICK_SECONDS = 0.25


class WatchListener(Protocol):
    """What a front end is told while watching (the CLI prints it, the page logs it)."""

    def started(self, roots: list[Path]) -> None:
        """The observer runs: changes under ``roots`` are followed from now on."""

    def round_done(self, report: IndexReport) -> None:
        """An update ran (the first one brings the index up to date)."""

    def notice(self, note: Note) -> None:
        """Something worth a line: waiting for a lock, polling, a skipped file."""

    def failed(self, error: SemsearchError) -> None:
        """An update failed; watching goes on and the next change tries again."""


class LoggingListener:
    """A :class:`WatchListener` that writes to the log (the page's watcher thread uses it)."""

    def started(self, roots: list[Path]) -> None:
        """Log the watched folders."""
        LOG.info("Watching %s", ", ".join(map(str, roots)))

    def round_done(self, report: IndexReport) -> None:
        """Log what an update did."""
        LOG.info(
            "Index updated: %d added, %d changed, %d removed (%.1f s)",
            report.added,
            report.changed,
            report.removed,
            report.seconds,
        )

    def notice(self, note: Note) -> None:
        """Log a notice (in English)."""
        LOG.info("%s", note.text)

    def failed(self, error: SemsearchError) -> None:
        """Log a failed update."""
        LOG.warning("Updating the index failed: %s", error)


class _NoticeReporter(NullReporter):
    """Passes an update's messages (skipped files, vanished folders) on, each once; no bars.

    Every update names the files it skips again; said once, they do not bury the rounds.
    """

    def __init__(self, listener: WatchListener) -> None:
        self.listener = listener
        self.said: set[str] = set()

    def note(self, note: Note) -> None:
        if note.text not in self.said:
            self.said.add(note.text)
            self.listener.notice(note)


class _EventRelay(FileSystemEventHandler):
    """Hands the paths of the events that concern the corpus to the debouncer."""

    def __init__(self, event_filter: EventFilter, debouncer: Debouncer) -> None:
        self.event_filter = event_filter
        self.debouncer = debouncer

    def on_any_event(self, event: FileSystemEvent) -> None:
        # A folder's own "modified" only echoes a change to an entry, which has its own event.
        if event.event_type not in CHANGE_EVENTS or (
            event.is_directory and event.event_type == "modified"
        ):
            return
        for raw in (event.src_path, event.dest_path):
            path = os.fsdecode(raw)
            if path and self.event_filter.concerns(path, event.is_directory):
                self.debouncer.note(path)


def start_observer(
    roots: Sequence[Path],
    handler: FileSystemEventHandler,
    listener: WatchListener,
    observer_factory: ObserverFactory | None = None,
) -> BaseObserver:
    """Start an observer over the roots: the system's file events, else polling.

    Args:
        roots: Existing files and folders (a file is watched through its folder).
        handler: Receives the events.
        listener: Told when polling replaces the system's file events.
        observer_factory: Makes the observer (default: watchdog's native one).

    Returns:
        The running observer.
    """
    from watchdog.observers import Observer
    from watchdog.observers.polling import PollingObserver

    def started(factory: ObserverFactory) -> BaseObserver:
        observer = factory()
        for root in roots:
            if root.is_dir():
                observer.schedule(handler, str(root), recursive=True)
            else:
                observer.schedule(handler, str(root.parent), recursive=False)
        observer.start()
        return observer

    try:
        return started(observer_factory or Observer)
    except OSError as error:  # no inotify, or its limit of watches or instances is reached
        listener.notice(
            Note.of(
                "note.polling",
                f"File events are not available ({error.strerror or error}); "
                "looking at the folders every second instead.",
                reason=error.strerror or error,
            )
        )
        return started(PollingObserver)


def watched_roots(service: Service, paths: Sequence[Path] | None) -> list[Path]:
    """Name what an update of ``paths`` covers, which is what a watcher follows.

    Args:
        service: The service over the index.
        paths: Files and folders, or None for the index's own.

    Returns:
        ``paths``; without them the folders the index was built from, or (none recorded) the
        corpus folder.

    Raises:
        IndexStoreError: The index cannot be read.
    """
    from semsearch.storage import live_manifest

    if paths:
        return [Path(path) for path in paths]
    manifest = live_manifest(service.index_dir, service.engine)
    if manifest is not None and manifest.corpus_roots:
        return [Path(root) for root in manifest.corpus_roots]
    return [service.corpus_dir]


class Watcher:
    """Keeps one index in step with its folders until told to stop.

    Args:
        service: The service whose :meth:`~semsearch.service.Service.index_files` updates.
        paths: The files and folders to follow (None: those the index covers).
        listener: Told what happens.
        quiet_seconds: How long the folders must be quiet before an update.
        observer_factory: Makes the observer (default: the system's file events).
    """

    def __init__(
        self,
        service: Service,
        paths: Sequence[Path] | None,
        listener: WatchListener,
        quiet_seconds: float = DEFAULT_QUIET_SECONDS,
        observer_factory: ObserverFactory | None = None,
    ) -> None:
        self.service = service
        self.paths = list(paths) if paths else None
        self.listener = listener
        self.debouncer = Debouncer(quiet_seconds)
        self.observer_factory = observer_factory
        self._reporter = _NoticeReporter(listener)
        self._waiting_for_lock = False

    def run(self, stop: threading.Event | None = None) -> None:
        """Update the index now, then after every burst of changes, until ``stop`` is set.

        Args:
            stop: Ends watching when set (None: only Ctrl-C ends it).

        Raises:
            SemsearchError: The first update failed (a damaged index, another model, a path
                that does not exist); later failures are reported to the listener instead.
        """
        from semsearch.ingest import SUPPORTED_SUFFIXES

        stop = stop or threading.Event()
        while not self._round(first=True):
            if stop.wait(self.debouncer.quiet_seconds):
                return
        roots = watched_roots(self.service, self.paths)
        for missing in (root for root in roots if not root.exists()):
            self.listener.notice(
                Note.of(
                    "note.not_watched",
                    f"{missing} does not exist; it is not watched.",
                    path=missing,
                )
            )
        roots = [root for root in roots if root.exists()]
        event_filter = EventFilter(roots, self.service.index_dir, SUPPORTED_SUFFIXES)
        relay = _EventRelay(event_filter, self.debouncer)
        observer = start_observer(roots, relay, self.listener, self.observer_factory)
        self.listener.started(roots)
        try:
            while not stop.wait(min(LOOP_TICK_SECONDS, self.debouncer.seconds_to_wait())):
                batch = self.debouncer.take()
                if batch and not self._round():
                    self.debouncer.requeue(batch)
        finally:
            observer.stop()
            # Bounded: watchdog's threads are daemons, so a stop is never held up by an
            # observer thread still blocked in a callback (a whole-suite run under load once
            # waited more than a minute after Ctrl-C).
            observer.join(timeout=OBSERVER_JOIN_SECONDS)

    def _round(self, first: bool = False) -> bool:
        """Run one update; False when another writer holds the index (try again later).

        Raises:
            SemsearchError: Only for the ``first`` update; later ones tell the listener.
        """
        try:
            report = self.service.index_files(self.paths, reporter=self._reporter)
        except IndexLockedError as error:
            if not self._waiting_for_lock:
                self.listener.notice(
                    Note.of(
                        "note.waiting_for_writer",
                        f"{error.message} Waiting for it to finish.",
                        index=self.service.index_dir,
                    )
                )
                self._waiting_for_lock = True
            return False
        except SemsearchError as error:
            if first:
                raise
            self.listener.failed(error)
            return True
        self._waiting_for_lock = False
        self.listener.round_done(report)
        return True


def watch_in_background(watcher: Watcher) -> threading.Thread:
    """Run a watcher in a daemon thread for the life of the process (the page's server).

    A failure of its first update is logged (the page shows the index's state itself) instead
    of ending the thread with a traceback.

    Args:
        watcher: The watcher, not started.

    Returns:
        The running thread.
    """

    def watch() -> None:
        try:
            watcher.run()
        except SemsearchError as error:
            LOG.warning("Watching the corpus stopped: %s", error)

    thread = threading.Thread(target=watch, name="semsearch-watch", daemon=True)
    thread.start()
    return thread
