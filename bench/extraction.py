"""What the extraction boundary costs: the read stage of a build, with and without it.

Corpora: the five seeds (``.txt``), and the 1,104 passages of ``eval/cmrc2018`` written as
article files (title line, then the passage), once as ``.txt``, once as ``.html`` and once as
``.docx``. For each, the read stage of a build (discovery and scan, then reading, cleaning,
cutting and tokenizing every file, as ``semsearch build`` does; no embedding) is timed in a
fresh process, in three ways:

- ``boundary``: this tree's code as it runs (HTML and Word files in the extraction worker, which
  the timing includes starting; text in process);
- ``in-process``: this tree's code with the worker turned off (the exception boundary only);
- ``base``: the code of another tree given with ``--base`` (e.g. the commit before issue 14,
  ``git archive c27eb0a semsearch | tar -x -C /tmp/base``), which had no boundary.

The runs are interleaved, in an order rotated at each repeat (the machine is shared: a load that
rises during a repeat must not always fall on the same variant); the fastest and the median run
are reported. Two costs of the worker are also timed on their own: starting it (a new process
importing the parsers) and one round trip of a file through it (an extractor that does nothing,
on a 20 KB file).

Usage::

    .venv/bin/python bench/extraction.py [--base /tmp/base] [--repeats 5]   # ~10 min
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

from common import CACHE_DIR, EVAL_DIR, PYTHON, REPO, load_average, print_table, write_result

sys.path.insert(0, str(REPO / "tests"))  # the worker's do-nothing extractor

CORPORA = ("seeds", "cmrc-txt", "cmrc-html", "cmrc-docx")

_MEASURE = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    sys.path[:0] = [{code!r}, {tests!r}]
    from fakes import FakeEmbedder
    from semsearch.chunking import ChunkingConfig
    from semsearch.indexing import prepare
    from semsearch.indexing.scan import scan
    from semsearch.progress import NullReporter
    if {in_process!r}:
        from semsearch.ingest import Extraction
        prepare.Extraction = lambda: Extraction(isolate=False)
    started = time.perf_counter()
    plan = scan([Path({corpus!r}).resolve()], [], [], 0, NullReporter())
    scanned = time.perf_counter()
    documents, _ = prepare.read_files(
        plan.to_read, [], [], ChunkingConfig(), FakeEmbedder(), plan.skipped, NullReporter()
    )
    done = time.perf_counter()
    print(json.dumps({{"scan": scanned - started, "read": done - scanned,
                       "files": len(plan.to_read), "documents": len(documents)}}))
    """
)


def write_corpora(folder: Path) -> dict[str, Path]:
    """Write the corpora once (kept in bench/.cache); return their folders by name."""
    import docx

    folders = {name: folder / name for name in CORPORA}
    folders["seeds"] = REPO / "seeds"
    if all(folders[name].is_dir() for name in CORPORA):
        return folders
    rows = [json.loads(line) for line in (EVAL_DIR / "cmrc2018" / "corpus.jsonl").open()]
    for name in CORPORA[1:]:
        folders[name].mkdir(parents=True, exist_ok=True)
    for row in rows:
        title, text, stem = row["title"], row["text"], row["id"]
        (folders["cmrc-txt"] / f"{stem}.txt").write_text(f"{title}\n\n{text}\n", "utf-8")
        page = f"<html><head><title>{title}</title></head><body><h1>{title}</h1><p>{text}</p>"
        (folders["cmrc-html"] / f"{stem}.html").write_text(page + "</body></html>", "utf-8")
        word = docx.Document()
        word.add_heading(title, level=1)
        word.add_paragraph(text)
        buffer = io.BytesIO()
        word.save(buffer)
        (folders["cmrc-docx"] / f"{stem}.docx").write_bytes(buffer.getvalue())
    return folders


def measure(code: Path, corpus: Path, in_process: bool) -> dict[str, float]:
    """Time the read stage of one corpus with one tree's code, in a fresh process."""
    script = _MEASURE.format(
        code=str(code), tests=str(REPO / "tests"), corpus=str(corpus), in_process=in_process
    )
    done = subprocess.run(
        [PYTHON, "-c", script], capture_output=True, text=True, check=True, cwd=REPO
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=Path, help="a tree holding the code to compare with")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    folders = write_corpora(CACHE_DIR / "extraction")
    variants: dict[str, tuple[Path, bool]] = {"boundary": (REPO, False), "in-process": (REPO, True)}
    if args.base is not None:
        variants["base"] = (args.base.resolve(), False)
    samples: dict[str, dict[str, list[dict[str, float]]]] = {
        corpus: {variant: [] for variant in variants} for corpus in CORPORA
    }
    names = list(variants)
    for repeat in range(args.repeats):
        order = names[repeat % len(names) :] + names[: repeat % len(names)]
        for corpus in CORPORA:
            for variant in order:
                code, in_process = variants[variant]
                samples[corpus][variant].append(measure(code, folders[corpus], in_process))
    results, rows = {}, []
    for corpus in CORPORA:
        results[corpus] = {}
        for variant in variants:
            runs = samples[corpus][variant]
            seconds = sorted(run["read"] + run["scan"] for run in runs)
            files = int(runs[0]["files"])
            results[corpus][variant] = {
                "fastest_seconds": seconds[0],
                "median_seconds": statistics.median(seconds),
                "files": files,
                "documents": int(runs[0]["documents"]),
                "runs": runs,
            }
            per_file = 1000 * seconds[0] / files
            rows.append([corpus, variant, files, seconds[0], statistics.median(seconds), per_file])
    print_table(
        "Read stage of a build (scan + read + clean + cut + tokenize)",
        ["corpus", "code", "files", "fastest s", "median s", "fastest ms/file"],
        rows,
    )
    worker = worker_costs(args.repeats)
    print_table("The worker on its own", ["cost", "fastest ms", "median ms"], worker["rows"])
    write_result(
        "extraction",
        {
            "repeats": args.repeats,
            "results": results,
            "worker": worker["costs"],
            "load_after": load_average(),
        },
    )


def worker_costs(repeats: int) -> dict[str, Any]:
    """Time starting the worker, and one round trip of a 20 KB file through it (ms)."""
    from faults.hostile import well_behaved

    from semsearch.ingest.worker import ExtractionWorker

    starts, trips = [], []
    data = ("正文" * 3400).encode()
    for _ in range(repeats):
        worker = ExtractionWorker(seconds=60, memory_bytes=2**30)
        started = time.perf_counter()
        worker.ensure_started()
        starts.append(1000 * (time.perf_counter() - started))
        for _ in range(200):
            started = time.perf_counter()
            worker.extract(well_behaved, Path("a.txt"), data)
            trips.append(1000 * (time.perf_counter() - started))
        worker.close()
    costs = {
        "start_ms": {"fastest": min(starts), "median": statistics.median(starts)},
        "round_trip_ms": {"fastest": min(trips), "median": statistics.median(trips)},
    }
    rows = [[name, value["fastest"], value["median"]] for name, value in costs.items()]
    return {"costs": costs, "rows": rows}


if __name__ == "__main__":
    sys.exit(main())
