"""Tests of the scan: each file classified against its stored state, cheapest test first."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from fakes import FakeEmbedder

from semsearch import indexing
from semsearch.errors import SemsearchError
from semsearch.indexing.scan import (
    RACY_WINDOW_NS,
    check_paths,
    outermost,
    root_for,
    scan,
    sha256,
    within,
    within_text,
)
from semsearch.progress import NullReporter
from semsearch.storage import FileState, StoredFile, open_index

from .helpers import build


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in ("a.txt", "b.txt", "c.txt"):
        (corpus / name).write_text(f"标题{name}\n\n正文{name}。\n", encoding="utf-8")
    return corpus


def stored_as_now(path: Path, doc_id: str) -> StoredFile:
    stat = path.stat()
    state = FileState(str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    return StoredFile(doc_id, f"corpus/{path.name}", sha256(path), state)


def test_files_are_classified_without_reading_trusted_ones(folder: Path) -> None:
    an_hour_ago = time.time_ns() - 3600 * 10**9
    for name in ("a.txt", "b.txt", "c.txt"):
        os.utime(folder / name, ns=(an_hour_ago, an_hour_ago))
    stored = [stored_as_now(folder / name, name) for name in ("a.txt", "b.txt", "c.txt")]
    stored.append(
        StoredFile(
            "gone.txt", "corpus/gone.txt", "x", FileState(str(folder.resolve() / "gone.txt"), 1, 1)
        )
    )
    os.utime(folder / "b.txt", ns=(time.time_ns(), time.time_ns()))  # touched, same bytes
    (folder / "c.txt").write_text("标题\n\n新的正文。\n", encoding="utf-8")  # changed
    (folder / "d.txt").write_text("标题\n\n新文章。\n", encoding="utf-8")  # new
    plan = scan([folder.resolve()], stored, [], time.time_ns(), NullReporter())
    assert plan.unchanged == 2  # a (trusted on size and mtime) and b (hashed: same bytes)
    assert [(old.doc_id, state.mtime_ns > an_hour_ago) for old, state in plan.touched] == [
        ("b.txt", True)
    ]
    assert sorted((item.path.name, item.old is not None) for item in plan.to_read) == [
        ("c.txt", True),
        ("d.txt", False),
    ]
    assert all(item.root == Path("corpus") for item in plan.to_read)
    assert [s.doc_id for s in plan.vanished] == ["gone.txt"]
    assert plan.skipped == []


def test_a_file_within_the_racy_window_is_hashed(folder: Path) -> None:
    stored = [stored_as_now(folder / "a.txt", "a.txt")]
    stat = (folder / "a.txt").stat()
    text = (folder / "a.txt").read_text(encoding="utf-8")
    (folder / "a.txt").write_text(text.replace("正文", "文正"), encoding="utf-8")
    os.utime(folder / "a.txt", ns=(stat.st_atime_ns, stat.st_mtime_ns))
    last_scan = stat.st_mtime_ns + RACY_WINDOW_NS // 2
    plan = scan([(folder / "a.txt").resolve()], stored, [], last_scan, NullReporter())
    assert [item.path.name for item in plan.to_read] == ["a.txt"]
    # Scanned long after the file was written: its size and mtime are trusted.
    plan = scan(
        [(folder / "a.txt").resolve()], stored, [], last_scan + 10 * RACY_WINDOW_NS, NullReporter()
    )
    assert plan.unchanged == 1 and plan.to_read == []


def test_paths_roots_and_scope(folder: Path) -> None:
    root = folder.resolve()
    assert within(root / "a.txt", [root]) and not within(root.parent, [root])
    assert outermost([folder, folder / "a.txt", folder]) == [str(root)]
    assert root_for(folder / "a.txt", [root / "a.txt"], [root]) == Path("corpus")
    assert root_for(folder / "a.txt", [root / "a.txt"], []) == folder
    with pytest.raises(SemsearchError, match="No such file or folder: nowhere"):
        check_paths([Path("nowhere")], [], explicit=True, reporter=NullReporter())
    assert check_paths([Path("nowhere")], [], explicit=False, reporter=NullReporter()) == [
        Path("nowhere").resolve()
    ]


@pytest.mark.parametrize(
    ("path", "roots", "inside"),
    [
        ("/a/b", ["/a/b"], True),
        ("/a/b/c.txt", ["/x", "/a/b"], True),
        ("/a/bc/d.txt", ["/a/b"], False),
        ("/a", ["/a/b"], False),
        ("/a/b.txt", ["/"], True),
        ("/a/b.txt", [], False),
    ],
)
def test_within_text_agrees_with_within(path: str, roots: list[str], inside: bool) -> None:
    assert within_text(path, roots) is inside
    assert within(Path(path), [Path(root) for root in roots]) is inside


# -- the same rules through indexing.update ----------------------------------------------


def test_moved_file_is_re_read_but_not_re_embedded(corpus: Path, embedder: FakeEmbedder) -> None:
    build(embedder)
    (corpus / "sub").mkdir()
    first = sorted(corpus.glob("*.txt"))[0]
    first.rename(corpus / "sub" / first.name)
    embedder.texts_embedded = 0
    report = indexing.update(None, Path("index"), embedder)
    assert (report.added, report.removed, report.chunks_embedded) == (1, 1, 0)
    assert embedder.texts_embedded == 0 and report.chunks_reused > 0
    assert open_index(Path("index")).document_count == 3


def test_touched_file_is_hashed_not_re_read(corpus: Path, embedder: FakeEmbedder) -> None:
    build(embedder)
    first = sorted(corpus.iterdir())[0]
    os.utime(first, ns=(time.time_ns(), time.time_ns() + 10**9))
    report = indexing.update(None, Path("index"), embedder)
    assert report.nothing_changed and report.unchanged == 3
    # The new mtime is recorded, so the next update trusts size and mtime again.
    assert open_index(Path("index")).generation == "gen-000002"
    assert indexing.update(None, Path("index"), embedder).nothing_changed


def _rewrite_keeping_size_and_mtime(path: Path) -> None:
    """Change a character but keep size and mtime, as two saves within one mtime tick do."""
    stat = path.stat()
    content = path.read_text(encoding="utf-8")
    path.write_text(content.replace("焦裕禄", "焦玉禄", 1), encoding="utf-8")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert path.stat().st_size == stat.st_size and path.read_text(encoding="utf-8") != content


def test_same_size_change_within_the_mtime_tick_is_caught(
    corpus: Path, embedder: FakeEmbedder
) -> None:
    first = sorted(corpus.iterdir())[0]
    os.utime(first, ns=(time.time_ns(), time.time_ns()))  # written just before the build
    build(embedder)
    _rewrite_keeping_size_and_mtime(first)
    # Its mtime is within the racy window of the previous scan, so it is hashed, not trusted.
    report = indexing.update(None, Path("index"), embedder)
    assert report.changed == 1


def test_old_files_are_trusted_on_size_and_mtime(corpus: Path, embedder: FakeEmbedder) -> None:
    first = sorted(corpus.iterdir())[0]
    an_hour_ago = time.time_ns() - 3600 * 10**9
    os.utime(first, ns=(an_hour_ago, an_hour_ago))
    build(embedder)
    _rewrite_keeping_size_and_mtime(first)
    # The documented trade-off: no read at all for a file with old, unchanged size and mtime.
    assert indexing.update(None, Path("index"), embedder).nothing_changed
