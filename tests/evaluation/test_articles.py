"""Tests of article-level evaluation: rows written as articles, judged one hit per article."""

from __future__ import annotations

from pathlib import Path

from fakes import FakeEmbedder

from semsearch.evaluation import (
    article_key,
    article_text,
    format_eval_table,
    load_eval_set,
    run_eval,
    write_articles,
)

from .helpers import TINY_CORPUS, TINY_QUERIES, write_set


def test_article_text_puts_the_title_on_its_own_line() -> None:
    assert article_text("锣鼓经", "第一段。\n第二段。\n") == "锣鼓经\n\n第一段。\n第二段。\n"
    assert article_text("", " 只有正文。") == "只有正文。\n"


def test_write_articles_writes_one_file_per_row_and_judges_by_file(tmp_path: Path) -> None:
    folder = write_set(tmp_path / "tiny", TINY_CORPUS, TINY_QUERIES)
    eval_set = load_eval_set(folder)
    files = write_articles(eval_set, eval_set.queries, tmp_path / "articles")
    written = sorted(path.name for path in files.folder.iterdir())
    assert written == [f"{n:06d}.txt" for n in range(6)]
    assert (files.folder / "000001.txt").read_text(encoding="utf-8").startswith("锣鼓经\n\n")
    # q1's relevant row a1 is the second row: the second file.
    assert [q.relevant for q in files.queries] == [
        ("000001",),
        ("000002",),
        ("000004",),
        ("000005",),
    ]
    assert [q.text for q in files.queries] == [q.text for q in eval_set.queries]
    assert article_key(str(files.folder / "000003.txt")) == "000003"


def test_run_eval_at_article_level_indexes_files_and_collapses(tmp_path: Path) -> None:
    folder = write_set(tmp_path / "tiny", TINY_CORPUS, TINY_QUERIES)
    result = run_eval(
        folder,
        ["keyword", "hybrid"],
        FakeEmbedder(),
        cache_dir=tmp_path / "cache",
        query_time_samples=0,
        articles=True,
    )
    assert (result["level"], result["articles"], result["queries"]) == ("article", 6, 4)
    assert result["chunks"] >= 6
    for scores in result["modes"].values():
        assert scores["R@10"] == 100.0
    assert result["modes"]["keyword"]["R@1"] >= 75.0
    table = format_eval_table(result)
    assert "tiny: 6 articles in" in table and "one hit per article" in table


def test_run_eval_at_passage_level_says_so(tmp_path: Path) -> None:
    folder = write_set(tmp_path / "tiny", TINY_CORPUS, TINY_QUERIES)
    result = run_eval(folder, ["keyword"], FakeEmbedder(), cache_dir=tmp_path / "c", limit=1)
    assert result["level"] == "passage" and "articles" not in result
