"""The command group of ``semsearch``: suggestions for mistyped commands, help without types
and in the command's language.

Click already suggests a command for a close typo (``qurey`` → ``query``); the group adds the
words users type for a command (``search`` → ``query``, ``status`` → ``info``). Typer labels each
parameter with its Python type in help (``<list[Path]>``, ``<bool>``); every parameter of the
CLI has a metavar instead (FOLDER, N, DATE…; empty for a flag), so the group drops the labels.
Help is drawn in the command's language (:mod:`semsearch.ui.help_language`).
"""

from __future__ import annotations

from typing import Any

# Typer carries its own click; its usage error is the one a command group raises.
from typer._click.exceptions import UsageError
from typer.core import TyperGroup

from semsearch.ui.help_language import help_in_language

#: Words users type for a command, and the command they mean (close typos are click's job).
COMMAND_SYNONYMS = {
    "search": "query",
    "find": "query",
    "ask": "query",
    "index": "build",
    "create": "build",
    "refresh": "update",
    "sync": "update",
    "reindex": "update",
    "status": "info",
    "stats": "info",
    "show": "inspect",
    "read": "inspect",
    "evaluate": "eval",
    "bench": "eval",
    "download": "prepare-model",
    "prepare": "prepare-model",
    "model": "prepare-model",
}


def _no_type_label(ctx: Any) -> None:
    return None


def _help_language() -> str:
    from semsearch.ui.i18n import terminal_language

    return terminal_language()


def _drawn_in_language(command: Any) -> None:
    """Make ``command`` draw its help in the command's language."""
    draw = command.format_help

    def format_help(ctx: Any, formatter: Any) -> None:
        with help_in_language([command], ctx, _help_language()):
            draw(ctx, formatter)

    command.format_help = format_help


def _without_type_label(param: Any) -> Any:
    """The parameter with no type label in help (its metavar says more than Typer's ``<bool>``)."""
    if param is not None:
        param.display_type_rich = _no_type_label
    return param


class SuggestingGroup(TyperGroup):
    """The command group: suggests the command meant by a common synonym; help without types.

    Typer labels each parameter with its Python type (``<list[Path]>``, ``<bool>``); every
    parameter here has a metavar instead (FOLDER, N, DATE…; empty for a flag).
    """

    def get_help_option(self, ctx: Any) -> Any:
        """The ``--help`` option, without a type label."""
        return _without_type_label(super().get_help_option(ctx))

    def format_help(self, ctx: Any, formatter: Any) -> None:
        """Draw the program's help (its commands listed) in the command's language."""
        with help_in_language([self, *self.commands.values()], ctx, _help_language()):
            super().format_help(ctx, formatter)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        """A command by name: parameters and ``--help`` without type labels, help in language."""
        command = super().get_command(ctx, cmd_name)
        if command is not None and not getattr(command, "_labels_dropped", False):
            for param in command.params:
                # An option's metavar shows in the type column; an argument's names it.
                if param.param_type_name == "argument" or param.metavar == "":
                    _without_type_label(param)
            make_help_option = command.get_help_option
            command.get_help_option = lambda ctx: _without_type_label(make_help_option(ctx))
            _drawn_in_language(command)
            command._labels_dropped = True
        return command

    def resolve_command(self, ctx: Any, args: list[str]) -> tuple[str | None, Any, list[str]]:
        """Find the command ``args`` name; for an unknown one, suggest the nearest.

        Args:
            ctx: The click context.
            args: The remaining arguments, the command's name first.

        Returns:
            The command's name, the command and its arguments.

        Raises:
            UsageError: For an unknown command (with a suggestion when there is one).
        """
        try:
            return super().resolve_command(ctx, args)
        except UsageError as error:
            meant = COMMAND_SYNONYMS.get(args[0].lower()) if args else None
            if meant is not None and "Did you mean" not in error.message:
                error.message = f"{error.message.rstrip('.')}. Did you mean '{meant}'?"
            raise
