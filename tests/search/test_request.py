"""Tests of search requests: the checks of mode, query and k, dates, and document filters."""

from __future__ import annotations

import pytest

from semsearch.search import Searcher, SearchError


@pytest.mark.parametrize(
    "query, options, message",
    [
        ("   ", {}, "empty"),
        ("国家", {"mode": "fuzzy"}, "Unknown search mode"),
        ("国家", {"k": 0}, "at least 1"),
    ],
)
def test_bad_requests_are_clear_errors(
    searcher: Searcher, query: str, options: dict, message: str
) -> None:
    with pytest.raises(SearchError, match=message):
        searcher.search(query, **options)


def test_unknown_document_is_a_clear_error(searcher: Searcher) -> None:
    with pytest.raises(SearchError, match="No article in the index matches 'nowhere'"):
        searcher.search("国家", documents=["nowhere"])


@pytest.mark.parametrize(
    "date_from, date_to, message",
    [
        ("2024-13-01", None, "The start date '2024-13-01' is not a date"),
        ("2024-05-01", "2024-01-01", "empty"),
    ],
)
def test_bad_dates_are_clear_errors(
    searcher: Searcher, date_from: str, date_to: str | None, message: str
) -> None:
    with pytest.raises(SearchError, match=message):
        searcher.search("国家", date_from=date_from, date_to=date_to)


def test_filters_combine_doc_ids_selectors_and_dates(searcher: Searcher) -> None:
    assert searcher.chunk_filter() is None
    both = searcher.chunk_filter(doc_ids=["econ", "weather"], documents=["news/2024"])
    assert both is not None and both.doc_ids == ("econ",)
    dated = searcher.chunk_filter(date_from="2024-01-01")
    assert dated is not None and (dated.doc_ids, dated.date_from) == (None, "2024-01-01")
    assert searcher.resolve_documents(["NEWS/", "sport"]) == ["econ", "sport", "taiwan"]
