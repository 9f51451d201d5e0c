"""Hostile names: uploads under any name, and a terminal that no file name or query can drive.

Names with 4-byte characters used to raise ``File name too long`` (and, on the page, lose the
other file of the same upload); escape sequences in file names and queries reached the
terminal raw; a right-to-left override in an upload's name was kept.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from fakes import FakeEmbedder
from typer.testing import CliRunner

from semsearch.service import Service
from semsearch.uploads import MAX_NAME_BYTES

from .conftest import SEEDS
from .poison import POISON

#: What a terminal acts on: ESC (CSI, OSC), BEL, CR, the C1 CSI, bidi overrides and isolates.
RAW_CONTROLS = ("\x1b", "\x07", "\r", "\x9b", "\u202e", "\u2066", "\x00")

HOSTILE_NAMES = [
    "😀" * 100 + ".txt",
    "𠀀" * 80 + ".md",  # CJK extension B: 4 bytes each
    "\x1b[2J\x1b]0;pwned\x07清屏.txt",
    "报告\u202etxt.exe.txt",
    "../../etc/\u2066isolated\u2069.txt",
    "c1\x9b31mred.txt",
]


@pytest.fixture
def service(corpus: Path, tmp_path: Path) -> Service:
    return Service(tmp_path / "index", corpus, embedder_loader=lambda model: FakeEmbedder())


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_an_upload_under_a_hostile_name_is_saved_with_the_file_next_to_it(
    service: Service, name: str
) -> None:
    outcome = service.save_uploads(
        [(name, SEEDS[3].read_bytes()), ("second.txt", SEEDS[4].read_bytes())]
    )
    assert [a.error for a in outcome.attempts] == [None, None]
    assert outcome.index_error is None and outcome.report is not None
    assert outcome.report.added == 2
    saved = outcome.saved[0].path
    assert saved.parent == service.corpus_dir and saved.exists()
    assert len(saved.name.encode("utf-8")) <= MAX_NAME_BYTES
    assert not any(control in saved.name for control in RAW_CONTROLS)
    assert (service.corpus_dir / "second.txt").exists()


def test_poisoned_uploads_are_refused_one_by_one_and_never_saved(service: Service) -> None:
    files = [(name, make()) for name, (make, _) in POISON.items()]
    outcome = service.save_uploads([*files, ("good.txt", SEEDS[3].read_bytes())])
    assert [a.name for a in outcome.attempts if a.saved] == ["good.txt"]
    for attempt in outcome.attempts[:-1]:
        assert attempt.error is not None and "\n" not in attempt.error.message
    assert outcome.report is not None and outcome.report.added == 1
    on_disk = {p.name for p in service.corpus_dir.iterdir()}
    assert on_disk == {seed.name for seed in SEEDS[:3]} | {"good.txt"}


@pytest.fixture
def hostile_corpus(corpus: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Articles and skipped files under hostile names; the CLI's model is a fake."""
    from semsearch import cli

    monkeypatch.setattr(cli, "load_model", lambda name, cache=None: FakeEmbedder(model_id=name))
    monkeypatch.delenv("SEMSEARCH_INDEX", raising=False)
    # No headline in the text: the title comes from the file name.
    body = "。".join(["这是一个没有标题的段落，它的标题只能取自文件名" * 2] * 3) + "。\n"
    (corpus / "\x1b]0;pwned\x07标题\x1b[2J.txt").write_text(body, encoding="utf-8")
    shutil.copy(SEEDS[3], corpus / "\u202egnp.exe.txt")
    (corpus / "line\nbreak\x9b31m.xyz").write_text("x", encoding="utf-8")
    with open(os.fsencode(corpus) + b"/bytes-\xff\xfe.txt", "wb") as handle:
        handle.write(SEEDS[4].read_bytes())
    return corpus


def assert_terminal_safe(output: str) -> None:
    for control in RAW_CONTROLS:
        assert control not in output, repr(control)


def test_build_query_info_and_inspect_print_no_raw_control_characters(
    hostile_corpus: Path,
) -> None:
    from semsearch import cli

    runner = CliRunner()
    built = runner.invoke(cli.app, ["build", "corpus", "--model", "fake"])
    assert built.exit_code == 0, built.output
    assert_terminal_safe(built.output)
    assert "Skipped corpus/line\\x0abreak\\x9b31m.xyz: unsupported file type .xyz" in built.output
    assert "Skipped corpus/bytes-\\xff\\xfe.txt: its name is not valid UTF-8" in built.output

    found = runner.invoke(cli.app, ["query", "\x1b[2J没有标题的段落\u202e", "--mode", "keyword"])
    assert found.exit_code == 0, found.output
    assert_terminal_safe(found.output)
    assert "\\x1b[2J没有标题的段落\\u202e" in found.output
    assert "\\x1b]0;pwned\\x07标题\\x1b[2J.txt" in found.output  # the path, escaped
    assert " 标题[2J" not in found.output  # the title, from the name, lost its controls

    info = runner.invoke(cli.app, ["info"])
    assert info.exit_code == 0 and "line\\x0abreak" in info.output
    assert_terminal_safe(info.output)

    inspected = runner.invoke(cli.app, ["inspect", "corpus/\u202egnp.exe.txt"])
    assert inspected.exit_code == 0 and "\\u202egnp.exe.txt" in inspected.output
    assert_terminal_safe(inspected.output)


def test_json_output_escapes_what_a_terminal_acts_on_and_stays_the_same_json(
    hostile_corpus: Path,
) -> None:
    from semsearch import cli

    runner = CliRunner()
    assert runner.invoke(cli.app, ["build", "corpus", "--model", "fake"]).exit_code == 0
    info = runner.invoke(cli.app, ["info", "--json"])
    assert_terminal_safe(info.stdout)
    skipped = {item["path"] for item in json.loads(info.stdout)["skipped"]}
    assert "corpus/line\nbreak\x9b31m.xyz" in skipped
