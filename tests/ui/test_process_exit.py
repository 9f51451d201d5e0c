"""The console script's quick exit: the status, the flushed output and the exit handlers kept."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from semsearch.ui.process_exit import exit_code


def _run_script(tmp_path: Path, body: str) -> subprocess.CompletedProcess[str]:
    """Run ``body`` as the command of :func:`run_then_exit` in a new interpreter."""
    handler = str(tmp_path / "handler-ran")
    script = "\n".join(
        [
            "import atexit, sys",
            "from pathlib import Path",
            "from semsearch.ui.process_exit import run_then_exit",
            f"atexit.register(lambda: Path({handler!r}).write_text('yes'))",
            "def command():",
            textwrap.indent(textwrap.dedent(body).strip(), "    "),
            "run_then_exit(command)",
            "print('never printed')",
        ]
    )
    return subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )


def test_the_status_output_and_exit_handlers_survive_the_quick_exit(tmp_path: Path) -> None:
    done = _run_script(
        tmp_path,
        """
        sys.stdout.write("结果 without a newline")  # buffered until the flush
        sys.stderr.write("说明")
        raise SystemExit(3)
        """,
    )
    assert done.returncode == 3
    assert done.stdout == "结果 without a newline"
    assert done.stderr == "说明"
    assert (tmp_path / "handler-ran").read_text() == "yes"


def test_a_command_that_returns_exits_with_0(tmp_path: Path) -> None:
    done = _run_script(tmp_path, 'print("done")')
    assert (done.returncode, done.stdout) == (0, "done\n")
    assert (tmp_path / "handler-ran").is_file()


@pytest.mark.parametrize(
    ("code", "status"), [(None, 0), (0, 0), (2, 2), (130, 130), ("a message", 1)]
)
def test_exit_codes_are_the_interpreters(code: object, status: int) -> None:
    assert exit_code(SystemExit(code)) == status


def test_a_message_code_is_printed_like_the_interpreter_does(tmp_path: Path) -> None:
    done = _run_script(tmp_path, 'raise SystemExit("用法错误")')
    assert done.returncode == 1
    assert done.stderr.strip() == "用法错误"


def test_the_console_script_entry_point_is_the_quick_exit() -> None:
    import tomllib

    pyproject = tomllib.loads(
        (Path(__file__).parents[2] / "pyproject.toml").read_text(encoding="utf-8")
    )
    assert pyproject["project"]["scripts"]["semsearch"] == "semsearch.cli:run"
