"""Tests of the page's progress bar: drawn from the first stage on, throttled, filled at the end."""

from __future__ import annotations

from typing import Any

from semsearch.indexing.report import skipped_note
from semsearch.progress import Note
from semsearch.ui.feedback import StreamlitReporter
from semsearch.ui.i18n import Texts


class FakeBar:
    """Records what a Streamlit progress bar is asked to show."""

    def __init__(self) -> None:
        self.shown: list[tuple[float, str]] = []

    def progress(self, value: float, text: str = "") -> None:
        self.shown.append((value, text))


class FakeContainer:
    """A Streamlit container that makes :class:`FakeBar` bars."""

    def __init__(self) -> None:
        self.bars: list[FakeBar] = []

    def progress(self, value: float, text: str = "") -> Any:
        bar = FakeBar()
        bar.progress(value, text)
        self.bars.append(bar)
        return bar


def test_the_bar_appears_with_the_first_stage_and_is_filled_at_the_end() -> None:
    container = FakeContainer()
    reporter = StreamlitReporter(container, min_interval=3600)
    reporter.note(Note("note.test", "skipped x.jpg"))
    assert container.bars == []  # nothing to draw before the first stage (a model may load)
    reporter.start("embed", 4)
    reporter.advance("embed", 2)  # throttled: drawn only when forced
    reporter.advance("other")  # an unknown stage is ignored
    reporter.finish()
    assert len(container.bars) == 1
    assert container.bars[0].shown == [(0.0, "Starting…"), (0.0, "embed: 0 / 4"), (1.0, "Done.")]
    assert reporter.messages == ["skipped x.jpg"]


def test_an_empty_stage_counts_as_done() -> None:
    container = FakeContainer()
    reporter = StreamlitReporter(container, min_interval=0)
    reporter.start("read", 0)
    assert container.bars[0].shown[-1] == (1.0, "read: 0 / 0")


def test_notes_are_kept_in_the_pages_language() -> None:
    reporter = StreamlitReporter(FakeContainer(), tr=Texts("zh-Hant"))
    reporter.note(skipped_note("corpus/a.txt", "empty file"))
    reporter.note(Note("note.retokenize", "The keyword tokenizer changed."))
    assert reporter.messages == [
        "已跳過 corpus/a.txt：空文件",
        "關鍵詞分詞方式已改變：正在重新切分已存的文本塊。",
    ]
