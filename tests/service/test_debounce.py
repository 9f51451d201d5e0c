"""The rules of watching without sleeping: a fake clock, fake file stamps, no files written."""

from __future__ import annotations

from pathlib import Path

import pytest

from semsearch.service.debounce import Debouncer, EventFilter, FileStamp, is_temporary_name

QUIET = 1.5


class FakeClock:
    """Monotonic seconds that move only when told."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class FakeFiles:
    """File stamps set by the test: a file grows when its size is set again."""

    def __init__(self) -> None:
        self.stamps: dict[Path, FileStamp] = {}

    def write(self, path: str, size: int, mtime_ns: int) -> None:
        self.stamps[Path(path)] = (size, mtime_ns)

    def remove(self, path: str) -> None:
        self.stamps.pop(Path(path), None)

    def __call__(self, path: Path) -> FileStamp:
        return self.stamps.get(path)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def files() -> FakeFiles:
    return FakeFiles()


@pytest.fixture
def debouncer(clock: FakeClock, files: FakeFiles) -> Debouncer:
    return Debouncer(QUIET, clock=clock, stat=files)


def test_nothing_pending_hands_over_nothing(debouncer: Debouncer, clock: FakeClock) -> None:
    clock.advance(10)
    assert debouncer.take() is None
    assert not debouncer.pending
    assert debouncer.seconds_to_wait() == QUIET


def test_a_burst_is_handed_over_once_the_folders_are_quiet(
    debouncer: Debouncer, clock: FakeClock, files: FakeFiles
) -> None:
    files.write("a.txt", 10, 1)
    debouncer.note("a.txt")
    clock.advance(1.0)
    files.write("b.txt", 20, 2)
    debouncer.note("b.txt")  # the window starts again
    clock.advance(1.0)
    assert debouncer.take() is None
    assert debouncer.seconds_to_wait() == pytest.approx(0.5)
    clock.advance(0.5)
    assert debouncer.take() == [Path("a.txt"), Path("b.txt")]
    assert debouncer.take() is None
    assert not debouncer.pending


def test_the_same_file_noted_twice_is_handed_over_once(
    debouncer: Debouncer, clock: FakeClock, files: FakeFiles
) -> None:
    files.write("a.txt", 10, 1)
    debouncer.note("a.txt")
    debouncer.note("a.txt")
    clock.advance(QUIET)
    assert debouncer.take() == [Path("a.txt")]


def test_a_file_still_growing_waits_until_it_is_complete(
    debouncer: Debouncer, clock: FakeClock, files: FakeFiles
) -> None:
    files.write("slow.txt", 100, 1)
    debouncer.note("slow.txt")
    clock.advance(QUIET)
    files.write("slow.txt", 200, 2)  # written on without an event (a polled or missed one)
    assert debouncer.take() is None  # half-written: left for a later round
    clock.advance(QUIET - 0.1)
    assert debouncer.take() is None  # a whole quiet window must pass unchanged
    clock.advance(0.1)
    assert debouncer.take() == [Path("slow.txt")]


def test_a_changed_mtime_alone_counts_as_still_written(
    debouncer: Debouncer, clock: FakeClock, files: FakeFiles
) -> None:
    files.write("a.txt", 100, 1)
    debouncer.note("a.txt")
    clock.advance(QUIET)
    files.write("a.txt", 100, 2)
    assert debouncer.take() is None
    clock.advance(QUIET)
    assert debouncer.take() == [Path("a.txt")]


def test_a_vanished_file_is_complete(
    debouncer: Debouncer, clock: FakeClock, files: FakeFiles
) -> None:
    files.write("gone.txt", 10, 1)
    debouncer.note("gone.txt")
    files.remove("gone.txt")
    debouncer.note("gone.txt")
    clock.advance(QUIET)
    assert debouncer.take() == [Path("gone.txt")]


def test_a_requeued_batch_waits_another_quiet_window(
    debouncer: Debouncer, clock: FakeClock, files: FakeFiles
) -> None:
    files.write("a.txt", 10, 1)
    debouncer.note("a.txt")
    clock.advance(QUIET)
    batch = debouncer.take()
    assert batch == [Path("a.txt")]
    debouncer.requeue(batch)  # the index was locked
    assert debouncer.take() is None
    clock.advance(QUIET)
    assert debouncer.take() == [Path("a.txt")]


@pytest.mark.parametrize(
    "name",
    [".hidden.txt", ".~lock.report.odt#", "~$report.docx", "a.txt.part", "a.TMP", "a.txt~", ".git"],
)
def test_temporary_and_hidden_names(name: str) -> None:
    assert is_temporary_name(name)


@pytest.mark.parametrize("name", ["news.txt", "报道.docx", "a~b.md", "part.html"])
def test_ordinary_names(name: str) -> None:
    assert not is_temporary_name(name)


@pytest.fixture
def event_filter(tmp_path: Path) -> EventFilter:
    corpus = tmp_path / "corpus"
    return EventFilter([corpus], corpus / "index", {".txt", ".docx"})


def test_filter_keeps_articles_and_folders_in_the_corpus(
    event_filter: EventFilter, tmp_path: Path
) -> None:
    corpus = tmp_path / "corpus"
    assert event_filter.concerns(corpus / "news.txt", is_directory=False)
    assert event_filter.concerns(corpus / "2024" / "报道.DOCX", is_directory=False)
    assert event_filter.concerns(corpus / "2024", is_directory=True)


def test_filter_drops_the_index_temporary_files_other_types_and_outsiders(
    event_filter: EventFilter, tmp_path: Path
) -> None:
    corpus = tmp_path / "corpus"
    assert not event_filter.concerns(corpus / "index" / "gen-000002" / "x.txt", False)
    assert not event_filter.concerns(corpus / "index", True)
    assert not event_filter.concerns(corpus / "~$报道.docx", False)
    assert not event_filter.concerns(corpus / "news.txt.part", False)
    assert not event_filter.concerns(corpus / ".git" / "news.txt", False)
    assert not event_filter.concerns(corpus / "notes.odt", False)
    assert not event_filter.concerns(tmp_path / "elsewhere.txt", False)
