"""The keyword side of the search: analysing text, the BM25 index, sentence evidence, highlights.

- :mod:`~semsearch.lexical.analyzer`: text → keyword tokens, and a query analysed once per search;
- :mod:`~semsearch.lexical.bm25`: BM25's arithmetic (Lucene variant, on numpy) and term counts;
- :mod:`~semsearch.lexical.bm25_segment`: one immutable segment of postings;
- :mod:`~semsearch.lexical.bm25_index`: the index: segments, tombstones, idf from live counts;
- :mod:`~semsearch.lexical.bm25_files`: a segment's folder;
- :mod:`~semsearch.lexical.evidence`: how much of a query one sentence, or one article, holds;
- :mod:`~semsearch.lexical.highlight`: where a query's words stand in a text.
"""

from __future__ import annotations

from semsearch.lexical.analyzer import (
    QUESTION_WORDS,
    STOP_WORDS,
    TOKENIZER_VERSION,
    AnalyzedQuery,
    analyze_query,
    normalize,
    strip_question_words,
    tokenize,
    tokenize_query,
)
from semsearch.lexical.bm25 import DEFAULT_B, DEFAULT_K1, TermCounts
from semsearch.lexical.bm25_index import KeywordIndex
from semsearch.lexical.evidence import (
    article_coverage,
    best_sentence_coverage,
    coverage_scorer,
    sentence_coverage,
    sentence_tokens,
    title_match,
    title_tokens,
)
from semsearch.lexical.highlight import highlight_spans

__all__ = [
    "DEFAULT_B",
    "DEFAULT_K1",
    "QUESTION_WORDS",
    "STOP_WORDS",
    "TOKENIZER_VERSION",
    "AnalyzedQuery",
    "KeywordIndex",
    "TermCounts",
    "analyze_query",
    "article_coverage",
    "best_sentence_coverage",
    "coverage_scorer",
    "highlight_spans",
    "normalize",
    "sentence_coverage",
    "sentence_tokens",
    "strip_question_words",
    "title_match",
    "title_tokens",
    "tokenize",
    "tokenize_query",
]
