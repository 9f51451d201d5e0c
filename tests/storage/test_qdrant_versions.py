"""Versions of a Qdrant index: nothing of an unpublished write is visible, a dead writer's points
are cleaned up, removed points are collected two versions late, rebuilds move the alias, and
whole-index rewrites (a drifted average length, new sentence vectors) go to the other slot."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from fakes import FakeEmbedder

from semsearch import lexical
from semsearch.errors import IndexStoreError
from semsearch.storage import ChunkFilter, EngineConfig, SearchIndex, open_index, open_writer
from semsearch.storage.qdrant import commit
from semsearch.storage.qdrant.connection import connect, release, resolve_place
from semsearch.storage.qdrant.reader import QdrantIndex
from semsearch.storage.qdrant.versions import aliased_collection

from .helpers import ARTICLES, CHUNKING, add

MEMORY = EngineConfig("qdrant", qdrant_url=":memory:")
QUERY = "国家队亚洲杯冠军"


@pytest.fixture
def location(tmp_path: Path) -> Path:
    return tmp_path / f"versions-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def published(location: Path, embedder: FakeEmbedder) -> Iterator[QdrantIndex]:
    """Version 1: the three articles with sentence vectors."""
    with open_writer(location, embedder, CHUNKING, engine=MEMORY) as writer:
        for doc_id in ARTICLES:
            add(writer, embedder, doc_id)
        fill_sentences(writer, embedder)
        reader = writer.commit()
    assert isinstance(reader, QdrantIndex)
    yield reader
    reader.close()


def fill_sentences(writer: object, embedder: FakeEmbedder) -> None:
    missing = writer.chunks_without_sentence_vectors()  # type: ignore[attr-defined]
    writer.add_sentence_vectors(  # type: ignore[attr-defined]
        {key: embedder.embed_passages([title, text]) for key, title, text in missing}
    )


def snapshot(reader: SearchIndex, embedder: FakeEmbedder) -> tuple[object, ...]:
    """Everything a search can see of a version."""
    vector = embedder.embed_queries([QUERY])[0]
    tokens = lexical.tokenize_query(QUERY)
    ids = reader.chunk_ids()
    return (
        reader.document_count,
        reader.chunk_count,
        ids.tolist(),
        [d.doc_id for d in reader.documents()],
        reader.dense_search(vector, 10),
        reader.keyword_search(tokens, 10),
        reader.keyword_scores(tokens, ids).tolist(),
        reader.keyword_weights(tokens),
        {i: m.tolist() for i, m in reader.sentence_vectors(ids.tolist()).items()},
        [c.text for c in reader.chunks(ids.tolist())],
    )


def close(*views: SearchIndex) -> None:
    for view in views:
        view.close()


def points_in(reader: QdrantIndex) -> int:
    return int(reader.connection.call("count", reader.collection, exact=True).count)


def test_an_unpublished_write_is_invisible_and_removed_after(
    published: QdrantIndex, location: Path, embedder: FakeEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = snapshot(published, embedder)
    points = points_in(published)

    def crash(*_args: object) -> None:
        raise RuntimeError("killed before publishing")

    monkeypatch.setattr(commit, "publish", crash)
    writer = open_writer(location, embedder, CHUNKING, engine=MEMORY)
    writer.remove_document("sport")
    add(writer, embedder, "extra", paragraphs=["亚洲杯冠军球队回国。", "国家队举行庆祝活动。"])
    fill_sentences(writer, embedder)
    with pytest.raises(RuntimeError, match="killed"):
        writer.commit()  # everything is written and marked, nothing is published
    assert points_in(published) > points
    assert snapshot(published, embedder) == before
    fresh = open_index(location, engine=MEMORY)
    assert snapshot(fresh, embedder) == before
    fresh.close()
    writer.close()  # the abandoned version is removed
    assert points_in(published) == points
    assert snapshot(published, embedder) == before


def test_a_dead_writers_points_are_cleaned_by_the_next(
    published: QdrantIndex, location: Path, embedder: FakeEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    points = points_in(published)
    monkeypatch.setattr(commit, "publish", lambda *_args: (_ for _ in ()).throw(SystemExit))
    writer = open_writer(location, embedder, CHUNKING, engine=MEMORY)
    writer.remove_document("econ")
    add(writer, embedder, "extra", paragraphs=["亚洲杯冠军球队回国。"])
    with pytest.raises(SystemExit):
        writer.commit()
    writer.start.lock.release()  # the process died: no clean-up, only the lock is gone
    monkeypatch.undo()
    with open_writer(location, embedder, CHUNKING, engine=MEMORY) as second:
        assert points_in(published) == points  # recovered on opening
        assert second.remove_document("econ") == 2
        second.commit().close()


def test_a_reader_keeps_its_version_until_two_newer_ones(
    published: QdrantIndex, location: Path, embedder: FakeEmbedder
) -> None:
    before = snapshot(published, embedder)
    sport = published.chunk_ids(ChunkFilter(doc_ids=("sport",))).tolist()
    with open_writer(location, embedder, CHUNKING, engine=MEMORY) as writer:
        writer.remove_document("sport")
        second = writer.commit()
    assert second.chunk_ids(ChunkFilter(doc_ids=("sport",))).size == 0
    assert snapshot(published, embedder) == before  # removed points stay for readers of v1
    with open_writer(location, embedder, CHUNKING, engine=MEMORY) as writer:
        writer.remove_document("econ")
        third = writer.commit()
    with pytest.raises(KeyError):
        published.chunks(sport)  # collected once v3 is published
    # Left: v3's points (1 document, 2 chunks, 1 term shard) and what v3 removed (the econ
    # document and chunks, v2's term shard), kept for readers of v2 until v4 is published.
    assert points_in(third) == 4 + 4
    second.close()
    third.close()


def test_a_rebuild_moves_the_alias_and_drops_the_old_collection(
    published: QdrantIndex, location: Path, embedder: FakeEmbedder
) -> None:
    connection = published.connection
    old = aliased_collection(connection, location.name)
    highest = int(published.chunk_ids().max())
    with open_writer(location, embedder, CHUNKING, engine=MEMORY, rebuild=True) as writer:
        assert writer.base is None
        add(writer, embedder, "weather")
        reader = writer.commit()
    assert aliased_collection(connection, location.name) == reader.collection != old
    assert not connection.call("collection_exists", old)
    assert [d.doc_id for d in reader.documents()] == ["weather"]
    assert reader.chunk_ids().min() > highest  # ids keep going up
    with pytest.raises(IndexStoreError, match="is gone: the index was rebuilt"):
        published.chunk_ids(ChunkFilter(doc_ids=("econ",)))
    reader.close()


def test_a_drifted_average_length_rewrites_every_weight_in_the_other_slot(
    published: QdrantIndex, location: Path, embedder: FakeEmbedder
) -> None:
    tokens = lexical.tokenize_query(QUERY)
    before = published.keyword_search(tokens, 10)
    long = ["亚洲杯" * 40 + "。"]
    with open_writer(location, embedder, CHUNKING, engine=MEMORY) as writer:
        add(writer, embedder, "long", paragraphs=long)
        reader = writer.commit()
    assert isinstance(reader, QdrantIndex)
    assert reader.state.slots["bm25"] == "b" and published.state.slots["bm25"] == "a"
    assert published.keyword_search(tokens, 10) == before  # readers of v1 read slot a
    statistics = reader.state.keyword
    assert statistics.average_length == statistics.total_length / statistics.chunk_count
    # The same scores as an index built in one go with every chunk.
    with open_writer(
        location.with_name(location.name + "-once"), embedder, CHUNKING, engine=MEMORY
    ) as writer:
        for doc_id in ARTICLES:
            add(writer, embedder, doc_id)
        add(writer, embedder, "long", paragraphs=long)
        once = writer.commit()
    assert [s for _, s in reader.keyword_search(tokens, 10)] == [
        s for _, s in once.keyword_search(tokens, 10)
    ]
    assert reader.keyword_weights(tokens) == once.keyword_weights(tokens)
    close(reader, once)


def test_new_sentence_vectors_for_every_chunk_go_to_the_other_slot(
    published: QdrantIndex, location: Path, embedder: FakeEmbedder
) -> None:
    ids = published.chunk_ids().tolist()
    before = {i: m.tolist() for i, m in published.sentence_vectors(ids).items()}
    with open_writer(location, embedder, CHUNKING, engine=MEMORY) as writer:
        writer.clear_sentence_vectors()
        missing = writer.chunks_without_sentence_vectors()
        assert len(missing) == len(ids)
        writer.add_sentence_vectors(
            {key: -embedder.embed_passages([title, text]) for key, title, text in missing}
        )
        assert published.sentence_vectors(ids).keys() == before.keys()
        assert {i: m.tolist() for i, m in published.sentence_vectors(ids).items()} == before
        reader = writer.commit()
    assert reader.has_sentence_vectors
    after = reader.sentence_vectors(ids)
    assert all(np.allclose(after[i], -np.array(before[i]), atol=1e-3) for i in before)
    reader.close()


def test_frequency_shards_are_split_and_resplit(
    location: Path, embedder: FakeEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    from semsearch.storage.qdrant import frequencies

    monkeypatch.setattr(frequencies, "TERMS_PER_SHARD", 16)
    local = location.parent / "local"
    for engine, place in ((MEMORY, location), ("local", local)):
        with open_writer(place, embedder, CHUNKING, engine=engine) as writer:
            add(writer, embedder, "econ")
            writer.commit().close()
        with open_writer(place, embedder, CHUNKING, engine=engine) as writer:
            add(writer, embedder, "sport")
            add(writer, embedder, "weather")
            writer.commit().close()
    qdrant, reference = open_index(location, engine=MEMORY), open_index(local)
    assert isinstance(qdrant, QdrantIndex) and len(qdrant.state.term_shards) > 4
    tokens = lexical.tokenize_query("国家统计局 亚洲杯冠军 北方大风")
    assert qdrant.keyword_weights(tokens) == reference.keyword_weights(tokens)
    close(qdrant, reference)


def test_one_writer_at_a_time(
    published: QdrantIndex, location: Path, embedder: FakeEmbedder
) -> None:
    with (
        open_writer(location, embedder, CHUNKING, engine=MEMORY),
        pytest.raises(IndexStoreError, match="Another writer is updating the index"),
    ):
        open_writer(location, embedder, CHUNKING, engine=MEMORY, lock_timeout=0.1)
    open_writer(location, embedder, CHUNKING, engine=MEMORY, lock_timeout=0.1).close()


def test_what_cannot_be_opened_is_explained(tmp_path: Path, embedder: FakeEmbedder) -> None:
    with pytest.raises(IndexStoreError, match="There is no index 'nothing'"):
        open_index(tmp_path / "nothing", engine=MEMORY)
    with pytest.raises(IndexStoreError, match="cannot name a Qdrant index"):
        open_index(tmp_path / "a b", engine=MEMORY)
    with open_writer(tmp_path / "index", embedder, CHUNKING) as writer:  # the local engine's
        add(writer, embedder, "econ")
        writer.commit().close()
    with pytest.raises(IndexStoreError, match="holds an index of the local engine"):
        open_writer(tmp_path / "index", embedder, CHUNKING, engine="qdrant")


def test_a_damaged_manifest_is_reported(
    published: QdrantIndex, location: Path, embedder: FakeEmbedder
) -> None:
    from semsearch.storage.qdrant.state import MANIFEST_KEY

    data = published.manifest.to_dict()
    data["qdrant"] = {"version": "x"}
    connection = connect(resolve_place(":memory:", location))
    connection.call("update_collection", published.collection, metadata={MANIFEST_KEY: data})
    release(connection)
    with pytest.raises(IndexStoreError, match=r"manifest of the Qdrant index .* is damaged"):
        open_index(location, engine=MEMORY)
    with open_writer(location, embedder, CHUNKING, engine=MEMORY, rebuild=True) as writer:
        add(writer, embedder, "econ")
        writer.commit().close()
    assert open_index(location, engine=MEMORY).document_count == 1


def test_a_failure_after_publishing_keeps_the_new_version(
    published: QdrantIndex, location: Path, embedder: FakeEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object) -> None:
        raise RuntimeError("the clean-up failed")

    monkeypatch.setattr(commit, "collect_garbage", broken)
    with (
        pytest.raises(RuntimeError, match="clean-up"),
        open_writer(location, embedder, CHUNKING, engine=MEMORY) as writer,
    ):
        writer.remove_document("econ")
        writer.commit()
    reader = open_index(location, engine=MEMORY)
    assert [d.doc_id for d in reader.documents()] == ["sport", "weather"]
    assert len(reader.chunk_ids()) == reader.chunk_count == 5
    reader.close()
