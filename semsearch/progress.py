"""Progress reporting: the one protocol long work reports through, and a reporter that is silent.

The indexer, the evaluation and any other long job call a :class:`Reporter`; the front ends
implement it (progress bars on the terminal, a progress bar in the page). Work never prints.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

#: Called with the number of items just finished (an embedder calls it once per batch).
Progress = Callable[[int], None]


@dataclass(frozen=True)
class Note:
    """Something long work tells the user (a skipped file, a notice), named by a catalogue key.

    The core words it in English; a front end says it in the reader's language by its ``key``
    (``semsearch/ui/catalogue_core.py``, ``NOTES``), filled with ``params``.

    Attributes:
        key: The catalogue key, e.g. ``"note.skipped"``.
        text: The sentence in English (logs, English readers).
        params: The values of the sentence's placeholders.
    """

    key: str
    text: str
    params: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, key: str, text: str, **params: object) -> Note:
        """A note whose parameters are turned into text.

        Args:
            key: The catalogue key.
            text: The English sentence.
            **params: The placeholders' values (paths, counts…).

        Returns:
            The note.
        """
        return cls(key, text, {name: str(value) for name, value in params.items()})

    def __str__(self) -> str:
        return self.text


class Reporter(Protocol):
    """Receives progress of long work, stage by stage."""

    def start(self, stage: str, total: int) -> None:
        """Begin ``stage`` with ``total`` units of work."""
        ...

    def advance(self, stage: str, n: int = 1) -> None:
        """Record ``n`` more units done in ``stage``."""
        ...

    def note(self, note: Note) -> None:
        """Tell the user something (a skipped file, a notice)."""
        ...


class NullReporter:
    """A reporter that shows nothing."""

    def start(self, stage: str, total: int) -> None:
        """Ignore the start of a stage."""

    def advance(self, stage: str, n: int = 1) -> None:
        """Ignore progress."""

    def note(self, note: Note) -> None:
        """Ignore a note."""


def advancer(reporter: Reporter, stage: str) -> Progress:
    """Return a :data:`Progress` callback that advances ``stage`` of ``reporter``."""

    def advance(n: int) -> None:
        reporter.advance(stage, n)

    return advance
