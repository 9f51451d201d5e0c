"""What the Streamlit page shows while and after it works: a progress bar, errors with their fix.

:class:`StreamlitReporter` is the page's :class:`semsearch.progress.Reporter`; ``show_error``
and ``show_unexpected`` turn a user mistake into a message and a bug into one line (with the
traceback in the server log).
"""

from __future__ import annotations

import logging
import time
from typing import Any

import streamlit as st

from semsearch.errors import SemsearchError
from semsearch.ui.messages import error_markdown
from semsearch.ui.page import escape_markdown

LOG = logging.getLogger("semsearch.app")


class StreamlitReporter:
    """The progress reporter protocol (``start``, ``advance``, ``message``) as a progress bar.

    The bar appears when the first stage starts, so loading the model (which has its own
    spinner) comes first. Updates are throttled: the browser need not redraw for every embedded
    chunk.

    Args:
        container: Where the bar goes (a Streamlit container).
        min_interval: Seconds between two redraws of the bar.
    """

    def __init__(self, container: Any, min_interval: float = 0.15) -> None:
        self.container = container
        self.bar: Any = None
        self.totals: dict[str, int] = {}
        self.done: dict[str, int] = {}
        self.messages: list[str] = []
        self.min_interval = min_interval
        self._last_draw = 0.0

    def start(self, stage: str, total: int) -> None:
        """Begin a stage with ``total`` units of work."""
        self.totals[stage] = max(0, int(total))
        self.done[stage] = 0
        self._draw(stage, force=True)

    def advance(self, stage: str, n: int = 1) -> None:
        """Record ``n`` more units done in ``stage``."""
        if stage not in self.totals:
            return
        self.done[stage] = self.done.get(stage, 0) + n
        self._draw(stage)

    def message(self, text: str) -> None:
        """Keep a notice (a skipped file…) to show once indexing is over."""
        self.messages.append(text)

    def finish(self) -> None:
        """Fill the bar and say so."""
        self._progress(1.0, "Done.")

    def _progress(self, fraction: float, text: str) -> None:
        if self.bar is None:
            self.bar = self.container.progress(0.0, text="Starting…")
        self.bar.progress(fraction, text=text)

    def _draw(self, stage: str, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last_draw < self.min_interval:
            return
        self._last_draw = now
        total, done = self.totals[stage], min(self.done[stage], self.totals[stage])
        fraction = done / total if total else 1.0
        self._progress(fraction, f"{escape_markdown(stage)}: {done} / {total}")


def show_error(error: SemsearchError, container: Any = st) -> None:
    """Show a user-facing error with its fix, as text (never a traceback).

    Args:
        error: The error.
        container: Where to show it (default: the page).
    """
    container.error(error_markdown(error), icon=":material/error:")


def show_unexpected(error: Exception, container: Any = st) -> None:
    """Log a bug with its traceback on the server and show one line in the page.

    Args:
        error: The exception.
        container: Where to show it (default: the page).
    """
    LOG.exception("Unexpected error in the semsearch page")
    container.error(
        f"Something went wrong: {escape_markdown(type(error).__name__)}: "
        f"{escape_markdown(str(error))}. The details are in the server log.",
        icon=":material/bug_report:",
    )
