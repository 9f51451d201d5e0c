"""``--help`` in the command's language: the Chinese sentences swapped in while help is drawn.

Typer reads every command's and option's help when the program starts, in English (they are
declared with the code); the language is known only later (:func:`semsearch.ui.i18n.
terminal_language`). So help in Chinese is drawn with the sentences of
:mod:`semsearch.ui.catalogue_help` put in place of the English ones, and Typer's own words
(``Options``, ``[default: …]``) likewise, each put back afterwards: the objects are the
program's own, shared by every later call in the same process (tests run many). Nothing here
is imported unless help is asked for in Chinese, so the start of every command stays as fast.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

#: Marks an attribute that was not on the object itself (it is deleted again, not set).
_ABSENT = object()


class _Swaps:
    """Attributes set for a while, each put back (or removed) by :meth:`undo`."""

    def __init__(self) -> None:
        self._saved: list[tuple[Any, str, Any]] = []

    def set(self, target: Any, name: str, value: Any) -> None:
        """Give ``target.name`` the value ``value`` until :meth:`undo`."""
        own = vars(target) if hasattr(target, "__dict__") else {}
        self._saved.append((target, name, own.get(name, _ABSENT)))
        setattr(target, name, value)

    def undo(self) -> None:
        """Put every attribute back, the last set first."""
        for target, name, value in reversed(self._saved):
            if value is _ABSENT:
                delattr(target, name)
            else:
                setattr(target, name, value)
        self._saved.clear()


def _folding_table(table_class: type) -> type:
    """A table class whose columns fold a line with no space to break at instead of cutting it.

    Rich breaks lines at spaces and cuts (…) a longer run in a table cell; a Chinese sentence is
    one such run, and is broken anywhere instead, as Chinese is.
    """

    class FoldingTable(table_class):  # type: ignore[misc, valid-type]
        def add_row(self, *renderables: Any, **options: Any) -> None:
            super().add_row(*renderables, **options)
            for column in self.columns:
                column.overflow = "fold"

    return FoldingTable


def _folding_columns(columns_class: type) -> Callable[..., Any]:
    """Make Typer's option help (texts side by side in :class:`rich.columns.Columns`) fold
    a run with no space to break at, as :func:`_folding_table` does for table cells."""
    from rich.text import Text

    def columns(renderables: Iterable[Any] = (), *args: Any, **kwargs: Any) -> Any:
        items = list(renderables)
        for item in items:
            if isinstance(item, Text) and item.overflow is None:
                item.overflow = "fold"
        return columns_class(items, *args, **kwargs)

    return columns


def _localize_command(command: Any, ctx: Any, lang: str, swaps: _Swaps) -> None:
    """Swap in the Chinese help of ``command`` and of its parameters."""
    from semsearch.ui.catalogue_help import FRAME, HELP
    from semsearch.ui.i18n import in_script

    if command.name in HELP:
        swaps.set(command, "help", in_script(HELP[command.name], lang))
        swaps.set(command, "short_help", None)
    params = command.get_params(ctx) if ctx is not None else command.params
    for param in params:
        if param.name in HELP and getattr(param, "help", None):
            swaps.set(param, "help", in_script(HELP[param.name], lang))
        default = HELP.get(f"{param.name}.default")
        if default is not None and isinstance(getattr(param, "show_default", None), str):
            swaps.set(param, "show_default", in_script(default, lang))
    usage = command.get_usage
    prefix = in_script(FRAME["Usage:"], lang)
    swaps.set(command, "get_usage", lambda ctx: usage(ctx).replace("Usage:", prefix, 1))


@contextmanager
def help_in_language(commands: Iterable[Any], ctx: Any, lang: str) -> Iterator[None]:
    """Draw help in ``lang`` inside this block: the commands' and Typer's words swapped in.

    Args:
        commands: The click commands whose help is drawn (a group: itself and its commands).
        ctx: The click context of the help being drawn (its parameters include ``--help``).
        lang: One of :data:`semsearch.ui.i18n.LANGUAGES`; English changes nothing.

    Yields:
        Nothing; on leaving, every swapped word is put back.
    """
    if lang not in ("zh-Hans", "zh-Hant"):
        yield
        return
    from typer import rich_utils

    from semsearch.ui.catalogue_help import FRAME
    from semsearch.ui.i18n import in_script

    swaps = _Swaps()
    try:
        for command in commands:
            _localize_command(command, ctx if command is ctx.command else None, lang, swaps)
        for name, text in FRAME.items():
            if hasattr(rich_utils, name):
                swaps.set(rich_utils, name, in_script(text, lang))
        swaps.set(rich_utils, "Table", _folding_table(rich_utils.Table))
        swaps.set(rich_utils, "Columns", _folding_columns(rich_utils.Columns))
        yield
    finally:
        swaps.undo()
