"""The watcher with real files, real file events and a real index, but a fake model (fast).

The real model and the command line are tested in ``tests/test_cli_watch.py``.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from watchdog.observers.polling import PollingObserver

from semsearch.errors import SemsearchError
from semsearch.indexing import IndexReport
from semsearch.progress import Note
from semsearch.service import Service
from semsearch.service.watching import Watcher
from semsearch.storage.local.generations import IndexFolder

QUIET = 0.3
DEADLINE = 30.0  # against hangs, not a measure of speed

ARTICLE = "量子计算研究院揭牌成立\n\n研究院将聚焦超导量子芯片和量子纠错两个方向。\n"


class RecordingListener:
    """Keeps what the watcher says."""

    def __init__(self) -> None:
        self.roots: list[Path] = []
        self.reports: list[IndexReport] = []
        self.notices: list[str] = []
        self.errors: list[SemsearchError] = []

    def started(self, roots: list[Path]) -> None:
        self.roots = roots

    def round_done(self, report: IndexReport) -> None:
        self.reports.append(report)

    def notice(self, note: Note) -> None:
        self.notices.append(note.text)

    def failed(self, error: SemsearchError) -> None:
        self.errors.append(error)


def wait_until(condition: Callable[[], bool], what: str) -> None:
    """Poll ``condition`` until it holds; fail after :data:`DEADLINE` seconds."""
    deadline = time.monotonic() + DEADLINE
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting until {what}")
        time.sleep(0.05)


def paths_found(service: Service, query: str) -> set[str]:
    """The names of the files whose passages a keyword search finds holding ``query`` as is."""
    result = service.open_live(need_embedder=False).search(query, k=20, mode="keyword")
    return {Path(hit.path).name for hit in result.hits if query in hit.text}


class Running:
    """A watcher running in a thread, stopped at the end of the test."""

    def __init__(self, watcher: Watcher, listener: RecordingListener) -> None:
        self.watcher = watcher
        self.listener = listener
        self.stop = threading.Event()
        self.failure: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            self.watcher.run(self.stop)
        except BaseException as error:
            self.failure = error

    def start(self) -> Running:
        self.thread.start()
        wait_until(lambda: bool(self.listener.roots) or self.failure is not None, "it watches")
        assert self.failure is None
        return self

    def finish(self) -> None:
        self.stop.set()
        self.thread.join(DEADLINE)
        assert not self.thread.is_alive()
        assert self.failure is None


@pytest.fixture
def start(service: Service) -> Iterator[Callable[..., Running]]:
    started: list[Running] = []

    def start_watcher(quiet: float = QUIET, **options: object) -> Running:
        listener = RecordingListener()
        running = Running(service.watcher(None, listener, quiet, **options), listener)
        started.append(running.start())
        return running

    yield start_watcher
    for running in started:
        running.finish()


def test_first_round_builds_then_drop_edit_delete_follow(
    service: Service, corpus: Path, start: Callable[..., Running]
) -> None:
    running = start()
    listener = running.listener
    assert listener.reports[0].added == 3
    assert listener.roots == [corpus.resolve()]

    article = corpus / "quantum.txt"
    article.write_text(ARTICLE, encoding="utf-8")
    wait_until(lambda: "quantum.txt" in paths_found(service, "量子纠错"), "the new file is found")

    article.write_text(ARTICLE.replace("量子纠错", "拓扑材料"), encoding="utf-8")
    wait_until(lambda: "quantum.txt" in paths_found(service, "拓扑材料"), "the edit is found")
    assert "quantum.txt" not in paths_found(service, "量子纠错")

    article.unlink()
    wait_until(lambda: "quantum.txt" not in paths_found(service, "拓扑材料"), "it is gone")
    wait_until(lambda: len(listener.reports) == 4, "the listener heard of every round")
    done = [(r.added, r.changed, r.removed) for r in listener.reports[1:]]
    assert (1, 0, 0) in done and (0, 1, 0) in done and (0, 0, 1) in done
    assert not listener.errors


def test_the_model_is_loaded_once(
    service: Service, corpus: Path, start: Callable[..., Running], loader: object
) -> None:
    running = start()
    (corpus / "one.txt").write_text(ARTICLE, encoding="utf-8")
    wait_until(lambda: len(running.listener.reports) == 2, "the second round ran")
    assert loader.names == ["fake-default"]  # type: ignore[attr-defined]


def test_temporary_hidden_and_index_files_start_no_round(
    tmp_path: Path, corpus: Path, loader: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = Service(corpus / "index", corpus, embedder_loader=loader)  # index inside corpus
    listener = RecordingListener()
    running = Running(service.watcher(None, listener, QUIET), listener).start()
    try:
        for name in ("~$draft.docx", "draft.txt.part", ".hidden.txt", "notes.odt"):
            (corpus / name).write_bytes(b"x")
        time.sleep(QUIET * 4)
        assert len(listener.reports) == 1  # only the first round; the index wrote too
        (corpus / "draft.txt.part").rename(corpus / "draft.txt")  # a finished download
        wait_until(lambda: len(listener.reports) == 2, "the renamed file started a round")
        (corpus / "draft.txt").write_text(ARTICLE, encoding="utf-8")
        wait_until(lambda: len(listener.reports) == 3, "the edit started a round")
        assert listener.reports[2].changed == 1
        # Every update skips notes.odt again; the watcher says so once.
        assert sum("notes.odt" in notice for notice in listener.notices) == 1
    finally:
        running.finish()


def test_a_locked_index_is_waited_for_and_said_once(
    service: Service, corpus: Path, start: Callable[..., Running]
) -> None:
    running = start()
    listener = running.listener
    other_writer = IndexFolder(service.index_dir)
    other_writer.lock()
    try:
        (corpus / "quantum.txt").write_text(ARTICLE, encoding="utf-8")
        wait_until(lambda: len(listener.notices) >= 1, "the lock is noticed")
        time.sleep(3 * QUIET)
    finally:
        other_writer.unlock()
    wait_until(lambda: len(listener.reports) == 2, "the update ran after the lock was freed")
    assert listener.reports[1].added == 1
    assert [n for n in listener.notices if "Another semsearch" in n] == listener.notices[:1]


def test_polling_replaces_file_events_that_fail(
    service: Service, corpus: Path, start: Callable[..., Running]
) -> None:
    def no_inotify() -> PollingObserver:
        raise OSError(28, "inotify watch limit reached")

    running = start(observer_factory=no_inotify)
    assert any("looking at the folders" in n for n in running.listener.notices)
    shutil.copy(next(corpus.glob("*.txt")), corpus / "copy.txt")
    wait_until(lambda: len(running.listener.reports) == 2, "the polled change was indexed")


def test_a_failing_round_is_reported_and_watching_goes_on(
    service: Service, corpus: Path, start: Callable[..., Running], monkeypatch: pytest.MonkeyPatch
) -> None:
    running = start(observer_factory=lambda: PollingObserver(timeout=0.2))
    real_index_files = Service.index_files
    calls = []

    def failing_once(self: Service, *args: object, **kwargs: object) -> IndexReport:
        calls.append(1)
        if len(calls) == 1:
            raise SemsearchError("disk full", "free some space")
        return real_index_files(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Service, "index_files", failing_once)
    (corpus / "a.txt").write_text(ARTICLE, encoding="utf-8")
    wait_until(lambda: bool(running.listener.errors), "the failure is reported")
    (corpus / "b.txt").write_text(ARTICLE + "二", encoding="utf-8")
    wait_until(lambda: len(running.listener.reports) == 2, "the next change is indexed")
    assert running.listener.reports[1].added == 2


def test_the_first_round_failing_ends_watching(service: Service, corpus: Path) -> None:
    watcher = service.watcher([corpus / "missing"], RecordingListener(), QUIET)
    with pytest.raises(SemsearchError, match="No such file"):
        watcher.run(threading.Event())


def test_a_file_written_slowly_is_indexed_once_complete(
    service: Service, corpus: Path, start: Callable[..., Running]
) -> None:
    quiet = 1.0  # long beside the writer's pauses, so that a busy machine cannot stretch them
    running = start(quiet)
    pieces = [ARTICLE, "第二段：研究院计划建成原型机。\n", "第三段：首任院长发表讲话。\n"]
    with (corpus / "slow.txt").open("w", encoding="utf-8") as handle:
        for piece in pieces:
            handle.write(piece)
            handle.flush()
            time.sleep(quiet / 5)  # pauses shorter than the quiet window: still being written
    wait_until(lambda: "slow.txt" in paths_found(service, "首任院长"), "the whole file is found")
    time.sleep(quiet * 2)
    rounds = [(r.added, r.changed) for r in running.listener.reports[1:]]
    assert rounds == [(1, 0)]  # indexed once, whole: never half-way and then changed


def test_in_background_a_failing_first_round_is_logged(
    service: Service, corpus: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from semsearch.service.watching import LoggingListener, watch_in_background

    watcher = service.watcher([corpus / "missing"], LoggingListener(), QUIET)
    with caplog.at_level("WARNING", logger="semsearch.service.watching"):
        thread = watch_in_background(watcher)
        thread.join(DEADLINE)
    assert not thread.is_alive()
    assert "Watching the corpus stopped: No such file" in caplog.text
