"""Peak memory of building: the seeds, a 5k-chunk corpus, and long texts, before and after.

Each case is a new ``semsearch`` process measured with ``/usr/bin/time`` (peak resident memory,
the kernel's high-water mark), run with this checkout's code ("after") and, with ``--before
DIR``, with another checkout's (e.g. ``/work/main``: "before"), alternating which goes first:

- **seeds**: ``semsearch build seeds`` (5 articles);
- **long texts**: ``semsearch eval`` (semantic) of a set of 40 passages of about 7,000
  characters (president_news articles joined, public domain) with a cold vector cache: an
  evaluation embeds corpus rows as they are, so every passage is cut at 512 tokens and a batch
  of 32 of them used to hold 32 × 512 tokens at once;
- **5k chunks** (``--with-5k``, ~4 min each): ``semsearch build`` of the 1,103 cmrc2018 articles
  as files (4,912 chunks), as ``bench/memory.py`` does.

The vector cache of the evaluation is kept out of the way by pointing ``SEMSEARCH_MODEL_CACHE``
at a scratch folder whose ``models`` links to the real model cache.

Usage::

    .venv/bin/python bench/build_memory.py --before /work/main            # ~3 min
    .venv/bin/python bench/build_memory.py --before /work/main --with-5k  # ~12 min
    .venv/bin/python bench/build_memory.py --with-5k --only 5k --repeats 1
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from common import CACHE_DIR, EVAL_DIR, REPO, bench_env, load_average, print_table, run_measured
from common import write_result as write_bench_result

from semsearch import settings

#: Characters per long passage (the issue's example) and passages in the long-text set.
LONG_CHARS = 7_000
LONG_PASSAGES = 40


def write_long_set(folder: Path) -> Path:
    """Write an evaluation set of long passages (president_news articles joined)."""
    rows = [
        json.loads(line)
        for line in (EVAL_DIR / "president_news" / "corpus.jsonl").read_text("utf-8").splitlines()
    ]
    folder.mkdir(parents=True, exist_ok=True)
    corpus, queries = [], []
    for number in range(LONG_PASSAGES):
        parts: list[str] = []
        while sum(map(len, parts)) < LONG_CHARS and rows:
            parts.append(rows.pop(0)["text"])
        passage_id = f"long-{number:03d}"
        corpus.append({"id": passage_id, "text": "\n".join(parts)[:LONG_CHARS], "title": ""})
        queries.append({"id": f"q-{number:03d}", "text": parts[0][:40], "relevant": passage_id})
    for name, items in (("corpus", corpus), ("queries", queries)):
        lines = [json.dumps(item, ensure_ascii=False) for item in items]
        (folder / f"{name}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def semsearch_command(checkout: Path) -> tuple[list[str], dict[str, str]]:
    """The command and environment that run ``semsearch`` from a checkout's code."""
    command = [sys.executable, "-c", "from semsearch.cli import run; run()"]
    return command, bench_env(PYTHONPATH=str(checkout))


def measure(checkout: Path, arguments: list[str], scratch: Path) -> tuple[float, float, float]:
    """Run ``semsearch ARGUMENTS`` from ``checkout`` with a cold vector cache.

    Returns:
        Peak resident MB, wall seconds and CPU seconds (user + system: a build's speed; the
        CPU time depends less on what else the shared machine runs than the wall time).
    """
    command, env = semsearch_command(checkout)
    cache = Path(tempfile.mkdtemp(dir=scratch))
    (cache / "models").symlink_to(settings.default_model_cache().resolve())
    env[settings.ENV_MODEL_CACHE] = str(cache / "models")
    # From the checkout's folder: ``python -c`` puts the current folder first on the path, so
    # from here every checkout would run this one's code.
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = run_measured([*command, *arguments], env=env, cwd=checkout, timeout=3600)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    shutil.rmtree(cache)
    if done["returncode"] != 0:
        raise SystemExit(f"semsearch {' '.join(arguments)} failed:\n{done['stderr'][-2000:]}")
    return float(done["peak_rss_mb"]), round(float(done["seconds"]), 1), round(cpu, 1)


def cases(scratch: Path, with_5k: bool) -> dict[str, list[str]]:
    """Each case's ``semsearch`` arguments."""
    index = str(scratch / "index")
    found = {
        "seeds build": ["build", str(REPO / "seeds"), "--index", index, "--rebuild"],
        f"eval of {LONG_PASSAGES} passages of {LONG_CHARS:,} chars": [
            "eval", str(write_long_set(scratch / "long_set")), "--modes", "semantic",
        ],
    }  # fmt: skip
    if with_5k:
        from update import write_corpus

        corpus = CACHE_DIR / "memory-corpus"
        write_corpus(corpus, 4_912)  # one copy of every article: 4,912 paragraphs
        found["5k chunks build"] = ["build", str(corpus / "c00"), "--index", index, "--rebuild"]
    return found


def main() -> None:
    """Measure every case with each checkout, alternating; print and write the medians."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", type=Path, help="another checkout to compare with")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--with-5k", action="store_true", help="also the 5k-chunk build")
    parser.add_argument("--only", default="", help="only the cases whose name holds this")
    args = parser.parse_args()

    checkouts = {"after": REPO}
    if args.before is not None:
        checkouts["before"] = args.before.resolve()
    loads = [load_average()]
    peaks: dict[str, dict[str, list[float]]] = {}
    seconds: dict[str, dict[str, list[float]]] = {}
    cpu_seconds: dict[str, dict[str, list[float]]] = {}
    with tempfile.TemporaryDirectory(prefix="semsearch-build-memory-") as folder:
        scratch = Path(folder)
        for case, arguments in cases(scratch, args.with_5k).items():
            if args.only not in case:
                continue
            peaks[case] = {name: [] for name in checkouts}
            seconds[case] = {name: [] for name in checkouts}
            cpu_seconds[case] = {name: [] for name in checkouts}
            for repeat in range(args.repeats):
                order = list(checkouts) if repeat % 2 == 0 else list(checkouts)[::-1]
                for name in order:
                    peak, wall, cpu = measure(checkouts[name], arguments, scratch)
                    peaks[case][name].append(peak)
                    seconds[case][name].append(wall)
                    cpu_seconds[case][name].append(cpu)
                    print(f"  {case}, {name}: {peak} MB, {wall} s, CPU {cpu} s (load "
                          f"{load_average()})", flush=True)  # fmt: skip
            loads.append(load_average())
    medians = {
        case: {name: round(statistics.median(values), 1) for name, values in runs.items()}
        for case, runs in peaks.items()
    }
    median_seconds = {
        case: {name: round(statistics.median(values), 1) for name, values in runs.items()}
        for case, runs in seconds.items()
    }
    print_table(
        f"Peak RSS MB / wall s, medians of {args.repeats} runs; load {loads[0]} → {loads[-1]}",
        ["case", *checkouts],
        [
            [case, *(f"{row[name]} / {median_seconds[case][name]}" for name in checkouts)]
            for case, row in medians.items()
        ],
    )
    path = write_bench_result(
        "build_memory",
        {
            "checkouts": {name: str(path) for name, path in checkouts.items()},
            "repeats": args.repeats,
            "load_averages": loads,
            "peak_rss_mb": peaks,
            "seconds": seconds,
            "cpu_seconds": cpu_seconds,
            "medians": medians,
            "median_seconds": median_seconds,
        },
    )
    print(f"\nWrote {path}")


if __name__ == "__main__":
    main()
