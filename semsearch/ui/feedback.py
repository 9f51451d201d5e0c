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
from semsearch.ui.i18n import Texts
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
        tr: The page's language.
    """

    def __init__(self, container: Any, min_interval: float = 0.15, tr: Texts | None = None) -> None:
        self.container = container
        self.tr = tr or Texts("en")
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
        self._progress(1.0, self.tr("progress.done"))

    def _progress(self, fraction: float, text: str) -> None:
        if self.bar is None:
            self.bar = self.container.progress(0.0, text=self.tr("progress.starting"))
        self.bar.progress(fraction, text=text)

    def _draw(self, stage: str, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last_draw < self.min_interval:
            return
        self._last_draw = now
        total, done = self.totals[stage], min(self.done[stage], self.totals[stage])
        fraction = done / total if total else 1.0
        self._progress(fraction, f"{escape_markdown(self.tr.stage(stage))}: {done} / {total}")


def show_error(error: SemsearchError, container: Any = st, tr: Texts | None = None) -> None:
    """Show a user-facing error with its fix, as text (never a traceback).

    Args:
        error: The error.
        container: Where to show it (default: the page).
        tr: The page's language.
    """
    container.error(error_markdown(error, tr or Texts("en")), icon=":material/error:")


def show_unexpected(error: Exception, container: Any = st, tr: Texts | None = None) -> None:
    """Log a bug with its traceback on the server and show one line in the page.

    Args:
        error: The exception.
        container: Where to show it (default: the page).
        tr: The page's language.
    """
    LOG.exception("Unexpected error in the semsearch page")
    tr = tr or Texts("en")
    kind, message = escape_markdown(type(error).__name__), escape_markdown(str(error))
    container.error(
        tr("error.unexpected", kind=kind, message=message), icon=":material/bug_report:"
    )
