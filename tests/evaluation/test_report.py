"""Tests of the printed evaluation table."""

from __future__ import annotations

from semsearch.evaluation import format_eval_table

RESULT = {
    "set": "tiny",
    "chunks": 1234,
    "queries": 5,
    "model": "fake",
    "modes": {
        "hybrid": {
            "R@1": 96.53,
            "R@5": 99.66,
            "R@10": 100.0,
            "MRR@10": 97.82,
            "nDCG@10": 98.36,
            "median_ms": 12.04,
        },
        "keyword": {
            "R@1": 93.73,
            "R@5": 99.07,
            "R@10": 99.32,
            "MRR@10": 96.09,
            "nDCG@10": 96.9,
            "median_ms": 3.5,
        },
    },
}


def test_the_table_has_a_header_a_row_per_mode_and_one_decimal() -> None:
    lines = format_eval_table(RESULT).splitlines()
    assert lines[0] == "tiny: 1,234 chunks, 5 queries (model fake)"
    assert lines[2].split() == ["mode", "R@1", "R@5", "R@10", "MRR@10", "nDCG@10", "median_ms"]
    assert lines[4].split() == ["hybrid", "96.5", "99.7", "100.0", "97.8", "98.4", "12.0"]
    assert lines[5].split()[0] == "keyword" and len(lines) == 6


def test_the_query_embedding_time_is_noted_when_measured() -> None:
    table = format_eval_table(RESULT | {"query_embed_ms": 21.6})
    assert table.endswith("embedding a query adds 22 ms (median).")
