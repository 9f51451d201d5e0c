"""The extraction worker seen from the indexer: one child process that runs risky extractors.

The child (:mod:`semsearch.ingest.worker_process`) imports the parsers once, caps its own
address space, and answers one request at a time: ``(extractor, path, bytes, seconds)`` in,
the :class:`~semsearch.ingest.document.Extracted` text or a one-line refusal out. Messages are
pickles with an 8-byte length in front, over the child's stdin and stdout; the child is our own
code, so its replies are trusted like the rest of this process.

The child stops a file itself at the time limit (an alarm signal, which works in its main
thread); when the file is stuck in C code the alarm cannot interrupt, this side kills the child
:data:`GRACE_SECONDS` later. A child that dies (killed, out of memory, a crash in C) is
restarted for the next file.
"""

from __future__ import annotations

import os
import pickle
import select
import signal
import struct
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import semsearch
from semsearch.ingest.document import Extracted, UnreadableFileError

#: The length in front of every message: 8 bytes, network order.
_HEADER = struct.Struct("!Q")
#: How long the child may take to import the parsers and say it is ready (seconds).
STARTUP_SECONDS = 60.0
#: How long after the time limit this side kills a child that has not stopped itself.
GRACE_SECONDS = 5.0


class WorkerUnavailableError(Exception):
    """The worker process could not be started (the caller extracts in process instead)."""


class WorkerGoneError(Exception):
    """The other end of the pipe closed: the worker (or its parent) is gone."""


def send_message(fd: int, message: object) -> None:
    """Write one message (a length, then the pickle) to a pipe.

    Args:
        fd: The pipe's file descriptor.
        message: Anything picklable.

    Raises:
        WorkerGoneError: The reading end is closed.
    """
    payload = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    view = memoryview(_HEADER.pack(len(payload)) + payload)
    try:
        while view:
            view = view[os.write(fd, view) :]
    except (BrokenPipeError, ConnectionResetError):
        raise WorkerGoneError("the pipe is closed") from None


def receive_message(fd: int, deadline: float | None = None) -> Any:
    """Read one message from a pipe, waiting at most until ``deadline``.

    Args:
        fd: The pipe's file descriptor.
        deadline: A :func:`time.monotonic` time, or None to wait as long as it takes.

    Returns:
        The unpickled message.

    Raises:
        TimeoutError: Nothing complete arrived before the deadline.
        WorkerGoneError: The writing end closed (the writer died).
    """
    (length,) = _HEADER.unpack(_read_exactly(fd, _HEADER.size, deadline))
    return pickle.loads(_read_exactly(fd, length, deadline))


def _read_exactly(fd: int, size: int, deadline: float | None) -> bytes:
    chunks: list[bytes] = []
    left = size
    while left:
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                raise TimeoutError("no answer in time")
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            raise WorkerGoneError("the pipe is closed")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def function_reference(function: Callable[..., Any]) -> str:
    """Name a module-level function so that another process can import it.

    Args:
        function: The function.

    Returns:
        ``"module:qualified.name"``.
    """
    return f"{function.__module__}:{function.__qualname__}"


class ExtractionWorker:
    """One worker process, started on demand, that runs extractors under limits.

    Args:
        seconds: Time limit per file.
        memory_bytes: Address space per file, above the worker's own after start-up.
    """

    def __init__(self, seconds: float, memory_bytes: int) -> None:
        self.seconds = seconds
        self.memory_bytes = memory_bytes
        self._process: subprocess.Popen[bytes] | None = None

    def ensure_started(self) -> None:
        """Start the worker unless it is running, and wait until it has imported the parsers.

        Raises:
            WorkerUnavailableError: It could not be started or did not answer.
        """
        if self._process is not None and self._process.poll() is None:
            return
        self._stop()
        # -I: the child ignores PYTHON* variables and the working folder, and imports semsearch
        # from where this process did.
        root = str(Path(semsearch.__file__).resolve().parents[1])
        code = (
            f"import sys; sys.path.insert(0, {root!r}); "
            "from semsearch.ingest.worker_process import main; main()"
        )
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-I", "-c", code],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,  # parsers' warnings come back as notes instead
                start_new_session=True,  # Ctrl-C on the terminal is for the indexer to handle
            )
            send_message(self._stdin, {"sys_path": sys.path, "memory_bytes": self.memory_bytes})
            receive_message(self._stdout, time.monotonic() + STARTUP_SECONDS)
        except (OSError, TimeoutError, WorkerGoneError, pickle.UnpicklingError) as error:
            self._stop()
            raise WorkerUnavailableError(f"the extraction worker did not start ({error})") from None

    def extract(
        self, extractor: Callable[[Path, bytes], Extracted], path: Path, data: bytes
    ) -> Extracted:
        """Run ``extractor`` on a file's bytes in the worker (started if need be).

        Args:
            extractor: A module-level function ``(path, bytes) -> Extracted``.
            path: The file (named in reasons).
            data: Its bytes.

        Returns:
            What the extractor returned, with the parser's warnings as notes.

        Raises:
            UnreadableFileError: The extractor refused the file or failed on it, hit a limit,
                or the worker died on it.
            WorkerUnavailableError: The worker could not be (re)started.
        """
        request = ("extract", function_reference(extractor), str(path), data, self.seconds)
        try:
            self._send(request)
            status, payload, exiting = receive_message(
                self._stdout, time.monotonic() + self.seconds + GRACE_SECONDS
            )
        except TimeoutError:
            self._stop()
            raise UnreadableFileError(
                path, f"took longer than {self.seconds:g} s to read (stopped)"
            ) from None
        except Exception:  # the worker died, or its reply is garbled: either way, restart it
            reason = self._death_reason()
            self._stop()
            raise UnreadableFileError(path, reason) from None
        if exiting:
            self._stop()
        if status == "ok":
            return payload
        reason, hint = payload
        raise UnreadableFileError(path, reason, hint)

    def _send(self, request: object) -> None:
        """Send a request, restarting once a worker that died while it was idle."""
        self.ensure_started()
        try:
            send_message(self._stdin, request)
        except WorkerGoneError:
            self._stop()
            self.ensure_started()
            send_message(self._stdin, request)

    @property
    def _stdin(self) -> int:
        assert self._process is not None and self._process.stdin is not None
        return self._process.stdin.fileno()

    @property
    def _stdout(self) -> int:
        assert self._process is not None and self._process.stdout is not None
        return self._process.stdout.fileno()

    def _death_reason(self) -> str:
        """Why the worker died on a file, from its exit status."""
        assert self._process is not None
        try:
            status = self._process.wait(timeout=GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            return "the reader stopped answering (stopped)"
        if status == -signal.SIGKILL:
            # Nobody here sent it: the system's out-of-memory killer, most likely.
            return "the reader was killed while reading it (out of memory?)"
        if status < 0:
            return f"the reader crashed on it (signal {-status})"
        return f"the reader crashed on it (exit status {status})"

    def close(self) -> None:
        """End the worker: close its input (it exits), kill it if it does not."""
        self._stop(graceful=True)

    def _stop(self, graceful: bool = False) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        try:
            if graceful and process.stdin is not None:
                process.stdin.close()
                process.wait(timeout=GRACE_SECONDS)
        except (OSError, subprocess.TimeoutExpired):
            pass
        if process.poll() is None:
            process.kill()
            process.wait()
        for stream in (process.stdin, process.stdout):
            if stream is not None and not stream.closed:
                stream.close()
