"""Updates of real files give the same index whether the catalog has two levels or one.

The same files are indexed twice: once with the catalog compacted after a few changes (a base
and a delta from the build on, ``storage/local/catalog_levels.py``), once never compacted (every
row in one file, as before format 3). After each update (a file removed, changed, moved, a
reprint added, a file skipped, nothing) both answer the same searches with the same reprint
groups, documents, file states and skipped files.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from fakes import FakeEmbedder

from semsearch import indexing
from semsearch.search import Searcher
from semsearch.storage import open_index
from semsearch.storage.local import catalog_levels
from semsearch.storage.local.generations import BASE_FILE, META_FILE

from .reprint_samples import write_family

QUERIES = ["焦裕禄精神 开封 传承", "经济 发展", "兰考"]


def _remove_a_reprint() -> None:
    Path("corpus/b_traditional.txt").unlink()


def _change_a_file() -> None:
    path = Path("corpus/e_half_replaced.txt")
    path.write_text(path.read_text(encoding="utf-8") + "\n新加的一段话，讲兰考的发展。", "utf-8")


def _move_a_file() -> None:
    Path("corpus/sub").mkdir()
    Path("corpus/d_same_topic.txt").rename("corpus/sub/d_moved.txt")


def _add_a_reprint() -> None:
    shutil.copyfile("corpus/a_original.txt", "corpus/sub/g_copy.txt")
    Path("corpus/photo.jpg").write_bytes(b"\xff\xd8 not text")


def _nothing() -> None:
    pass


STEPS: list[Callable[[], None]] = [
    _remove_a_reprint,
    _change_a_file,
    _move_a_file,
    _add_a_reprint,
    _nothing,
]


def _answers(index_dir: Path, embedder: FakeEmbedder) -> dict[str, object]:
    reader = open_index(index_dir)
    searcher = Searcher(reader, embedder)
    try:
        hits = {
            (query, mode, collapse): [
                (hit.doc_id, hit.chunk_id, round(hit.score, 6), hit.path, hit.also_in)
                for hit in searcher.search(query, k=10, mode=mode, collapse=collapse).hits
            ]
            for query in QUERIES
            for mode in ("keyword", "hybrid")
            for collapse in (False, True)
        }
        return {
            "hits": hits,
            "documents": reader.documents(),
            "files": sorted((f.doc_id, f.path, f.state) for f in reader.stored_files()),
            "skipped": reader.skipped_files(),
            "counts": (reader.document_count, reader.chunk_count),
        }
    finally:
        reader.close()


def test_updates_answer_the_same_with_two_levels(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write_family(Path("corpus"))
    embedder = FakeEmbedder()
    single, levelled = Path("single"), Path("levelled")

    def run(index_dir: Path, action: Callable[[], object]) -> None:
        with monkeypatch.context() as patch:
            if index_dir == levelled:
                patch.setattr(catalog_levels, "COMPACT_MIN_ROWS", 2)
            action()

    for index_dir in (single, levelled):
        run(
            index_dir,
            lambda index_dir=index_dir: indexing.build([Path("corpus")], index_dir, embedder),
        )
    assert not (single / "current" / BASE_FILE).exists()
    assert (levelled / "current" / BASE_FILE).is_file()
    assert _answers(levelled, embedder) == _answers(single, embedder)
    deltas = []
    for step in STEPS:
        step()
        for index_dir in (single, levelled):
            run(index_dir, lambda index_dir=index_dir: indexing.update(None, index_dir, embedder))
        assert _answers(levelled, embedder) == _answers(single, embedder), step.__name__
        deltas.append(_delta_changes(levelled / "current" / META_FILE))
    assert 0 in deltas and any(deltas)  # both a compacted and a pending delta were read


def _delta_changes(path: Path) -> int:
    db = sqlite3.connect(path)
    try:
        (changes,) = db.execute(
            "SELECT (SELECT count(*) FROM documents) + (SELECT count(*) FROM base_removed)"
        ).fetchone()
    finally:
        db.close()
    return int(changes)
