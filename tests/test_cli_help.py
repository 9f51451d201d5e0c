"""``--help`` speaks the command's language: every command and parameter has its Chinese help,
which keeps the English one's variables and options, and English help is left as it was."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
import typer.main
from typer.testing import CliRunner

from semsearch.text import to_traditional
from semsearch.ui.catalogue_help import HELP

CLEAN = {"SEMSEARCH_LANG": None, "LC_ALL": None, "LC_MESSAGES": None, "LANG": None}
CHINESE = {**CLEAN, "LANG": "zh_CN.UTF-8", "COLUMNS": "200"}
TRADITIONAL = {**CLEAN, "LANG": "zh_TW.UTF-8", "COLUMNS": "200"}
ENGLISH = {**CLEAN, "LANG": "C", "COLUMNS": "200"}
#: What a Chinese help must keep of the English one: variables, options, file names.
_KEPT = re.compile(r"\$SEMSEARCH_\w+|--[a-z-]+|\b\w+\.jsonl\b")


def _english_texts() -> dict[str, str]:
    """``key: English`` for every text the catalogue must say (see ``catalogue_help``)."""
    from semsearch import cli

    group = typer.main.get_command(cli.app)
    texts = {"semsearch": group.help or ""}
    for name, command in group.commands.items():
        texts[name] = command.help or ""
        for param in command.params:
            if param.help:
                texts[param.name] = param.help
            if isinstance(getattr(param, "show_default", None), str):
                texts[f"{param.name}.default"] = param.show_default
    return texts


def _help(env: dict[str, str | None], *args: str) -> str:
    from semsearch import cli

    done = CliRunner().invoke(cli.app, [*args, "--help"], env=env)
    assert done.exit_code == 0, done.output
    return done.output


def test_every_command_and_parameter_has_its_chinese_help_with_the_same_names() -> None:
    english = _english_texts()
    assert len(english) >= 30
    assert english.keys() <= HELP.keys() - {"help"}, english.keys() - HELP.keys()
    assert HELP.keys() - {"help"} <= english.keys(), "a HELP entry nothing uses"
    for key, text in english.items():
        assert set(_KEPT.findall(text)) <= set(_KEPT.findall(HELP[key])), key


@pytest.mark.parametrize("command", ["query", "build", "eval"])
def test_help_is_drawn_in_chinese_and_english_help_is_unchanged(command: str) -> None:
    before = _help(ENGLISH, command)
    chinese = _help(CHINESE, command)
    assert "用法：" in chinese and "选项" in chinese and "[默认：" in chinese
    assert HELP[command].split("。")[0] in chinese
    assert "显示这段说明并退出。" in chinese and "Show this message" not in chinese
    assert "$SEMSEARCH_MODEL" in chinese and "Options" not in chinese
    assert to_traditional("选项") in _help(TRADITIONAL, command)
    assert _help(ENGLISH, command) == before  # every swapped word was put back
    assert "Usage:" in before and "Options" in before and "[default:" in before


def test_the_programs_help_lists_the_commands_in_chinese() -> None:
    before = _help(ENGLISH)
    chinese = _help(CHINESE)
    assert "命令" in chinese and HELP["info"] in chinese and "$SEMSEARCH_LANG" in chinese
    assert _help(ENGLISH) == before


def test_a_long_chinese_line_is_folded_not_cut() -> None:
    narrow = _help({**CHINESE, "COLUMNS": "80"}, "query")
    assert "…" not in narrow
    assert "为其中的索引命名" in narrow.replace("│", "").replace("\n", "").replace(" ", "")


def test_the_command_starts_without_the_help_catalogue() -> None:
    code = "import sys, semsearch.cli; print('semsearch.ui.catalogue_help' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
