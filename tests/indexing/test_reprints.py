"""Reprint detection: signatures, pairs and groups, then through build → query → info → update.

The files are generated (:mod:`.reprint_samples`): an article, two reprints of it (other chrome,
the other script, half-width punctuation) and near-misses that must stay apart (another report
on the same topic, the article with half its paragraphs replaced, an unrelated article).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from fakes import FakeEmbedder
from storage.format1 import rewrite_as_format1
from storage.helpers import current_dir, refresh_manifest

from semsearch import indexing
from semsearch.chunking import ChunkingConfig
from semsearch.indexing import reprints
from semsearch.ingest.reader import read_document
from semsearch.search import Searcher
from semsearch.service.reports import summarize_reprints
from semsearch.storage import ReprintState, open_index, open_writer
from semsearch.storage.data import SIGNATURE_BANDS
from semsearch.storage.local.generations import META_FILE
from semsearch.storage.local.schema import UPGRADES as SCHEMA_UPGRADES

from .reprint_samples import write_family

ARTICLE = "corpus/a_original.txt"
REPRINTS = ["corpus/b_traditional.txt", "corpus/c_punctuation.txt"]


@pytest.fixture
def family(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.chdir(tmp_path)
    return write_family(Path("corpus"))


def cleaned_signatures(roles: dict[str, str]) -> dict[str, bytes]:
    return {name: reprints.signature(read_document(Path("corpus") / name).text) for name in roles}


def test_reprints_are_alike_and_near_misses_are_not(family: dict[str, str]) -> None:
    signatures = cleaned_signatures(family)
    original = signatures["a_original.txt"]
    for name, role in family.items():
        if name == "a_original.txt":
            continue
        similarity = reprints.similarity(original, signatures[name])
        if role == "reprint":
            assert similarity >= reprints.THRESHOLD, name
        else:
            assert similarity < reprints.THRESHOLD - 0.2, name
    pairs = reprints.reprint_pairs(signatures)
    assert pairs == [
        ("a_original.txt", "b_traditional.txt"),
        ("a_original.txt", "c_punctuation.txt"),
        ("b_traditional.txt", "c_punctuation.txt"),
    ]


def test_script_and_punctuation_vanish_before_comparing() -> None:
    simplified = "国家队在亚洲杯决赛中以二比一战胜对手，夺得冠军。" * 4
    traditional = "國家隊在亞洲杯決賽中以二比一戰勝對手,奪得冠軍. " * 4
    assert reprints.folded_han(simplified) == reprints.folded_han(traditional)
    assert reprints.signature(simplified) == reprints.signature(traditional)
    assert len(reprints.signature(simplified)) == reprints.PERMUTATIONS * 4


def test_short_documents_are_never_signed() -> None:
    short = "天气预报：明天晴。" * 5  # 35 Han characters
    assert reprints.signature(short) == b""
    assert reprints.similarity(b"", b"") == 0.0
    assert reprints.reprint_pairs({"a": b"", "b": b""}) == []


def test_groups_are_connected_components_named_by_their_smallest_id() -> None:
    groups = reprints.groups_of(["d", "b", "a", "c", "e"], [("b", "d"), ("a", "d")])
    assert groups == {"a": "a", "b": "a", "d": "a", "c": None, "e": None}


def test_equal_signatures_are_candidates_and_unrelated_ones_are_not() -> None:
    one = reprints.signature("国家队在亚洲杯决赛中以二比一战胜对手夺得冠军" * 3)
    other = reprints.signature("南方多地将出现强降雨气象台发布暴雨蓝色预警提醒市民" * 3)
    assert reprints.candidate_pairs({"x": one, "y": one, "z": other}) == {("x", "y")}


def groups_by_path(index_dir: Path) -> dict[str, str | None]:
    reader = open_index(index_dir)
    try:
        return {d.path: d.group for d in reader.documents()}
    finally:
        reader.close()


def test_build_groups_reprints_and_a_collapsed_query_shows_one_hit(
    family: dict[str, str],
) -> None:
    embedder = FakeEmbedder()
    indexing.build([Path("corpus")], Path("index"), embedder)
    groups = groups_by_path(Path("index"))
    assert groups[ARTICLE] is not None
    assert {groups[path] for path in REPRINTS} == {groups[ARTICLE]}
    assert [path for path, group in groups.items() if group is not None] == [ARTICLE, *REPRINTS]

    reader = open_index(Path("index"))
    searcher = Searcher(reader, embedder)
    try:
        query = "焦裕禄精神 开封 传承"
        plain = searcher.search(query, k=10, mode="keyword")
        assert len({hit.path for hit in plain.hits if hit.path in [ARTICLE, *REPRINTS]}) == 3
        assert all(hit.also_in == [] for hit in plain.hits)
        collapsed = searcher.search(query, k=10, mode="keyword", collapse=True)
        copies = [hit for hit in collapsed.hits if hit.path in [ARTICLE, *REPRINTS]]
        assert len(copies) == 1
        assert sorted([copies[0].path, *copies[0].also_in]) == [ARTICLE, *REPRINTS]
        assert copies[0].to_json()["also_in"] == copies[0].also_in
        summary = summarize_reprints(reader.documents())
        assert (summary.groups, summary.documents) == (1, 3)
        assert summary.largest[0].paths == [ARTICLE, *REPRINTS]
    finally:
        reader.close()


def test_update_removing_copies_shrinks_then_dissolves_the_group(family: dict[str, str]) -> None:
    embedder = FakeEmbedder()
    indexing.build([Path("corpus")], Path("index"), embedder)
    group = groups_by_path(Path("index"))[ARTICLE]

    Path(REPRINTS[0]).unlink()
    indexing.update(None, Path("index"), embedder)
    groups = groups_by_path(Path("index"))
    assert (groups[ARTICLE], groups[REPRINTS[1]]) == (group, group)
    assert REPRINTS[0] not in groups

    Path(ARTICLE).unlink()
    indexing.update(None, Path("index"), embedder)
    groups = groups_by_path(Path("index"))
    assert set(groups.values()) == {None}  # a lone copy is in no group

    Path(ARTICLE).write_text(Path(REPRINTS[1]).read_text(encoding="utf-8"), encoding="utf-8")
    report = indexing.update(None, Path("index"), embedder)
    assert report.added == 1
    groups = groups_by_path(Path("index"))
    assert groups[ARTICLE] is not None and groups[ARTICLE] == groups[REPRINTS[1]]


def test_an_index_without_signatures_is_signed_on_its_next_update(
    family: dict[str, str],
) -> None:
    embedder = FakeEmbedder()
    indexing.build([Path("corpus")], Path("index"), embedder)
    # As an index written before reprints were detected: nothing signed, nothing grouped.
    with open_writer(Path("index"), embedder, ChunkingConfig()) as writer:
        writer.set_reprints({d: ReprintState(None, None) for d in writer.reprint_states()})
        writer.commit().close()
    assert set(groups_by_path(Path("index")).values()) == {None}

    indexing.update(None, Path("index"), embedder)
    groups = groups_by_path(Path("index"))
    assert groups[ARTICLE] is not None and {groups[p] for p in REPRINTS} == {groups[ARTICLE]}
    report = indexing.update(None, Path("index"), embedder)
    assert report.nothing_changed  # signed once: the next update has nothing to do


def _drop_reprint_columns(index_dir: Path) -> None:
    """Make the current generation's catalog as written before the ``reprints`` upgrade."""
    generation = current_dir(index_dir)
    db = sqlite3.connect(generation / META_FILE)
    db.executescript(
        "".join(f"DROP INDEX documents_by_band_{band};" for band in range(SIGNATURE_BANDS))
        + "DROP INDEX documents_unsigned;"
        "DROP INDEX documents_by_reprint_group;"
        "ALTER TABLE documents DROP COLUMN signature;"
        "ALTER TABLE documents DROP COLUMN reprint_group;"
    )
    names = [name for name, _sql in SCHEMA_UPGRADES]
    db.execute(f"PRAGMA user_version = {names.index('reprints')}")
    db.commit()
    db.close()
    refresh_manifest(generation)


@pytest.mark.parametrize("old_layout", ["segments", "format1"])
def test_an_index_from_before_reprints_opens_and_is_grouped_on_update(
    family: dict[str, str], old_layout: str
) -> None:
    embedder = FakeEmbedder()
    indexing.build([Path("corpus")], Path("index"), embedder)
    if old_layout == "format1":
        rewrite_as_format1(Path("index"))
    else:
        _drop_reprint_columns(Path("index"))
    assert set(groups_by_path(Path("index")).values()) == {None}

    report = indexing.update(None, Path("index"), embedder)
    assert report.unchanged == len(family)
    groups = groups_by_path(Path("index"))
    assert groups[ARTICLE] is not None and {groups[p] for p in REPRINTS} == {groups[ARTICLE]}
