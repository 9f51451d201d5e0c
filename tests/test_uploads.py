"""Unit tests of saving uploads: safe names, no overwriting, duplicates, rejections."""

from __future__ import annotations

import stat
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from semsearch.errors import SemsearchError
from semsearch.uploads import MAX_NAME_BYTES, UploadError, safe_filename, save_upload

SUFFIXES = {".txt", ".md", ".html", ".htm", ".docx", ".pdf"}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("新闻报道.txt", "新闻报道.txt"),
        ("../../etc/passwd.txt", "passwd.txt"),
        ("..\\..\\windows\\报道.TXT", "报道.txt"),
        ("/abs/path/a.md", "a.md"),
        (".hidden.txt", "hidden.txt"),
        ("...txt", "txt"),
        ("a..b...txt", "a.b.txt"),
        ('a<b>c:"d"|e?*.html', "a_b_c__d__e__.html"),
        ("tab\tand\nnewline.txt", "tab and newline.txt"),
        ("\x1b[2J\x1b]0;pwned\x07news.txt", "[2J]0;pwnednews.txt"),
        ("report\u202etxt.exe.txt", "reporttxt.exe.txt"),
        ("\u2066isolated\u2069\u200b.md", "isolated.md"),
        ("c1\x85\x9bcontrols.txt", "c1 controls.txt"),  # NEL is a line break
        ("CON.txt", "article_CON.txt"),
        ("noextension", "noextension"),
        ("", "article"),
        ("..", "article"),
    ],
)
def test_safe_filename(name: str, expected: str) -> None:
    assert safe_filename(name) == expected


@pytest.mark.parametrize("character", ["长", "😀", "é", "a"])
def test_safe_filename_limits_bytes_and_keeps_extension(character: str) -> None:
    name = safe_filename(character * 300 + ".docx")
    assert MAX_NAME_BYTES - 4 < len(name.encode("utf-8")) <= MAX_NAME_BYTES
    assert name.endswith(character + ".docx")


@given(st.text(max_size=300))
def test_safe_filename_is_always_a_plain_visible_name(name: str) -> None:
    safe = safe_filename(name)
    assert safe and len(safe.encode("utf-8")) <= MAX_NAME_BYTES
    assert not any(unicodedata.category(ch) in {"Cc", "Cf", "Cs"} for ch in safe)
    assert "/" not in safe and "\\" not in safe and "\x00" not in safe
    assert not safe.startswith(".") and ".." not in safe
    assert safe not in {".", ".."}


def test_save_upload_writes_a_readable_file(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    saved = save_upload(corpus, "../新闻.txt", "正文".encode(), SUFFIXES)
    assert saved.status == "saved"
    assert saved.path == corpus / "新闻.txt"
    assert saved.path.read_text(encoding="utf-8") == "正文"
    assert saved.path.stat().st_mode & stat.S_IROTH
    assert [p.name for p in corpus.iterdir()] == ["新闻.txt"]  # no temporary file left


def test_save_upload_never_overwrites_a_different_file(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("old", encoding="utf-8")
    (tmp_path / "a (2).txt").write_text("older", encoding="utf-8")
    saved = save_upload(tmp_path, "a.txt", b"new", SUFFIXES)
    assert saved.status == "renamed"
    assert saved.path.name == "a (3).txt"
    assert (tmp_path / "a.txt").read_text(encoding="utf-8") == "old"
    assert (tmp_path / "a (2).txt").read_text(encoding="utf-8") == "older"
    assert saved.path.read_bytes() == b"new"


def test_save_upload_recognizes_identical_content(tmp_path: Path) -> None:
    first = save_upload(tmp_path, "a.txt", b"same", SUFFIXES)
    again = save_upload(tmp_path, "a.txt", b"same", SUFFIXES)
    assert again.status == "duplicate"
    assert again.path == first.path
    renamed = save_upload(tmp_path, "a.txt", b"other", SUFFIXES)
    assert save_upload(tmp_path, "a.txt", b"other", SUFFIXES).path == renamed.path
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a (2).txt", "a.txt"]


@pytest.mark.parametrize(("name", "data"), [("virus.exe", b"MZ"), ("notes", b"x"), ("a.txt", b"")])
def test_save_upload_rejects_bad_files_with_a_hint(tmp_path: Path, name: str, data: bytes) -> None:
    with pytest.raises(UploadError) as caught:
        save_upload(tmp_path, name, data, SUFFIXES)
    assert isinstance(caught.value, SemsearchError)
    assert name in caught.value.message
    assert caught.value.hint
    assert list(tmp_path.iterdir()) == []


def test_save_upload_into_unwritable_place_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    with pytest.raises(UploadError, match="Cannot write into the corpus folder"):
        save_upload(blocker / "corpus", "a.txt", b"x", SUFFIXES)
