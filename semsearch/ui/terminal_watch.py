"""What ``semsearch watch`` prints: one line per update, on stderr, with the time of day."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from semsearch.ui.terminal import err, markup_safe, print_error

if TYPE_CHECKING:
    from semsearch.errors import SemsearchError
    from semsearch.indexing import IndexReport


class TerminalWatchListener:
    """Tells the terminal what ``semsearch watch`` does: one line per update, on stderr.

    Args:
        location: Where the index lives, as shown to people.
        clock: The time of day shown at the start of each line (injected by tests).
    """

    def __init__(self, location: str | Path, clock: Callable[[], str] | None = None) -> None:
        self.location = location
        self._clock = clock or (lambda: time.strftime("%H:%M:%S"))

    def started(self, roots: list[Path]) -> None:
        """Say which folders are watched and how to stop."""
        shown = ", ".join(markup_safe(root) for root in roots)
        err.print(f"Watching {shown} for changes. Press Ctrl-C to stop.")

    def round_done(self, report: IndexReport) -> None:
        """Say what an update did and how long it took."""
        if report.nothing_changed:
            done = "nothing changed"
        else:
            done = f"{report.added} added, {report.changed} changed, {report.removed} removed"
        err.print(
            f"[dim]{self._clock()}[/] Index {markup_safe(self.location)}: {done} "
            f"({report.seconds:.1f} s)."
        )

    def notice(self, text: str) -> None:
        """Print a notice (a skipped file, waiting for another writer, polling)."""
        err.print(f"[dim]{self._clock()}[/] {markup_safe(text)}")

    def failed(self, error: SemsearchError) -> None:
        """Print a failed update's error and hint; watching goes on."""
        print_error(error)
