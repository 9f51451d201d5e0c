"""Highlighting: where a query's words stand in a text, across traditional and simplified script.

The query's side (segmenting it into words worth marking) is done once per search by the
analysed query (:attr:`~semsearch.lexical.analyzer.AnalyzedQuery.highlight_terms`); this module
finds those words in each text shown.
"""

from __future__ import annotations

from semsearch.lexical.analyzer import AnalyzedQuery, aligned_form, analyze_query
from semsearch.text import merge_spans


def highlight_spans(text: str, query: str | AnalyzedQuery) -> list[tuple[int, int]]:
    """Find the query's words in ``text``, across traditional and simplified script.

    The query is converted to simplified and cut into words with jieba (question words, stop
    words and lone non-Han characters dropped); each word is looked up in a simplified copy of
    ``text`` that keeps its positions, so 「臺灣」 in the text lights up for the query 台湾.
    A lone Han character is only marked where it joins other matches (江 + 刺 in 水泽江刺), unless
    the query has no longer word, so single characters do not speckle the text.

    Args:
        text: The text shown to the user (a hit's chunk).
        query: The user's query, or the search's analysed query (whose words are segmented
            once for all hits).

    Returns:
        Sorted, non-overlapping ``(start, end)`` character spans in ``text``.
    """
    query_text = query.text if isinstance(query, AnalyzedQuery) else query
    if not text or not query_text.strip():
        return []
    haystack = aligned_form(text)
    terms = analyze_query(query).highlight_terms
    spans: list[tuple[int, int]] = []
    for term in terms:
        start = haystack.find(term)
        while start != -1:
            spans.append((start, start + len(term)))
            start = haystack.find(term, start + len(term))
    merged = merge_spans(spans)
    if any(len(term) > 1 for term in terms):
        merged = [(start, end) for start, end in merged if end - start > 1]
    return merged
