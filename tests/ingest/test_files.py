"""Tests for semsearch.ingest.files: discovery and document ids."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from semsearch.ingest import (
    SUPPORTED_SUFFIXES,
    Document,
    discover_files,
    document_id,
    read_document,
)
from semsearch.ingest.files import discover_file_names

from .samples import SEEDS


def test_seed_ids_and_hashes(seeds: dict[str, Document]) -> None:
    document = seeds["000"]
    assert document.doc_id == document_id(SEEDS / "000_02c521df31b8c6f7.txt", SEEDS)
    assert len(document.doc_id) == 16
    assert len({d.doc_id for d in seeds.values()}) == 5
    assert len(document.content_hash) == 64


def test_document_id_is_relative_to_root_and_survives_edits(tmp_path: Path) -> None:
    for corpus in (tmp_path / "a", tmp_path / "b"):
        (corpus / "sub").mkdir(parents=True)
        (corpus / "sub" / "x.txt").write_text(
            "第一段正文内容，足够长以便作为正文保留下来。", "utf-8"
        )
    first = read_document(tmp_path / "a" / "sub" / "x.txt", root=tmp_path / "a")
    second = read_document(tmp_path / "b" / "sub" / "x.txt", root=tmp_path / "b")
    assert first.doc_id == second.doc_id
    (tmp_path / "a" / "sub" / "x.txt").write_text(
        "改过的正文内容，同样足够长可以保留下来。", "utf-8"
    )
    edited = read_document(tmp_path / "a" / "sub" / "x.txt", root=tmp_path / "a")
    assert edited.doc_id == first.doc_id and edited.content_hash != first.content_hash
    # Without a root, a file is known by its name.
    assert read_document(tmp_path / "a" / "sub" / "x.txt").doc_id == document_id(Path("x.txt"))


def test_discover_files(tmp_path: Path) -> None:
    for name in ("b.txt", "a.md", "sub/c.html", "sub/d.PDF", ".hidden.txt", ".git/e.txt", "f"):
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x", "utf-8")
    files, skipped = discover_files([tmp_path, tmp_path / "b.txt", tmp_path / "missing"])
    assert [p.relative_to(tmp_path).as_posix() for p in files] == [
        "a.md",
        "b.txt",
        "sub/c.html",
        "sub/d.PDF",
    ]
    assert [(Path(s.path).name, s.reason) for s in skipped] == [
        ("f", "unsupported file type (no extension)"),
        ("missing", "no such file or folder"),
    ]
    assert {".txt", ".md", ".html", ".htm", ".docx", ".pdf"} == SUPPORTED_SUFFIXES


def test_links_are_resolved_never_walked(tmp_path: Path) -> None:
    corpus, outside = tmp_path / "corpus", tmp_path / "outside"
    (corpus / "real").mkdir(parents=True)
    outside.mkdir()
    (corpus / "real" / "a.txt").write_text("x", "utf-8")
    (outside / "b.txt").write_text("x", "utf-8")
    (corpus / "0-inside.txt").symlink_to(corpus / "real" / "a.txt")
    (corpus / "1-outside.txt").symlink_to(outside / "b.txt")
    (corpus / "2-loop.txt").symlink_to("2-loop.txt")
    (corpus / "3-broken.txt").symlink_to("missing.txt")
    (corpus / "4-folder-out").symlink_to(outside)
    (corpus / "5-folder-in").symlink_to(corpus / "real")
    files, skipped = discover_files([corpus])
    assert files == [corpus / "real" / "a.txt"]
    assert [(Path(s.path).name, s.reason) for s in skipped] == [
        ("4-folder-out", f"symbolic link to a folder outside the corpus folder ({outside})"),
        ("1-outside.txt", f"symbolic link to a file outside the corpus folder ({outside}/b.txt)"),
        ("2-loop.txt", "symbolic link loop"),
        ("3-broken.txt", "broken symbolic link"),
    ]
    # A link the user names is read wherever it leads; a named loop is refused.
    assert discover_files([corpus / "1-outside.txt"]) == ([corpus / "1-outside.txt"], [])
    assert discover_files([corpus / "2-loop.txt"])[1][0].reason == "symbolic link loop"


def test_index_folders_and_names_that_are_not_utf8(tmp_path: Path) -> None:
    (tmp_path / "index" / "gen-000001").mkdir(parents=True)
    (tmp_path / "index" / "gen-000001" / "notes.txt").write_text("x", "utf-8")
    (tmp_path / "index" / "current").symlink_to("gen-000001")
    (tmp_path / "locked").mkdir()
    (tmp_path / "locked" / ".write.lock").write_text("", "utf-8")
    (tmp_path / "locked" / "x.txt").write_text("x", "utf-8")
    os.mkdir(os.fsencode(tmp_path) + b"/folder-\xff")
    with open(os.fsencode(tmp_path) + b"/name-\xfe.txt", "wb") as handle:
        handle.write(b"x")
    files, skipped = discover_files([tmp_path])
    assert files == []
    assert [(Path(s.path).name, s.reason) for s in skipped] == [
        ("folder-\\xff", "its name is not valid UTF-8 text (rename it)"),
        ("name-\\xfe.txt", "its name is not valid UTF-8 text (rename it)"),
    ]


def test_discovery_walks_in_the_order_of_os_walk(tmp_path: Path) -> None:
    names = ["z.txt", "b/2.txt", "b/1.txt", "b/c/0.txt", "a/9.txt", "m.md", "a/d/e/f.txt"]
    for name in names:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x", "utf-8")
    expected = []
    for folder, folders, files in os.walk(tmp_path):
        folders.sort()
        expected += [Path(folder) / name for name in sorted(files)]
    assert discover_files([tmp_path])[0] == expected


def test_file_names_are_as_pathlib_gives_them_with_their_resolved_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The scan's discovery keeps text, not a Path per file: the same names (no "./" for the
    working directory), each with the path every link resolved."""
    (tmp_path / "sub").mkdir()
    for name in ("a.txt", "sub/b.md", "sub/c.", "sub/.d.txt", "sub/e.TXT"):
        (tmp_path / name).write_text("正文", encoding="utf-8")
    (tmp_path / "sub" / "link.txt").symlink_to(tmp_path / "a.txt")
    monkeypatch.chdir(tmp_path)
    for given in (Path("."), Path("sub"), tmp_path):
        files, skipped = discover_file_names([given])
        paths, same_skipped = discover_files([given])
        assert [Path(name) for name, _ in files] == paths and skipped == same_skipped
        assert [name for name, _ in files] == [str(path) for path in paths]
        assert [resolved for _, resolved in files] == [os.path.realpath(p) for p in paths]
    names = [name for name, _ in discover_file_names([Path(".")])[0]]
    assert names == ["a.txt", "sub/b.md", "sub/e.TXT"]
    reasons = [s.reason for s in discover_file_names([Path(".")])[1]]
    assert reasons == ["unsupported file type (no extension)"]  # "c.": no suffix, as pathlib
