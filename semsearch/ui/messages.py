"""What the page says after it acted: errors with their fix, indexing and upload outcomes.

Pure functions from the service's data to markdown in which every untrusted word (a file name,
a reason, a message) shows literally. Nothing here imports Streamlit.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from semsearch.ui.i18n import Texts
from semsearch.ui.page import escape_markdown

if TYPE_CHECKING:
    from semsearch.errors import SemsearchError
    from semsearch.indexing import IndexReport
    from semsearch.service import UploadAttempt, UploadOutcome

#: A message for the page: the kind of box (``st.success``, ``st.error``…) and its markdown.
Note = tuple[str, str]
_ENGLISH = Texts("en")


def error_markdown(error: SemsearchError, tr: Texts = _ENGLISH) -> str:
    """A user-facing error and its fix as markdown, every word shown literally.

    Args:
        error: The error.
        tr: The page's language (the error's sentence by its catalogue key; an error without
            one keeps the core's English words).

    Returns:
        The message, then the hint after **Fix:** on its own line.
    """
    message, hint = tr.error(error)
    body = escape_markdown(message)
    if hint:
        body += f"  \n{tr('error.fix')} " + escape_markdown(hint)
    return body


def describe_report(report: IndexReport, tr: Texts = _ENGLISH) -> str:
    """One line about an indexer report (counts of added/changed/removed, time).

    Args:
        report: What a build or update did.
        tr: The page's language.

    Returns:
        The line (plain text).
    """
    if report.nothing_changed:
        return tr("report.up_to_date")
    return tr(
        "report.counts",
        added=report.added,
        changed=report.changed,
        removed=report.removed,
        chunks=report.chunks_embedded,
        seconds=f"{report.seconds:.1f}",
    )


def _attempt_note(attempt: UploadAttempt, tr: Texts) -> Note | None:
    if attempt.error is not None:
        return ("error", error_markdown(attempt.error, tr))
    assert attempt.saved is not None  # an attempt is saved or refused
    sent, name = escape_markdown(attempt.name), escape_markdown(attempt.saved.path.name)
    if attempt.saved.status == "duplicate":
        return ("info", tr("upload.duplicate", sent=sent, name=name))
    if attempt.saved.status == "renamed":
        return ("warning", tr("upload.renamed", sent=sent, name=name))
    return None


def upload_notes(outcome: UploadOutcome, tr: Texts = _ENGLISH) -> list[Note]:
    """The messages about an upload: indexing first, then each file that needs a word.

    Args:
        outcome: What the upload did.
        tr: The page's language.

    Returns:
        ``(kind, markdown)`` pairs, in the order they are shown.
    """
    notes = [note for attempt in outcome.attempts if (note := _attempt_note(attempt, tr))]
    if outcome.index_error is not None:
        return [("error", error_markdown(outcome.index_error, tr)), *notes]
    if outcome.report is None:
        return notes
    first: list[Note] = []
    if outcome.indexed:
        names = ", ".join(escape_markdown(item.path.name) for item in outcome.indexed)
        report = describe_report(outcome.report, tr)
        first.append(("success", tr("upload.indexed", names=names, report=report)))
    for item in outcome.unindexable:
        name, reason = escape_markdown(Path(item.path).name), escape_markdown(item.reason)
        first.append(("error", tr("upload.unindexable", name=name, reason=reason)))
    return [*first, *notes]
