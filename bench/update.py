"""Updates that cost what changed: a one-article add and remove at 10k and 100k chunks.

The corpus is real text written as article files: the 1,103 articles of ``cmrc2018_chunks``
(title line, one paragraph per chunk), copied into ``a/``, ``b/``, … until the size (copies
reuse their vectors, as the indexer does for identical passages). For each size the index is
built once with the real indexer (vectors of known passages replayed from the cache that
``bench/throughput.py`` leaves, any other passage embedded by the real model). Then, each as a
new ``semsearch update`` process (what a user runs) and in-process (``indexing.update`` in a
worker process, timed inside it, for the breakdown by step):

- **no-op**: nothing changed (files are only stat'ed);
- **one article**: a new 20-paragraph article is added (20 chunks and their sentences embedded by
  the real model), then removed again.

``--code`` compares implementations in the same run: each is a source tree (a checkout or
``git archive`` of a branch) whose ``semsearch`` the commands and workers import, and every step
runs for each of them in turn (interleaved), on its own copy of the index. An index is built by
the first implementation and copied for the others, which convert it on their first update
(a warm-up, not timed) if their format differs.

Usage::

    .venv/bin/python bench/update.py                                   # this tree, ~6 min
    .venv/bin/python bench/update.py --code before=/tmp/main,after=.   # interleaved comparison
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
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

SEMSEARCH = str(Path(sys.executable).parent / "semsearch")
#: Paragraphs per size; a few short ones are joined, leaving at least the round number.
TARGET_CHUNKS = {10_000: 10_150, 100_000: 101_500}


def write_corpus(folder: Path, target: int) -> int:
    """Write the article files (kept if already there); return how many paragraphs they hold."""
    marker = folder / ".complete"
    if marker.is_file():
        return int(marker.read_text())
    shutil.rmtree(folder, ignore_errors=True)
    articles: OrderedDict[str, list[str]] = OrderedDict()
    with (CMRC_CHUNKS / "corpus.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            articles.setdefault(row["title"], []).append(row["text"])
    chunks, copy = 0, 0
    while chunks < target:
        for number, (title, paragraphs) in enumerate(articles.items()):
            if chunks >= target:
                break
            path = folder / f"c{copy:02d}" / f"{number:05d}.txt"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(title + "\n\n" + "\n\n".join(paragraphs) + "\n", encoding="utf-8")
            chunks += len(paragraphs)
        copy += 1
    marker.write_text(str(chunks))
    return chunks


def new_article(run: int) -> str:
    """A 20-paragraph article not in the corpus: paragraphs of other articles, a new title."""
    corpus = load_eval_corpus()
    paragraphs = [passage.split("\n", 1)[-1] for passage in corpus.passages[-400::20]][:20]
    return f"基准测试新增文章{run}\n\n" + "\n\n".join(paragraphs) + "\n"


# -- the worker: runs inside one implementation's source tree --------------------------------------


def worker(action: str, index_dir: Path, paths: list[Path]) -> None:
    """Build or update with the implementation on ``sys.path``; print the report as JSON."""
    from latency import ReplayEmbedder
    from synthetic import base_vectors

    from semsearch import indexing
    from semsearch.embed import load_embedder

    embedder = load_embedder()
    if action == "build":
        corpus = load_eval_corpus()
        passages, _ = base_vectors(embedder)
        embedder = ReplayEmbedder(embedder, dict(zip(corpus.passages, passages, strict=True)))
        report = indexing.build(paths, index_dir, embedder, rebuild=True)
    else:
        embedder.embed_passages(["预热"])  # the first call of a session is slower: not timed
        report = indexing.update(paths or None, index_dir, embedder)
    print(
        "REPORT "
        + json.dumps(
            {
                "seconds": report.seconds,
                "timings": report.timings,
                "chunks_embedded": report.chunks_embedded,
                "chunks_total": report.chunks_total,
                "documents_total": report.documents_total,
                "nothing_changed": report.nothing_changed,
            }
        ),
        flush=True,
    )


def child_env(code: Path, *more: Path) -> dict[str, str]:
    """The environment of a child running ``code``'s semsearch.

    Bytecode is cached as for an installed package: with ``PYTHONDONTWRITEBYTECODE`` inherited,
    every command compiled semsearch's modules again (0.7 s of each command at load 24).
    """
    env = bench_env(PYTHONPATH=os.pathsep.join(map(str, [code, *more])))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def run_worker(code: Path, action: str, index_dir: Path, paths: list[Path]) -> dict:
    """Run :func:`worker` with ``code``'s semsearch; its report."""
    command = [sys.executable, __file__, "--worker", action, str(index_dir), *map(str, paths)]
    env = child_env(code, REPO / "bench")
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("REPORT ")]
    if done.returncode != 0 or not lines:
        raise SystemExit(f"{action} with {code} failed:\n{done.stderr[-3000:]}")
    return json.loads(lines[-1][len("REPORT ") :])


def cli_update(code: Path, index_dir: Path, corpus: Path | None = None) -> dict:
    """Run ``semsearch update`` as a new process with ``code``'s semsearch; wall s, peak MB."""
    command = [SEMSEARCH, "update", "--index", str(index_dir)]
    if corpus is not None:
        command.insert(2, str(corpus))
    done = run_measured(command, env=child_env(code))
    if done["returncode"] != 0:
        raise SystemExit(f"semsearch update failed:\n{done['stderr'][-2000:]}")
    return {"seconds": done["seconds"], "peak_rss_mb": done["peak_rss_mb"]}


def cli_start(code: Path) -> dict:
    """Run ``semsearch update --help``: what every command costs before it does anything."""
    done = run_measured([SEMSEARCH, "update", "--help"], env=child_env(code))
    return {"seconds": done["seconds"], "peak_rss_mb": done["peak_rss_mb"]}


# -- the driver ------------------------------------------------------------------------------------


def prepare(size: int, codes: dict[str, Path]) -> dict[str, Path]:
    """The corpus and one index per implementation (built by the first, copied for the rest)."""
    corpus_dir = CACHE_DIR / f"update-corpus-{size}"
    chunks = write_corpus(corpus_dir, TARGET_CHUNKS[size])
    first, *others = codes
    built = CACHE_DIR / f"update-index-{size}-{first}"
    if not (built / "current").is_symlink():
        print(f"Indexing {chunks:,} paragraphs with {first} (load {load_average()})…", flush=True)
        report = run_worker(codes[first], "build", built, [corpus_dir])
        print(f"  built in {report['seconds']:.0f} s", flush=True)
        # Files just written are hashed by the next scan (same mtime tick); let that pass once.
        time.sleep(2.5)
        run_worker(codes[first], "update", built, [])
    indexes = {first: built}
    for label in others:
        copy = CACHE_DIR / f"update-index-{size}-{label}"
        if not (copy / "current").is_symlink():
            shutil.rmtree(copy, ignore_errors=True)
            shutil.copytree(built, copy, symlinks=True)
        indexes[label] = copy
    # Warm-up: each implementation adds and removes an article once (converting an index of
    # another format, filling the page cache); not timed.
    article = corpus_dir / "new" / "article.txt"
    for label, code in codes.items():
        article.parent.mkdir(exist_ok=True)
        article.write_text(new_article(99), encoding="utf-8")
        run_worker(code, "update", indexes[label], [article.parent])
        article.unlink()
        run_worker(code, "update", indexes[label], [article.parent])
    return indexes


def measure(size: int, codes: dict[str, Path], runs: int) -> dict:
    """Time the updates at one size, every implementation in turn; the medians."""
    indexes = prepare(size, codes)
    article = CACHE_DIR / f"update-corpus-{size}" / "new" / "article.txt"
    samples: dict[str, dict[str, list]] = {label: {} for label in codes}
    started_load = load_average()
    for run in range(runs):
        for label, code in codes.items():
            got = samples[label]
            index = indexes[label]
            got.setdefault("load", []).append(load_average()[0])
            got.setdefault("cli_start", []).append(cli_start(code))
            got.setdefault("noop_cli", []).append(cli_update(code, index))
            got.setdefault("noop_in", []).append(run_worker(code, "update", index, []))
            article.write_text(new_article(run), encoding="utf-8")
            got.setdefault("add_cli", []).append(cli_update(code, index, article.parent))
            article.unlink()
            got.setdefault("remove_cli", []).append(cli_update(code, index, article.parent))
            article.write_text(new_article(run).replace("文章", "文章（二）"), encoding="utf-8")
            got.setdefault("add_in", []).append(run_worker(code, "update", index, [article.parent]))
            article.unlink()
            got.setdefault("remove_in", []).append(
                run_worker(code, "update", index, [article.parent])
            )
    result = {"load_average_start": started_load, "load_average_end": load_average()}
    for label, got in samples.items():
        result[label] = summarize(got)
    return result


def summarize(got: dict[str, list]) -> dict:
    """Medians of the samples of one implementation at one size."""

    def median(key: str, field: str = "seconds") -> float:
        return round(statistics.median(sample[field] for sample in got[key]), 3)

    last_add, last_remove = got["add_in"][-1], got["remove_in"][-1]
    return {
        "chunks": last_remove["chunks_total"],
        "documents": last_remove["documents_total"],
        "load_1min_median": statistics.median(got["load"]),
        "cli_start_s": median("cli_start"),
        "noop_cli_s": median("noop_cli"),
        "noop_in_process_s": median("noop_in"),
        "add_cli_s": median("add_cli"),
        "remove_cli_s": median("remove_cli"),
        "add_in_process_s": median("add_in"),
        "remove_in_process_s": median("remove_in"),
        "add_in_process_without_embedding_s": round(
            statistics.median(
                s["seconds"] - s["timings"].get("embed", 0) - s["timings"].get("sentences", 0)
                for s in got["add_in"]
            ),
            3,
        ),
        "add_embedding_s": round(
            statistics.median(
                s["timings"].get("embed", 0) + s["timings"].get("sentences", 0)
                for s in got["add_in"]
            ),
            3,
        ),
        "cli_peak_rss_mb": max(sample["peak_rss_mb"] or 0 for sample in got["add_cli"]),
        "chunks_embedded": last_add["chunks_embedded"],
        "add_timings_s": {key: round(value, 3) for key, value in last_add["timings"].items()},
        "remove_timings_s": {key: round(value, 3) for key, value in last_remove["timings"].items()},
    }


def main() -> None:
    """Measure every size, print the table and write ``bench/results/update.json``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--code", default=f"this={REPO}", help="label=source tree, comma-separated")
    args = parser.parse_args()
    codes = {
        label: Path(path).resolve()
        for label, path in (item.split("=", 1) for item in args.code.split(","))
    }
    results: dict = {"implementations": {label: str(path) for label, path in codes.items()}}
    results["sizes"] = {}
    for size in (int(value) for value in args.sizes.split(",")):
        print(f"\n{size:,} chunks (load {load_average()})", flush=True)
        results["sizes"][str(size)] = measure(size, codes, args.runs)
        print(json.dumps(results["sizes"][str(size)], indent=1), flush=True)
    last = list(codes)[-1]
    if "10000" in results["sizes"]:  # what bench/run_all.py reads
        results["noop"] = {"cli_median_s": results["sizes"]["10000"][last]["noop_cli_s"]}
    rows = []
    for size, measured in results["sizes"].items():
        for label in codes:
            row = measured[label]
            rows.append(
                [f"{int(size):,}", label, row["cli_start_s"], row["noop_cli_s"],
                 row["add_cli_s"], row["remove_cli_s"], row["add_in_process_s"],
                 row["add_embedding_s"], row["add_in_process_without_embedding_s"],
                 row["noop_in_process_s"], row["remove_in_process_s"]]
            )  # fmt: skip
    print_table(
        f"Updates, median of {args.runs} (s)",
        ["chunks", "code", "CLI start (--help)", "no-op CLI", "add CLI", "remove CLI",
         "add in-process", "of it embedding", "add w/o embedding", "no-op in-process",
         "remove in-process"],
        rows,
    )  # fmt: skip
    path = write_result("update", results)
    print(f"\nWrote {path}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker(sys.argv[2], Path(sys.argv[3]), [Path(p) for p in sys.argv[4:]])
    else:
        main()
