"""The catalog's two levels at 100k chunks: a write with the delta against one that compacts.

``bench/update.py`` times whole updates; this times the catalog's share of one write, on a
hard-linked copy of the update benchmark's index (``bench/.cache/update-index-<size>-<label>``,
left as it was): each run records a new file state for one document (the smallest write that
changes the catalog) once with the policy of ``storage/local/catalog_levels.py`` (the delta is
copied, the base linked) and once with a compaction forced (the base rewritten: what every write
cost before), interleaved, and opens the result as a search would. Medians of ``--runs``.

Usage::

    .venv/bin/python bench/catalog_levels.py --index bench/.cache/update-index-100000-cat6
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from common import load_average, print_table, write_result

from semsearch.storage import open_index
from semsearch.storage.data import FileState
from semsearch.storage.local import catalog_levels
from semsearch.storage.local.generations import BASE_FILE, META_FILE, current_manifest
from semsearch.storage.local.writer import open_local_writer


class _Model:
    """The model identity the index was written with (nothing is embedded)."""

    def __init__(self, index_dir: Path) -> None:
        manifest = current_manifest(index_dir)
        self.model_id = manifest.model_id
        self.fingerprint = manifest.model_fingerprint
        self.dimension = manifest.dimension


class _Chunking:
    def __init__(self, settings: dict) -> None:
        self.settings = settings

    def as_dict(self) -> dict:
        return dict(self.settings)


def one_write(index_dir: Path, doc_id: str, run: int, compact: bool) -> dict[str, float]:
    """Record a new file state for one document; the write's steps and the open after it (s)."""
    model = _Model(index_dir)
    chunking = _Chunking(current_manifest(index_dir).chunking)
    saved = catalog_levels.COMPACT_MIN_ROWS, catalog_levels.COMPACT_FRACTION
    if compact:  # any change is then more than the bound
        catalog_levels.COMPACT_MIN_ROWS, catalog_levels.COMPACT_FRACTION = 0, 1 << 40
    started = time.perf_counter()
    try:
        with open_local_writer(index_dir, model, chunking) as writer:
            writer.update_file_state(doc_id, FileState(f"/bench/{doc_id}-{run}.txt", run, run))
            writer.commit().close()
            timings = dict(writer.timings)
    finally:
        catalog_levels.COMPACT_MIN_ROWS, catalog_levels.COMPACT_FRACTION = saved
    total = time.perf_counter() - started
    started = time.perf_counter()
    reader = open_index(index_dir)
    reader.close()
    generation = index_dir / os.readlink(index_dir / "current")
    return {
        "write_s": total,
        "copy_s": timings.get("copy", 0.0),
        "meta_s": timings.get("meta", 0.0),
        "publish_s": timings.get("publish", 0.0),
        "open_s": time.perf_counter() - started,
        "delta_mb": (generation / META_FILE).stat().st_size / 1e6,
        "base_mb": (generation / BASE_FILE).stat().st_size / 1e6
        if (generation / BASE_FILE).is_file()
        else 0.0,
    }


def main() -> None:
    """Measure, print the table and write ``bench/results/catalog_levels.json``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.index.parent) as scratch:
        index_dir = Path(scratch) / "index"
        # Hard links: a writer never changes a published file, it writes a new generation.
        subprocess.run(["cp", "-al", str(args.index), str(index_dir)], check=True)
        reader = open_index(index_dir)
        doc_ids = [d.doc_id for d in reader.documents()[: args.runs * 2]]
        documents = reader.document_count
        reader.close()
        load = [load_average()]
        samples: dict[str, list[dict[str, float]]] = {"delta": [], "compaction": []}
        for run in range(args.runs):
            for kind in samples:
                sample = one_write(
                    index_dir,
                    doc_ids[len(samples[kind]) * 2 + (kind == "delta")],
                    run,
                    kind == "compaction",
                )
                samples[kind].append(sample)
        load.append(load_average())
        shutil.rmtree(index_dir)
    results = {"index": str(args.index), "documents": documents, "load": load, "runs": args.runs}
    rows = []
    for kind, got in samples.items():
        medians = {key: round(statistics.median(s[key] for s in got), 4) for key in got[0]}
        results[kind] = medians
        rows.append([kind, *medians.values()])
    print_table(
        f"One catalog write at {documents:,} documents, median of {args.runs} (load {load})",
        ["write", *samples["delta"][0]],
        rows,
    )
    print(f"Wrote {write_result('catalog_levels', results)}")


if __name__ == "__main__":
    main()
