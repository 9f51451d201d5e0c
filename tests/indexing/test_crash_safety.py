"""Crash safety: a killed update leaves the previous index working, the next one cleans up.

The fast test kills an update with the FakeEmbedder; the one marked slow kills a real
``semsearch update`` (real model) in the middle of embedding.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from fakes import FakeEmbedder

from semsearch import indexing, lexical, settings
from semsearch.chunking import ChunkingConfig
from semsearch.embed import SentenceTransformerEmbedder
from semsearch.storage import open_index

from .helpers import SEEDS, TESTS, build

_SLOW_UPDATE = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    sys.path.insert(0, {tests!r})
    from fakes import FakeEmbedder
    from semsearch import indexing, lexical, settings

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
    assert reader.keyword_search(lexical.tokenize_query(chunk.text[:8]), 5)


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
    assert reader.keyword_search(lexical.tokenize_query("图书馆"), 1)[0][0] == best.chunk_id

    # A normal update afterwards succeeds: the lock was released, the stale generation goes.
    first.unlink()
    for seed in SEEDS[1:3]:
        (corpus / seed.name).unlink()
    (corpus / "second.txt").write_text("体育新闻\n\n国家队昨晚赢得了比赛。\n", encoding="utf-8")
    report = indexing.update(None, Path("index"), embedder)
    assert (report.added, report.unchanged, report.chunks_embedded) == (1, 1, 1)
    assert not any(".tmp-" in p.name for p in Path("index").iterdir())
    assert open_index(Path("index")).generation == "gen-000002"
