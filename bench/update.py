"""Incremental updates of a 10k-chunk index: a no-op ``update`` and a one-article ``update``.

The corpus is real text written as article files: the 1,103 articles of ``cmrc2018_chunks``
(title line, one paragraph per chunk), copied into ``a/``, ``b/`` and part of ``c/`` until
10,000 chunks (copies reuse their vectors, as the indexer does for identical passages). It is
indexed once with the real indexer (vectors of known passages replayed from the cache that
``bench/throughput.py`` leaves, any other passage embedded by the real model). Then, each as a
new ``semsearch update`` process (what a user runs) and in-process (``indexing.update``, for the
breakdown by step):

- **no-op**: nothing changed (files are only stat'ed);
- **one article**: a new 20-paragraph article is added (20 chunks embedded by the real model),
  then removed again.

Usage::

    .venv/bin/python bench/update.py            # ~3 min
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import time
from collections import OrderedDict
from pathlib import Path

from common import (
    CACHE_DIR,
    CMRC_CHUNKS,
    REPO,
    bench_env,
    load_average,
    load_eval_corpus,
    print_table,
    run_measured,
    write_result,
)
from latency import ReplayEmbedder
from synthetic import base_vectors

from semsearch import indexing
from semsearch.embed import load_embedder

SEMSEARCH = str(REPO / ".venv" / "bin" / "semsearch")
TARGET_CHUNKS = 10_150  # paragraphs; a few short ones are joined, leaving ≥ 10,000 chunks


def write_corpus(folder: Path) -> int:
    """Write the article files; return how many chunks they hold (one per paragraph)."""
    shutil.rmtree(folder, ignore_errors=True)
    articles: OrderedDict[str, list[str]] = OrderedDict()
    with (CMRC_CHUNKS / "corpus.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            articles.setdefault(row["title"], []).append(row["text"])
    chunks = 0
    for copy in "abcdefgh":
        for number, (title, paragraphs) in enumerate(articles.items()):
            if chunks >= TARGET_CHUNKS:
                return chunks
            path = folder / copy / f"{number:05d}.txt"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(title + "\n\n" + "\n\n".join(paragraphs) + "\n", encoding="utf-8")
            chunks += len(paragraphs)
    return chunks


def new_article() -> str:
    """A 20-paragraph article not in the corpus: paragraphs of other articles, a new title."""
    corpus = load_eval_corpus()
    paragraphs = [passage.split("\n", 1)[-1] for passage in corpus.passages[-400::20]][:20]
    return "基准测试新增文章\n\n" + "\n\n".join(paragraphs) + "\n"


def cli_update(index_dir: Path, corpus: Path | None = None) -> dict:
    """Run ``semsearch update`` as a new process; wall seconds and peak memory."""
    command = [SEMSEARCH, "update", "--index", str(index_dir)]
    if corpus is not None:
        command.insert(2, str(corpus))
    done = run_measured(command, env=bench_env())
    if done["returncode"] != 0:
        raise SystemExit(f"semsearch update failed:\n{done['stderr'][-2000:]}")
    return {"seconds": done["seconds"], "peak_rss_mb": done["peak_rss_mb"]}


def main() -> None:
    """Build the 10k index, time the updates, print the table and write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    corpus_dir = CACHE_DIR / "update-corpus"
    index_dir = CACHE_DIR / "update-index"
    chunk_total = write_corpus(corpus_dir)
    embedder = load_embedder()
    corpus = load_eval_corpus()
    passages, _ = base_vectors(embedder)
    replay = ReplayEmbedder(embedder, dict(zip(corpus.passages, passages, strict=True)))
    shutil.rmtree(index_dir, ignore_errors=True)
    print(f"Indexing {chunk_total:,} chunks of article files (load {load_average()})…", flush=True)
    build = indexing.build([corpus_dir], index_dir, replay, rebuild=True)
    # Files just written are hashed by the next scan (same mtime tick); let that pass once.
    time.sleep(2.5)
    indexing.update(None, index_dir, embedder)
    results: dict = {
        "chunks": build.chunks_total,
        "documents": build.documents_total,
        "build_seconds": round(build.seconds, 1),
        "load_average_start": load_average(),
    }

    noop_cli = [cli_update(index_dir) for _ in range(args.runs)]
    noop_inprocess = []
    for _ in range(args.runs):
        report = indexing.update(None, index_dir, embedder)
        assert report.nothing_changed, "the no-op update changed something"
        noop_inprocess.append(report.seconds)
    results["noop"] = {
        "cli_median_s": round(statistics.median(r["seconds"] for r in noop_cli), 2),
        "cli_peak_rss_mb": max(r["peak_rss_mb"] or 0 for r in noop_cli),
        "in_process_median_s": round(statistics.median(noop_inprocess), 2),
    }
    print(f"no-op update: {results['noop']}", flush=True)

    article = corpus_dir / "new" / "article.txt"
    article.parent.mkdir(exist_ok=True)
    add_cli, remove_cli, add_inprocess, remove_inprocess = [], [], [], []
    for run in range(args.runs):
        text = new_article().replace("基准测试新增文章", f"基准测试新增文章{run}")
        article.write_text(text, encoding="utf-8")
        add_cli.append(cli_update(index_dir, article.parent))
        article.unlink()
        remove_cli.append(cli_update(index_dir, article.parent))
        article.write_text(text.replace("新增文章", "新增文章（二）"), encoding="utf-8")
        report = indexing.update([article.parent], index_dir, embedder)
        add_inprocess.append(report)
        article.unlink()
        remove_inprocess.append(indexing.update([article.parent], index_dir, embedder))
    last = add_inprocess[-1]
    results["one_article"] = {
        "chunks_embedded": last.chunks_embedded,
        "cli_add_median_s": round(statistics.median(r["seconds"] for r in add_cli), 2),
        "cli_remove_median_s": round(statistics.median(r["seconds"] for r in remove_cli), 2),
        "cli_peak_rss_mb": max(r["peak_rss_mb"] or 0 for r in add_cli),
        "in_process_add_median_s": round(statistics.median(r.seconds for r in add_inprocess), 2),
        "in_process_remove_median_s": round(
            statistics.median(r.seconds for r in remove_inprocess), 2
        ),
        "add_timings_s": {key: round(value, 2) for key, value in last.timings.items()},
    }
    print(f"one-article update: {results['one_article']}", flush=True)
    results["load_average_end"] = load_average()
    noop, one = results["noop"], results["one_article"]
    print_table(
        f"Updates of a {results['chunks']:,}-chunk index ({results['documents']:,} files), "
        f"median of {args.runs} "
        f"(load {results['load_average_start'][0]} → {results['load_average_end'][0]})",
        ["operation", "CLI process s", "in-process s", "peak RSS MB (CLI)"],
        [
            [
                "no-op update",
                noop["cli_median_s"],
                noop["in_process_median_s"],
                noop["cli_peak_rss_mb"],
            ],
            [
                f"add one article ({one['chunks_embedded']} chunks)",
                one["cli_add_median_s"],
                one["in_process_add_median_s"],
                one["cli_peak_rss_mb"],
            ],
            [
                "remove it again",
                one["cli_remove_median_s"],
                one["in_process_remove_median_s"],
                None,
            ],
        ],
    )
    print(f"Steps of the in-process one-article update: {one['add_timings_s']}")
    path = write_result("update", results)
    print(f"\nWrote {path}")


if __name__ == "__main__":
    main()
