"""What the ``semsearch`` command shows: the consoles, progress bars, reports and errors.

Rendering only, with rich: the command (:mod:`semsearch.cli`) parses arguments and asks the
service; this module and its siblings (:mod:`~semsearch.ui.terminal_results` for hits,
:mod:`~semsearch.ui.terminal_describe` for ``info`` and ``inspect``) print what it gets back.
Results and descriptions go to stdout, progress and notices to stderr, so ``--json`` output
stays clean. Every sentence comes from the catalogue in the command's language
(:func:`texts`: ``$SEMSEARCH_LANG``, else the locale); JSON keys never change with it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape

from semsearch.terminal_safe import escape_for_terminal, escape_json_for_terminal
from semsearch.ui.i18n import Texts, terminal_language

if TYPE_CHECKING:
    from semsearch.embed import Embedder
    from semsearch.errors import SemsearchError
    from semsearch.indexing import IndexReport

out = Console(highlight=False, soft_wrap=False)
err = Console(stderr=True, highlight=False)


def texts() -> Texts:
    """The command's sentences in its language.

    Returns:
        The sentences in ``$SEMSEARCH_LANG`` or the locale's language (read at every call, so
        that the environment of the moment counts, a test's too).
    """
    return Texts(terminal_language())


def multiline_safe(text: str) -> str:
    """Untrusted text for a rich ``Text``.

    Args:
        text: A passage, an article's text, a message.

    Returns:
        The text with terminal controls escaped and its line breaks kept.
    """
    return escape_for_terminal(text, keep_newlines=True)


def markup_safe(value: object) -> str:
    """Untrusted text ready for a rich markup string: terminal controls and markup escaped.

    Args:
        value: A file name, title, query, reason… (``str()`` is taken).

    Returns:
        The text, shown literally on one line.
    """
    return escape(escape_for_terminal(str(value)))


class RichReporter:
    """Shows the stages of long work as rich progress bars with counts and rates (on stderr).

    The bars start with the first stage, so a spinner before it (loading the model) can run.

    Args:
        console: Where the bars are drawn.
    """

    def __init__(self, console: Console) -> None:
        self.tr = texts()
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.console = console
        self.progress = Progress(
            TextColumn("{task.description:<12}"),
            BarColumn(),
            MofNCompleteColumn(),
            TaskProgressColumn(),
            TextColumn("[dim]{task.fields[rate]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        )
        self.tasks: dict[str, Any] = {}
        self._started = False

    def __enter__(self) -> RichReporter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._started:
            self.progress.stop()

    def start(self, stage: str, total: int) -> None:
        """Begin a stage with ``total`` units of work."""
        if not self._started:
            self.progress.start()
            self._started = True
        self.tasks[stage] = self.progress.add_task(self.tr.stage(stage), total=total, rate="")

    def advance(self, stage: str, n: int = 1) -> None:
        """Record ``n`` more units done in ``stage``."""
        task_id = self.tasks.get(stage)
        if task_id is None:
            return
        self.progress.advance(task_id, n)
        speed = self.progress.tasks[task_id].speed
        if speed:
            self.progress.update(task_id, rate=f"{speed:,.1f}/s")

    def message(self, text: str) -> None:
        """Print a line above the bars (a skipped file, a notice)."""
        self.progress.console.print(escape_for_terminal(text), markup=False, highlight=False)


def announced_loader(
    load: Callable[[str], Embedder],
) -> Callable[[str], Embedder]:
    """Wrap a model loader so that the terminal says which model is loading while it does.

    Args:
        load: Loads a model by name.

    Returns:
        The same loader behind a spinner on stderr.
    """

    def load_with_status(model: str) -> Embedder:
        tr = texts()
        with err.status(tr("cli.loading_model", model=markup_safe(model))):
            return load(model)

    return load_with_status


def print_report(report: IndexReport, index_dir: Path) -> None:
    """Say on stderr what a build or update did.

    Args:
        report: What was done.
        index_dir: The index folder, as given.
    """
    tr, index, seconds = texts(), markup_safe(index_dir), f"{report.seconds:.1f}"
    if report.nothing_changed:
        err.print(tr("cli.up_to_date", index=index, seconds=seconds))
        return
    err.print(
        tr(
            "cli.report",
            index=index,
            added=report.added,
            changed=report.changed,
            removed=report.removed,
            unchanged=report.unchanged,
            chunks=report.chunks_embedded,
            sentences=report.sentences_embedded,
            reused=report.chunks_reused,
            skipped=len(report.skipped),
            seconds=seconds,
        )
    )


def print_json(payload: Any) -> None:
    """Print one JSON object on stdout (plain ``print``: no rich markup or wrapping).

    Args:
        payload: JSON-ready data.
    """
    print(escape_json_for_terminal(json.dumps(payload, ensure_ascii=False, indent=2)))


def print_error(error: SemsearchError) -> None:
    """Print a user-facing error and its hint on stderr (never a traceback).

    Args:
        error: The error.
    """
    tr = texts()
    message, hint = tr.error(error)
    err.print(tr("cli.error", message=escape(multiline_safe(message))))
    if hint:
        err.print(escape(multiline_safe(hint)))


def save_traceback() -> Path | None:
    """Write the traceback being handled to a file in the temporary folder; None on failure."""
    import tempfile
    import traceback

    try:
        handle, name = tempfile.mkstemp(prefix="semsearch-error-", suffix=".log")
        with open(handle, "w", encoding="utf-8") as log:
            log.write(traceback.format_exc())
    except OSError:
        return None
    return Path(name)


def print_unexpected(error: Exception, details: Path | None) -> None:
    """Say in one line that something unforeseen failed, and where its traceback was saved.

    Args:
        error: The exception.
        details: The file holding the traceback (None: it could not be saved).
    """
    tr = texts()
    kind, message = markup_safe(type(error).__name__), markup_safe(error)
    err.print(tr("cli.error", message=tr("cli.unexpected", kind=kind, message=message)))
    if details:
        err.print(tr("cli.bug_saved", path=markup_safe(details)))
    else:
        err.print(tr("cli.bug_unsaved"))
