"""Tests of build and update: incremental work, vector reuse, skipped files, crash safety.

Fast tests use the FakeEmbedder on copies of the seed articles; the crash test marked slow kills
a real ``semsearch update`` (real model) in the middle of embedding.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pytest
from fakes import FakeEmbedder

from semsearch import indexing, keyword, settings
from semsearch.chunking import SENTENCE_VERSION, Chunk, ChunkingConfig, sentence_passages
from semsearch.documents import Document
from semsearch.embedding import SentenceTransformerEmbedder
from semsearch.errors import IndexStoreError, SemsearchError
from semsearch.storage import ChunkFilter, SearchIndex, open_index, open_writer
from semsearch.storage.local.generations import CURRENT_LINK

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

    def message(self, text: str) -> None:
        self.messages.append(text)


@pytest.fixture
def corpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Three seed articles in ``corpus/`` under a temporary working directory."""
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "corpus"
    folder.mkdir()
    for seed in SEEDS[:3]:
        shutil.copy(seed, folder / seed.name)
    return folder


@pytest.fixture
def embedder() -> FakeEmbedder:
    return FakeEmbedder()


def build(
    embedder: FakeEmbedder, paths: Sequence[Path] = (Path("corpus"),)
) -> indexing.IndexReport:
    return indexing.build(list(paths), Path("index"), embedder)


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
    kept_ids = before.chunk_ids(ChunkFilter(doc_ids=(_doc_id(before, second),)))
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
        after.chunk_ids(ChunkFilter(doc_ids=(_doc_id(after, second),))).tolist()
        == kept_ids.tolist()
    )
    new_article_chunks = len(
        after.chunk_ids(ChunkFilter(doc_ids=(_doc_id(after, corpus / SEEDS[4].name),)))
    )
    changed_chunks = len(after.chunk_ids(ChunkFilter(doc_ids=(_doc_id(after, first),))))
    assert report.chunks_embedded + report.sentences_embedded == embedder.texts_embedded
    assert new_article_chunks < report.chunks_embedded <= new_article_chunks + 2
    assert report.chunks_reused == changed_chunks + new_article_chunks - report.chunks_embedded
    assert report.chunks_reused >= changed_chunks - 2 > 10
    assert after.keyword_search(keyword.tokenize_query("图书馆"), 1)
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
    (new_id, _score), *_ = reader.keyword_search(keyword.tokenize_query("图书馆"), 1)
    new_chunk = reader.chunks([new_id])[0]
    assert report.chunks_embedded == 1
    expected = len(sentence_passages(new_chunk.text, new_chunk.title))
    assert report.sentences_embedded == expected == embedder.texts_embedded - 1 >= 2
    assert reader.has_sentence_vectors
    # Sentence vectors of texts no chunk has any more are dropped.
    keys = [row[0] for row in reader.select("SELECT embed_key FROM sentence_vectors")]
    chunk_keys = {row[0] for row in reader.select("SELECT embed_key FROM chunks")}
    assert set(keys) <= chunk_keys
    (first.parent / first.name).unlink()
    indexing.update(None, Path("index"), embedder)
    reader = open_index(Path("index"))
    keys = [row[0] for row in reader.select("SELECT embed_key FROM sentence_vectors")]
    assert set(keys) <= {row[0] for row in reader.select("SELECT embed_key FROM chunks")}
    assert len(keys) < len(chunk_keys)


def test_an_index_without_sentence_vectors_gets_them_on_update(
    corpus: Path, embedder: FakeEmbedder
) -> None:
    # Written without the indexer's sentence step, as by a version before sentence vectors.
    with open_writer(Path("index"), embedder, ChunkingConfig()) as writer:
        text = "北京今天下雨。明天转晴。"
        document = Document("d1", "d1.txt", "天气", text, None, None, None, "h", "simplified", [])
        chunk = Chunk("d1", 0, 0, 0, len(text), text, "天气")
        vectors = embedder.embed_passages([f"天气\n{text}"])
        writer.add_document(document, [chunk], vectors, [["北京"]], ["key-1"])
        writer.commit()
    old = open_index(Path("index"))
    assert not old.has_sentence_vectors and old.sentence_vectors([1]) == {}
    reporter = RecordingReporter()
    report = indexing.update([Path("corpus")], Path("index"), embedder, reporter=reporter)
    assert any("no sentence vectors yet" in message for message in reporter.messages)
    reader = open_index(Path("index"))
    assert reader.has_sentence_vectors
    first_id = int(reader.chunk_ids(ChunkFilter(doc_ids=("d1",)))[0])
    assert reader.sentence_vectors([first_id])[first_id].shape == (2, embedder.dimension)
    assert report.sentences_embedded > 2
    # Nothing left to do afterwards.
    assert indexing.update(None, Path("index"), embedder).nothing_changed


def _doc_id(reader: SearchIndex, path: Path) -> str:
    return next(d.doc_id for d in reader.documents() if d.path == f"corpus/{path.name}")


def test_moved_file_is_re_read_but_not_re_embedded(corpus: Path, embedder: FakeEmbedder) -> None:
    build(embedder)
    (corpus / "sub").mkdir()
    first = sorted(corpus.glob("*.txt"))[0]
    first.rename(corpus / "sub" / first.name)
    embedder.texts_embedded = 0
    report = indexing.update(None, Path("index"), embedder)
    assert (report.added, report.removed, report.chunks_embedded) == (1, 1, 0)
    assert embedder.texts_embedded == 0 and report.chunks_reused > 0
    assert open_index(Path("index")).document_count == 3


def test_touched_file_is_hashed_not_re_read(corpus: Path, embedder: FakeEmbedder) -> None:
    build(embedder)
    first = sorted(corpus.iterdir())[0]
    os.utime(first, ns=(time.time_ns(), time.time_ns() + 10**9))
    report = indexing.update(None, Path("index"), embedder)
    assert report.nothing_changed and report.unchanged == 3
    # The new mtime is recorded, so the next update trusts size and mtime again.
    assert open_index(Path("index")).generation == "gen-000002"
    assert indexing.update(None, Path("index"), embedder).nothing_changed


def _rewrite_keeping_size_and_mtime(path: Path) -> None:
    """Change a character but keep size and mtime, as two saves within one mtime tick do."""
    stat = path.stat()
    content = path.read_text(encoding="utf-8")
    path.write_text(content.replace("焦裕禄", "焦玉禄", 1), encoding="utf-8")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert path.stat().st_size == stat.st_size and path.read_text(encoding="utf-8") != content


def test_same_size_change_within_the_mtime_tick_is_caught(
    corpus: Path, embedder: FakeEmbedder
) -> None:
    first = sorted(corpus.iterdir())[0]
    os.utime(first, ns=(time.time_ns(), time.time_ns()))  # written just before the build
    build(embedder)
    _rewrite_keeping_size_and_mtime(first)
    # Its mtime is within the racy window of the previous scan, so it is hashed, not trusted.
    report = indexing.update(None, Path("index"), embedder)
    assert report.changed == 1


def test_old_files_are_trusted_on_size_and_mtime(corpus: Path, embedder: FakeEmbedder) -> None:
    first = sorted(corpus.iterdir())[0]
    an_hour_ago = time.time_ns() - 3600 * 10**9
    os.utime(first, ns=(an_hour_ago, an_hour_ago))
    build(embedder)
    _rewrite_keeping_size_and_mtime(first)
    # The documented trade-off: no read at all for a file with old, unchanged size and mtime.
    assert indexing.update(None, Path("index"), embedder).nothing_changed


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


def test_metadata_only_change_keeps_vectors_and_bm25(corpus: Path, embedder: FakeEmbedder) -> None:
    build(embedder)
    before = open_index(Path("index"))
    (corpus / "notes.xyz").write_text("x", encoding="utf-8")
    report = indexing.update(None, Path("index"), embedder)
    after = open_index(Path("index"))
    assert report.nothing_changed and after.generation == "gen-000002"
    assert [s.path for s in after.skipped_files()] == ["corpus/notes.xyz"]
    assert "write.keyword" not in report.timings  # BM25 was copied, not rebuilt
    for name in ("vectors.faiss", "keyword/ids.npy"):
        assert (after.path / name).read_bytes() == (before.path / name).read_bytes()
    assert after.keyword_search(keyword.tokenize_query("焦裕禄"), 3) == before.keyword_search(
        keyword.tokenize_query("焦裕禄"), 3
    )


def test_same_file_given_inside_an_indexed_folder_keeps_its_id(
    corpus: Path, embedder: FakeEmbedder
) -> None:
    build(embedder)
    first = sorted(corpus.iterdir())[0]
    doc_id = _doc_id(open_index(Path("index")), first)
    first.write_text(
        first.read_text(encoding="utf-8") + "\n新增一段正文内容用于测试。\n", encoding="utf-8"
    )
    report = indexing.update([first], Path("index"), embedder)
    assert report.changed == 1
    assert _doc_id(open_index(Path("index")), first) == doc_id


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
    vectors = Path("index") / CURRENT_LINK / "vectors.faiss"
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
    assert reader.keyword_search(keyword.tokenize_query("首都"), 1)


def test_second_writer_is_refused_while_an_update_runs(
    corpus: Path, embedder: FakeEmbedder
) -> None:
    build(embedder)
    with (
        open_writer(Path("index"), embedder, ChunkingConfig()),
        pytest.raises(IndexStoreError, match="Another semsearch build/update is running"),
    ):
        indexing.update(None, Path("index"), embedder)


# -- crash safety --------------------------------------------------------------------------

_SLOW_UPDATE = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    sys.path.insert(0, {tests!r})
    from fakes import FakeEmbedder
    from semsearch import indexing, keyword, settings

    class SlowEmbedder(FakeEmbedder):
        def embed_passages(self, texts, batch_size=32, progress=None):
            def slow_progress(n):
                print("embedded", n, flush=True)
                time.sleep(0.05)
            return super().embed_passages(texts, batch_size, slow_progress)

    indexing.update(None, Path("index"), SlowEmbedder())
    print("finished", flush=True)
    """
)


def _kill_when(process: subprocess.Popen[str], ready: Callable[[], bool], limit: float) -> None:
    """SIGKILL ``process`` as soon as ``ready()``; fail if it ends or times out first."""
    deadline = time.monotonic() + limit
    while not ready():
        assert process.poll() is None, f"the update ended before the kill: {process.stderr}"
        assert time.monotonic() < deadline, "the update never reached the embedding stage"
        time.sleep(0.05)
    assert process.poll() is None
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)


def _assert_previous_generation_works(
    embedder: FakeEmbedder, documents: int, chunk_ids: np.ndarray
) -> None:
    reader = open_index(Path("index"))
    assert reader.generation == "gen-000001"
    assert reader.document_count == documents
    assert reader.chunk_ids().tolist() == chunk_ids.tolist()
    chunk = reader.chunks([int(chunk_ids[0])])[0]
    query = embedder.embed_queries([f"{chunk.title}\n{chunk.text}"])[0]
    assert reader.dense_search(query, 1)[0][0] == chunk.chunk_id
    assert reader.keyword_search(keyword.tokenize_query(chunk.text[:8]), 5)


def test_killed_update_leaves_the_previous_index_working(
    corpus: Path, embedder: FakeEmbedder
) -> None:
    for extra in sorted(corpus.iterdir())[1:]:
        extra.unlink()
    build(embedder)
    chunk_ids = open_index(Path("index")).chunk_ids()
    for seed in SEEDS[1:]:
        shutil.copy(seed, corpus / seed.name)
    process = subprocess.Popen(
        [sys.executable, "-c", _SLOW_UPDATE.format(tests=str(TESTS))],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    lines: list[str] = []

    def embedding_started() -> bool:
        line = process.stdout.readline()  # type: ignore[union-attr]
        lines.append(line)
        return len([x for x in lines if x.startswith("embedded")]) >= 5

    try:
        _kill_when(process, embedding_started, limit=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert not any("finished" in line for line in lines)
    assert any(".tmp-" in p.name for p in Path("index").iterdir())
    _assert_previous_generation_works(embedder, 1, chunk_ids)

    report = indexing.update(None, Path("index"), embedder)
    assert report.added == 4
    assert open_index(Path("index")).document_count == 5
    assert not any(".tmp-" in p.name for p in Path("index").iterdir())


@pytest.mark.slow
def test_killed_cli_update_with_the_real_model(
    corpus: Path, real_embedder: SentenceTransformerEmbedder
) -> None:
    """Kill a real ``semsearch update`` (real model) mid-embedding, then query the old index."""
    embedder = real_embedder
    for extra in sorted(corpus.iterdir())[1:]:
        extra.unlink()
    small = corpus / "small.txt"
    small.write_text("地方新闻\n\n市图书馆今天正式开放，市民可以免费借阅图书。\n", encoding="utf-8")
    first = sorted(corpus.glob("0*.txt"))[0]
    first.rename(Path("first.txt"))  # kept out of the first build, added by the killed update
    indexing.build([Path("corpus")], Path("index"), embedder)
    chunk_ids = open_index(Path("index")).chunk_ids()
    Path("first.txt").rename(first)
    for seed in SEEDS[1:3]:
        shutil.copy(seed, corpus / seed.name)

    semsearch = Path(sys.executable).parent / "semsearch"
    process = subprocess.Popen(
        [str(semsearch), "update", "--index", "index", "--model", settings.DEFAULT_MODEL],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    started: list[float] = []

    def embedding_under_way() -> bool:
        # The temporary generation appears just before the first passage is embedded; the new
        # articles take seconds to embed, so half a second later it is mid-embedding.
        if not started:
            if any(".tmp-" in p.name for p in Path("index").iterdir()):
                started.append(time.monotonic())
            return False
        return time.monotonic() - started[0] > 0.5

    try:
        _kill_when(process, embedding_under_way, limit=120)
    finally:
        if process.poll() is None:
            process.kill()
    reader = open_index(Path("index"))
    assert reader.generation == "gen-000001" and reader.chunk_ids().tolist() == chunk_ids.tolist()
    reader.check_compatible(embedder, ChunkingConfig())
    query = embedder.embed_queries(["图书馆开放"])[0]
    best = reader.chunks([reader.dense_search(query, 1)[0][0]])[0]
    assert "图书馆" in best.text
    assert reader.keyword_search(keyword.tokenize_query("图书馆"), 1)[0][0] == best.chunk_id

    # A normal update afterwards succeeds: the lock was released, the stale generation goes.
    first.unlink()
    for seed in SEEDS[1:3]:
        (corpus / seed.name).unlink()
    (corpus / "second.txt").write_text("体育新闻\n\n国家队昨晚赢得了比赛。\n", encoding="utf-8")
    report = indexing.update(None, Path("index"), embedder)
    assert (report.added, report.unchanged, report.chunks_embedded) == (1, 1, 1)
    assert not any(".tmp-" in p.name for p in Path("index").iterdir())
    assert open_index(Path("index")).generation == "gen-000002"
