"""Tests of the reprint summary ``semsearch info`` shows."""

from __future__ import annotations

from semsearch.service.reports import ReprintGroup, summarize_reprints
from semsearch.storage import DocumentRecord


def record(doc_id: str, group: str | None) -> DocumentRecord:
    return DocumentRecord(
        doc_id, f"{doc_id}.txt", "T", None, None, None, "h", "simplified", 1, "", group
    )


def test_groups_are_counted_and_the_largest_listed_first() -> None:
    documents = [
        record("e", "c"),
        record("c", "c"),
        record("a", "a"),
        record("b", "a"),
        record("f", "c"),
        record("g", None),
    ]
    summary = summarize_reprints(documents, largest=1)
    assert (summary.groups, summary.documents) == (2, 5)
    assert summary.largest == [ReprintGroup("c", ["c.txt", "e.txt", "f.txt"])]
    assert summarize_reprints([record("g", None)]).groups == 0
