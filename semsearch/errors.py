"""User-facing errors.

Every mistake a user can make (a missing index, an unknown model, a bad path) is raised as a
:class:`SemsearchError`. The CLI and the app print its message and hint instead of a traceback.
"""

from __future__ import annotations


class SemsearchError(Exception):
    """An error caused by user input or the environment, shown without a traceback.

    Args:
        message: What went wrong, in one or two sentences.
        hint: What the user can do about it (optional).
    """

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

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
