"""semsearch against its best peer (txtai), side by side on the same corpus and queries.

Each system runs in a process of its own, on the same chunks and queries, one after the other,
alternating which goes first, ``--repeats`` times (the machine's load changes under both alike);
the figures are medians over the repeats:

- **index characters/s**: characters of chunk text over the time to index them (the model
  already loaded). semsearch's index includes each chunk's sentence vectors and its BM25;
  txtai's its dense index and its BM25.
- **query p50 ms**: hybrid search, one query at a time, warm, the query's embedding included.
- **peak memory**: the process's peak resident memory (``ru_maxrss``): model, index, queries.
- **MRR@10**: the rank of the relevant article among the articles of the first 10 chunks.

The corpus: a news set of ``eval/`` (``president_news_short`` by default: 400 news items,
140,249 characters, public domain; ``president_news`` has 400 long articles), cut into chunks by
semsearch's chunker (``chunking.chunk_document``, the defaults), so both index the same passages;
the queries are the articles' headlines (each article's own headline is its relevant answer).

The peer: txtai 9.14 with the best configuration measured (``bench/peer_txtai.py``), the same
e5 model folder semsearch converts. Its virtual environment is made on demand in
``bench/.peers/`` (git-ignored) from PyPI, with versions that install together (torch's CPU wheel
first); this is the only step that needs the network, once.

Usage::

    .venv/bin/python bench/peers.py                       # ~15 min (+ ~3 min the first time)
    .venv/bin/python bench/peers.py --sets president_news_short,president_news --repeats 3
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from common import (
    CACHE_DIR,
    EVAL_DIR,
    REPO,
    bench_env,
    load_average,
    print_table,
    write_result,
)

#: The peer's virtual environment (git-ignored).
PEER_DIR = REPO / "bench" / ".peers" / "txtai-9.14.0"
#: Installed in this order: torch first, pinned, so pip takes the local CPU wheel (a bare
#: ``torch`` would pull a multi-GB CUDA build); then versions that install together.
PEER_TORCH = "torch==2.13.0"
PEER_PACKAGES = (
    "numpy==2.4.6",
    "transformers==5.23.0",
    "tokenizers==0.23.3",
    "safetensors==0.8.0",
    "sentence-transformers==6.2.0",
    "faiss-cpu==1.15.1",
    "txtai==9.14.0",
)
PEER_RUNNER = REPO / "bench" / "peer_txtai.py"
SEMSEARCH_RUNNER = REPO / "bench" / "peer_semsearch.py"
DEFAULT_SETS = ("president_news_short",)


def ensure_peer() -> Path:
    """Make the peer's virtual environment once; return its Python.

    Raises:
        SystemExit: An installation step failed (its output is shown).
    """
    python = PEER_DIR / "bin" / "python"
    marker = PEER_DIR / "installed.json"
    wanted = [PEER_TORCH, *PEER_PACKAGES]
    if marker.is_file() and json.loads(marker.read_text(encoding="utf-8")) == wanted:
        return python
    print(f"Installing the peer into {PEER_DIR} (once, a few minutes)…", flush=True)
    steps = [
        [sys.executable, "-m", "venv", "--clear", str(PEER_DIR)],
        [str(python), "-m", "pip", "install", "-q", PEER_TORCH],
        [str(python), "-m", "pip", "install", "-q", *PEER_PACKAGES],
    ]
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise SystemExit(
                f"{' '.join(step)} failed:\n{done.stdout[-2000:]}{done.stderr[-3000:]}"
            )
    marker.write_text(json.dumps(wanted), encoding="utf-8")
    return python


def write_corpus(
    set_name: str, folder: Path, articles: int | None = None
) -> tuple[Path, Path, int]:
    """Cut a set's articles into chunks; write ``chunks.jsonl`` and ``queries.jsonl``.

    Args:
        set_name: A folder of ``eval/`` whose corpus rows are whole articles.
        folder: Where to write.
        articles: Only the first articles and their queries (a quick check), or all.

    Returns:
        The two files and the characters of chunk text.
    """
    from semsearch.chunking import chunk_document
    from semsearch.evaluation import eval_documents, load_eval_set

    eval_set = load_eval_set(EVAL_DIR / set_name)
    documents, _rows_as_chunks, passage_of = eval_documents(eval_set)
    documents = documents[:articles]
    kept = {passage_of[(document.doc_id, 0)] for document in documents}
    folder.mkdir(parents=True, exist_ok=True)
    chunks_file, queries_file = folder / "chunks.jsonl", folder / "queries.jsonl"
    characters = 0
    with (
        chunks_file.open("w", encoding="utf-8") as chunks_out,
        (folder / "documents.jsonl").open("w", encoding="utf-8") as documents_out,
    ):
        for document in documents:
            documents_out.write(json.dumps(dataclasses.asdict(document), ensure_ascii=False) + "\n")
            article = passage_of[(document.doc_id, 0)]  # one row per article in the news sets
            for chunk in chunk_document(document):
                characters += len(chunk.text)
                row = {"id": f"{chunk.doc_id}-{chunk.index}", "article": article,
                       **dataclasses.asdict(chunk)}  # fmt: skip
                chunks_out.write(json.dumps(row, ensure_ascii=False) + "\n")
    with queries_file.open("w", encoding="utf-8") as out:
        for query in (query for query in eval_set.queries if kept.intersection(query.relevant)):
            row = {"id": query.query_id, "text": query.text, "relevant": sorted(query.relevant)}
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    return chunks_file, queries_file, characters


def mrr_at_10(rankings: list[list[str]], queries_file: Path) -> float:
    """MRR@10 in points: 1/rank of the first of the top 10 chunks from the relevant article."""
    queries = [json.loads(line) for line in queries_file.read_text(encoding="utf-8").splitlines()]
    total = 0.0
    for ranked, query in zip(rankings, queries, strict=True):
        relevant = set(query["relevant"])
        for rank, article in enumerate(ranked[:10], start=1):
            if article in relevant:
                total += 1.0 / rank
                break
    return round(100 * total / len(queries), 2)


def run_system(command: list[str], result_file: Path) -> dict:
    """Run one system's process and return its result."""
    done = subprocess.run(
        command, capture_output=True, text=True, check=False, env=bench_env(), cwd=REPO
    )
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr[-3000:]}")
    return json.loads(result_file.read_text(encoding="utf-8"))


def compare_on(
    set_name: str, peer_python: Path, model: Path, repeats: int, articles: int | None = None
) -> dict:
    """Run both systems ``repeats`` times, alternating the order; return medians and ratios."""
    folder = CACHE_DIR / "peers" / set_name
    chunks_file, queries_file, characters = write_corpus(set_name, folder, articles)
    chunk_count = sum(1 for _ in chunks_file.open(encoding="utf-8"))
    commands = {
        "semsearch": [sys.executable, str(SEMSEARCH_RUNNER)],
        "txtai": [str(peer_python), str(PEER_RUNNER)],
    }
    runs: dict[str, list[dict]] = {name: [] for name in commands}
    with tempfile.TemporaryDirectory(prefix="semsearch-peers-") as scratch:
        for repeat in range(repeats):
            order = list(commands) if repeat % 2 == 0 else list(commands)[::-1]
            for name in order:
                result_file = Path(scratch) / f"{name}-{repeat}.json"
                print(f"  {set_name}, run {repeat + 1}/{repeats}: {name} (load "
                      f"{load_average()})…", flush=True)  # fmt: skip
                arguments = [str(chunks_file), str(queries_file), str(model), str(result_file)]
                result = run_system([*commands[name], *arguments], result_file)
                result["mrr_at_10"] = mrr_at_10(result.pop("rankings"), queries_file)
                result["chars_per_s"] = round(characters / result["index_seconds"], 1)
                runs[name].append(result)
                print(f"    {name}: {result['chars_per_s']} chars/s, p50 "
                      f"{result['query_p50_ms']} ms, {result['peak_rss_mb']} MB, MRR@10 "
                      f"{result['mrr_at_10']}", flush=True)  # fmt: skip
    medians = {
        name: {
            key: statistics.median(run[key] for run in results)
            for key in ("chars_per_s", "index_seconds", "query_p50_ms", "peak_rss_mb", "mrr_at_10")
        }
        for name, results in runs.items()
    }
    ours, theirs = medians["semsearch"], medians["txtai"]
    return {
        "set": set_name,
        "articles": len({json.loads(line)["article"] for line in chunks_file.open()}),
        "chunks": chunk_count,
        "characters": characters,
        "queries": sum(1 for _ in queries_file.open(encoding="utf-8")),
        "medians": medians,
        "ratios": {
            "index_chars_per_s": round(ours["chars_per_s"] / theirs["chars_per_s"], 2),
            "query_p50": round(ours["query_p50_ms"] / theirs["query_p50_ms"], 2),
            "peak_rss": round(ours["peak_rss_mb"] / theirs["peak_rss_mb"], 2),
            "mrr_at_10_points": round(ours["mrr_at_10"] - theirs["mrr_at_10"], 2),
        },
        "runs": runs,
    }


def main() -> None:
    """Install the peer if needed, compare on each set, print the tables, write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sets", default=",".join(DEFAULT_SETS), help="eval/ sets, comma-separated"
    )
    parser.add_argument("--repeats", type=int, default=3, help="runs of each system per set")
    parser.add_argument("--articles", type=int, help="only the first articles (a quick check)")
    args = parser.parse_args()

    from semsearch.embed import prepare_model

    peer_python = ensure_peer()
    model = prepare_model()
    load_start = load_average()
    results = [
        compare_on(name, peer_python, model, args.repeats, args.articles)
        for name in args.sets.split(",")
        if name
    ]
    for result in results:
        medians = result["medians"]
        print_table(
            f"{result['set']}: {result['articles']} articles, {result['chunks']:,} chunks, "
            f"{result['characters']:,} characters, {result['queries']} queries; medians of "
            f"{args.repeats} interleaved runs",
            ["", "index chars/s", "query p50 ms", "peak RSS MB", "MRR@10"],
            [
                *[
                    [name, row["chars_per_s"], row["query_p50_ms"], row["peak_rss_mb"],
                     row["mrr_at_10"]]
                    for name, row in medians.items()
                ],
                ["semsearch / txtai", f"{result['ratios']['index_chars_per_s']}×",
                 f"{result['ratios']['query_p50']}×", f"{result['ratios']['peak_rss']}×",
                 f"{result['ratios']['mrr_at_10_points']:+} points"],
            ],
        )  # fmt: skip
    path = write_result(
        "peers",
        {
            "peer": {"packages": [PEER_TORCH, *PEER_PACKAGES], "runner": PEER_RUNNER.name},
            "load_average_start": load_start,
            "load_average_end": load_average(),
            "repeats": args.repeats,
            "sets": results,
        },
    )
    print(f"\nWrote {path}")


if __name__ == "__main__":
    main()
