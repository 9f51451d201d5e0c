"""Tests of the local reader: records, filters, search, rescoring, and reading during writes.

Documents and chunks are built by hand and embedded with the FakeEmbedder; the files, FAISS and
SQLite are real.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from fakes import FakeEmbedder

from semsearch import lexical
from semsearch.chunking import Chunk, ChunkingConfig, passage_text
from semsearch.errors import IndexStoreError
from semsearch.ingest import RemovedLine, SkippedFile
from semsearch.storage import ChunkFilter, embed_key, open_index, open_writer
from semsearch.storage.local import LocalIndex

from .helpers import CHUNKING, add, generation_dirs


def tokens(query: str) -> list[str]:
    return lexical.tokenize_query(query)


def test_reader_round_trip(index_dir: Path, embedder: FakeEmbedder) -> None:
    reader = open_index(index_dir)
    assert isinstance(reader, LocalIndex)
    manifest = reader.manifest
    assert reader.generation == "gen-000001" == manifest.generation
    assert (reader.document_count, reader.chunk_count) == (3, 7)
    assert manifest.model_id == "fake-embedder"
    assert manifest.model_fingerprint == embedder.fingerprint
    assert manifest.dimension == reader.dimension == 64
    assert manifest.chunking == CHUNKING.as_dict()
    assert manifest.keyword == {
        "tokenizer": lexical.TOKENIZER_VERSION,
        "k1": lexical.DEFAULT_K1,
        "b": lexical.DEFAULT_B,
        "average_length": reader.keyword_index.live_length() / 7,
    }
    assert manifest.corpus_roots == ["/abs"]
    assert manifest.created_at is not None and manifest.updated_at is not None
    assert manifest.created_at <= manifest.updated_at

    documents = reader.documents()
    assert [d.doc_id for d in documents] == ["econ", "sport", "weather"]
    assert documents[1].chunk_count == 3 and documents[1].text == ""
    sport = reader.document("sport")
    assert sport.text.startswith("国家队在亚洲杯上赢得冠军。\n")
    assert (sport.date, sport.source, sport.title) == ("2024-05-20", "新华社", "体育新闻")
    assert reader.removed_lines("sport") == [RemovedLine(1, "广告：点击购买", "advertisement")]
    assert reader.skipped_files() == [SkippedFile("corpus/photo.jpg", "unsupported file type .jpg")]

    sport_ids = reader.chunk_ids(ChunkFilter(doc_ids=("sport",)))
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


def test_chunk_ids_filter_by_document_and_date(index_dir: Path) -> None:
    reader = open_index(index_dir)
    everything = reader.chunk_ids()
    assert len(everything) == 7
    dated = reader.chunk_ids(ChunkFilter(date_from="2024-04-01"))
    assert set(reader.chunks(dated.tolist())[i].doc_id for i in range(len(dated))) == {"sport"}
    both = reader.chunk_ids(ChunkFilter(date_from="2024-01-01", date_to="2024-12-31"))
    assert len(both) == 5  # the undated weather article is left out
    assert (
        len(reader.chunk_ids(ChunkFilter(doc_ids=("econ", "weather"), date_to="2024-04-01"))) == 2
    )
    assert len(reader.chunk_ids(ChunkFilter(doc_ids=()))) == 0
    # Resolved once: a repeated filter is answered from the cache, read-only.
    again = reader.chunk_ids(ChunkFilter(date_from="2024-04-01"))
    assert again is dated and not again.flags.writeable


def test_dense_and_keyword_search(index_dir: Path, embedder: FakeEmbedder) -> None:
    reader = open_index(index_dir)
    weather = ChunkFilter(doc_ids=("weather",))
    target = reader.chunks(reader.chunk_ids(weather).tolist())[1]
    query = embedder.embed_queries(
        [passage_text(Chunk("weather", 1, 1, 0, 0, target.text, "天气预报"))]
    )
    hits = reader.dense_search(query[0], 3)
    assert hits[0][0] == target.chunk_id
    assert hits[0][1] == pytest.approx(1.0, abs=1e-5)
    assert [score for _, score in hits] == sorted((score for _, score in hits), reverse=True)
    assert len(reader.dense_search(query[0], 100)) == 7

    econ = ChunkFilter(doc_ids=("econ",))
    econ_ids = reader.chunk_ids(econ)
    filtered = reader.dense_search(query[0], 5, econ)
    assert {chunk_id for chunk_id, _ in filtered} == set(econ_ids.tolist())
    assert reader.dense_search(query[0], 5, ChunkFilter(doc_ids=())) == []

    keyword_hits = reader.keyword_search(tokens("亚洲杯冠军"), 3)
    assert keyword_hits[0][0] == int(reader.chunk_ids(ChunkFilter(doc_ids=("sport",)))[0])
    assert reader.keyword_search(tokens("亚洲杯冠军"), 3, econ) == []
    assert reader.keyword_search(tokens(""), 3) == []


def test_exact_rescoring_of_given_ids(index_dir: Path, embedder: FakeEmbedder) -> None:
    reader = open_index(index_dir)
    query = embedder.embed_queries(["国家队亚洲杯冠军"])[0]
    query_tokens = tokens("国家队亚洲杯冠军")
    pooled = ChunkFilter(doc_ids=("econ", "sport"))
    pool = reader.chunk_ids(pooled)
    # Bit for bit the values a search restricted to the pool gives, in the order asked for.
    dense = dict(reader.dense_search(query, len(pool), pooled))
    assert reader.dense_scores(query, pool).tolist() == [dense[int(i)] for i in pool]
    ranked = dict(reader.keyword_search(query_tokens, len(pool), pooled))
    assert reader.keyword_scores(query_tokens, pool).tolist() == [
        ranked.get(int(i), 0.0) for i in pool
    ]
    assert 0 < len(ranked) < len(pool)
    assert reader.keyword_scores([], pool).tolist() == [0.0] * len(pool)
    unknown = reader.dense_scores(query, np.array([int(pool[0]), 10**9]))
    assert unknown[0] == pytest.approx(dense[int(pool[0])]) and np.isnan(unknown[1])
    weights = reader.keyword_weights([*query_tokens, "不存在的词"])
    assert set(weights) <= set(query_tokens) and weights["冠军"] > 0


def test_vectors_are_found_by_content_key(index_dir: Path, embedder: FakeEmbedder) -> None:
    reader = open_index(index_dir)
    assert isinstance(reader, LocalIndex)
    chunk = reader.chunks(reader.chunk_ids(ChunkFilter(doc_ids=("econ",))).tolist())[0]
    passage = f"{chunk.title}\n{chunk.text}"
    key = embed_key(embedder.fingerprint, passage)
    found = reader.vectors_for_keys([key, "unknown-key"])
    assert list(found) == [key]
    np.testing.assert_allclose(found[key], embedder.embed_passages([passage])[0], atol=1e-6)
    # Another model's fingerprint gives another key: its vectors are never mixed in.
    assert reader.vectors_for_keys([embed_key("other-model", passage)]) == {}


def test_reader_keeps_working_after_its_generation_is_deleted(
    index_dir: Path, embedder: FakeEmbedder
) -> None:
    reader = open_index(index_dir)
    assert isinstance(reader, LocalIndex)
    for doc_id in ("new1", "new2"):
        with open_writer(index_dir, embedder, CHUNKING) as writer:
            add(writer, embedder, doc_id, paragraphs=[f"新的段落{doc_id}"])
            writer.commit().close()
    # The current and the previous generation are kept; generation 1 is gone from disk.
    assert generation_dirs(index_dir) == ["gen-000002", "gen-000003"]
    assert not reader.path.exists()
    assert reader.chunk_count == 7 and len(reader.documents()) == 3
    assert reader.document("econ").text
    assert reader.keyword_search(tokens("亚洲杯"), 1)
    query = embedder.embed_queries(["明天北方地区有大风降温天气"])[0]
    assert reader.dense_search(query, 1)
    assert open_index(index_dir).document_count == 5


def test_a_reader_a_commit_returns_reads_its_segments_later_even_if_deleted(
    index_dir: Path, embedder: FakeEmbedder
) -> None:
    with open_writer(index_dir, embedder, CHUNKING) as writer:
        add(writer, embedder, "new0", paragraphs=["新的段落new0"])
        reader = writer.commit()  # its vectors and postings are read on first use
    for doc_id in ("new1", "new2"):
        with open_writer(index_dir, embedder, CHUNKING) as writer:
            add(writer, embedder, doc_id, paragraphs=[f"新的段落{doc_id}"])
            writer.commit().close()
    assert not reader.path.exists()  # its generation is gone from disk
    assert reader.keyword_search(tokens("亚洲杯"), 1)
    query = embedder.embed_queries(["明天北方地区有大风降温天气"])[0]
    assert reader.dense_search(query, 1) and reader.chunk_count == 8
    reader.close()


def test_reader_during_a_write_sees_the_old_generation(
    index_dir: Path, embedder: FakeEmbedder
) -> None:
    econ = ChunkFilter(doc_ids=("econ",))
    with open_writer(index_dir, embedder, CHUNKING) as writer:
        writer.remove_document("econ")
        add(writer, embedder, "extra", paragraphs=["新段落"])
        during = open_index(index_dir)
        assert during.generation == "gen-000001" and during.document_count == 3
        assert during.chunk_ids(econ).size == 2
        writer.commit().close()
    assert open_index(index_dir).chunk_ids(econ).size == 0
    assert during.chunk_ids(econ).size == 2


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
    reader = open_index(index_dir)
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
        open_writer(index_dir, other, chunking)
    reader.check_compatible(FakeEmbedder(), CHUNKING)


def test_dimension_mismatch_with_same_fingerprint(index_dir: Path) -> None:
    other = FakeEmbedder(dimension=32)
    other.fingerprint = FakeEmbedder().fingerprint
    with pytest.raises(
        IndexStoreError, match="64-dimensional vectors but 'fake-embedder' makes 32"
    ):
        open_index(index_dir).check_compatible(other, CHUNKING)


def test_neighbours_of_many_chunks_are_those_of_each(index_dir: Path) -> None:
    reader = open_index(index_dir)
    try:
        ids = reader.chunk_ids().tolist()
        for before, after in ((1, 1), (2, 5), (0, 1)):
            many = reader.neighbours_of([*ids, 9999], before, after)
            assert sorted(many) == ids  # an unknown id is left out
            for chunk_id in ids:
                assert many[chunk_id] == reader.neighbours(chunk_id, before, after)
        with pytest.raises(KeyError):
            reader.neighbours(9999)
    finally:
        reader.close()


def test_chunks_are_kept_per_reader(index_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from semsearch.storage.local import stored

    reader = open_index(index_dir)
    try:
        ids = reader.chunk_ids().tolist()
        first = reader.chunks(ids)
        read = []
        for segment in reader.segments.segments:
            original = segment.records.chunk_rows
            monkeypatch.setattr(
                segment.records,
                "chunk_rows",
                lambda wanted, original=original: read.append(list(wanted)) or original(wanted),
            )
        assert reader.chunks(ids[::-1]) == first[::-1] and read == []  # kept, not read again
        with pytest.raises(KeyError):
            reader.chunks([ids[0], 9999])  # an unknown id is still an error
        monkeypatch.setattr(stored, "CHUNKS_KEPT", 2)
        reader._known_chunks.clear()
        assert reader.chunks(ids) == first and len(reader._known_chunks) <= len(ids)
        assert reader.chunks(ids[:1]) == first[:1]
    finally:
        reader.close()


def test_segment_records_keep_a_larger_page_cache(index_dir: Path) -> None:
    from semsearch.storage.local.database import RECORDS_CACHE_KIB

    reader = open_index(index_dir)
    try:
        for segment in reader.segments.segments:
            assert segment.records.select("PRAGMA cache_size") == [(-RECORDS_CACHE_KIB,)]
        assert reader.catalog.select("PRAGMA cache_size") == [(-2000,)]  # SQLite's default
    finally:
        reader.close()
