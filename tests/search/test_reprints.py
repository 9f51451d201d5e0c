"""Tests of the reprint groups a collapsed search reads: one key per group, the other paths."""

from __future__ import annotations

from semsearch.search.reprints import ReprintGroups
from semsearch.storage import DocumentRecord


def record(doc_id: str, group: str | None) -> DocumentRecord:
    return DocumentRecord(
        doc_id, f"corpus/{doc_id}.txt", "T", None, None, None, "h", "simplified", 1, "", group
    )


def test_copies_share_one_article_key_and_name_each_other() -> None:
    groups = ReprintGroups(
        [record("a", "a"), record("b", "a"), record("c", "a"), record("d", None)]
    )
    assert groups.count == 1
    assert groups.article("a") == groups.article("c") != groups.article("d")
    assert groups.also_in("b") == ["corpus/a.txt", "corpus/c.txt"]
    assert groups.also_in("d") == [] and groups.also_in("unknown") == []


def test_a_group_id_never_equals_a_lone_document() -> None:
    # Group "x" is named after its smallest member; a lone document "x" elsewhere cannot be.
    groups = ReprintGroups([record("y", "x"), record("z", "x")])
    assert groups.article("y") != ReprintGroups([record("x", None)]).article("x")
