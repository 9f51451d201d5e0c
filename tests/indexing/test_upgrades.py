"""Tests of the data upgrades: an index made by an older semsearch is brought up to date once."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from fakes import FakeEmbedder
from storage.format1 import rewrite_as_format1
from storage.helpers import add, current_dir, make_old_format, refresh_manifest

from semsearch import indexing, lexical
from semsearch.chunking import Chunk, ChunkingConfig
from semsearch.indexing.upgrades import UPGRADES, run_due_upgrades
from semsearch.ingest import Document
from semsearch.progress import NullReporter
from semsearch.storage import ChunkFilter, open_index, open_writer
from semsearch.storage.local.generations import META_FILE
from semsearch.storage.local.schema import UPGRADES as SCHEMA_UPGRADES
from semsearch.storage.local.schema import applied_upgrades

from .helpers import RecordingReporter, build


@pytest.fixture
def index(corpus: Path, embedder: FakeEmbedder) -> Path:
    """An index of three seed articles, made by the indexer."""
    build(embedder)
    return Path("index")


def test_upgrades_are_named_and_ordered() -> None:
    assert [upgrade.name for upgrade in UPGRADES] == ["keyword_tokens", "sentence_vectors"]


def test_a_current_index_needs_none(index: Path) -> None:
    with open_writer(index, FakeEmbedder(), ChunkingConfig()) as writer:
        assert run_due_upgrades(writer, NullReporter()) == []
        assert not writer.changed


def test_an_index_from_before_sentence_vectors_gets_them(index: Path) -> None:
    embedder = FakeEmbedder()
    with open_writer(index, embedder, ChunkingConfig()) as writer:
        add(writer, embedder, "weather", paragraphs=["明天北方地区有大风降温天气。南方有雨。"])
        writer.commit().close()  # without the indexer: no sentence vectors for it
    make_old_format(index)
    assert not open_index(index).has_sentence_vectors
    reporter = RecordingReporter()
    report = indexing.update(None, index, embedder, reporter=reporter)
    assert any("no sentence vectors yet" in message for message in reporter.messages)
    reader = open_index(index)
    assert reader.has_sentence_vectors and report.sentences_embedded > 2
    assert len(reader.sentence_vectors(reader.chunk_ids().tolist())) > 1
    db = sqlite3.connect(current_dir(index) / META_FILE)
    assert applied_upgrades(db) == len(SCHEMA_UPGRADES)
    db.close()
    assert indexing.update(None, index, embedder).nothing_changed


@pytest.mark.parametrize("old_layout", [False, True], ids=["segments", "format1"])
def test_a_tokenizer_change_re_tokenizes_the_stored_chunks(index: Path, old_layout: bool) -> None:
    if old_layout:
        generation = rewrite_as_format1(index)
        db = sqlite3.connect(generation / META_FILE)
        db.execute("UPDATE chunks SET tokens = '[]'")  # tokens of some other scheme
        db.commit()
        db.close()
    generation = current_dir(index)
    path = generation / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["keyword"] = {"tokenizer": "an-older-scheme"}
    path.write_text(json.dumps(manifest), encoding="utf-8")
    refresh_manifest(generation)
    reporter = RecordingReporter()
    report = indexing.update(None, index, FakeEmbedder(), reporter=reporter)
    assert "The keyword tokenizer changed: re-tokenizing the stored chunks." in reporter.messages
    assert report.chunks_embedded == 0 and report.unchanged == 3
    reader = open_index(index)
    assert reader.manifest.keyword["tokenizer"] == lexical.TOKENIZER_VERSION
    assert len(reader.manifest.segments) == 1  # every chunk rewritten, once
    assert reader.keyword_search(lexical.tokenize_query("焦裕禄"), 1)


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
