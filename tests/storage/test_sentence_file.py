"""Tests of the segments' memory-mapped sentence-vector files (``storage/local/sentence_file``).

A search reads the same float16 values from the files as from the records; an index written
before the files opens and answers the same and gets them at its next write; a damaged file is
detected and named.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from fakes import FakeEmbedder

from semsearch.errors import IndexStoreError
from semsearch.storage import open_index, open_writer
from semsearch.storage.local import segment_builder, sentence_file, sentences
from semsearch.storage.local.sentence_file import MATRIX_FILE, ROWS_FILE

from .helpers import ARTICLES, CHUNKING, add, refresh_manifest, segment_dir


def fill(writer: object, embedder: FakeEmbedder) -> None:
    """Give every chunk without sentence vectors some: one per title and text (two rows)."""
    missing = writer.chunks_without_sentence_vectors()  # type: ignore[attr-defined]
    writer.add_sentence_vectors(  # type: ignore[attr-defined]
        {key: embedder.embed_passages([title, text]) for key, title, text in missing}
    )


def build(directory: Path, embedder: FakeEmbedder, doc_ids: list[str]) -> None:
    """Write an index of the given articles with complete sentence vectors."""
    with open_writer(directory, embedder, CHUNKING) as writer:
        for doc_id in doc_ids:
            add(writer, embedder, doc_id)
        fill(writer, embedder)
        writer.commit().close()


def from_records(reader: object, ids: list[int]) -> dict[int, np.ndarray]:
    """The sentence vectors as the records hold them (the read before the files)."""
    found: dict[int, np.ndarray] = {}
    for segment, wanted, _ in reader.segments.split(np.asarray(ids)):  # type: ignore[attr-defined]
        found.update(sentences.read_for_chunks(segment.records, wanted, reader.dimension))  # type: ignore[attr-defined]
    return found


def all_ids(reader: object) -> list[int]:
    return reader.segments.live_ids().tolist()  # type: ignore[attr-defined]


def same(a: dict[int, np.ndarray], b: dict[int, np.ndarray]) -> bool:
    return a.keys() == b.keys() and all(np.array_equal(a[i], b[i]) for i in a)


@pytest.fixture
def built(tmp_path: Path, embedder: FakeEmbedder) -> Path:
    directory = tmp_path / "index"
    build(directory, embedder, list(ARTICLES))
    return directory


def test_a_new_segment_has_the_files_and_reads_what_the_records_hold(built: Path) -> None:
    folder = segment_dir(built)
    assert (folder / MATRIX_FILE).is_file() and (folder / ROWS_FILE).is_file()
    reader = open_index(built)
    try:
        segment = reader.segments.segments[0]
        assert segment.sentence_file is not None
        ids = all_ids(reader)
        read = reader.sentence_vectors(ids)
        assert len(read) == len(ids) and same(read, from_records(reader, ids))
        dimension = reader.dimension
        assert all(m.dtype == np.float32 and m.shape == (2, dimension) for m in read.values())
        some = ids[::2][::-1]  # any order, any subset
        assert same(reader.sentence_vectors(some), from_records(reader, some))
    finally:
        reader.close()


def test_incomplete_sentence_vectors_write_no_files(tmp_path: Path, embedder: FakeEmbedder) -> None:
    directory = tmp_path / "index"
    with open_writer(directory, embedder, CHUNKING) as writer:
        add(writer, embedder, "sport")
        writer.commit().close()
    folder = segment_dir(directory)
    assert not (folder / MATRIX_FILE).exists() and not (folder / ROWS_FILE).exists()
    reader = open_index(directory)
    assert reader.segments.segments[0].sentence_file is None
    reader.close()


def test_an_index_without_the_files_answers_the_same_and_gets_them_at_its_next_write(
    tmp_path: Path, embedder: FakeEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    new, old = tmp_path / "new", tmp_path / "old"
    build(new, embedder, list(ARTICLES))
    with monkeypatch.context() as patched:  # written as before the files existed
        patched.setattr(segment_builder, "write_sentence_file", lambda *args: False)
        build(old, embedder, list(ARTICLES))
    assert not (segment_dir(old) / MATRIX_FILE).exists()
    new_reader, old_reader = open_index(new), open_index(old)
    try:
        assert old_reader.segments.segments[0].sentence_file is None
        ids = all_ids(new_reader)
        assert all_ids(old_reader) == ids
        assert same(old_reader.sentence_vectors(ids), new_reader.sentence_vectors(ids))
    finally:
        new_reader.close()
        old_reader.close()
    kept = segment_dir(old).name
    with open_writer(old, embedder, CHUNKING) as writer:  # a write that keeps the old segment
        add(writer, embedder, "extra", paragraphs=["新的文章。第二句。"])
        fill(writer, embedder)
        reader = writer.commit()
    reader.close()
    reader = open_index(old)
    try:
        names = [s.name for s in reader.segments.segments]
        assert kept in names and len(names) == 2
        assert all(s.sentence_file is not None for s in reader.segments.segments)
        ids = all_ids(reader)
        assert same(reader.sentence_vectors(ids), from_records(reader, ids))
    finally:
        reader.close()


def damaged_message(index_dir: Path) -> str:
    with pytest.raises(IndexStoreError) as raised:
        open_index(index_dir)
    assert "semsearch build --rebuild" in (raised.value.hint or "")
    return raised.value.message


def test_changed_bytes_in_the_matrix_are_detected_and_named(built: Path) -> None:
    path = segment_dir(built) / MATRIX_FILE
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    message = damaged_message(built)
    assert str(path) in message and "damaged" in message


def test_a_truncated_matrix_is_detected_and_named(built: Path) -> None:
    path = segment_dir(built) / MATRIX_FILE
    path.write_bytes(path.read_bytes()[:-10])
    message = damaged_message(built)
    assert str(path) in message and "truncated" in message


def test_a_missing_file_is_named(built: Path) -> None:
    path = segment_dir(built) / ROWS_FILE
    path.unlink()
    refresh_manifest(path.parent.parent)  # as if written without it: the matrix is alone
    message = damaged_message(built)
    assert str(path) in message and "missing" in message


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda table: table[:-1], ROWS_FILE),  # a chunk left out
        (lambda table: table + np.array([0, 0, 1000]), ROWS_FILE),  # rows past the matrix
        (lambda table: table.astype(np.int32), ROWS_FILE),
    ],
)
def test_a_rows_table_that_does_not_fit_is_named(built: Path, change: object, named: str) -> None:
    folder = segment_dir(built)
    table = np.load(folder / ROWS_FILE)
    np.save(folder / ROWS_FILE, change(table))  # type: ignore[operator]
    refresh_manifest(folder.parent)  # checksums recorded: the file's own check must catch it
    message = damaged_message(built)
    assert str(folder / named) in message


def test_a_matrix_of_partial_rows_is_named(built: Path) -> None:
    path = segment_dir(built) / MATRIX_FILE
    path.write_bytes(path.read_bytes() + b"\0")
    refresh_manifest(path.parent.parent)
    message = damaged_message(built)
    assert str(path) in message and "whole rows" in message


def test_rows_are_streamed_in_batches(
    tmp_path: Path, embedder: FakeEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sentence_file, "BATCH_ROWS", 2)  # 7 chunks: full batches, then one
    directory = tmp_path / "index"
    build(directory, embedder, list(ARTICLES))
    reader = open_index(directory)
    try:
        ids = all_ids(reader)
        assert len(reader.sentence_vectors(ids)) == len(ids)
        assert same(reader.sentence_vectors(ids), from_records(reader, ids))
    finally:
        reader.close()


def test_the_latency_bench_measures_a_copy_with_the_files(
    tmp_path: Path, embedder: FakeEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
    import latency

    old = tmp_path / "cached-index"
    with monkeypatch.context() as patched:
        patched.setattr(segment_builder, "write_sentence_file", lambda *args: False)
        build(old, embedder, list(ARTICLES))
    copy = latency.with_sentence_files(old, embedder)
    assert copy != old and not (segment_dir(old) / MATRIX_FILE).exists()  # the cache untouched
    assert latency.with_sentence_files(copy, embedder) == copy  # made once
    assert latency.with_sentence_files(old, embedder) == copy
    before, after = open_index(old), open_index(copy)
    try:
        assert all(s.sentence_file is not None for s in after.segments.segments)
        ids = all_ids(before)
        assert all_ids(after) == ids and after.chunk_count == before.chunk_count
        assert same(after.sentence_vectors(ids), before.sentence_vectors(ids))
    finally:
        before.close()
        after.close()
