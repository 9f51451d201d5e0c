"""Where a Qdrant index lives, one process per local-mode folder, and the writer's lease on a
server (exercised on an in-memory client standing in for one)."""

from __future__ import annotations

import fcntl
import time
from pathlib import Path

import pytest
from fakes import FakeEmbedder

from semsearch import settings
from semsearch.errors import IndexStoreError
from semsearch.storage import EngineConfig, open_writer
from semsearch.storage.qdrant import locking
from semsearch.storage.qdrant.connection import Connection, QdrantPlace, resolve_place
from semsearch.storage.qdrant.locking import WriterLock

from .helpers import CHUNKING


def test_a_place_is_a_server_a_folder_or_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(settings.ENV_QDRANT_URL, raising=False)
    assert resolve_place("https://q.example:6333/", tmp_path) == QdrantPlace(
        "https://q.example:6333", is_server=True
    )
    assert resolve_place(str(tmp_path / "q"), tmp_path / "index").location == str(tmp_path / "q")
    assert resolve_place(None, tmp_path / "index") == QdrantPlace(
        str(tmp_path / "index"), is_server=False
    )
    assert resolve_place(":memory:", tmp_path).location == ":memory:"
    monkeypatch.setenv(settings.ENV_QDRANT_URL, "http://cluster:6333")
    assert resolve_place(None, tmp_path).is_server


def test_a_folder_open_in_another_process_is_explained(
    tmp_path: Path, embedder: FakeEmbedder
) -> None:
    folder = tmp_path / "qdrant"
    folder.mkdir()
    # What another process's client holds on the folder (Qdrant locks ``.lock`` with flock,
    # which a second open file description conflicts with, in this process as in another).
    with open(folder / ".lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        engine = EngineConfig("qdrant", qdrant_url=str(folder))
        with pytest.raises(IndexStoreError, match="is open in another process") as caught:
            open_writer(tmp_path / "news", embedder, CHUNKING, engine=engine)
    assert "--qdrant-url" in str(caught.value)
    open_writer(tmp_path / "news", embedder, CHUNKING, engine=engine).close()


@pytest.fixture
def server() -> Connection:
    """A connection that behaves as a server's (leases) but talks to an in-memory Qdrant."""
    from qdrant_client import QdrantClient

    return Connection(QdrantPlace("http://stand-in:6333", is_server=True), QdrantClient(":memory:"))


def test_a_server_lease_keeps_a_second_writer_out(server: Connection) -> None:
    first = WriterLock(server, "news", timeout=0.0)
    first.acquire()
    second = WriterLock(server, "news", timeout=0.3)
    with pytest.raises(IndexStoreError, match=r"Another writer .* \(held by .* pid"):
        second.acquire()
    first.renew()
    first.release()
    second.acquire()
    second.release()


def test_a_lease_left_by_a_dead_writer_runs_out(
    server: Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(locking, "LEASE_SECONDS", 0.2)
    WriterLock(server, "news", timeout=0.0).acquire()  # never released
    with pytest.raises(IndexStoreError, match="Another writer"):
        WriterLock(server, "news", timeout=0.0).acquire()
    time.sleep(0.3)
    taker = WriterLock(server, "news", timeout=0.0)
    taker.acquire()
    taker.release()
