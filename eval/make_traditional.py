"""Make the traditional-Chinese twin of an evaluation set with OpenCC ``s2t``.

The twin has the same ids and relevance judgements; passage texts, titles, questions and answers
are converted from simplified to traditional characters. It checks that retrieval does not favour
one script (docs/retrieval.md).

Usage (from the repository root)::

    .venv/bin/python eval/make_traditional.py eval/cmrc2018_chunks eval/cmrc2018_chunks_tw
    .venv/bin/python eval/make_traditional.py eval/xquad_zh eval/xquad_zh_tw
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import opencc

#: Fields converted per file; ids, relevance and split names stay as they are.
CONVERTED_FIELDS = {
    "corpus.jsonl": ("text", "title"),
    "queries.jsonl": ("text", "answers"),
}


def convert_value(converter: opencc.OpenCC, value: object) -> object:
    """Convert a string, or each string of a list, to traditional characters.

    Args:
        converter: An OpenCC ``s2t`` converter.
        value: A field value from a JSONL row.

    Returns:
        The converted value (other types unchanged).
    """
    if isinstance(value, str):
        return converter.convert(value)
    if isinstance(value, list):
        return [convert_value(converter, item) for item in value]
    return value


def make_twin(source: Path, target: Path) -> dict[str, int]:
    """Write the traditional twin of the set in ``source`` into ``target``.

    Args:
        source: A folder with ``corpus.jsonl`` and ``queries.jsonl``.
        target: The folder to write (created; existing files are replaced).

    Returns:
        The number of rows written per file.
    """
    converter = opencc.OpenCC("s2t")
    target.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    for name, fields in CONVERTED_FIELDS.items():
        rows_written = 0
        with (
            (source / name).open(encoding="utf-8") as reader,
            (target / name).open("w", encoding="utf-8") as writer,
        ):
            for line in reader:
                if not line.strip():
                    continue
                row = json.loads(line)
                for field in fields:
                    if field in row:
                        row[field] = convert_value(converter, row[field])
                writer.write(json.dumps(row, ensure_ascii=False) + "\n")
                rows_written += 1
        counts[name] = rows_written
    return counts


def main() -> None:
    """Command-line entry: ``make_traditional.py SOURCE TARGET``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="simplified set (corpus.jsonl, queries.jsonl)")
    parser.add_argument("target", type=Path, help="folder for the traditional twin")
    arguments = parser.parse_args()
    counts = make_twin(arguments.source, arguments.target)
    print(f"{arguments.target}: " + ", ".join(f"{n} rows in {f}" for f, n in counts.items()))


if __name__ == "__main__":
    main()
