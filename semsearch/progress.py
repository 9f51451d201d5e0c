"""Progress reporting: the one protocol long work reports through, and a reporter that is silent.

The indexer, the evaluation and any other long job call a :class:`Reporter`; the front ends
implement it (progress bars on the terminal, a progress bar in the page). Work never prints.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

#: Called with the number of items just finished (an embedder calls it once per batch).
Progress = Callable[[int], None]


class Reporter(Protocol):
    """Receives progress of long work, stage by stage."""

    def start(self, stage: str, total: int) -> None:
        """Begin ``stage`` with ``total`` units of work."""
        ...

    def advance(self, stage: str, n: int = 1) -> None:
        """Record ``n`` more units done in ``stage``."""
        ...

    def message(self, text: str) -> None:
        """Tell the user something (a skipped file, a notice)."""
        ...


class NullReporter:
    """A reporter that shows nothing."""

    def start(self, stage: str, total: int) -> None:
        """Ignore the start of a stage."""

    def advance(self, stage: str, n: int = 1) -> None:
        """Ignore progress."""

    def message(self, text: str) -> None:
        """Ignore a message."""


def advancer(reporter: Reporter, stage: str) -> Progress:
    """Return a :data:`Progress` callback that advances ``stage`` of ``reporter``."""

    def advance(n: int) -> None:
        reporter.advance(stage, n)

    return advance
