"""Tests for semsearch.ingest.extract: the format registry and the guarded read of a file."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from semsearch.ingest import (
    FORMATS,
    MAX_PACKAGE_BYTES,
    MAX_TEXT_BYTES,
    SUPPORTED_SUFFIXES,
    UnreadableFileError,
    discover_files,
)
from semsearch.ingest.extract import format_for

from .samples import PARAGRAPH, reason_for


def test_empty_file(tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "blank.md").write_text(" \n\n \n", "utf-8")
    assert reason_for(tmp_path / "empty.txt") == "empty file"
    assert reason_for(tmp_path / "blank.md") == "empty file"


def test_huge_file_is_refused_without_reading_it(tmp_path: Path) -> None:
    path = tmp_path / "huge.txt"
    with path.open("wb") as handle:
        handle.truncate(100 * 1024 * 1024)  # sparse: no 100 MB written to disk
    assert path.stat().st_size > MAX_TEXT_BYTES
    started = time.perf_counter()
    reason = reason_for(path)
    assert reason.startswith("file too large (100 MB")
    assert time.perf_counter() - started < 5.0  # not read: reading 100 MB would take far longer


def test_unsupported_extension(tmp_path: Path) -> None:
    path = tmp_path / "sheet.xyz"
    path.write_text("数据", "utf-8")
    assert reason_for(path) == "unsupported file type .xyz"


def test_file_that_disappears(tmp_path: Path) -> None:
    path = tmp_path / "gone.txt"
    path.write_text(PARAGRAPH, "utf-8")
    files, _ = discover_files([tmp_path])
    path.unlink()
    assert files == [path]
    assert reason_for(path) == "file disappeared before it could be read"


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (PermissionError, "permission denied"),
        (FileNotFoundError, "file disappeared before it could be read"),
    ],
)
def test_errors_while_opening(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: type[OSError], reason: str
) -> None:
    # The file is there when its size is checked and goes wrong when it is opened (a file
    # deleted mid-build, or one whose permissions the user cannot read; root reads anything,
    # so the failure is injected).
    path = tmp_path / "article.txt"
    path.write_text(PARAGRAPH, "utf-8")

    def failing_open(self: Path, *args: object, **kwargs: object) -> object:
        raise error(13, "injected")

    monkeypatch.setattr(Path, "open", failing_open)
    assert reason_for(path) == reason


def test_every_supported_suffix_has_an_extractor() -> None:
    assert set(FORMATS) == SUPPORTED_SUFFIXES == {".txt", ".md", ".html", ".htm", ".docx", ".pdf"}
    for suffix, file_format in FORMATS.items():
        assert callable(file_format.extract)
        assert format_for(Path("article" + suffix.upper())) is file_format
    assert {FORMATS[s].max_bytes for s in (".txt", ".md", ".html", ".htm")} == {MAX_TEXT_BYTES}
    assert {FORMATS[s].max_bytes for s in (".docx", ".pdf")} == {MAX_PACKAGE_BYTES}


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("sheet.xyz", "unsupported file type .xyz"),
        ("notes", "unsupported file type (no extension)"),
    ],
)
def test_an_unknown_suffix_is_refused_with_the_supported_list(name: str, reason: str) -> None:
    with pytest.raises(UnreadableFileError) as caught:
        format_for(Path(name))
    assert caught.value.reason == reason
    assert caught.value.message == f"{name}: {reason}"
    assert caught.value.hint == "supported: .docx, .htm, .html, .md, .pdf, .txt"
