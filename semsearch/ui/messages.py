"""What the page says after it acted: errors with their fix, indexing and upload outcomes.

Pure functions from the service's data to markdown in which every untrusted word (a file name,
a reason, a message) shows literally. Nothing here imports Streamlit.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from semsearch.ui.page import escape_markdown

if TYPE_CHECKING:
    from semsearch.errors import SemsearchError
    from semsearch.indexing import IndexReport
    from semsearch.service import UploadAttempt, UploadOutcome

#: A message for the page: the kind of box (``st.success``, ``st.error``…) and its markdown.
Note = tuple[str, str]


def error_markdown(error: SemsearchError) -> str:
    """A user-facing error and its fix as markdown, every word shown literally.

    Args:
        error: The error.

    Returns:
        The message, then the hint after **Fix:** on its own line.
    """
    body = escape_markdown(error.message)
    if error.hint:
        body += "  \n**Fix:** " + escape_markdown(error.hint)
    return body


def describe_report(report: IndexReport) -> str:
    """One line about an indexer report (counts of added/changed/removed, time).

    Args:
        report: What a build or update did.

    Returns:
        The line (plain text).
    """
    if report.nothing_changed:
        return "The index was already up to date."
    return (
        f"{report.added} added, {report.changed} changed, {report.removed} removed; "
        f"{report.chunks_embedded} chunks embedded in {report.seconds:.1f} s."
    )


def _attempt_note(attempt: UploadAttempt) -> Note | None:
    if attempt.error is not None:
        return ("error", error_markdown(attempt.error))
    assert attempt.saved is not None  # an attempt is saved or refused
    sent, name = escape_markdown(attempt.name), escape_markdown(attempt.saved.path.name)
    if attempt.saved.status == "duplicate":
        return ("info", f"{sent} is already in the corpus as {name}: not added again.")
    if attempt.saved.status == "renamed":
        return ("warning", f"Another file is called {sent}: saved as {name}.")
    return None


def upload_notes(outcome: UploadOutcome) -> list[Note]:
    """The messages about an upload: indexing first, then each file that needs a word.

    Args:
        outcome: What the upload did.

    Returns:
        ``(kind, markdown)`` pairs, in the order they are shown.
    """
    notes = [note for attempt in outcome.attempts if (note := _attempt_note(attempt))]
    if outcome.index_error is not None:
        return [("error", error_markdown(outcome.index_error)), *notes]
    if outcome.report is None:
        return notes
    first: list[Note] = []
    if outcome.indexed:
        names = ", ".join(escape_markdown(item.path.name) for item in outcome.indexed)
        first.append(("success", f"Indexed {names}. {describe_report(outcome.report)}"))
    for item in outcome.unindexable:
        first.append(
            (
                "error",
                f"{escape_markdown(Path(item.path).name)} was saved but cannot be indexed: "
                f"{escape_markdown(item.reason)}",
            )
        )
    return [*first, *notes]
