"""Leaving a CLI process once its command is done, without the interpreter's teardown.

At exit, CPython frees every module, object and the model's memory one by one. That took
0.15–0.3 s of a one-article ``semsearch update`` on the project's machine (docs/performance.md,
"Updates"), more than the update's own writes, for memory the operating system reclaims at once.
When a command returns, its work is already published (every index write is fsynced before
``current`` moves), so the console script runs the exit handlers, flushes the terminal streams
and ends the process directly.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
from collections.abc import Callable
from typing import NoReturn


def exit_code(stop: SystemExit) -> int:
    """The process status a ``SystemExit`` stands for, as the interpreter would set it.

    Args:
        stop: The exception a command raised.

    Returns:
        0 for no code, the code if it is an integer, else 1 (the code is then a message, which
        is printed on stderr as the interpreter does).
    """
    if stop.code is None:
        return 0
    if isinstance(stop.code, int):
        return stop.code
    with contextlib.suppress(Exception):
        print(stop.code, file=sys.stderr)
    return 1


def run_then_exit(command: Callable[[], object]) -> NoReturn:
    """Run ``command`` and end the process with its status, skipping the teardown.

    Exit handlers registered with :mod:`atexit` still run (the extractor worker is stopped, a
    Qdrant client closed, logging flushed). Threads still alive are idle pool workers or a model
    preload, which hold nothing to save.

    Args:
        command: The CLI's main function; it ends by raising ``SystemExit``.
    """
    try:
        command()
        code = 0
    except SystemExit as stop:
        code = exit_code(stop)
    try:
        atexit._run_exitfuncs()  # CPython's own step of a normal exit; not run by os._exit
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):  # a closed pipe (``| head``) is not an error
                stream.flush()
        os._exit(code)
