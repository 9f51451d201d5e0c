"""The peer comparison's own parts (bench/peers.py): the shared corpus, MRR@10, the pinned peer.

Running the peer needs its virtual environment and minutes; these check what both systems are
given and how their answers are scored.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import peers


def test_both_systems_get_the_same_chunks_and_the_queries_of_the_kept_articles(
    tmp_path: Path,
) -> None:
    chunks_file, queries_file, characters = peers.write_corpus(
        "president_news_short", tmp_path, articles=3
    )
    chunks = [json.loads(line) for line in chunks_file.read_text("utf-8").splitlines()]
    queries = [json.loads(line) for line in queries_file.read_text("utf-8").splitlines()]
    articles = {chunk["article"] for chunk in chunks}
    assert len(articles) == 3 and characters == sum(len(chunk["text"]) for chunk in chunks)
    assert queries and all(set(query["relevant"]) <= articles for query in queries)
    assert len({chunk["id"] for chunk in chunks}) == len(chunks)
    assert (tmp_path / "documents.jsonl").is_file()


def test_mrr_at_10_scores_the_first_relevant_article_in_the_top_10(tmp_path: Path) -> None:
    queries = tmp_path / "queries.jsonl"
    rows = [{"id": "q1", "relevant": ["a"]}, {"id": "q2", "relevant": ["b"]}, {"id": "q3",
            "relevant": ["c"]}]  # fmt: skip
    queries.write_text("\n".join(json.dumps(row) for row in rows), encoding="utf-8")
    rankings = [["a", "x"], ["x", "x", "b", "b"], ["x"] * 10 + ["c"]]
    assert peers.mrr_at_10(rankings, queries) == round(100 * (1 + 1 / 3 + 0) / 3, 2)


def test_the_peer_installs_a_pinned_cpu_torch_first() -> None:
    assert peers.PEER_TORCH == "torch==2.13.0"  # a bare "torch" pulls a multi-GB CUDA build
    assert "txtai==9.14.0" in peers.PEER_PACKAGES
    assert all("==" in package for package in peers.PEER_PACKAGES)
    assert peers.PEER_DIR.is_relative_to(peers.REPO / "bench" / ".peers")


def test_both_runners_time_queries_and_write_the_result_alike(tmp_path: Path) -> None:
    import peer_result

    searched: list[str] = []

    def search(text: str) -> list[str]:
        searched.append(text)
        return [text.upper()]

    queries = [{"text": "a"}, {"text": "b"}, {"text": "c"}]
    timings, rankings = peer_result.time_queries(search, queries, warm_up=2)
    assert searched == ["a", "b", "a", "b", "c"] and rankings == [["A"], ["B"], ["C"]]
    assert len(timings) == 3 and min(timings) >= 0
    path = tmp_path / "result.json"
    seconds = {"load_seconds": 1.234, "index_seconds": 5.678}
    peer_result.write_peer_result(str(path), "txtai", seconds, [1.0, 3.0, 2.0], rankings, [1, 2, 3])
    result = json.loads(path.read_text(encoding="utf-8"))
    assert result["query_p50_ms"] == 2.0 and result["index_seconds"] == 5.68
    assert result["system"] == "txtai" and result["peak_rss_mb"] > 0
