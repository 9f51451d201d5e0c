"""Tests for semsearch.ingest.worker: the pipe protocol and the worker's life."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from semsearch.ingest import Extracted
from semsearch.ingest.formats.plain import extract_plain_text
from semsearch.ingest.worker import (
    ExtractionWorker,
    WorkerGoneError,
    function_reference,
    receive_message,
    send_message,
)


def test_messages_cross_a_pipe_whole() -> None:
    read_end, write_end = os.pipe()
    message = ("extract", "m:f", "a.txt", b"\x00" * 200_000, 1.5)

    def write_and_close() -> None:  # larger than the pipe's buffer: it needs a reader meanwhile
        send_message(write_end, message)
        os.close(write_end)

    writer = threading.Thread(target=write_and_close)
    writer.start()
    try:
        assert receive_message(read_end, time.monotonic() + 10) == message
        writer.join()
        with pytest.raises(WorkerGoneError):
            receive_message(read_end)
    finally:
        os.close(read_end)


def test_waiting_is_bounded_by_the_deadline() -> None:
    read_end, write_end = os.pipe()
    try:
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            receive_message(read_end, time.monotonic() + 0.2)
        assert time.monotonic() - started < 10.0  # bounded (a loaded machine may be slow)
    finally:
        os.close(read_end)
        os.close(write_end)


def test_a_closed_reader_is_reported() -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        with pytest.raises(WorkerGoneError):
            send_message(write_end, "hello")
    finally:
        os.close(write_end)


def test_functions_are_named_for_import() -> None:
    assert function_reference(extract_plain_text) == (
        "semsearch.ingest.formats.plain:extract_plain_text"
    )


def test_the_worker_runs_an_extractor_and_ends_when_closed() -> None:
    worker = ExtractionWorker(seconds=10, memory_bytes=2**30)
    worker.ensure_started()
    process = worker._process
    assert process is not None
    extracted = worker.extract(extract_plain_text, Path("a.txt"), "正文".encode())
    assert extracted == Extracted("正文")
    worker.close()
    assert process.poll() == 0  # it exits by itself when its input closes
