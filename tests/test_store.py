"""Tests of the index store: generations, atomic commits, the lock, mismatch and corruption errors.

Documents and chunks are built by hand and embedded with the FakeEmbedder; the files, FAISS and
SQLite are real.
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from fakes import FakeEmbedder

from semsearch import keyword
from semsearch.chunking import Chunk, ChunkingConfig, passage_text
from semsearch.errors import IndexStoreError
from semsearch.ingest import Document, RemovedLine, SkippedFile
from semsearch.store import (
    CURRENT_LINK,
    META_FILE,
    VECTORS_FILE,
    FileState,
    IndexReader,
    IndexWriter,
    embed_key,
)

CHUNKING = ChunkingConfig()

ARTICLES = {
    "econ": (
        "经济观察",
        "2024-03-01",
        ["国家统计局发布数据，一季度经济增长百分之五。", "消费和投资共同拉动了增长。"],
    ),
    "sport": (
        "体育新闻",
        "2024-05-20",
        ["国家队在亚洲杯上赢得冠军。", "主教练称赞球员的拼搏精神。", "球迷在广场上庆祝。"],
    ),
    "weather": (
        "天气预报",
        None,
        ["明天北方地区有大风降温天气。", "南方多地将出现强降雨。"],
    ),
}


def make_document(doc_id: str, paragraphs: list[str] | None = None) -> tuple[Document, list[Chunk]]:
    """Build a document whose chunks are its paragraphs."""
    title, date, default_paragraphs = ARTICLES.get(doc_id, (f"标题{doc_id}", None, []))
    paragraphs = paragraphs if paragraphs is not None else default_paragraphs
    text = "\n".join(paragraphs)
    document = Document(
        doc_id=doc_id,
        path=f"corpus/{doc_id}.txt",
        title=title,
        text=text,
        date=date,
        source="新华社",
        author=None,
        content_hash=f"hash-{doc_id}-{len(text)}",
        script="simplified",
        removed=[RemovedLine(1, "广告：点击购买", "advertisement")],
    )
    chunks = []
    start = 0
    for number, paragraph in enumerate(paragraphs):
        end = start + len(paragraph)
        chunks.append(Chunk(doc_id, number, number, start, end, paragraph, title))
        start = end + 1
    return document, chunks


def add(writer: IndexWriter, embedder: FakeEmbedder, doc_id: str, **kwargs: object) -> list[int]:
    """Embed and add one document to a writer."""
    document, chunks = make_document(doc_id, **kwargs)  # type: ignore[arg-type]
    passages = [passage_text(chunk) for chunk in chunks]
    return writer.add_document(
        document,
        chunks,
        embedder.embed_passages(passages),
        [keyword.tokenize(p) for p in passages],
        [embed_key(embedder.fingerprint, p) for p in passages],
        FileState(f"/abs/{doc_id}.txt", 100, 1),
    )


@pytest.fixture
def embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture
def index_dir(tmp_path: Path, embedder: FakeEmbedder) -> Path:
    """An index with the three articles and one skipped file, in generation 1."""
    directory = tmp_path / "index"
    with IndexWriter.open(directory, embedder, CHUNKING) as writer:
        for doc_id in ARTICLES:
            add(writer, embedder, doc_id)
        writer.set_skipped([SkippedFile("corpus/photo.jpg", "unsupported file type .jpg")])
        writer.set_corpus_roots(["/abs"])
        writer.commit().close()
    return directory


def generation_dirs(index_dir: Path) -> list[str]:
    return sorted(p.name for p in index_dir.iterdir() if p.name.startswith("gen-"))


def test_reader_round_trip(index_dir: Path, embedder: FakeEmbedder) -> None:
    reader = IndexReader.open(index_dir)
    manifest = reader.manifest
    assert reader.generation == "gen-000001" == manifest["generation"]
    assert (reader.document_count, reader.chunk_count) == (3, 7)
    assert manifest["model_id"] == "fake-embedder"
    assert manifest["model_fingerprint"] == embedder.fingerprint
    assert manifest["dimension"] == reader.dimension == 64
    assert manifest["chunking"] == CHUNKING.as_dict()
    assert manifest["keyword"] == {"tokenizer": keyword.TOKENIZER_VERSION}
    assert manifest["corpus_roots"] == ["/abs"]
    assert manifest["created_at"] <= manifest["updated_at"]

    documents = reader.documents()
    assert [d.doc_id for d in documents] == ["econ", "sport", "weather"]
    assert documents[1].chunk_count == 3 and documents[1].text == ""
    sport = reader.document("sport")
    assert sport.text.startswith("国家队在亚洲杯上赢得冠军。\n")
    assert (sport.date, sport.source, sport.title) == ("2024-05-20", "新华社", "体育新闻")
    assert reader.removed_lines("sport") == [RemovedLine(1, "广告：点击购买", "advertisement")]
    assert reader.skipped_files() == [SkippedFile("corpus/photo.jpg", "unsupported file type .jpg")]

    sport_ids = reader.chunk_ids_where(doc_ids=["sport"])
    assert sport_ids.dtype == np.int64 and len(sport_ids) == 3
    chunks = reader.chunks([int(sport_ids[2]), int(sport_ids[0])])
    assert [c.index for c in chunks] == [2, 0]
    assert chunks[0].text == "球迷在广场上庆祝。"
    assert chunks[0].text == sport.text[chunks[0].start : chunks[0].end]
    assert (chunks[0].path, chunks[0].date) == ("corpus/sport.txt", "2024-05-20")
    before, after = reader.neighbours(int(sport_ids[1]))
    assert [c.index for c in before] == [0] and [c.index for c in after] == [2]
    before, after = reader.neighbours(int(sport_ids[0]), before=2, after=5)
    assert before == [] and [c.index for c in after] == [1, 2]
    with pytest.raises(KeyError):
        reader.chunks([9999])
    with pytest.raises(IndexStoreError, match="no document 'nope'"):
        reader.document("nope")


def test_chunk_ids_where_filters_by_document_and_date(index_dir: Path) -> None:
    reader = IndexReader.open(index_dir)
    everything = reader.chunk_ids_where()
    assert len(everything) == 7
    dated = reader.chunk_ids_where(date_from="2024-04-01")
    assert set(reader.chunks(dated.tolist())[i].doc_id for i in range(len(dated))) == {"sport"}
    both = reader.chunk_ids_where(date_from="2024-01-01", date_to="2024-12-31")
    assert len(both) == 5  # the undated weather article is left out
    assert len(reader.chunk_ids_where(doc_ids=["econ", "weather"], date_to="2024-04-01")) == 2
    assert len(reader.chunk_ids_where(doc_ids=[])) == 0


def test_vector_and_keyword_search(index_dir: Path, embedder: FakeEmbedder) -> None:
    reader = IndexReader.open(index_dir)
    target = reader.chunks(reader.chunk_ids_where(doc_ids=["weather"]).tolist())[1]
    query = embedder.embed_queries(
        [passage_text(Chunk("weather", 1, 1, 0, 0, target.text, "天气预报"))]
    )
    hits = reader.vector_search(query[0], 3)
    assert hits[0][0] == target.chunk_id
    assert hits[0][1] == pytest.approx(1.0, abs=1e-5)
    assert [score for _, score in hits] == sorted((score for _, score in hits), reverse=True)
    assert len(reader.vector_search(query[0], 100)) == 7

    econ_ids = reader.chunk_ids_where(doc_ids=["econ"])
    filtered = reader.vector_search(query[0], 5, econ_ids)
    assert {chunk_id for chunk_id, _ in filtered} == set(econ_ids.tolist())
    assert reader.vector_search(query[0], 5, np.zeros(0, dtype=np.int64)) == []

    keyword_hits = reader.keyword_search("亚洲杯冠军", 3)
    assert keyword_hits[0][0] == int(reader.chunk_ids_where(doc_ids=["sport"])[0])
    assert reader.keyword_search("亚洲杯冠军", 3, econ_ids) == []
    assert reader.keyword_search("", 3) == []


def test_vectors_are_found_by_content_key(index_dir: Path, embedder: FakeEmbedder) -> None:
    reader = IndexReader.open(index_dir)
    chunk = reader.chunks(reader.chunk_ids_where(doc_ids=["econ"]).tolist())[0]
    passage = f"{chunk.title}\n{chunk.text}"
    key = embed_key(embedder.fingerprint, passage)
    found = reader.vectors_for_keys([key, "unknown-key"])
    assert list(found) == [key]
    np.testing.assert_allclose(found[key], embedder.embed_passages([passage])[0], atol=1e-6)
    # Another model's fingerprint gives another key: its vectors are never mixed in.
    assert reader.vectors_for_keys([embed_key("other-model", passage)]) == {}


def test_sentence_vectors_are_recorded_only_when_every_chunk_has_them(
    index_dir: Path, embedder: FakeEmbedder
) -> None:
    # The fixture's writer added chunks but no sentence vectors: the manifest says so.
    reader = IndexReader.open(index_dir)
    assert reader.manifest["sentence_vectors"] is None and not reader.has_sentence_vectors
    ids = reader.chunk_ids_where().tolist()
    assert reader.sentence_vectors(ids) == {}
    reader.close()
    with IndexWriter.open(index_dir, embedder, CHUNKING) as writer:
        missing = writer.chunks_without_sentence_vectors()
        assert len(missing) == len(ids)  # every stored chunk text, once
        vectors = {
            key: embedder.embed_passages([f"{title}\n{text}", text]) for key, title, text in missing
        }
        vectors[missing[0][0]] = np.zeros((0, embedder.dimension), dtype=np.float32)
        writer.add_sentence_vectors(vectors)
        assert writer.chunks_without_sentence_vectors() == []
        reader = writer.commit()
    assert reader.has_sentence_vectors and reader.manifest["sentence_vectors"] == {"version": 1}
    stored = reader.sentence_vectors(ids)
    assert len(stored) == len(ids) - 1  # the empty row means "one sentence": no vectors
    chunk = reader.chunks([next(iter(stored))])[0]
    expected = embedder.embed_passages([f"{chunk.title}\n{chunk.text}", chunk.text])
    np.testing.assert_allclose(stored[chunk.chunk_id], expected, atol=2e-3)  # float16
    reader.close()
    # A later write that adds a chunk without them records the index as incomplete again.
    with IndexWriter.open(index_dir, embedder, CHUNKING) as writer:
        add(writer, embedder, "new", paragraphs=["新的段落。第二句。"])
        assert [text for _, _, text in writer.chunks_without_sentence_vectors()] == [
            "新的段落。第二句。"
        ]
        reader = writer.commit()
    assert not reader.has_sentence_vectors
    reader.close()


def test_update_keeps_ids_stable_and_never_reuses_them(
    index_dir: Path, embedder: FakeEmbedder
) -> None:
    before = IndexReader.open(index_dir)
    sport_ids = before.chunk_ids_where(doc_ids=["sport"]).tolist()
    highest = int(before.chunk_ids_where().max())
    with IndexWriter.open(index_dir, embedder, CHUNKING) as writer:
        assert writer.remove_document("econ") == 2
        new_ids = add(writer, embedder, "econ", paragraphs=["央行宣布下调存款准备金率。"])
        writer.commit().close()
    after = IndexReader.open(index_dir)
    assert after.generation == "gen-000002"
    assert (after.document_count, after.chunk_count) == (3, 6)
    assert after.chunk_ids_where(doc_ids=["sport"]).tolist() == sport_ids
    assert new_ids == [highest + 1]
    assert after.keyword_search("准备金", 1)[0][0] == new_ids[0]
    assert after.keyword_search("统计局", 5) == []  # the old econ chunks are gone from BM25 too


def test_reader_keeps_working_after_its_generation_is_deleted(
    index_dir: Path, embedder: FakeEmbedder
) -> None:
    reader = IndexReader.open(index_dir)
    for doc_id in ("new1", "new2"):
        with IndexWriter.open(index_dir, embedder, CHUNKING) as writer:
            add(writer, embedder, doc_id, paragraphs=[f"新的段落{doc_id}"])
            writer.commit().close()
    # The current and the previous generation are kept; generation 1 is gone from disk.
    assert generation_dirs(index_dir) == ["gen-000002", "gen-000003"]
    assert not reader.path.exists()
    assert reader.chunk_count == 7 and len(reader.documents()) == 3
    assert reader.document("econ").text
    assert reader.keyword_search("亚洲杯", 1)
    query = embedder.embed_queries(["明天北方地区有大风降温天气"])[0]
    assert reader.vector_search(query, 1)
    assert IndexReader.open(index_dir).document_count == 5


def test_reader_during_a_write_sees_the_old_generation(
    index_dir: Path, embedder: FakeEmbedder
) -> None:
    with IndexWriter.open(index_dir, embedder, CHUNKING) as writer:
        writer.remove_document("econ")
        add(writer, embedder, "extra", paragraphs=["新段落"])
        during = IndexReader.open(index_dir)
        assert during.generation == "gen-000001" and during.document_count == 3
        assert during.chunk_ids_where(doc_ids=["econ"]).size == 2
        writer.commit().close()
    assert IndexReader.open(index_dir).chunk_ids_where(doc_ids=["econ"]).size == 0
    assert during.chunk_ids_where(doc_ids=["econ"]).size == 2


def test_closing_without_commit_changes_nothing(index_dir: Path, embedder: FakeEmbedder) -> None:
    with IndexWriter.open(index_dir, embedder, CHUNKING) as writer:
        writer.remove_document("sport")
        assert any(".tmp-" in p.name for p in index_dir.iterdir())
    assert generation_dirs(index_dir) == ["gen-000001"]
    assert IndexReader.open(index_dir).document_count == 3


def test_second_writer_gets_a_clear_lock_error(index_dir: Path, embedder: FakeEmbedder) -> None:
    with IndexWriter.open(index_dir, embedder, CHUNKING):
        with pytest.raises(IndexStoreError) as raised:
            IndexWriter.open(index_dir, embedder, CHUNKING, lock_timeout=0.1)
        assert "Another semsearch build/update is running" in raised.value.message
        assert f"pid {os.getpid()}" in raised.value.message
        assert raised.value.hint and "Wait" in raised.value.hint
    # Released on close: the next writer gets it.
    IndexWriter.open(index_dir, embedder, CHUNKING, lock_timeout=0.1).close()


def test_next_writer_removes_what_a_killed_writer_left(
    index_dir: Path, embedder: FakeEmbedder
) -> None:
    (index_dir / "gen-000002.tmp-4242").mkdir()
    (index_dir / "gen-000002.tmp-4242" / META_FILE).write_bytes(b"half written")
    (index_dir / "gen-000007").mkdir()  # renamed but never made current
    (index_dir / f"{CURRENT_LINK}.tmp-4242").symlink_to("gen-000007")
    assert IndexReader.open(index_dir).generation == "gen-000001"
    IndexWriter.open(index_dir, embedder, CHUNKING).close()
    assert sorted(p.name for p in index_dir.iterdir() if not p.name.startswith(".")) == [
        CURRENT_LINK,
        "gen-000001",
    ]


def test_rebuild_starts_empty_and_keeps_ids_increasing(
    index_dir: Path, embedder: FakeEmbedder
) -> None:
    highest = int(IndexReader.open(index_dir).chunk_ids_where().max())
    with IndexWriter.open(index_dir, embedder, CHUNKING, rebuild=True) as writer:
        assert writer.stored_files() == []
        ids = add(writer, embedder, "weather")
        writer.commit().close()
    reader = IndexReader.open(index_dir)
    assert [d.doc_id for d in reader.documents()] == ["weather"]
    assert min(ids) > highest
    assert reader.skipped_files() == []


def test_empty_index_is_valid(tmp_path: Path, embedder: FakeEmbedder) -> None:
    with IndexWriter.open(tmp_path / "index", embedder, CHUNKING) as writer:
        writer.commit().close()
    reader = IndexReader.open(tmp_path / "index")
    assert (reader.document_count, reader.chunk_count) == (0, 0)
    assert reader.vector_search(embedder.embed_queries(["经济"])[0], 5) == []
    assert reader.keyword_search("经济", 5) == []


# -- compatibility -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("other", "chunking", "expected"),
    [
        (FakeEmbedder(model_id="other-model"), CHUNKING, "built with the model 'fake-embedder'"),
        (FakeEmbedder(dimension=32), CHUNKING, "other weights of 'fake-embedder'"),
        (FakeEmbedder(), ChunkingConfig(max_chars=300), '"max_chars": 200'),
    ],
    ids=["model", "fingerprint", "chunking"],
)
def test_mismatch_names_both_values_and_the_fix(
    index_dir: Path, other: FakeEmbedder, chunking: ChunkingConfig, expected: str
) -> None:
    reader = IndexReader.open(index_dir)
    with pytest.raises(IndexStoreError) as raised:
        reader.check_compatible(other, chunking)
    message = raised.value.message
    assert expected in message
    if other.model_id != "fake-embedder":
        assert "'other-model'" in message
    if chunking != CHUNKING:
        assert '"max_chars": 300' in message
    assert "semsearch build --rebuild" in (raised.value.hint or "")
    # A writer refuses the same way: it never mixes vectors of two models.
    with pytest.raises(IndexStoreError, match=r"was (built|cut) with"):
        IndexWriter.open(index_dir, other, chunking)
    reader.check_compatible(FakeEmbedder(), CHUNKING)


def test_dimension_mismatch_with_same_fingerprint(index_dir: Path) -> None:
    other = FakeEmbedder(dimension=32)
    other.fingerprint = FakeEmbedder().fingerprint
    with pytest.raises(
        IndexStoreError, match="64-dimensional vectors but 'fake-embedder' makes 32"
    ):
        IndexReader.open(index_dir).check_compatible(other, CHUNKING)


# -- damaged indexes -----------------------------------------------------------------------


def current_dir(index_dir: Path) -> Path:
    return index_dir / os.readlink(index_dir / CURRENT_LINK)


def open_error(index_dir: Path) -> IndexStoreError:
    with pytest.raises(IndexStoreError) as raised:
        IndexReader.open(index_dir)
    return raised.value


def test_truncated_vectors_file(index_dir: Path) -> None:
    path = current_dir(index_dir) / VECTORS_FILE
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    error = open_error(index_dir)
    assert str(path) in error.message and "truncated" in error.message
    assert "semsearch build --rebuild" in (error.hint or "")


def test_garbage_vectors_file_of_the_right_size(index_dir: Path) -> None:
    path = current_dir(index_dir) / VECTORS_FILE
    path.write_bytes(b"x" * path.stat().st_size)
    error = open_error(index_dir)
    assert str(path) in error.message and "FAISS" in error.message


def test_garbage_meta_database(index_dir: Path) -> None:
    path = current_dir(index_dir) / META_FILE
    path.write_bytes(
        b"this is not sqlite " * (path.stat().st_size // 19) + b"!" * (path.stat().st_size % 19)
    )
    error = open_error(index_dir)
    assert str(path) in error.message and "not a valid index database" in error.message
    assert "semsearch build --rebuild" in (error.hint or "")


def test_truncated_meta_database(index_dir: Path) -> None:
    path = current_dir(index_dir) / META_FILE
    path.write_bytes(path.read_bytes()[:4096])
    error = open_error(index_dir)
    assert str(path) in error.message and "truncated" in error.message


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "manifest.json is missing"),
        ("{not json", "manifest.json is not valid JSON"),
        ("[1, 2]", "is not a JSON object"),
        ('{"format_version": 1}', "lacks model_id"),
    ],
)
def test_bad_manifest(index_dir: Path, content: str | None, expected: str) -> None:
    path = current_dir(index_dir) / "manifest.json"
    if content is None:
        path.unlink()
    else:
        path.write_text(content, encoding="utf-8")
    error = open_error(index_dir)
    assert expected in error.message
    assert "semsearch build --rebuild" in (error.hint or "")


def test_newer_format_version(index_dir: Path) -> None:
    path = current_dir(index_dir) / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["format_version"] = 99
    path.write_text(json.dumps(manifest), encoding="utf-8")
    assert "format version 99" in open_error(index_dir).message


def test_counts_that_disagree(index_dir: Path) -> None:
    meta = current_dir(index_dir) / META_FILE
    connection = sqlite3.connect(meta)
    connection.execute("PRAGMA journal_mode=OFF")
    connection.execute("DELETE FROM chunks WHERE doc_id = 'econ'")
    connection.commit()
    connection.close()
    # Keep the recorded size so that only the counts disagree.
    manifest_path = current_dir(index_dir) / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["files"][META_FILE] = meta.stat().st_size
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    error = open_error(index_dir)
    assert "inconsistent" in error.message
    assert "meta.sqlite chunks 5" in error.message and "vectors.faiss vectors 7" in error.message


def test_damaged_keyword_index(index_dir: Path) -> None:
    (current_dir(index_dir) / "keyword" / "ids.npy").write_bytes(b"junk")
    error = open_error(index_dir)
    assert "keyword" in error.message


def test_missing_and_foreign_folders(tmp_path: Path, embedder: FakeEmbedder) -> None:
    assert "no such folder" in open_error(tmp_path / "absent").message
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / ".gitkeep").touch()
    error = open_error(tmp_path / "empty")
    assert "no index in" in error.message and "semsearch build" in (error.hint or "")
    (tmp_path / "articles").mkdir()
    (tmp_path / "articles" / "a.txt").write_text("正文", encoding="utf-8")
    assert "is not a semsearch index" in open_error(tmp_path / "articles").message
    with pytest.raises(IndexStoreError, match="refusing to write"):
        IndexWriter.open(tmp_path / "articles", embedder, CHUNKING)
    assert sorted(p.name for p in (tmp_path / "articles").iterdir()) == ["a.txt"]


def test_current_pointing_to_a_missing_generation(index_dir: Path) -> None:
    link = index_dir / CURRENT_LINK
    link.unlink()
    link.symlink_to("gen-000005")
    assert "gen-000005 is missing" in open_error(index_dir).message


# --- the approximate vector index above a size threshold ------------------------------------------


def _many_paragraphs(count: int, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    words = list("国家经济体育天气新闻市场城市政府公司学校医院银行科技文化历史教育交通能源农业")
    return ["".join(rng.choice(words, size=12)) + f"{seed}-{i}" for i in range(count)]


def _vector_index(index_dir: Path) -> dict:
    return json.loads((current_dir(index_dir) / "manifest.json").read_text())["vector_index"]


def test_a_large_index_switches_to_ivf_and_back_keeping_ids(
    tmp_path: Path, embedder: FakeEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    import faiss

    from semsearch import store

    # Thresholds lowered: 300 chunks make an IVF index (sqrt(300) ≈ 17 → at least 8 cells).
    monkeypatch.setattr(store, "APPROXIMATE_MIN_CHUNKS", 300)
    monkeypatch.setattr(store, "EXACT_MAX_CHUNKS", 150)
    monkeypatch.setattr(store, "IVF_MIN_CELLS", 8)
    monkeypatch.setattr(store, "IVF_TRAINING_POINTS_PER_CELL", 39)
    directory = tmp_path / "index"
    with IndexWriter.open(directory, embedder, CHUNKING) as writer:
        for number in range(4):
            add(writer, embedder, f"doc{number}", paragraphs=_many_paragraphs(60, number))
        writer.commit().close()
    assert _vector_index(directory) == {"type": "flat"}

    with IndexWriter.open(directory, embedder, CHUNKING) as writer:
        add(writer, embedder, "doc4", paragraphs=_many_paragraphs(80, 4))
        writer.commit().close()
    reader = IndexReader.open(directory)
    assert reader.chunk_count == 320
    assert isinstance(reader._vectors, faiss.IndexIVFFlat)
    info = _vector_index(directory)
    assert info["type"] == "ivf-flat" and info["trained_on"] == 320 and info["cells"] == 18

    # Every chunk is still found by its own vector (recall of the approximate index), and a
    # filtered search is exact over the allowed chunks.
    rows = reader.iter_chunk_rows()
    ids, passages = zip(*((cid, f"{title}\n{text}") for cid, title, text in rows), strict=True)
    queries = embedder.embed_passages(list(passages))
    found = [reader.vector_search(vector, 10)[0][0] for vector in queries]
    assert np.mean(np.array(found) == np.array(ids)) >= 0.95
    doc2 = reader.chunk_ids_where(doc_ids=["doc2"])
    filtered = reader.vector_search(queries[0], 5, doc2)
    exact = np.sort(queries[[ids.index(int(i)) for i in doc2]] @ queries[0])[::-1][:5]
    np.testing.assert_allclose([score for _, score in filtered], exact, atol=1e-5)
    assert {chunk_id for chunk_id, _ in filtered} <= set(doc2.tolist())
    key = embed_key(embedder.fingerprint, passages[5])
    np.testing.assert_allclose(reader.vectors_for_keys([key])[key], queries[5], atol=1e-6)

    # Updates work on the IVF index (removal and addition, ids kept), then it shrinks back.
    with IndexWriter.open(directory, embedder, CHUNKING) as writer:
        writer.remove_document("doc0")
        new_ids = add(writer, embedder, "doc9", paragraphs=["央行宣布下调存款准备金率。"])
        writer.commit().close()
    reader = IndexReader.open(directory)
    assert reader.chunk_count == 261 and _vector_index(directory)["type"] == "ivf-flat"
    probe = embedder.embed_passages(["标题doc9\n央行宣布下调存款准备金率。"])[0]
    assert reader.vector_search(probe, 1)[0][0] == new_ids[0]
    assert reader.chunk_ids_where(doc_ids=["doc2"]).tolist() == doc2.tolist()

    with IndexWriter.open(directory, embedder, CHUNKING) as writer:
        for number in (1, 2):
            writer.remove_document(f"doc{number}")
        writer.commit().close()
    reader = IndexReader.open(directory)
    assert reader.chunk_count == 141 and _vector_index(directory) == {"type": "flat"}
    assert reader.vector_search(probe, 1)[0][0] == new_ids[0]


def test_ivf_cells_are_retrained_when_the_index_has_doubled(
    tmp_path: Path, embedder: FakeEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    from semsearch import store

    monkeypatch.setattr(store, "APPROXIMATE_MIN_CHUNKS", 200)
    monkeypatch.setattr(store, "EXACT_MAX_CHUNKS", 100)
    monkeypatch.setattr(store, "IVF_MIN_CELLS", 4)
    directory = tmp_path / "index"
    with IndexWriter.open(directory, embedder, CHUNKING) as writer:
        add(writer, embedder, "first", paragraphs=_many_paragraphs(250, 10))
        writer.commit().close()
    assert _vector_index(directory)["trained_on"] == 250
    with IndexWriter.open(directory, embedder, CHUNKING) as writer:
        add(writer, embedder, "second", paragraphs=_many_paragraphs(100, 11))
        writer.commit().close()
    assert _vector_index(directory)["trained_on"] == 250  # grown, but not twice as large
    with IndexWriter.open(directory, embedder, CHUNKING) as writer:
        add(writer, embedder, "third", paragraphs=_many_paragraphs(200, 12))
        writer.commit().close()
    info = _vector_index(directory)
    assert info["trained_on"] == 550 and info["cells"] == 23  # round(sqrt(550))
    reader = IndexReader.open(directory)
    # A filter naming an id that is not in the index falls back to the filtered index search.
    third = reader.chunk_ids_where(doc_ids=["third"])
    wanted = np.append(third[:3], 10**9)
    probe = embedder.embed_passages(["标题third\n" + _many_paragraphs(200, 12)[1]])[0]
    hits = reader.vector_search(probe, 2, wanted)
    assert hits[0][0] == int(third[1]) and {i for i, _ in hits} <= set(third[:3].tolist())
