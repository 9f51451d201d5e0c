"""Seed copies, a recording reporter and a build shortcut for the indexing tests."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from fakes import FakeEmbedder

from semsearch import indexing
from semsearch.progress import Note
from semsearch.storage import SearchIndex

REPO = Path(__file__).resolve().parents[2]
SEEDS = sorted((REPO / "seeds").glob("*.txt"))
TESTS = Path(__file__).resolve().parents[1]


class RecordingReporter:
    """Keeps what the indexer reports."""

    def __init__(self) -> None:
        self.totals: dict[str, int] = {}
        self.done: dict[str, int] = {}
        self.messages: list[str] = []

    def start(self, stage: str, total: int) -> None:
        self.totals[stage] = total
        self.done[stage] = 0

    def advance(self, stage: str, n: int = 1) -> None:
        self.done[stage] += n

    def note(self, note: Note) -> None:
        self.messages.append(note.text)


def build(
    embedder: FakeEmbedder, paths: Sequence[Path] = (Path("corpus"),)
) -> indexing.IndexReport:
    """Build ``index/`` from ``corpus/`` (or the given paths) in the working directory."""
    return indexing.build(list(paths), Path("index"), embedder)


def doc_id_of(reader: SearchIndex, path: Path) -> str:
    """The doc id of a file of ``corpus/``."""
    return next(d.doc_id for d in reader.documents() if d.path == f"corpus/{path.name}")
