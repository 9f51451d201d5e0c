"""Tests of build and update: incremental work, vector reuse, skipped files, models, rebuilds.

They use the FakeEmbedder on copies of the seed articles.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fakes import FakeEmbedder
from storage.helpers import select_everywhere

from semsearch import indexing, lexical
from semsearch.chunking import SENTENCE_VERSION, Chunk, ChunkingConfig, sentence_passages
from semsearch.errors import IndexStoreError, SemsearchError
from semsearch.indexing.report import STAGE_WRITE
from semsearch.ingest import Document
from semsearch.storage import ChunkFilter, open_index, open_writer
from semsearch.storage.local.generations import CURRENT_LINK

from .helpers import SEEDS, RecordingReporter, build, doc_id_of


def test_build_indexes_every_article(corpus: Path, embedder: FakeEmbedder) -> None:
    reporter = RecordingReporter()
    report = indexing.build([Path("corpus")], Path("index"), embedder, reporter=reporter)
    reader = open_index(Path("index"))
    assert (report.added, report.changed, report.removed, report.unchanged) == (3, 0, 0, 0)
    assert report.documents_total == reader.document_count == 3
    assert report.chunks_total == reader.chunk_count == report.chunks_embedded > 20
    assert report.generation == reader.generation == "gen-000001"
    assert not report.nothing_changed
    assert reporter.totals["embed"] == reporter.done["embed"] == report.chunks_embedded
    assert reporter.done["scan"] == reporter.done["read"] == 3
    assert sorted(d.path for d in reader.documents()) == [f"corpus/{s.name}" for s in SEEDS[:3]]
    assert reader.manifest.corpus_roots == [str(corpus.resolve())]
    # Every stored vector is the embedding of its chunk's passage (title + text).
    chunk = reader.chunks([int(reader.chunk_ids()[5])])[0]
    query = embedder.embed_passages([f"{chunk.title}\n{chunk.text}"])[0]
    assert reader.dense_search(query, 1)[0] == (chunk.chunk_id, pytest.approx(1.0, abs=1e-5))


def test_update_with_nothing_changed_embeds_nothing(corpus: Path, embedder: FakeEmbedder) -> None:
    build(embedder)
    generation = open_index(Path("index")).generation
    calls = embedder.calls
    report = indexing.update(None, Path("index"), embedder)
    assert report.nothing_changed
    assert embedder.calls == calls
    assert (report.unchanged, report.chunks_embedded, report.chunks_reused) == (3, 0, 0)
    assert open_index(Path("index")).generation == generation == report.generation
    assert not any(".tmp-" in p.name for p in Path("index").iterdir())


def test_add_change_and_delete_files(corpus: Path, embedder: FakeEmbedder) -> None:
    build(embedder)
    before = open_index(Path("index"))
    first, second, third = sorted(corpus.iterdir())
    kept_ids = before.chunk_ids(ChunkFilter(doc_ids=(doc_id_of(before, second),)))
    shutil.copy(SEEDS[4], corpus / SEEDS[4].name)
    third.unlink()
    # Edit the first article: one new paragraph at the end, the rest untouched.
    first.write_text(
        first.read_text(encoding="utf-8") + "\n记者从市政府获悉，新建的图书馆将于下月正式开放。\n",
        encoding="utf-8",
    )
    embedder.texts_embedded = 0
    report = indexing.update(None, Path("index"), embedder)
    after = open_index(Path("index"))
    assert (report.added, report.changed, report.removed, report.unchanged) == (1, 1, 1, 1)
    assert after.document_count == 3
    assert sorted(d.path for d in after.documents()) == sorted(
        f"corpus/{p.name}" for p in (first, second, corpus / SEEDS[4].name)
    )
    # The unchanged article keeps its chunk ids; the changed one re-embeds one or two chunks.
    assert (
        after.chunk_ids(ChunkFilter(doc_ids=(doc_id_of(after, second),))).tolist()
        == kept_ids.tolist()
    )
    new_article_chunks = len(
        after.chunk_ids(ChunkFilter(doc_ids=(doc_id_of(after, corpus / SEEDS[4].name),)))
    )
    changed_chunks = len(after.chunk_ids(ChunkFilter(doc_ids=(doc_id_of(after, first),))))
    assert report.chunks_embedded + report.sentences_embedded == embedder.texts_embedded
    assert new_article_chunks < report.chunks_embedded <= new_article_chunks + 2
    assert report.chunks_reused == changed_chunks + new_article_chunks - report.chunks_embedded
    assert report.chunks_reused >= changed_chunks - 2 > 10
    assert after.keyword_search(lexical.tokenize_query("图书馆"), 1)
    assert after.chunk_count == report.chunks_total


def test_sentence_vectors_are_stored_for_chunks_of_several_sentences(
    corpus: Path, embedder: FakeEmbedder
) -> None:
    reporter = RecordingReporter()
    report = indexing.build([Path("corpus")], Path("index"), embedder, reporter=reporter)
    reader = open_index(Path("index"))
    assert reader.has_sentence_vectors
    assert reader.manifest.sentence_vectors == {"version": SENTENCE_VERSION}
    ids = reader.chunk_ids().tolist()
    stored = reader.sentence_vectors(ids)
    expected_total = 0
    for chunk in reader.chunks(ids):
        passages = sentence_passages(chunk.text, chunk.title)
        expected_total += len(passages)
        if not passages:
            assert chunk.chunk_id not in stored
            continue
        # Each row is the embedding of "title + sentence" (kept in half precision).
        np.testing.assert_allclose(
            stored[chunk.chunk_id], embedder.embed_passages(passages), atol=2e-3
        )
    assert 0 < len(stored) < len(ids)
    assert report.sentences_embedded == reporter.done["sentences"] > 0
    assert report.sentences_embedded <= expected_total


def test_update_embeds_only_the_sentences_of_new_chunk_texts(
    corpus: Path, embedder: FakeEmbedder
) -> None:
    build(embedder)
    first = sorted(corpus.iterdir())[0]
    added = "记者从市政府获悉，新建的图书馆将于下月正式开放。届时市民可以免费借阅。"
    first.write_text(first.read_text(encoding="utf-8") + f"\n{added}\n", encoding="utf-8")
    embedder.texts_embedded = 0
    report = indexing.update(None, Path("index"), embedder)
    reader = open_index(Path("index"))
    (new_id, _score), *_ = reader.keyword_search(lexical.tokenize_query("图书馆"), 1)
    new_chunk = reader.chunks([new_id])[0]
    assert report.chunks_embedded == 1
    expected = len(sentence_passages(new_chunk.text, new_chunk.title))
    assert report.sentences_embedded == expected == embedder.texts_embedded - 1 >= 2
    assert reader.has_sentence_vectors
    # Sentence vectors of texts no chunk has any more are dropped.
    keys = [row[0] for row in select_everywhere(reader, "SELECT embed_key FROM sentence_vectors")]
    chunk_keys = {row[0] for row in select_everywhere(reader, "SELECT embed_key FROM chunks")}
    assert set(keys) <= chunk_keys
    (first.parent / first.name).unlink()
    indexing.update(None, Path("index"), embedder)
    reader = open_index(Path("index"))
    # The removed article's chunks are tombstones until their segment is merged: their rows
    # stay with them, but no segment holds a row of a text none of its chunks has.
    for segment in reader.segments.segments:
        keys = {row[0] for row in segment.records.select("SELECT embed_key FROM sentence_vectors")}
        assert keys <= {row[0] for row in segment.records.select("SELECT embed_key FROM chunks")}
    assert reader.chunk_count < len(chunk_keys)


def test_update_of_some_paths_leaves_the_others(corpus: Path, embedder: FakeEmbedder) -> None:
    build(embedder)
    extra = Path("extra")
    extra.mkdir()
    shutil.copy(SEEDS[4], extra / "new.txt")
    report = indexing.update([extra / "new.txt"], Path("index"), embedder)
    assert (report.added, report.removed, report.unchanged) == (1, 0, 0)
    reader = open_index(Path("index"))
    assert reader.document_count == 4
    assert reader.manifest.corpus_roots == [
        str(corpus.resolve()),
        str(extra.resolve() / "new.txt"),
    ]
    # Updating one folder removes only what vanished from that folder.
    sorted(corpus.iterdir())[0].unlink()
    report = indexing.update([Path("corpus")], Path("index"), embedder)
    assert (report.removed, report.unchanged) == (1, 2)
    assert open_index(Path("index")).document_count == 3
    # Without paths, every recorded root is synchronized.
    (extra / "new.txt").unlink()
    report = indexing.update(None, Path("index"), embedder)
    assert report.removed == 1 and open_index(Path("index")).document_count == 2


def test_deleted_file_given_by_name_is_removed(corpus: Path, embedder: FakeEmbedder) -> None:
    build(embedder)
    first = sorted(corpus.iterdir())[0]
    first.unlink()
    reporter = RecordingReporter()
    report = indexing.update([first], Path("index"), embedder, reporter=reporter)
    assert (report.removed, report.unchanged) == (1, 0)
    assert any("no longer exists" in message for message in reporter.messages)
    assert open_index(Path("index")).document_count == 2


def test_clashing_document_ids_are_skipped_not_mixed(corpus: Path, embedder: FakeEmbedder) -> None:
    other = Path("other")
    other.mkdir()
    name = sorted(corpus.iterdir())[0].name
    shutil.copy(SEEDS[4], other / name)  # same path relative to its folder: same document id
    report = indexing.build([Path("corpus"), other], Path("index"), embedder)
    assert report.added == 3
    assert [s.path for s in report.skipped] == [f"other/{name}"]
    assert "already used by" in report.skipped[0].reason


def test_a_clash_with_a_document_outside_the_named_folder_is_found(
    corpus: Path, embedder: FakeEmbedder
) -> None:
    """An update of one folder reads only the stored documents under it; a document id taken
    by a file elsewhere is still refused."""
    build(embedder)
    other = Path("other")
    other.mkdir()
    name = sorted(corpus.iterdir())[0].name
    shutil.copy(SEEDS[4], other / name)
    report = indexing.update([other], Path("index"), embedder)
    assert report.added == 0
    assert [s.path for s in report.skipped] == [f"other/{name}"]
    assert "already used by corpus/" in report.skipped[0].reason


def test_metadata_only_change_keeps_vectors_and_bm25(corpus: Path, embedder: FakeEmbedder) -> None:
    build(embedder)
    before = open_index(Path("index"))
    (corpus / "notes.xyz").write_text("x", encoding="utf-8")
    report = indexing.update(None, Path("index"), embedder)
    after = open_index(Path("index"))
    assert report.nothing_changed and after.generation == "gen-000002"
    assert [s.path for s in after.skipped_files()] == ["corpus/notes.xyz"]
    assert "write.keyword" not in report.timings  # BM25 was linked, not rebuilt
    files = [p.relative_to(before.path) for p in before.path.glob("seg-*/**/*") if p.is_file()]
    assert len(files) > 10
    for name in files:  # hard links: the same file in both generations, nothing copied
        assert (after.path / name).stat().st_ino == (before.path / name).stat().st_ino
    assert after.keyword_search(lexical.tokenize_query("焦裕禄"), 3) == before.keyword_search(
        lexical.tokenize_query("焦裕禄"), 3
    )


def test_same_file_given_inside_an_indexed_folder_keeps_its_id(
    corpus: Path, embedder: FakeEmbedder
) -> None:
    build(embedder)
    first = sorted(corpus.iterdir())[0]
    doc_id = doc_id_of(open_index(Path("index")), first)
    first.write_text(
        first.read_text(encoding="utf-8") + "\n新增一段正文内容用于测试。\n", encoding="utf-8"
    )
    report = indexing.update([first], Path("index"), embedder)
    assert report.changed == 1
    assert doc_id_of(open_index(Path("index")), first) == doc_id


def test_skipped_files_are_recorded_with_reasons(corpus: Path, embedder: FakeEmbedder) -> None:
    (corpus / "photo.jpg").write_bytes(b"\xff\xd8\xff")
    (corpus / "empty.txt").write_text("", encoding="utf-8")
    reporter = RecordingReporter()
    report = indexing.build([Path("corpus")], Path("index"), embedder, reporter=reporter)
    reasons = {s.path: s.reason for s in report.skipped}
    assert set(reasons) == {"corpus/photo.jpg", "corpus/empty.txt"}
    assert "unsupported" in reasons["corpus/photo.jpg"]
    assert "empty" in reasons["corpus/empty.txt"]
    assert open_index(Path("index")).skipped_files() == report.skipped
    assert any("empty.txt" in message for message in reporter.messages)
    # Fixing the file takes it off the list at the next update.
    shutil.copy(SEEDS[4], corpus / "empty.txt")
    report = indexing.update(None, Path("index"), embedder)
    assert report.added == 1
    assert [s.path for s in open_index(Path("index")).skipped_files()] == ["corpus/photo.jpg"]


def test_missing_path_is_a_clear_error(corpus: Path, embedder: FakeEmbedder) -> None:
    with pytest.raises(SemsearchError, match="No such file or folder: nowhere"):
        indexing.build([Path("nowhere")], Path("index"), embedder)
    assert not (Path("index") / CURRENT_LINK).exists()


def test_update_refuses_another_model_and_rebuild_switches(
    corpus: Path, embedder: FakeEmbedder
) -> None:
    build(embedder)
    other = FakeEmbedder(dimension=32, model_id="other-model")
    with pytest.raises(IndexStoreError) as raised:
        indexing.update(None, Path("index"), other)
    assert "'fake-embedder'" in raised.value.message and "'other-model'" in raised.value.message
    assert "semsearch build --rebuild" in (raised.value.hint or "")
    with pytest.raises(IndexStoreError, match="chunking settings"):
        indexing.update(None, Path("index"), embedder, chunking=ChunkingConfig(max_chars=120))
    report = indexing.build([Path("corpus")], Path("index"), other, rebuild=True)
    assert report.added == 3 and report.chunks_embedded == report.chunks_total
    reader = open_index(Path("index"))
    assert (reader.model_id, reader.dimension) == ("other-model", 32)


def test_rebuild_repairs_a_corrupt_index(corpus: Path, embedder: FakeEmbedder) -> None:
    build(embedder)
    vectors = next((Path("index") / CURRENT_LINK).glob("seg-*/vectors.faiss"))
    vectors.write_bytes(vectors.read_bytes()[:100])
    with pytest.raises(IndexStoreError, match="truncated"):
        indexing.update(None, Path("index"), embedder)
    report = indexing.build([Path("corpus")], Path("index"), embedder, rebuild=True)
    assert report.added == 3
    assert open_index(Path("index")).document_count == 3


def test_build_from_chunks_reuses_vectors_on_the_next_run(
    tmp_path: Path, embedder: FakeEmbedder
) -> None:
    rows = {"p1": ("北京", "北京是中国的首都。"), "p2": ("上海", "上海是国际金融中心。")}
    documents = [
        Document(doc_id, f"corpus.jsonl#{doc_id}", title, text, None, None, None, "", "unknown", [])
        for doc_id, (title, text) in rows.items()
    ]
    chunks = {
        doc_id: [Chunk(doc_id, 0, 0, 0, len(text), text, title)]
        for doc_id, (title, text) in rows.items()
    }
    first = indexing.build_from_chunks(tmp_path / "eval-index", documents, chunks, embedder)
    assert (first.added, first.chunks_embedded) == (2, 2)
    second = indexing.build_from_chunks(tmp_path / "eval-index", documents[:1], chunks, embedder)
    assert (second.chunks_embedded, second.chunks_reused) == (0, 1)
    reader = open_index(tmp_path / "eval-index")
    assert [d.doc_id for d in reader.documents()] == ["p1"]
    assert reader.keyword_search(lexical.tokenize_query("首都"), 1)


def test_second_writer_is_refused_while_an_update_runs(
    corpus: Path, embedder: FakeEmbedder
) -> None:
    build(embedder)
    with (
        open_writer(Path("index"), embedder, ChunkingConfig()),
        pytest.raises(IndexStoreError, match="Another semsearch build/update is running"),
    ):
        indexing.update(None, Path("index"), embedder)


class _UnloadingEmbedder(FakeEmbedder):
    """A FakeEmbedder that notes when it is unloaded, in the order of the reporter's stages."""

    def __init__(self, events: list[str]) -> None:
        super().__init__()
        self.events = events

    def unload(self) -> None:
        self.events.append("unload")


class _StageReporter(RecordingReporter):
    def __init__(self, events: list[str]) -> None:
        super().__init__()
        self.events = events

    def start(self, stage: str, total: int) -> None:
        super().start(stage, total)
        self.events.append(stage)


def test_a_released_model_is_unloaded_before_the_commit_and_the_index_is_the_same(
    corpus: Path, embedder: FakeEmbedder
) -> None:
    events: list[str] = []
    releasing, reporter = _UnloadingEmbedder(events), _StageReporter(events)
    indexing.build([Path("corpus")], Path("released"), releasing, reporter=reporter,
                   release_model=True)  # fmt: skip
    assert events.index("unload") < events.index(STAGE_WRITE) == len(events) - 1
    indexing.build([Path("corpus")], Path("kept"), embedder)
    released, kept = open_index(Path("released")), open_index(Path("kept"))
    assert released.chunk_count == kept.chunk_count > 0
    sums = [{name: crc for name, crc in (reader.manifest.crc32 or {}).items()
             if "meta" not in name} for reader in (released, kept)]  # fmt: skip
    assert sums[0] == sums[1] and sums[0]
    released.close()
    kept.close()
    # Without the option (the page, the watcher) nothing is unloaded; an update may release.
    events.clear()
    indexing.update([Path("corpus")], Path("released"), releasing)
    (corpus / "new.txt").write_text("新的文章。北京今天下雨。", encoding="utf-8")
    indexing.update([Path("corpus")], Path("released"), releasing, release_model=True)
    assert events == ["unload"]
    # Nothing embedded: nothing was loaded, so there is nothing to release.
    indexing.update([Path("corpus")], Path("released"), releasing, release_model=True)
    assert events == ["unload"]


class _AheadEmbedder(FakeEmbedder):
    """A FakeEmbedder noting the texts given to ``encode_ahead`` and those embedded, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.events: list[tuple[str, list[str]]] = []

    def encode_ahead(self, texts: list[str]) -> None:
        self.events.append(("ahead", list(texts)))

    def embed_passages(
        self, texts: Sequence[str], batch_size: int = 32, progress: Any = None
    ) -> np.ndarray:
        self.events.append(("embed", list(texts)))
        return super().embed_passages(texts, batch_size, progress)


def test_a_one_shot_build_tokenizes_every_chunk_and_sentence_before_embedding(
    corpus: Path,
) -> None:
    releasing = _AheadEmbedder()
    indexing.build([Path("corpus")], Path("index"), releasing, release_model=True)
    (kind, ahead), *embedded = releasing.events
    assert kind == "ahead" and {kind for kind, _ in embedded} == {"embed"}
    texts = [text for _, texts in embedded for text in texts]
    assert set(texts) == set(ahead) and len(set(ahead)) > 20
    # The page and the watcher keep their tokenizer: nothing is tokenized ahead.
    keeping = _AheadEmbedder()
    indexing.build([Path("corpus")], Path("kept"), keeping)
    assert [kind for kind, _ in keeping.events] == ["embed"] * (len(releasing.events) - 1)
