"""Extractors that misbehave on purpose, for the extraction worker to survive.

They are module-level functions, as the worker imports them by name (``faults.hostile``, found
through the test process's ``sys.path``, which the worker inherits).
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import re
import sys
import time
import warnings
from pathlib import Path

from semsearch.ingest.document import Extracted

TEXT = "第一段正文内容，足够长以便作为正文保留下来，用来检验抽取工作进程。"


def well_behaved(path: Path, data: bytes) -> Extracted:
    """Returns the bytes as text."""
    return Extracted(data.decode("utf-8"), title="标题")


def sleeps_in_python(path: Path, data: bytes) -> Extracted:
    """Loops for ever in Python: the worker's own alarm stops it."""
    while True:
        time.sleep(0.01)


def stuck_in_c(path: Path, data: bytes) -> Extracted:
    """Backtracks in the regex engine, which no signal interrupts: the indexer kills the worker."""
    re.match(r"(a+)+$", "a" * 64 + "b")
    return Extracted(TEXT)


def swallows_everything(path: Path, data: bytes) -> Extracted:
    """Catches every exception, the alarm's included, and goes on: only the kill stops it."""
    while True:
        with contextlib.suppress(BaseException):
            time.sleep(0.01)


def eats_memory(path: Path, data: bytes) -> Extracted:
    """Allocates until the address-space limit stops it (MemoryError in the worker)."""
    hoard = []
    while True:
        hoard.append(bytearray(64 * 2**20))


def crashes(path: Path, data: bytes) -> Extracted:
    """Dies of a segmentation fault, as a parser's C code might."""
    ctypes.string_at(0)
    return Extracted(TEXT)


def exits(path: Path, data: bytes) -> Extracted:
    """Ends the process outright (a library calling exit)."""
    os._exit(3)


def raises(path: Path, data: bytes) -> Extracted:
    """Raises an exception no extractor expects, with a message over several lines."""
    raise KeyError("word/document.xml\nsecond line")


def chatters(path: Path, data: bytes) -> Extracted:
    """Prints to stdout (the worker's protocol channel) and stderr, logs, and warns."""
    print("garbage on stdout", flush=True)
    os.write(1, b"\x00\x00\x00\x00\x00\x00\x00\x10more garbage")
    print("garbage on stderr", file=sys.stderr, flush=True)
    logging.getLogger("pypdf._reader").warning("Ignoring wrong pointing object 6 0 (offset 0)")
    for number in range(5):
        warnings.warn(f"odd thing {number}", UserWarning, stacklevel=1)
    return Extracted(TEXT)


class _Odd(str):
    """A str subclass of the kind lxml returns, that the worker must hand back as plain str."""

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("cannot pickle me")


def returns_odd_strings(path: Path, data: bytes) -> Extracted:
    """Returns str subclasses that refuse to be pickled."""
    return Extracted(_Odd(TEXT), title=_Odd("标题"))


def unchecked_docx(path: Path, data: bytes) -> Extracted:
    """Opens a Word file with python-docx directly, without the zip package check."""
    import io

    import docx

    document = docx.Document(io.BytesIO(data))
    return Extracted("\n".join(p.text for p in document.paragraphs))
