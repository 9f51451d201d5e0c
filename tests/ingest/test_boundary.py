"""Tests for semsearch.ingest.boundary: any failure of a file becomes its one-line reason.

The worker process under attack (time, memory, crashes) is tested in
tests/faults/test_extraction_limits.py.
"""

from __future__ import annotations

import zlib
from pathlib import Path

import pytest

from semsearch.ingest import FORMATS, Extracted, Extraction, UnreadableFileError
from semsearch.ingest.boundary import failure_reason, shared_extraction
from semsearch.ingest.extract import FileFormat


def fails(path: Path, data: bytes) -> Extracted:
    raise ValueError("bad\n  value")


def test_failure_reasons_are_one_line() -> None:
    assert failure_reason(ValueError("bad\n  value")) == "cannot be read (ValueError: bad value)"
    assert failure_reason(KeyError()) == "cannot be read (KeyError)"
    assert failure_reason(MemoryError()) == "cannot be read (it needs more memory than there is)"
    assert failure_reason(ValueError("x" * 500), "not a valid .pdf file").endswith("x…)")
    assert len(failure_reason(ValueError("x" * 500))) < 240


def test_generic_exception_names_say_their_module() -> None:
    try:
        zlib.decompress(b"not zlib")
    except zlib.error as error:
        assert failure_reason(error).startswith("cannot be read (zlib.error: Error -3")


@pytest.mark.parametrize("isolate", [True, False])
def test_any_exception_of_an_extractor_is_the_file_reason(isolate: bool) -> None:
    with Extraction(isolate=isolate) as extraction, pytest.raises(UnreadableFileError) as caught:
        extraction.run(FileFormat(fails, 100, isolated=True), Path("a.x"), b"data")
    assert caught.value.reason == "cannot be read (ValueError: bad value)"
    assert caught.value.message == "a.x: cannot be read (ValueError: bad value)"


def test_plain_text_is_read_in_process_without_a_worker() -> None:
    with Extraction() as extraction:
        extracted = extraction.run(FORMATS[".txt"], Path("a.txt"), "正文".encode())
        assert extracted.text == "正文" and extraction._worker is None


def test_the_shared_extraction_is_one_per_process() -> None:
    assert shared_extraction() is shared_extraction()
