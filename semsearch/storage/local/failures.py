"""Write failures of the file system, told in one line: which index, and why.

A build or update can fail on a full disk (``ENOSPC``, FAISS's "write error", SQLite's "database
or disk is full"), a read-only file system, missing permissions or a quota. Whatever the step,
the writer turns the error into one :class:`IndexStoreError` naming the index folder and the
cause; it then removes its temporary generation, and the previous one stays current.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import re
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from semsearch.errors import IndexStoreError

_CAUSES = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is used up",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "the operation is not permitted",
    errno.EIO: "the disk reported an input/output error",
}
_HINT = (
    "Nothing was changed: the index keeps its previous version. Fix the cause (free space, "
    "permissions) and run the command again."
)

F = TypeVar("F", bound=Callable[..., Any])

_SHORT_WRITE_RE = re.compile(r"\d+ requested and \d+ written")


def cause_of(error: BaseException) -> str:
    """Say why a write failed.

    Args:
        error: What the file system, SQLite or FAISS raised.

    Returns:
        The reason in a few words, with the system's own message.
    """
    if isinstance(error, sqlite3.Error):
        text = str(error)
        if "full" in text:
            return f"the disk is full (SQLite: {text})"
        if "readonly" in text or "read-only" in text:
            return f"the file system is read-only (SQLite: {text})"
        return f"SQLite: {text}"
    number = getattr(error, "errno", None)
    detail = getattr(error, "strerror", None) or str(error)
    if number in _CAUSES:
        return f"{_CAUSES[number]} ({detail})"
    if number is None and _SHORT_WRITE_RE.fullmatch(detail):
        # numpy's own check of a short write ("7650 requested and 7136 written"), no errno:
        # the file system took part of the data, as a full disk does.
        return f"the disk is full ({detail})"
    return detail or type(error).__name__


def write_failure(index_dir: Path, error: BaseException) -> IndexStoreError:
    """The one error a failed write ends in.

    Args:
        index_dir: The index folder.
        error: What the file system (or SQLite, or FAISS) raised.

    Returns:
        The error to raise.
    """
    return IndexStoreError(
        f"Could not write the index in {index_dir}: {cause_of(error)}.",
        _HINT,
        key="index.write_failed",
        params={"index": index_dir, "reason": cause_of(error)},
    )


@contextlib.contextmanager
def reported_as_write_failure(index_dir: Path) -> Iterator[None]:
    """Turn an ``OSError`` or SQLite error raised inside into :func:`write_failure`.

    Args:
        index_dir: The index folder (named in the message).

    Yields:
        Nothing; the body runs inside.
    """
    try:
        yield
    except (OSError, sqlite3.OperationalError) as error:
        raise write_failure(index_dir, error) from error


def writes_files(method: F) -> F:
    """Decorate a writer method: its file system failures become :func:`write_failure`.

    Args:
        method: A method of an object with an ``index_dir``.

    Returns:
        The decorated method.
    """

    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        with reported_as_write_failure(self.index_dir):
            return method(self, *args, **kwargs)

    return wrapper  # type: ignore[return-value]
