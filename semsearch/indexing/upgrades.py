"""Upgrades of stored data that need the pipeline, as an ordered list of named steps.

The manifest records the version of each pipeline step whose output an index stores (the
keyword tokenizer, the sentence vectors). When the running semsearch has a newer one, the
index's next update runs the step's upgrade, once; the writer then records the new version.
Schema changes that need no pipeline are the storage engine's own business
(:mod:`semsearch.storage.local.schema`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from semsearch import lexical
from semsearch.chunking import Chunk, passage_text
from semsearch.progress import Note, Reporter
from semsearch.storage import IndexWriter
from semsearch.storage.manifest import Manifest, keyword_info, sentence_info


@dataclass(frozen=True)
class DataUpgrade:
    """One upgrade of stored data.

    Attributes:
        name: What it upgrades.
        is_due: Whether an index with this manifest needs it.
        run: Applies it through the writer.
    """

    name: str
    is_due: Callable[[Manifest], bool]
    run: Callable[[IndexWriter, Reporter], None]


def _passage_tokens(title: str, text: str) -> list[str]:
    """The keyword tokens of a stored chunk, made as for a new one (``prepare.prepare``)."""
    chunk = Chunk(doc_id="", index=0, paragraph=0, start=0, end=len(text), text=text, title=title)
    return lexical.tokenize(passage_text(chunk))


def _retokenize(writer: IndexWriter, reporter: Reporter) -> None:
    """Recompute every stored chunk's tokens after the keyword tokenizer changed."""
    reporter.note(
        Note("note.retokenize", "The keyword tokenizer changed: re-tokenizing the stored chunks.")
    )
    writer.retokenize(_passage_tokens)


def _drop_sentence_vectors(writer: IndexWriter, reporter: Reporter) -> None:
    """Drop sentence vectors of another version (or an incomplete set); the sentence step of
    the update then embeds every chunk's (:func:`semsearch.indexing.vectors.add_sentence_vectors`).
    """
    writer.clear_sentence_vectors()


#: Every data upgrade, in the order they run. Append new ones at the end.
UPGRADES: tuple[DataUpgrade, ...] = (
    DataUpgrade(
        "keyword_tokens",
        # Only the tokenizer: the keyword entry also records BM25's parameters.
        lambda manifest: (manifest.keyword or {}).get("tokenizer") != keyword_info()["tokenizer"],
        _retokenize,
    ),
    DataUpgrade(
        "sentence_vectors",
        lambda manifest: manifest.sentence_vectors != sentence_info(),
        _drop_sentence_vectors,
    ),
)


def run_due_upgrades(writer: IndexWriter, reporter: Reporter) -> list[str]:
    """Run the upgrades the writer's starting version needs, in order.

    Args:
        writer: The index writer (a new or rebuilt index needs none).
        reporter: Receives the upgrades' messages.

    Returns:
        The names of the upgrades run.
    """
    if writer.base is None:
        return []
    manifest = writer.base.manifest
    due = [upgrade for upgrade in UPGRADES if upgrade.is_due(manifest)]
    for upgrade in due:
        upgrade.run(writer, reporter)
    return [upgrade.name for upgrade in due]
