"""Generations as semsearch wrote them before segments (format 1), made by hand for the tests.

A format-1 generation holds ``meta.sqlite`` (documents with their text, chunks with their JSON
token lists, sentence vectors), ``vectors.faiss`` (one ``IndexIDMap2(IndexFlatIP)``) and
``keyword/`` (the files bm25s 0.3 saves, idf folded into the scores), listed with their sizes in
a manifest of format 1 without checksums. :func:`rewrite_as_format1` turns the current
generation of an index into one, so every test can start from an index of the old layout.
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import bm25s
import faiss
import numpy as np

from semsearch import lexical
from semsearch.chunking import Chunk, passage_text
from semsearch.storage import open_index
from semsearch.storage.local.generations import CURRENT_LINK, file_sizes
from semsearch.storage.local.schema import UPGRADES

_CHUNK_SQL = "SELECT chunk_id, doc_id, idx, paragraph, start_char, end_char, text, title, embed_key"


def _old_schema(db: sqlite3.Connection, sentence_vectors: bool) -> None:
    db.executescript(UPGRADES[0][1])
    if sentence_vectors:
        db.executescript(UPGRADES[1][1])
        db.execute("PRAGMA user_version = 2")


def _tokens(row: tuple) -> list[str]:
    chunk = Chunk(row[1], row[2], row[3], row[4], row[5], row[6], row[7])
    return lexical.tokenize(passage_text(chunk))


def _write_keyword(folder: Path, ids: list[int], token_lists: list[list[str]]) -> None:
    folder.mkdir()
    np.save(folder / "ids.npy", np.array(ids, dtype=np.int64))
    if ids:
        reference = bm25s.BM25(k1=lexical.DEFAULT_K1, b=lexical.DEFAULT_B, method="lucene")
        reference.index([tokens or [""] for tokens in token_lists], show_progress=False)
        reference.save(str(folder), show_progress=False)
    params = {"format_version": 1, "k1": lexical.DEFAULT_K1, "b": lexical.DEFAULT_B}
    params["tokenizer"] = lexical.TOKENIZER_VERSION
    (folder / "keyword.json").write_text(json.dumps(params), encoding="utf-8")


def rewrite_as_format1(index_dir: Path, sentence_vectors: bool = True) -> Path:
    """Replace the current generation by the same content in format 1; return its folder.

    Args:
        index_dir: A local index (any format).
        sentence_vectors: Keep the sentence vectors (False: as written before they existed,
            without their table, the manifest key or a schema version).
    """
    reader = open_index(index_dir)
    manifest = reader.manifest.to_dict()
    rows: list[tuple] = []
    for segment in reader.segments.segments:
        deleted = set(segment.deleted.tolist())
        found = segment.records.select(f"{_CHUNK_SQL} FROM chunks ORDER BY chunk_id")
        rows += [row for row in found if row[0] not in deleted]
    rows.sort()
    ids = [row[0] for row in rows]
    token_lists = [_tokens(row) for row in rows]
    generation = index_dir / f"gen-{int(reader.generation[4:]) + 1:06d}"
    generation.mkdir()
    db = sqlite3.connect(generation / "meta.sqlite")
    _old_schema(db, sentence_vectors)
    for stored in reader.stored_files():
        document = reader.document(stored.doc_id)
        removed = [[r.line_no, r.text, r.reason] for r in reader.removed_lines(stored.doc_id)]
        state = stored.state
        db.execute(
            "INSERT INTO documents VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                document.doc_id, document.path, state.file_path if state else None,
                state.size if state else None, state.mtime_ns if state else None,
                document.title, document.date, document.source, document.author,
                document.content_hash, document.script, document.chunk_count, document.text,
                json.dumps(removed, ensure_ascii=False),
            ),
        )  # fmt: skip
    db.executemany(
        "INSERT INTO chunks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (*row, json.dumps(t, ensure_ascii=False))
            for row, t in zip(rows, token_lists, strict=True)
        ],
    )
    db.executemany(
        "INSERT INTO skipped VALUES (?, ?)", [(s.path, s.reason) for s in reader.skipped_files()]
    )
    if sentence_vectors:
        for segment in reader.segments.segments:
            db.executemany(
                "INSERT OR IGNORE INTO sentence_vectors VALUES (?, ?)",
                segment.records.select("SELECT embed_key, vectors FROM sentence_vectors"),
            )
    db.commit()
    db.close()
    vectors = faiss.IndexIDMap2(faiss.IndexFlatIP(reader.dimension))
    if ids:
        found, matrix = reader.segments.vectors_of(np.array(ids, dtype=np.int64))
        vectors.add_with_ids(matrix, found)
    faiss.write_index(vectors, str(generation / "vectors.faiss"))
    _write_keyword(generation / "keyword", ids, token_lists)
    for key in ("segments", "crc32"):
        manifest.pop(key, None)
    manifest.update(
        format_version=1,
        generation=generation.name,
        keyword={"tokenizer": lexical.TOKENIZER_VERSION},
        vector_index={"type": "flat"},
        files=file_sizes(generation),
    )
    if not sentence_vectors:
        del manifest["sentence_vectors"]
    (generation / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    reader.close()
    link = index_dir / CURRENT_LINK
    link.unlink()
    os.symlink(generation.name, link)
    return generation
