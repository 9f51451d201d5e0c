"""How far a kept ``avgdl`` may drift: keyword rankings with the exact value and with drifted ones.

An update keeps the ``avgdl`` the index's BM25 postings were computed with while the live mean
chunk length stays close to it (``storage/local/keyword.py``, ``AVERAGE_LENGTH_TOLERANCE``).
This measures what a drift costs on ``cmrc2018_chunks`` and ``xquad_zh``: every question is
searched by BM25 (top 10) with the exact mean and with the mean scaled by each drift; the table
gives keyword MRR@10 and how many top-10 lists changed (order or members).

Usage::

    .venv/bin/python bench/bm25_drift.py          # ~1 min
"""

from __future__ import annotations

import numpy as np
from common import EVAL_DIR, load_average, load_eval_corpus, print_table, write_result

from semsearch import lexical
from semsearch.lexical.bm25 import CountedChunks
from semsearch.lexical.bm25_index import KeywordIndex
from semsearch.lexical.bm25_segment import KeywordSegment

DRIFTS = (-0.10, -0.05, -0.02, -0.01, 0.01, 0.02, 0.05, 0.10)


def rankings(segment: KeywordSegment, average: float, queries: list[list[str]]) -> list[list[int]]:
    """Top-10 chunk rows of every query with the postings computed for ``average``."""
    rescored = segment.rescored(average, segment.k1, segment.b)
    index = KeywordIndex.of_segments([rescored], np.zeros(0, dtype=np.int64), average)
    return [[chunk_id for chunk_id, _ in index.search(query, 10)] for query in queries]


def mrr(ranked: list[list[int]], relevant: list[set[int]]) -> float:
    """MRR@10 in percent."""
    total = 0.0
    for rows, wanted in zip(ranked, relevant, strict=True):
        for rank, row in enumerate(rows, start=1):
            if row in wanted:
                total += 1 / rank
                break
    return round(100 * total / len(ranked), 2)


def measure(name: str) -> dict:
    """Keyword MRR@10 and changed top-10 lists per drift on one eval set."""
    corpus = load_eval_corpus(EVAL_DIR / name)
    tokens = [lexical.tokenize(passage) for passage in corpus.passages]
    row_of = {passage_id: row for row, passage_id in enumerate(corpus.ids)}
    relevant = [{row_of[r] for r in wanted if r in row_of} for wanted in corpus.relevant]
    queries = [lexical.tokenize_query(text) for text in corpus.query_texts]
    segment = KeywordSegment.build(
        CountedChunks.of_tokens(range(len(tokens)), tokens), lexical.DEFAULT_K1, lexical.DEFAULT_B
    )
    exact = rankings(segment, segment.average_length, queries)
    result = {"queries": len(queries), "exact_mrr10": mrr(exact, relevant), "drifts": {}}
    for drift in DRIFTS:
        drifted = rankings(segment, segment.average_length * (1 + drift), queries)
        changed = sum(a != b for a, b in zip(exact, drifted, strict=True))
        result["drifts"][f"{drift:+.0%}"] = {"mrr10": mrr(drifted, relevant), "changed": changed}
    return result


def main() -> None:
    """Measure both sets, print the table, write ``bench/results/bm25_drift.json``."""
    results = {"load_average": load_average(), "sets": {}}
    rows = []
    for name in ("cmrc2018_chunks", "xquad_zh"):
        measured = measure(name)
        results["sets"][name] = measured
        rows.append([name, "exact", measured["exact_mrr10"], 0])
        for drift, values in measured["drifts"].items():
            rows.append([name, drift, values["mrr10"], values["changed"]])
    print_table(
        "Keyword MRR@10 with a drifted avgdl (changed: top-10 lists that differ from exact)",
        ["set", "avgdl", "MRR@10", "changed"],
        rows,
    )
    print(f"\nWrote {write_result('bm25_drift', results)}")


if __name__ == "__main__":
    main()
