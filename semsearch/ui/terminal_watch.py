"""What ``semsearch watch`` prints: one line per update, on stderr, with the time of day."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from semsearch.ui.terminal import err, markup_safe, print_error, texts

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
        tr = texts()
        err.print(tr("cli.watching", folders=shown))

    def round_done(self, report: IndexReport) -> None:
        """Say what an update did and how long it took."""
        tr = texts()
        if report.nothing_changed:
            done = tr("cli.watch_nothing")
        else:
            done = tr(
                "cli.watch_counts",
                added=report.added,
                changed=report.changed,
                removed=report.removed,
            )
        line = tr(
            "cli.watch_round",
            index=markup_safe(self.location),
            done=done,
            seconds=f"{report.seconds:.1f}",
        )
        err.print(f"[dim]{self._clock()}[/] {line}")

    def notice(self, text: str) -> None:
        """Print a notice (a skipped file, waiting for another writer, polling)."""
        err.print(f"[dim]{self._clock()}[/] {markup_safe(text)}")

    def failed(self, error: SemsearchError) -> None:
        """Print a failed update's error and hint; watching goes on."""
        print_error(error)
