"""Tests of updates in segments: what a write writes, tombstones, merges, BM25 parity, avgdl."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from fakes import FakeEmbedder

from semsearch import lexical
from semsearch.storage import ChunkFilter, SearchIndex, open_index, open_writer
from semsearch.storage.local import keyword, merge_policy

from .helpers import ARTICLES, CHUNKING, add, current_dir

#: Articles of several paragraphs, for indexes with enough chunks to compare rankings.
TOPICS = {
    f"topic{n}": [
        f"第{n}条新闻：{a}市的{b}工作取得进展，{c}部门表示将继续推进。"
        for a, b, c in zip(
            "北上广深杭南", "交通教育医疗环保科技文化", "市场政府学校银行", strict=False
        )
    ]
    for n in range(12)
}
QUERIES = ["北京交通", "教育部门", "医疗工作进展", "第3条新闻", "银行表示推进", "科技文化"]


def write(index_dir: Path, embedder: FakeEmbedder, adds: dict, removes: tuple = ()) -> None:
    with open_writer(index_dir, embedder, CHUNKING) as writer:
        for doc_id in removes:
            writer.remove_document(doc_id)
        for doc_id, paragraphs in adds.items():
            add(writer, embedder, doc_id, paragraphs=paragraphs)
        writer.commit().close()


def fresh_copy(reader: SearchIndex, tmp_path: Path, embedder: FakeEmbedder) -> SearchIndex:
    """An index built at once from the same live documents (ids differ, texts do not)."""
    directory = tmp_path / "fresh"
    adds = {}
    for record in reader.documents():
        chunks = reader.chunks(reader.chunk_ids(ChunkFilter(doc_ids=(record.doc_id,))).tolist())
        adds[record.doc_id] = [chunk.text for chunk in chunks]
    write(directory, embedder, adds)
    return open_index(directory)


def texts_of(reader: SearchIndex, hits: list[tuple[int, float]]) -> list[tuple[str, float]]:
    return [
        (c.text, s) for c, (_, s) in zip(reader.chunks([i for i, _ in hits]), hits, strict=True)
    ]


@pytest.fixture
def no_merges(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep every segment apart, tombstones included (the test indexes are tiny)."""
    monkeypatch.setattr(merge_policy, "MERGE_FACTOR", 1000)
    monkeypatch.setattr(merge_policy, "MAX_DELETED_SHARE", 1.0)


def ranking(hits: list[tuple[str, float]]) -> list[list[str]]:
    """The texts of a ranking in groups of equal scores (their order among ties is by id)."""
    groups: list[list[str]] = []
    previous = None
    for text, score in hits:
        if previous is None or score < previous - 1e-6 * previous:
            groups.append([])
        groups[-1].append(text)
        previous = score
    return [sorted(group) for group in groups]


def test_an_update_writes_a_new_segment_and_links_the_old_one(
    index_dir: Path, embedder: FakeEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(keyword, "AVERAGE_LENGTH_TOLERANCE", 1.0)  # a tiny index drifts fast
    before = current_dir(index_dir)
    write(index_dir, embedder, {"new": ["新的段落。"]})
    after = current_dir(index_dir)
    manifest = json.loads((after / "manifest.json").read_text(encoding="utf-8"))
    assert [s["name"] for s in manifest["segments"]] == ["seg-000001", "seg-000002"]
    for path in (before / "seg-000001").rglob("*"):
        if path.is_file():
            twin = after / path.relative_to(before)
            assert twin.stat().st_ino == path.stat().st_ino  # a hard link, not a copy
            assert manifest["crc32"][path.relative_to(before).as_posix()] is not None
    assert (after / "meta.sqlite").stat().st_ino != (before / "meta.sqlite").stat().st_ino
    assert not (after / "deleted.npy").exists()


def test_removed_chunks_are_tombstones_until_merged(
    index_dir: Path, embedder: FakeEmbedder, tmp_path: Path, no_merges: None
) -> None:
    write(index_dir, embedder, dict(TOPICS))
    reader = open_index(index_dir)
    removed = reader.chunk_ids(ChunkFilter(doc_ids=("topic0", "econ"))).tolist()
    write(index_dir, embedder, {}, removes=("topic0", "econ"))
    reader = open_index(index_dir)
    assert sorted(np.load(current_dir(index_dir) / "deleted.npy").tolist()) == sorted(removed)
    assert not set(removed) & set(reader.chunk_ids().tolist())
    with pytest.raises(KeyError):
        reader.chunks(removed[:1])
    everything = len(reader.chunk_ids())
    query = embedder.embed_queries(["国家统计局发布数据"])[0]
    assert not set(removed) & {i for i, _ in reader.dense_search(query, everything)}
    tokens = lexical.tokenize_query("统计局 第0条新闻")
    assert not set(removed) & {i for i, _ in reader.keyword_search(tokens, everything)}
    # Live statistics: the same weights and scores as an index built without them.
    fresh = fresh_copy(reader, tmp_path, embedder)
    weights = fresh.keyword_weights(tokens)
    assert reader.keyword_weights(tokens) == pytest.approx(weights, rel=1e-12)


@pytest.mark.parametrize("merges", [False, True], ids=["tombstones", "merged"])
def test_bm25_of_an_updated_index_equals_a_fresh_build(
    index_dir: Path,
    embedder: FakeEmbedder,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    merges: bool,
) -> None:
    if not merges:
        monkeypatch.setattr(merge_policy, "MERGE_FACTOR", 1000)
        monkeypatch.setattr(merge_policy, "MAX_DELETED_SHARE", 1.0)
    for number in range(6):  # several segments, tombstones, merges
        topics = {k: v for k, v in TOPICS.items() if int(k[5:]) % 6 == number}
        write(index_dir, embedder, topics, removes=("topic1",) if number == 3 else ())
    reader = open_index(index_dir)
    assert len(reader.segments.segments) < 7 if merges else len(reader.segments.segments) == 7
    assert len(reader.segments.deleted) == (0 if merges else 6)
    fresh = fresh_copy(reader, tmp_path, embedder)
    drift = reader.keyword_index.average_length / fresh.keyword_index.average_length - 1
    assert abs(drift) <= keyword.AVERAGE_LENGTH_TOLERANCE
    for query in QUERIES:  # within the tolerance: the same ranking (ties in any order)
        tokens = lexical.tokenize_query(query)
        ranked = texts_of(reader, reader.keyword_search(tokens, 100))
        expected = texts_of(fresh, fresh.keyword_search(tokens, 100))
        assert ranking(ranked) == ranking(expected)
    # With the same avgdl, the same scores to float32 rounding.
    average = reader.keyword_index.average_length
    rescored = [
        segment.rescored(average, lexical.DEFAULT_K1, lexical.DEFAULT_B)
        for segment in fresh.keyword_index.segments
    ]
    same = lexical.KeywordIndex.of_segments(rescored, fresh.segments.deleted, average)
    for query in QUERIES:
        tokens = lexical.tokenize_query(query)
        mine = dict(texts_of(reader, reader.keyword_search(tokens, 100)))
        theirs = dict(texts_of(fresh, same.search(tokens, 100)))
        assert mine.keys() == theirs.keys()
        for text, score in mine.items():
            assert score == pytest.approx(theirs[text], rel=1e-6)


def test_avgdl_is_kept_within_the_tolerance_and_recomputed_beyond(
    index_dir: Path, embedder: FakeEmbedder, no_merges: None
) -> None:
    write(index_dir, embedder, dict(TOPICS))
    recorded = open_index(index_dir).manifest.keyword["average_length"]
    write(index_dir, embedder, {"short": ["短。"]})
    reader = open_index(index_dir)
    live = reader.keyword_index.live_length() / reader.chunk_count
    assert reader.manifest.keyword["average_length"] == recorded != live  # kept
    before = current_dir(index_dir)
    write(index_dir, embedder, {"long": ["很长的段落" * 60]})
    after = current_dir(index_dir)
    reader = open_index(index_dir)
    live = reader.keyword_index.live_length() / reader.chunk_count
    assert reader.manifest.keyword["average_length"] == live  # drifted: recomputed
    for name in ("records.sqlite", "vectors.faiss", "keyword/postings.values.npy"):
        same = (after / "seg-000001" / name).stat().st_ino == (
            before / "seg-000001" / name
        ).stat().st_ino
        assert same == (not name.startswith("keyword"))  # only the keyword files rewritten
    assert reader.keyword_search(lexical.tokenize_query("亚洲杯"), 1)


def test_a_document_added_and_removed_in_one_write_leaves_nothing(
    index_dir: Path, embedder: FakeEmbedder
) -> None:
    with open_writer(index_dir, embedder, CHUNKING) as writer:
        add(writer, embedder, "passing", paragraphs=["一闪而过。", "不留痕迹。"])
        assert writer.remove_document("passing") == 2
        add(writer, embedder, "staying", paragraphs=["留下来。"])
        reader = writer.commit()
    assert [d.doc_id for d in reader.documents()] == ["econ", "sport", "staying", "weather"]
    assert reader.chunk_count == 8 and reader.segments.segments[1].vectors.ntotal == 1


def test_many_small_updates_stay_few_segments_and_readers_keep_working(
    index_dir: Path, embedder: FakeEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(merge_policy, "SMALLEST_TIER_CHUNKS", 4)
    first = open_index(index_dir)
    for number in range(20):
        write(index_dir, embedder, {f"n{number}": [f"第{number}段。", "第二句。"]})
        if number == 10:
            write(index_dir, embedder, {}, removes=tuple(f"n{k}" for k in range(5)))
    reader = open_index(index_dir)
    assert len(reader.segments.segments) <= 6
    assert reader.document_count == 3 + 15 and reader.chunk_count == 7 + 30
    assert first.chunk_count == 7 and first.document("sport").text  # its files are long gone
    for doc_id in ARTICLES:
        assert reader.document(doc_id).text == first.document(doc_id).text
    hits = reader.keyword_search(lexical.tokenize_query("第19段"), 1)
    assert reader.chunks([hits[0][0]])[0].text == "第19段。"
