"""The behaviour every storage engine owes the searcher and the indexer, through the protocols only.

Each test runs once per engine: the local one, Qdrant in local mode (in this process's memory),
and Qdrant on a real server when ``$SEMSEARCH_QDRANT_URL`` names one (skipped otherwise, with
the reason in the test report). Nothing here knows about generations, FAISS, SQLite, points or
locks: only :func:`semsearch.storage.open_index`, :func:`semsearch.storage.open_writer` and the
:class:`SearchIndex` / :class:`IndexWriter` operations.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from fakes import FakeEmbedder

from semsearch import lexical, settings
from semsearch.chunking import ChunkingConfig, passage_text
from semsearch.errors import IndexStoreError
from semsearch.ingest import SkippedFile
from semsearch.storage import (
    ChunkFilter,
    EngineConfig,
    FileScope,
    FileState,
    IndexWriter,
    ReprintSelection,
    ReprintState,
    SearchIndex,
    StoredFile,
    embed_key,
    open_index,
    open_writer,
)

from .helpers import ARTICLES, CHUNKING, add, make_document

#: The engines under test: the local one (also with its catalog compacted after a few changes,
#: so that reads and writes go through a base and a delta), Qdrant in local mode, Qdrant on a
#: server.
ENGINE_CASES = ("local", "local-two-levels", "qdrant", "qdrant-server")
SERVER_SKIP = f"no Qdrant server to test against: set ${settings.ENV_QDRANT_URL} to its URL"

Engine = str | EngineConfig


@pytest.fixture(params=ENGINE_CASES)
def engine(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Engine:
    if request.param == "local":
        return "local"
    if request.param == "local-two-levels":
        from semsearch.storage.local import catalog_levels

        # The only place this suite knows an engine's inside: a small index's catalog otherwise
        # stays in one level (docs/index-format.md, "The catalog in two levels").
        monkeypatch.setattr(catalog_levels, "COMPACT_MIN_ROWS", 1)
        monkeypatch.setattr(catalog_levels, "COMPACT_FRACTION", 2)
        return "local"
    if request.param == "qdrant":
        return EngineConfig("qdrant", qdrant_url=":memory:")
    url = settings.default_qdrant_url()
    if not url or not url.lower().startswith(("http://", "https://")):
        pytest.skip(SERVER_SKIP)
    return EngineConfig("qdrant", qdrant_url=url)


@pytest.fixture
def location(tmp_path: Path, engine: Engine) -> Iterator[Path]:
    """The index: a folder, or for Qdrant a name of its own (a process or a server may hold
    many), whose collections are deleted afterwards."""
    if engine == "local":
        yield tmp_path / "index"
        return
    name = f"semsearch-test-{uuid.uuid4().hex[:12]}"
    yield tmp_path / name
    assert isinstance(engine, EngineConfig)
    drop_qdrant_index(engine, name)


def drop_qdrant_index(engine: EngineConfig, name: str) -> None:
    """Delete every collection of a Qdrant test index."""
    from semsearch.storage.qdrant.connection import connect, release, resolve_place

    connection = connect(resolve_place(engine.qdrant_url, Path(name)))
    try:
        for description in connection.call("get_collections").collections:
            if description.name.startswith(f"{name}--"):
                connection.call("delete_collection", description.name)
    finally:
        release(connection)


@pytest.fixture
def built(location: Path, engine: Engine, embedder: FakeEmbedder) -> Iterator[SearchIndex]:
    """The three articles, one skipped file and one root, committed."""
    with open_writer(location, embedder, CHUNKING, engine=engine) as writer:
        assert writer.base is None
        for doc_id in ARTICLES:
            add(writer, embedder, doc_id)
        writer.set_sources(["/abs"], [SkippedFile("corpus/photo.jpg", "unsupported")])
        reader = writer.commit()
    yield reader
    reader.close()


def reopen(location: Path, engine: Engine) -> SearchIndex:
    return open_index(location, engine=engine)


def tokens(text: str) -> list[str]:
    return lexical.tokenize_query(text)


def test_a_committed_index_holds_what_was_written(
    built: SearchIndex, embedder: FakeEmbedder
) -> None:
    assert (built.document_count, built.chunk_count) == (3, 7)
    assert (built.model_id, built.dimension) == (embedder.model_id, embedder.dimension)
    assert built.manifest.corpus_roots == ["/abs"]
    assert [d.doc_id for d in built.documents()] == ["econ", "sport", "weather"]
    assert built.document("sport").text.startswith("国家队")
    assert built.skipped_files() == [SkippedFile("corpus/photo.jpg", "unsupported")]
    assert sorted(built.stored_files(), key=lambda s: s.doc_id)[0] == StoredFile(
        "econ", "corpus/econ.txt", "hash-econ-36", FileState("/abs/econ.txt", 100, 1)
    )
    ids = built.chunk_ids()
    assert ids.tolist() == sorted(ids.tolist()) and len(set(ids.tolist())) == 7
    sport = built.chunks(built.chunk_ids(ChunkFilter(doc_ids=("sport",))).tolist())
    assert [c.index for c in sport] == [0, 1, 2]
    before, after = built.neighbours(sport[1].chunk_id)
    assert [c.chunk_id for c in before] == [sport[0].chunk_id]
    assert [c.chunk_id for c in after] == [sport[2].chunk_id]
    with pytest.raises(KeyError):
        built.chunks([10**9])


def test_stored_files_of_a_scope(location: Path, engine: Engine, embedder: FakeEmbedder) -> None:
    """A scope selects by folder (text ranges: "/abs/a" holds neither "/abs/a-b/…" nor
    "/abs/ab.txt"), by files outside the corpus folders and by id; the union of them."""
    files = {
        "econ": "/abs/a/econ.txt",
        "sport": "/abs/a-b/sport.txt",
        "weather": "/other/weather.txt",
        "extra": "/abs/ab.txt",
    }
    with open_writer(location, embedder, CHUNKING, engine=engine) as writer:
        for doc_id, file_path in files.items():
            add(writer, embedder, doc_id, paragraphs=["国家统计局发布数据。"])
            writer.update_file_state(doc_id, FileState(file_path, 100, 1))
        reader = writer.commit()
    try:

        def selected(scope: FileScope) -> list[str]:
            return sorted(stored.doc_id for stored in reader.stored_files(scope))

        assert selected(FileScope(under=("/abs/a",))) == ["econ"]
        assert selected(FileScope(under=("/abs/a/econ.txt",))) == ["econ"]
        assert selected(FileScope(under=("/abs/a",), outside=("/abs",))) == ["econ", "weather"]
        assert selected(FileScope(doc_ids=("sport",))) == ["sport"]
        assert selected(FileScope(under=("/",))) == sorted(files)
        assert selected(FileScope()) == []
        assert [s.state for s in reader.stored_files(FileScope(under=("/abs/a",)))] == [
            FileState("/abs/a/econ.txt", 100, 1)
        ]
    finally:
        reader.close()


def test_filters(built: SearchIndex, embedder: FakeEmbedder) -> None:
    assert len(built.chunk_ids(ChunkFilter(date_from="2024-04-01"))) == 3
    assert len(built.chunk_ids(ChunkFilter(date_from="2024-01-01", date_to="2024-12-31"))) == 5
    assert len(built.chunk_ids(ChunkFilter(doc_ids=()))) == 0
    econ = ChunkFilter(doc_ids=("econ",))
    econ_ids = set(built.chunk_ids(econ).tolist())
    query = embedder.embed_queries(["南方多地将出现强降雨"])[0]
    assert {i for i, _ in built.dense_search(query, 10, econ)} == econ_ids
    assert built.keyword_search(tokens("亚洲杯冠军"), 10, econ) == []
    assert built.dense_search(query, 10, ChunkFilter(doc_ids=())) == []


def test_rankings_and_rescoring(built: SearchIndex, embedder: FakeEmbedder) -> None:
    query = embedder.embed_queries(["天气预报\n南方多地将出现强降雨。"])[0]
    dense = built.dense_search(query, 4)
    assert len(dense) == 4 and dense[0][1] == pytest.approx(1.0, abs=1e-5)
    assert [s for _, s in dense] == sorted((s for _, s in dense), reverse=True)
    weather = built.chunks([dense[0][0]])[0]
    assert weather.text == "南方多地将出现强降雨。"
    lexical = built.keyword_search(tokens("亚洲杯冠军"), 3)
    assert built.chunks([lexical[0][0]])[0].text == "国家队在亚洲杯上赢得冠军。"
    pool = np.array(sorted({i for i, _ in dense} | {i for i, _ in lexical}), dtype=np.int64)
    rescored = built.dense_scores(query, pool)
    by_id = dict(dense)
    for chunk_id, score in zip(pool, rescored, strict=True):
        if int(chunk_id) in by_id:
            assert score == pytest.approx(by_id[int(chunk_id)], abs=1e-6)
    keyword_scores = built.keyword_scores(tokens("亚洲杯冠军"), pool)
    assert keyword_scores.max() == pytest.approx(lexical[0][1])
    assert set(built.keyword_weights(tokens("冠军"))) == {"冠", "军", "冠军"}


def test_changes_keep_ids_and_a_discarded_write_changes_nothing(
    built: SearchIndex, location: Path, engine: Engine, embedder: FakeEmbedder
) -> None:
    sport_ids = built.chunk_ids(ChunkFilter(doc_ids=("sport",))).tolist()
    highest = int(built.chunk_ids().max())
    with open_writer(location, embedder, CHUNKING, engine=engine) as writer:
        writer.remove_document("econ")
        assert writer.changed
    assert reopen(location, engine).document_count == 3  # closed without commit
    with open_writer(location, embedder, CHUNKING, engine=engine) as writer:
        assert writer.base is not None and writer.base.chunk_count == 7
        assert writer.remove_document("econ") == 2
        new_ids = add(writer, embedder, "econ", paragraphs=["央行宣布下调存款准备金率。"])
        reader = writer.commit()
    assert new_ids == [highest + 1]
    assert (reader.document_count, reader.chunk_count) == (3, 6)
    assert reader.chunk_ids(ChunkFilter(doc_ids=("sport",))).tolist() == sport_ids
    assert reader.keyword_search(tokens("统计局"), 5) == []
    assert reader.keyword_search(tokens("准备金"), 1)[0][0] == new_ids[0]
    with open_writer(location, embedder, CHUNKING, engine=engine, rebuild=True) as writer:
        assert min(add(writer, embedder, "weather")) > new_ids[0]  # even a rebuild goes on
        writer.commit().close()


def fill_sentence_vectors(writer: IndexWriter, embedder: FakeEmbedder) -> int:
    missing = writer.chunks_without_sentence_vectors()
    writer.add_sentence_vectors(
        {key: embedder.embed_passages([title, text]) for key, title, text in missing}
    )
    return len(missing)


def test_sentence_vectors_and_reuse_by_content_key(
    location: Path, engine: Engine, embedder: FakeEmbedder
) -> None:
    with open_writer(location, embedder, CHUNKING, engine=engine) as writer:
        ids = add(writer, embedder, "sport")
        assert fill_sentence_vectors(writer, embedder) == 3
        assert writer.chunks_without_sentence_vectors() == []
        reader = writer.commit()
    assert reader.has_sentence_vectors
    stored = reader.sentence_vectors(ids)
    assert sorted(stored) == ids and all(
        m.shape == (2, embedder.dimension) for m in stored.values()
    )
    _document, chunks = make_document("sport")
    keys = [embed_key(embedder.fingerprint, passage_text(chunk)) for chunk in chunks]
    with open_writer(location, embedder, CHUNKING, engine=engine) as writer:
        assert writer.remove_document("sport") == 3
        # Vectors of the removed chunks are still found by content key within this write.
        assert set(writer.vectors_for_keys(keys)) == set(keys)
        assert set(writer.sentence_vectors_for_keys(keys)) == set(keys)
        assert writer.vectors_for_keys(["no-such-key"]) == {}


def test_another_model_or_chunking_is_refused(
    built: SearchIndex, location: Path, engine: Engine
) -> None:
    other = FakeEmbedder(model_id="other-model")
    with pytest.raises(IndexStoreError, match="built with the model 'fake-embedder'"):
        built.check_compatible(other, CHUNKING)
    with pytest.raises(IndexStoreError, match="built with the model"):
        open_writer(location, other, CHUNKING, engine=engine)
    with pytest.raises(IndexStoreError, match="chunking settings"):
        open_writer(location, FakeEmbedder(), ChunkingConfig(max_chars=300), engine=engine)
    with open_writer(location, other, CHUNKING, engine=engine, rebuild=True) as writer:
        assert writer.base is None
        writer.commit().close()
    assert reopen(location, engine).model_id == "other-model"


def test_an_unknown_engine_is_refused(location: Path, embedder: FakeEmbedder) -> None:
    with pytest.raises(IndexStoreError, match="Unknown storage engine 'nope'"):
        open_index(location, engine="nope")
    with pytest.raises(IndexStoreError, match="Unknown storage engine"):
        open_writer(location, embedder, CHUNKING, engine="nope")


def test_documents_sharing_a_band_with_a_signature_are_selected(
    built: SearchIndex, location: Path, engine: Engine, embedder: FakeEmbedder
) -> None:
    def full(first_band: int, rest: int) -> bytes:
        return bytes([first_band]) * 16 + bytes([rest]) * 16 * 31

    with open_writer(location, embedder, CHUNKING, engine=engine) as writer:
        writer.set_reprints(
            {
                "econ": ReprintState(full(1, 2), None),
                "sport": ReprintState(full(9, 3), "sport"),
                "weather": ReprintState(b"", None),  # too short to be matched
            }
        )
        near = ReprintSelection(sharing_a_band=(full(1, 7), b""))
        assert writer.reprint_states(near) == {"econ": ReprintState(full(1, 2), None)}
        # Equal in a later band only; one equal value of a band is not enough.
        later = ReprintSelection(sharing_a_band=(full(8, 3),))
        assert set(writer.reprint_states(later)) == {"sport"}
        partly = bytes([1]) * 8 + bytes([5]) * 8 + bytes([6]) * 16 * 31
        assert writer.reprint_states(ReprintSelection(sharing_a_band=(partly,))) == {}
        writer.commit().close()
    with open_writer(location, embedder, CHUNKING, engine=engine) as writer:
        writer.remove_document("econ")
        assert writer.reprint_states(ReprintSelection(sharing_a_band=(full(1, 2),))) == {}


def test_reprint_signatures_and_groups_are_kept_per_document(
    built: SearchIndex, location: Path, engine: Engine, embedder: FakeEmbedder
) -> None:
    assert {d.group for d in built.documents()} == {None}
    with open_writer(location, embedder, CHUNKING, engine=engine) as writer:
        assert writer.reprint_states() == {
            doc_id: ReprintState(None, None) for doc_id in ("econ", "sport", "weather")
        }
        writer.set_reprints(
            {
                "econ": ReprintState(b"\x01\x02", "econ"),
                "sport": ReprintState(b"\x01\x03", "econ"),
                "weather": ReprintState(b"", None),
            }
        )
        assert writer.changed
        assert writer.reprint_states()["sport"] == ReprintState(b"\x01\x03", "econ")
        writer.commit().close()
    reader = reopen(location, engine)
    try:
        assert {d.doc_id: d.group for d in reader.documents()} == {
            "econ": "econ",
            "sport": "econ",
            "weather": None,
        }
        assert reader.document("sport").group == "econ"
        assert reader.document("sport").text.startswith("国家队")
    finally:
        reader.close()
    with open_writer(location, embedder, CHUNKING, engine=engine) as writer:
        assert writer.reprint_states()["weather"] == ReprintState(b"", None)
        writer.remove_document("econ")
        assert set(writer.reprint_states()) == {"sport", "weather"}
        assert set(writer.reprint_states(ReprintSelection(doc_ids=("econ", "weather")))) == {
            "weather"
        }
        assert writer.reprint_states(ReprintSelection(groups=("econ",))) == {
            "sport": ReprintState(b"\x01\x03", "econ")
        }
        assert writer.reprint_states(ReprintSelection(unsigned=True)) == {}
        writer.set_reprints({"weather": ReprintState(None, None)})
        assert set(writer.reprint_states(ReprintSelection(unsigned=True))) == {"weather"}
        writer.set_reprints({"sport": ReprintState(b"\x01\x03", None)})
        writer.commit().close()
    reader = reopen(location, engine)
    try:
        assert {d.doc_id: d.group for d in reader.documents()} == {"sport": None, "weather": None}
    finally:
        reader.close()
