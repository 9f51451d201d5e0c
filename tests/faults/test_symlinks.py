"""The symbolic link policy (ingest/files.py, docs/cleaning.md "Symbolic links").

Inside a corpus folder links are resolved, never walked: a link into the corpus is its target,
indexed once under the target's own path; links out of the corpus, broken links and loops are
skipped with the reason. Before issue 14 a link to a file outside was indexed, and its document
was never removed once the link was deleted.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from fakes import FakeEmbedder

from semsearch import indexing
from semsearch.ingest import files
from semsearch.storage import open_index

from .conftest import SEEDS


def build(embedder: FakeEmbedder, root: str = "corpus") -> indexing.IndexReport:
    return indexing.build([Path(root)], Path("index"), embedder)


def update(embedder: FakeEmbedder) -> indexing.IndexReport:
    return indexing.update(None, Path("index"), embedder)


def indexed_paths() -> list[str]:
    return sorted(d.path for d in open_index(Path("index")).documents())


def skipped(report: indexing.IndexReport) -> dict[str, str]:
    return {s.path: s.reason for s in report.skipped}


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    shutil.copy(SEEDS[3], folder / "secret.txt")
    return folder


def test_a_link_into_the_corpus_is_its_target_indexed_once(
    corpus: Path, embedder: FakeEmbedder
) -> None:
    target = corpus / "sub" / SEEDS[0].name
    target.parent.mkdir()
    (corpus / SEEDS[0].name).rename(target)
    (corpus / "a-link.txt").symlink_to(Path("sub") / SEEDS[0].name)
    report = build(embedder)
    assert report.added == 3 and report.skipped == []
    assert f"corpus/sub/{SEEDS[0].name}" in indexed_paths()
    assert "corpus/a-link.txt" not in indexed_paths()

    (corpus / "a-link.txt").unlink()  # deleting the link changes nothing
    assert update(embedder).nothing_changed
    (corpus / "a-link.txt").symlink_to(Path("sub") / SEEDS[0].name)
    target.unlink()  # deleting the target removes its document; the link is now broken
    report = update(embedder)
    assert report.removed == 1
    assert skipped(report) == {"corpus/a-link.txt": "broken symbolic link"}


def test_links_out_of_the_corpus_broken_links_and_loops_are_skipped(
    corpus: Path, embedder: FakeEmbedder, outside: Path
) -> None:
    (corpus / "leak.txt").symlink_to(outside / "secret.txt")
    (corpus / "leak-folder").symlink_to(outside)
    (corpus / "inner-folder").symlink_to(corpus)
    (corpus / "broken.txt").symlink_to("missing.txt")
    (corpus / "self.txt").symlink_to("self.txt")
    report = build(embedder)
    assert report.added == 3
    assert skipped(report) == {
        "corpus/broken.txt": "broken symbolic link",
        "corpus/leak-folder": f"symbolic link to a folder outside the corpus folder ({outside})",
        "corpus/leak.txt": (
            f"symbolic link to a file outside the corpus folder ({outside / 'secret.txt'})"
        ),
        "corpus/self.txt": "symbolic link loop",
    }
    assert len(indexed_paths()) == 3  # the link to the corpus itself added nothing twice


def test_a_document_an_old_version_indexed_through_a_link_goes_with_the_link(
    corpus: Path, embedder: FakeEmbedder, outside: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (corpus / "leak.txt").symlink_to(outside / "secret.txt")
    (corpus / "leak2.txt").symlink_to(outside / "secret2.txt")
    shutil.copy(SEEDS[4], outside / "secret2.txt")
    with monkeypatch.context() as old_version:  # it followed every link to a file
        old_version.setattr(
            files._Discovery, "_found", lambda self, file, root: self.consider(file)
        )
        assert build(embedder).added == 5
    assert "corpus/leak.txt" in indexed_paths()

    (corpus / "leak2.txt").unlink()
    report = update(embedder)
    assert report.removed == 2  # the deleted link's document, and the refused link's
    assert indexed_paths() == sorted(f"corpus/{seed.name}" for seed in SEEDS[:3])
    assert list(skipped(report)) == ["corpus/leak.txt"]


def test_a_linked_corpus_folder_is_read_where_it_leads(
    corpus: Path, embedder: FakeEmbedder
) -> None:
    Path("corpus-link").symlink_to(corpus)
    assert build(embedder, "corpus-link").added == 3
    (corpus / SEEDS[1].name).unlink()
    report = update(embedder)
    assert (report.removed, report.unchanged) == (1, 2)


def test_index_folders_inside_the_corpus_are_not_articles(
    corpus: Path, embedder: FakeEmbedder
) -> None:
    report = indexing.build([corpus], corpus / "index", embedder)
    assert report.added == 3 and report.skipped == []
    shutil.copytree(corpus / "index", corpus / "old-index", symlinks=True)
    again = indexing.update(None, corpus / "index", embedder)
    assert again.nothing_changed and again.skipped == []
