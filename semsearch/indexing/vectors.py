"""Vectors for new chunks and their sentences: found by content key, else embedded.

Vectors are looked up by content key (sha256 of the model fingerprint and the passage, see
:func:`semsearch.storage.embed_key`) before anything is embedded, so an edited article
re-embeds only its edited paragraphs, a moved file re-embeds nothing, and identical passages are
embedded once.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import numpy as np

from semsearch.chunking import sentence_passages
from semsearch.errors import SemsearchError
from semsearch.indexing.prepare import NewDocument
from semsearch.indexing.report import STAGE_EMBED, STAGE_SENTENCES, IndexReport
from semsearch.progress import Note, Reporter, advancer
from semsearch.storage import IndexWriter

if TYPE_CHECKING:
    from semsearch.embed import Embedder

#: Texts handed to the embedder per call: bounds memory, keeps progress moving.
EMBED_CALL_SIZE = 512


def embed_and_add(
    writer: IndexWriter,
    new_documents: list[NewDocument],
    embedder: Embedder,
    reporter: Reporter,
    report: IndexReport,
    ahead: bool = False,
) -> None:
    """Find or compute a vector for every new chunk, then add the documents to the writer.

    Args:
        writer: The index writer.
        new_documents: The prepared documents.
        embedder: The model (the index's).
        reporter: Receives the ``embed`` stage.
        report: Receives ``chunks_embedded``, ``chunks_reused`` and the time taken.
        ahead: Tokenize the chunks to embed and their sentences first and let the embedder
            release its tokenizer (:func:`encode_ahead`), for a process that will not embed
            other texts.

    Raises:
        SemsearchError: The model returns vectors of the wrong shape.
    """
    started = time.perf_counter()
    if new_documents:
        # From here on a temporary generation exists; a crash leaves it for the next writer.
        writer.begin()
    wanted: dict[str, str] = {}
    for new in new_documents:
        wanted.update(zip(new.keys, new.passages, strict=True))
    vectors = writer.vectors_for_keys(wanted) if wanted else {}
    missing = [key for key in wanted if key not in vectors]
    reporter.start(STAGE_EMBED, len(missing))
    if ahead and missing:
        encode_ahead(embedder, new_documents, {key: wanted[key] for key in missing})
    progress = advancer(reporter, STAGE_EMBED)
    for offset in range(0, len(missing), EMBED_CALL_SIZE):
        keys = missing[offset : offset + EMBED_CALL_SIZE]
        embedded = embedder.embed_passages([wanted[key] for key in keys], progress=progress)
        if embedded.shape != (len(keys), int(embedder.dimension)):
            raise SemsearchError(
                f"The model {embedder.model_id!r} returned vectors of shape {embedded.shape}, "
                f"expected ({len(keys)}, {embedder.dimension}).",
                "Check the model folder; it may not be a sentence-transformers model.",
                key="model.bad_vectors",
                params={
                    "model": embedder.model_id,
                    "shape": embedded.shape,
                    "expected": f"({len(keys)}, {embedder.dimension})",
                },
            )
        vectors.update(zip(keys, embedded, strict=True))
    report.chunks_embedded = len(missing)
    report.timings["embed"] = time.perf_counter() - started
    for new in new_documents:
        matrix = (
            np.stack([vectors[key] for key in new.keys])
            if new.keys
            else np.zeros((0, embedder.dimension), dtype=np.float32)
        )
        writer.add_document(new.document, new.chunks, matrix, new.tokens, new.keys, new.state)
        report.chunks_reused += len(new.keys)
    report.chunks_reused -= report.chunks_embedded


def encode_ahead(
    embedder: Embedder, new_documents: list[NewDocument], to_embed: dict[str, str]
) -> None:
    """Tokenize the passages about to be embedded and their sentences, then release the
    tokenizer, so that it and the model's activations are never in memory together.

    The sentences are those of the chunks whose passage is embedded (the ones that cannot have
    stored sentence vectors either); a text not tokenized here is tokenized when embedded, as
    usual. An embedder without ``encode_ahead`` (a stand-in) is left alone.

    Args:
        embedder: The model.
        new_documents: The prepared documents.
        to_embed: Content key → passage of each chunk text to embed.
    """
    encode = getattr(embedder, "encode_ahead", None)
    if not callable(encode):
        return
    sentences = [
        sentence
        for new in new_documents
        for chunk, key in zip(new.chunks, new.keys, strict=True)
        if key in to_embed
        for sentence in sentence_passages(chunk.text, chunk.title)
    ]
    encode([*to_embed.values(), *sentences])


def add_sentence_vectors(
    writer: IndexWriter, embedder: Embedder, reporter: Reporter, report: IndexReport
) -> None:
    """Give every chunk text without sentence vectors its vectors: reused, else embedded.

    Runs after the chunks are added (and after the ``sentence_vectors`` upgrade dropped old
    ones), so it also completes an index made before sentence vectors existed (once; a message
    says why that update takes longer). Vectors are stored a few hundred chunks at a time, so
    memory stays flat on a large index.
    """
    started = time.perf_counter()
    upgrading = writer.base is not None and not writer.base.has_sentence_vectors
    missing = writer.chunks_without_sentence_vectors()
    if not missing:
        return
    if upgrading:
        reporter.note(
            Note.of(
                "note.sentence_vectors",
                f"This index has no sentence vectors yet: embedding the sentences of "
                f"{len(missing)} stored chunks (once).",
                count=len(missing),
            )
        )
    reused = writer.sentence_vectors_for_keys(key for key, _, _ in missing)
    writer.add_sentence_vectors(reused)
    passages_by_key = {
        key: sentence_passages(text, title) for key, title, text in missing if key not in reused
    }
    groups = _groups_of_texts(passages_by_key)
    texts_of = [
        list(dict.fromkeys(t for key in group for t in passages_by_key[key])) for group in groups
    ]
    reporter.start(STAGE_SENTENCES, sum(map(len, texts_of)))
    progress = advancer(reporter, STAGE_SENTENCES)
    empty = np.zeros((0, int(embedder.dimension)), dtype=np.float32)
    for group, texts in zip(groups, texts_of, strict=True):
        embedded = embedder.embed_passages(texts, progress=progress) if texts else empty
        row_of = {text: row for row, text in enumerate(texts)}
        writer.add_sentence_vectors(
            {key: embedded[[row_of[t] for t in passages_by_key[key]]] for key in group}
        )
        report.sentences_embedded += len(texts)
    report.timings["sentences"] = time.perf_counter() - started


def _groups_of_texts(passages_by_key: dict[str, list[str]]) -> list[list[str]]:
    """Content keys in groups of about :data:`EMBED_CALL_SIZE` sentences (one embedder call)."""
    groups: list[list[str]] = [[]]
    count = 0
    for key, passages in passages_by_key.items():
        if count >= EMBED_CALL_SIZE:
            groups.append([])
            count = 0
        groups[-1].append(key)
        count += len(passages)
    return groups
