"""Tests of what the page says after it acted: errors, indexing reports, upload outcomes."""

from __future__ import annotations

from pathlib import Path

from semsearch.errors import SemsearchError
from semsearch.indexing import IndexReport
from semsearch.ingest import SkippedFile
from semsearch.service import UploadAttempt, UploadOutcome
from semsearch.ui.messages import describe_report, error_markdown, upload_notes
from semsearch.uploads import SavedUpload, UploadError


def _saved(
    tmp_path: Path, name: str, status: str = "saved", sent: str | None = None
) -> UploadAttempt:
    return UploadAttempt(sent or name, saved=SavedUpload(sent or name, tmp_path / name, status))


def test_error_markdown_escapes_and_adds_the_fix() -> None:
    error = SemsearchError("Bad *file*", "Use [x](y)")
    assert error_markdown(error) == r"Bad \*file\*  " + "\n" + r"**Fix:** Use \[x\]\(y\)"
    assert error_markdown(SemsearchError("Plain")) == "Plain"


def test_describe_report_counts_or_says_up_to_date() -> None:
    report = IndexReport("index", added=2, changed=1, removed=0, chunks_embedded=7, seconds=1.25)
    assert describe_report(report) == "2 added, 1 changed, 0 removed; 7 chunks embedded in 1.2 s."
    assert describe_report(IndexReport("index", nothing_changed=True)) == (
        "The index was already up to date."
    )


def test_upload_notes_put_indexing_first_then_each_file_in_order(tmp_path: Path) -> None:
    report = IndexReport(
        "index",
        added=2,
        chunks_embedded=5,
        seconds=0.5,
        skipped=[SkippedFile(str(tmp_path / "bad.pdf"), "no text")],
    )
    outcome = UploadOutcome(
        [
            _saved(tmp_path, "a.txt"),
            UploadAttempt("x.jpg", error=UploadError("x.jpg: .jpg cannot be indexed.", "Upload")),
            _saved(tmp_path, "b (2).txt", "renamed", sent="b.txt"),
            _saved(tmp_path, "c.txt", "duplicate"),
            _saved(tmp_path, "bad.pdf"),
        ],
        report=report,
    )
    notes = upload_notes(outcome)
    assert notes == [
        (
            "success",
            r"Indexed a\.txt, b \(2\)\.txt. 2 added, 0 changed, 0 removed; "
            "5 chunks embedded in 0.5 s.",
        ),
        ("error", r"bad\.pdf was saved but cannot be indexed: no text"),
        ("error", r"x\.jpg\: \.jpg cannot be indexed\.  " + "\n" + "**Fix:** Upload"),
        ("warning", r"Another file is called b\.txt: saved as b \(2\)\.txt."),
        ("info", r"c\.txt is already in the corpus as c\.txt: not added again."),
    ]


def test_upload_notes_of_a_duplicate_that_changed_nothing_name_no_indexing(
    tmp_path: Path,
) -> None:
    outcome = UploadOutcome(
        [_saved(tmp_path, "c.txt", "duplicate")],
        report=IndexReport("index", nothing_changed=True),
    )
    assert [kind for kind, _ in upload_notes(outcome)] == ["info"]


def test_upload_notes_of_a_failed_indexing_lead_with_the_error(tmp_path: Path) -> None:
    outcome = UploadOutcome(
        [_saved(tmp_path, "a.txt")], index_error=SemsearchError("Locked.", "Wait.")
    )
    assert upload_notes(outcome) == [("error", r"Locked\.  " + "\n" + r"**Fix:** Wait\.")]
