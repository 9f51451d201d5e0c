"""What nobody foresaw: the CLI prints one line (the traceback goes to a file), an upload's
unexpected failure stays with that file, and an indexing failure after an upload is reported."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import pytest
from fakes import FakeEmbedder

from semsearch import cli
from semsearch.service import Service, uploading

from .conftest import SEEDS


def test_the_cli_prints_one_line_and_saves_the_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    def broken_info(self: Service, live: object = None) -> None:
        raise RuntimeError("boom\x1b[2J\nsecond line")

    monkeypatch.setattr(Service, "info", broken_info)
    monkeypatch.setattr(sys, "argv", ["semsearch", "info", "--index", str(tmp_path)])
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with pytest.raises(SystemExit) as exited:
        cli.main()
    assert exited.value.code == 1
    printed = capsys.readouterr().err
    assert "Traceback" not in printed and "\x1b" not in printed
    assert "unexpected failure (RuntimeError: boom\\x1b[2J\\x0asecond line)" in printed
    assert "This is a bug in semsearch; the traceback is in" in " ".join(printed.split())
    [saved] = tmp_path.glob("semsearch-error-*.log")
    assert saved.name in "".join(printed.split())
    assert "RuntimeError: boom" in saved.read_text(encoding="utf-8")


@pytest.fixture
def service(corpus: Path, tmp_path: Path) -> Service:
    return Service(tmp_path / "index", corpus, embedder_loader=lambda model: FakeEmbedder())


def test_an_upload_that_fails_unexpectedly_does_not_stop_the_next(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_save = uploading.save_upload

    def flaky_save(corpus_dir: Path, name: str, data: bytes, *args: object, **kw: object) -> object:
        if name == "first.txt":
            raise OSError(36, "File name too long")
        return real_save(corpus_dir, name, data, *args, **kw)

    monkeypatch.setattr(uploading, "save_upload", flaky_save)
    outcome = service.save_uploads(
        [("first.txt", SEEDS[3].read_bytes()), ("second.txt", SEEDS[4].read_bytes())]
    )
    first, second = outcome.attempts
    assert first.error is not None and "unexpected OSError" in first.error.message
    assert second.saved is not None and outcome.report is not None
    assert outcome.report.added == 1


def test_an_indexing_failure_after_an_upload_is_reported_not_raised(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_indexing(self: Service, *args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(Service, "index_files", broken_indexing)
    outcome = service.save_uploads([("news.txt", SEEDS[3].read_bytes())])
    assert outcome.saved and outcome.report is None
    assert outcome.index_error is not None
    assert "unexpected RuntimeError (disk on fire)" in outcome.index_error.message
