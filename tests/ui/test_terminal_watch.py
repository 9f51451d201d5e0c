"""What ``semsearch watch`` prints: one line per update, notices escaped, errors with hints."""

from __future__ import annotations

from pathlib import Path

import pytest

from semsearch.errors import SemsearchError
from semsearch.indexing import IndexReport
from semsearch.indexing.report import skipped_note
from semsearch.ui.terminal_watch import TerminalWatchListener


@pytest.fixture
def listener() -> TerminalWatchListener:
    return TerminalWatchListener("index", clock=lambda: "12:00:00")


def test_a_round_says_what_changed_and_how_long_it_took(
    listener: TerminalWatchListener, capsys: pytest.CaptureFixture[str]
) -> None:
    listener.round_done(IndexReport("index", added=1, changed=2, removed=3, seconds=0.42))
    listener.round_done(IndexReport("index", nothing_changed=True, seconds=0.1))
    said = capsys.readouterr().err.splitlines()
    assert said == [
        "12:00:00 Index index: 1 added, 2 changed, 3 removed (0.4 s).",
        "12:00:00 Index index: nothing changed (0.1 s).",
    ]


def test_start_notices_and_failures(
    listener: TerminalWatchListener, capsys: pytest.CaptureFixture[str]
) -> None:
    listener.started([Path("seeds"), Path("more")])
    listener.notice(skipped_note("[bold]x\x1b[31m.odt", "unsupported file type .odt"))
    listener.failed(SemsearchError("The disk is full.", "Free some space."))
    said = capsys.readouterr().err
    assert "Watching seeds, more for changes. Press Ctrl-C to stop." in said
    assert "[bold]x" in said and "\x1b" not in said  # markup and controls shown as text
    assert "Error: The disk is full." in said and "Free some space." in said
