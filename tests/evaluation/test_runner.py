"""Tests of run_eval through the real indexer, store and searcher, and of its printed table."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fakes import FakeEmbedder

from semsearch.errors import SemsearchError
from semsearch.evaluation import format_eval_table, run_eval
from semsearch.progress import Note

from .helpers import TINY_CORPUS, TINY_QUERIES, write_set


def test_run_eval_reports_every_mode_and_reuses_cached_vectors(tmp_path: Path) -> None:
    folder = write_set(tmp_path / "tiny", TINY_CORPUS, TINY_QUERIES)
    model = FakeEmbedder()
    result = run_eval(
        folder, ["hybrid", "keyword"], model, cache_dir=tmp_path / "cache", query_time_samples=2
    )
    assert (result["set"], result["chunks"], result["queries"]) == ("tiny", 6, 4)
    assert set(result["modes"]) == {"hybrid", "keyword"}
    for scores in result["modes"].values():
        assert set(scores) == {"R@1", "R@5", "R@10", "MRR@10", "nDCG@10", "median_ms"}
        assert all(0.0 <= scores[m] <= 100.0 for m in ("R@1", "R@5", "R@10", "MRR@10"))
        assert scores["R@10"] == 100.0  # six chunks: everything is in the top 10
    # Keyword search finds the traditional passage for the simplified query and the
    # question about 锣鼓经 ranks its own chunk first.
    assert result["modes"]["keyword"]["R@1"] >= 75.0
    table = format_eval_table(result)
    assert "hybrid" in table and "MRR@10" in table and "tiny: 6 chunks, 4 queries" in table
    embedded = model.texts_embedded
    again = run_eval(folder, ["hybrid"], model, cache_dir=tmp_path / "cache", query_time_samples=0)
    assert model.texts_embedded == embedded  # every vector came from the cache
    assert again["modes"]["hybrid"] == result["modes"]["hybrid"] | {
        "median_ms": again["modes"]["hybrid"]["median_ms"]
    }


def test_run_eval_rejects_an_unknown_mode(tmp_path: Path) -> None:
    folder = write_set(tmp_path / "tiny", TINY_CORPUS, TINY_QUERIES)
    with pytest.raises(SemsearchError, match="Unknown search mode"):
        run_eval(folder, ["fuzzy"], FakeEmbedder(), cache_dir=tmp_path)


def test_run_eval_reports_its_stages(tmp_path: Path) -> None:
    folder = write_set(tmp_path / "tiny", TINY_CORPUS, TINY_QUERIES)
    stages: dict[str, int] = {}

    class Recorder:
        def start(self, stage: str, total: int) -> None:
            stages[stage] = 0

        def advance(self, stage: str, n: int = 1) -> None:
            stages[stage] += n

        def note(self, note: Note) -> None:
            pass

    run_eval(folder, ["semantic"], FakeEmbedder(), Recorder(), cache_dir=tmp_path, limit=3)
    assert stages["embed queries"] == 3 and stages["eval semantic"] == 3


@pytest.mark.slow
def test_run_eval_with_the_real_model_on_a_slice_of_xquad(tmp_path: Path, real_embedder) -> None:
    source = Path(__file__).resolve().parents[2] / "eval" / "xquad_zh"
    corpus = [json.loads(line) for line in (source / "corpus.jsonl").open(encoding="utf-8")]
    titles = list(dict.fromkeys(row["title"] for row in corpus))[:3]
    kept = [row for row in corpus if row["title"] in titles]
    kept_ids = {row["id"] for row in kept}
    queries = [
        json.loads(line)
        for line in (source / "queries.jsonl").open(encoding="utf-8")
        if set(json.loads(line)["relevant"]) <= kept_ids
    ][:60]
    folder = write_set(tmp_path / "xquad_slice", kept, queries)
    result = run_eval(folder, ["hybrid", "semantic", "keyword"], real_embedder, cache_dir=tmp_path)
    modes = result["modes"]
    assert modes["hybrid"]["MRR@10"] >= 90.0
    assert modes["hybrid"]["MRR@10"] >= max(modes["semantic"]["MRR@10"], modes["keyword"]["MRR@10"])
