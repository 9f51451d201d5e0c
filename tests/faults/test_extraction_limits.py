"""The extraction boundary under attack: loops, stuck C code, memory, crashes, noise.

Each hostile extractor (:mod:`faults.hostile`) runs in the real worker process with small
limits; every one must end as a one-line reason for its file, and the next file must be read
normally (the worker restarted when it had to be).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from semsearch.ingest import Extracted, Extraction, ExtractionLimits, UnreadableFileError
from semsearch.ingest import worker as worker_module
from semsearch.ingest.extract import FileFormat

from . import hostile

LIMITS = ExtractionLimits(seconds=1.0, memory_bytes=256 * 2**20)


@pytest.fixture(scope="module")
def extraction() -> Iterator[Extraction]:
    """One worker with a 1 s and 256 MB limit, killed 1 s after the limit; shared by the tests
    (each hostile one leaves it to be restarted, which is what is tested)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(worker_module, "GRACE_SECONDS", 1.0)
        with Extraction(LIMITS) as running:
            yield running


def run(
    extraction: Extraction, extractor: Callable[[Path, bytes], Extracted], name: str = "a.x"
) -> Extracted:
    file_format = FileFormat(extractor, 2**20, isolated=True)
    return extraction.run(file_format, Path(name), hostile.TEXT.encode())


def reason(extraction: Extraction, extractor: Callable[[Path, bytes], Extracted]) -> str:
    with pytest.raises(UnreadableFileError) as caught:
        run(extraction, extractor, "bad.x")
    assert caught.value.path == "bad.x" and "\n" not in caught.value.reason
    return caught.value.reason


@pytest.mark.parametrize(
    ("extractor", "expected", "longest"),
    [
        (hostile.sleeps_in_python, "took longer than 1 s to read (stopped)", 1.9),
        (hostile.stuck_in_c, "took longer than 1 s to read (stopped)", 2.9),
        (hostile.swallows_everything, "took longer than 1 s to read (stopped)", 2.9),
        (hostile.eats_memory, "needs more than 256 MB of memory to read (stopped)", 5.0),
        (hostile.crashes, "the reader crashed on it (signal 11)", 5.0),
        (hostile.exits, "the reader crashed on it (exit status 3)", 5.0),
        (hostile.raises, "cannot be read (KeyError: 'word/document.xml\\nsecond line')", 5.0),
    ],
)
def test_a_hostile_extractor_becomes_one_reason_and_the_next_file_is_read(
    extraction: Extraction,
    extractor: Callable[[Path, bytes], Extracted],
    expected: str,
    longest: float,
) -> None:
    assert run(extraction, hostile.well_behaved).title == "标题"  # the worker is up
    started = time.monotonic()
    assert reason(extraction, extractor) == expected
    # Every hostile extractor runs forever unless stopped: the bound catches a limit that does
    # not hold, with room for a loaded machine (these are not speed tests).
    assert time.monotonic() - started < longest * 10
    assert run(extraction, hostile.well_behaved).text == hostile.TEXT


def test_output_on_stdout_cannot_break_the_protocol_and_warnings_become_notes(
    extraction: Extraction,
) -> None:
    extracted = run(extraction, hostile.chatters)
    assert extracted.text == hostile.TEXT
    assert extracted.notes == [
        "pypdf: Ignoring wrong pointing object 6 0 (offset 0)",
        "UserWarning: odd thing 0",
        "UserWarning: odd thing 1",
        "and 3 more warnings",
    ]
    assert run(extraction, hostile.well_behaved).text == hostile.TEXT


def test_unpicklable_strings_come_back_as_plain_text(extraction: Extraction) -> None:
    extracted = run(extraction, hostile.returns_odd_strings)
    assert (type(extracted.text), extracted.title) == (str, "标题")


def test_a_worker_that_cannot_start_means_extracting_in_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(worker_module.sys, "executable", "/nonexistent/python")
    with Extraction(LIMITS) as extraction:
        assert run(extraction, hostile.well_behaved).title == "标题"
        assert not extraction.isolate
        # The exception boundary still holds in process.
        assert reason(extraction, hostile.raises).startswith("cannot be read (KeyError")


def test_a_killed_idle_worker_is_restarted(extraction: Extraction) -> None:
    run(extraction, hostile.well_behaved)
    worker = extraction._worker
    assert worker is not None and worker._process is not None
    worker._process.kill()
    worker._process.wait()
    assert run(extraction, hostile.well_behaved).text == hostile.TEXT


def test_closing_ends_the_worker_and_a_closed_extraction_starts_a_new_one() -> None:
    with Extraction(LIMITS) as extraction:
        run(extraction, hostile.well_behaved)
        assert extraction._worker is not None and extraction._worker._process is not None
        process = extraction._worker._process
        extraction.close()
        assert process.poll() is not None
        assert run(extraction, hostile.well_behaved).text == hostile.TEXT
