"""User-facing errors.

Every mistake a user can make (a missing index, an unknown model, a bad path) is raised as a
:class:`SemsearchError`. The CLI and the app print its message and hint instead of a traceback.

The message and hint are written in English where the error is raised (for logs, and for readers
who chose English). An error a reader is likely to meet also carries a stable ``key`` and the
``params`` its sentence is made of; the front ends look the key up in their message catalogue
(``semsearch/ui/catalogue.py``, ``ERRORS``) to say the same thing in the reader's language. The
core never imports the front ends: it only names the sentence.
"""

from __future__ import annotations

from collections.abc import Mapping


class SemsearchError(Exception):
    """An error caused by user input or the environment, shown without a traceback.

    Args:
        message: What went wrong, in one or two sentences (English).
        hint: What the user can do about it (optional, English).
        key: The catalogue key of this sentence (e.g. ``"index.missing"``), for front ends that
            speak another language; None: the English text is shown everywhere.
        params: The values of the catalogue sentence's placeholders (paths, counts, names).
    """

    def __init__(
        self,
        message: str,
        hint: str | None = None,
        *,
        key: str | None = None,
        params: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.key = key
        self.params: dict[str, str] = {name: str(value) for name, value in (params or {}).items()}

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message}\n{self.hint}"
        return self.message


class ModelError(SemsearchError):
    """The embedding model cannot be found, converted or loaded."""


class IndexStoreError(SemsearchError):
    """The index is missing, corrupt, locked or built with other settings."""


class IndexLockedError(IndexStoreError):
    """Another writer holds the index's write lock (a caller may wait and try again)."""


class DocumentError(SemsearchError):
    """A file cannot be read as an article (the build skips it)."""
