"""Evaluation sets: reading a set's folder, and laying its passages out as articles and chunks.

An evaluation set is a folder with ``corpus.jsonl`` (passages: ``id``, ``text``, ``title``) and
``queries.jsonl`` (questions: ``id``, ``text``, ``relevant`` passage ids), the format of the
shared sets described in ``eval/README.md``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from semsearch.errors import SemsearchError

if TYPE_CHECKING:
    from semsearch.chunking import Chunk
    from semsearch.ingest import Document


class EvalSetError(SemsearchError):
    """An evaluation folder is missing a file or holds a malformed line."""


@dataclass(frozen=True)
class EvalPassage:
    """One corpus row of an evaluation set."""

    passage_id: str
    text: str
    title: str


@dataclass(frozen=True)
class EvalQuery:
    """One question with the ids of the passages that answer it."""

    query_id: str
    text: str
    relevant: tuple[str, ...]


@dataclass
class EvalSet:
    """A loaded evaluation set: its name (the folder name), passages and queries."""

    name: str
    directory: Path
    passages: list[EvalPassage]
    queries: list[EvalQuery] = field(default_factory=list)


def _read_jsonl(path: Path, required: Sequence[str]) -> list[dict]:
    if not path.is_file():
        raise EvalSetError(
            f"{path} is missing.",
            "An evaluation set is a folder with corpus.jsonl and queries.jsonl "
            "(see eval/README.md).",
            key="eval.file_missing",
            params={"path": path},
        )
    rows: list[dict] = []
    with path.open(encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as error:
                raise EvalSetError(
                    f"{path}, line {line_no}: not valid JSON ({error.msg}).",
                    "Each line must be one JSON object.",
                    key="eval.bad_json",
                    params={"path": path, "line": line_no, "reason": error.msg},
                ) from error
            missing = [key for key in required if not isinstance(row, dict) or key not in row]
            if missing:
                raise EvalSetError(
                    f"{path}, line {line_no}: missing field(s) {', '.join(missing)}.",
                    f"Each line needs: {', '.join(required)}.",
                    key="eval.missing_fields",
                    params={
                        "path": path,
                        "line": line_no,
                        "fields": ", ".join(missing),
                        "required": ", ".join(required),
                    },
                )
            rows.append(row)
    return rows


def load_eval_set(directory: Path) -> EvalSet:
    """Read an evaluation folder (``corpus.jsonl`` + ``queries.jsonl``).

    Args:
        directory: The folder.

    Returns:
        The set; queries whose relevant ids are all unknown are kept (they score zero), so a
        broken set shows up as low figures rather than silently shrinking.

    Raises:
        EvalSetError: If the folder or a file is missing, a line is not JSON or lacks a field,
            a passage id repeats, or there are no passages or no queries.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise EvalSetError(
            f"Evaluation folder {directory} does not exist.",
            "Give a folder with corpus.jsonl and queries.jsonl, e.g. eval/cmrc2018_chunks.",
            key="eval.no_folder",
            params={"folder": directory},
        )
    corpus_path = directory / "corpus.jsonl"
    queries_path = directory / "queries.jsonl"
    corpus_rows = _read_jsonl(corpus_path, ("id", "text"))
    query_rows = _read_jsonl(queries_path, ("id", "text", "relevant"))
    passages = [
        EvalPassage(str(row["id"]), str(row["text"]), str(row.get("title") or ""))
        for row in corpus_rows
    ]
    seen: set[str] = set()
    for passage in passages:
        if passage.passage_id in seen:
            raise EvalSetError(
                f"{corpus_path}: passage id {passage.passage_id!r} appears twice.",
                "Passage ids must be unique.",
                key="eval.duplicate_passage",
                params={"path": corpus_path, "passage": passage.passage_id},
            )
        seen.add(passage.passage_id)
    queries = []
    for row in query_rows:
        relevant = row["relevant"]
        if isinstance(relevant, str):
            relevant = [relevant]
        queries.append(EvalQuery(str(row["id"]), str(row["text"]), tuple(map(str, relevant))))
    if not passages:
        raise EvalSetError(
            f"{corpus_path} holds no passages.",
            "Add at least one passage.",
            key="eval.no_passages",
            params={"path": corpus_path},
        )
    if not queries:
        raise EvalSetError(
            f"{queries_path} holds no queries.",
            "Add at least one query.",
            key="eval.no_queries",
            params={"path": queries_path},
        )
    return EvalSet(directory.name, directory, passages, queries)


def eval_documents(eval_set: EvalSet) -> tuple[list[Document], dict[str, list[Chunk]], dict]:
    """Turn corpus rows into articles and chunks, as a real index would hold them.

    Rows sharing a ``title`` form one article, in file order: each row is one chunk and one
    paragraph of it, so chunk order and article membership (all that neighbour and article
    evidence use) are real. A row without a title is an article of its own. The eval-only
    ``parent`` field is not used.

    Args:
        eval_set: A loaded set.

    Returns:
        The documents, their chunks by doc id, and a map ``(doc_id, chunk index) → passage id``.
    """
    from semsearch.chunking import Chunk
    from semsearch.ingest import Document

    rows_by_article: dict[str, list[EvalPassage]] = {}
    for number, passage in enumerate(eval_set.passages):
        key = f"title:{passage.title}" if passage.title else f"row:{number}"
        rows_by_article.setdefault(key, []).append(passage)
    documents: list[Document] = []
    chunks_by_doc: dict[str, list[Chunk]] = {}
    passage_of: dict[tuple[str, int], str] = {}
    for number, rows in enumerate(rows_by_article.values()):
        doc_id = f"{eval_set.name}-{number:06d}"
        title = rows[0].title
        chunks: list[Chunk] = []
        offset = 0
        for index, row in enumerate(rows):
            chunks.append(
                Chunk(
                    doc_id=doc_id,
                    index=index,
                    paragraph=index,
                    start=offset,
                    end=offset + len(row.text),
                    text=row.text,
                    title=title,
                )
            )
            passage_of[(doc_id, index)] = row.passage_id
            offset += len(row.text) + 1  # the "\n" between paragraphs
        text = "\n".join(row.text for row in rows)
        documents.append(
            Document(
                doc_id=doc_id,
                path=f"{eval_set.name}/{title or rows[0].passage_id}",
                title=title,
                text=text,
                date=None,
                source=None,
                author=None,
                content_hash=hashlib.sha256(text.encode()).hexdigest(),
                script="unknown",
            )
        )
        chunks_by_doc[doc_id] = chunks
    return documents, chunks_by_doc, passage_of
