"""Tests of the terminal rendering of results: the answer sentence, strength and the divider."""

from __future__ import annotations

import pytest
from rich.console import Console

from semsearch.search import Hit, SearchResult
from semsearch.search.confidence import CALIBRATION, MatchFeatures
from semsearch.ui import terminal_results
from semsearch.ui.terminal_results import ANSWER_STYLE, HIGHLIGHT_STYLE, _hit_text


def _hit(rank: int, features: tuple[float, float, float]) -> Hit:
    text = "第一句。国家队赢得冠军！第三句。"
    return Hit(
        rank=rank,
        score=1.0,
        chunk_id=rank,
        doc_id="d",
        title="体育",
        path="a.txt",
        date=None,
        paragraph=0,
        start=0,
        end=len(text),
        text=text,
        highlights=[(7, 9)],
        answer=(4, 12),
        confidence=CALIBRATION.judge(MatchFeatures(*features)),
    )


def test_the_answer_is_underlined_and_the_words_highlighted() -> None:
    rendered = _hit_text("第一句。国家队赢得冠军！第三句。", [(7, 9)], (4, 12))
    assert rendered.plain == "第一句。国家队赢得冠军！第三句。"
    styles = {(span.start, span.end): str(span.style) for span in rendered.spans}
    assert styles[(4, 7)] == ANSWER_STYLE
    assert styles[(7, 9)] == f"{HIGHLIGHT_STYLE} {ANSWER_STYLE}"
    assert (0, 4) not in styles


def test_weak_matches_come_after_a_divider(monkeypatch: pytest.MonkeyPatch) -> None:
    console = Console(record=True, width=100)
    monkeypatch.setattr(terminal_results, "out", console)
    hits = [_hit(1, (0.93, 0.94, 0.08)), _hit(2, (0.84, 0.85, 0.01))]
    terminal_results.print_result(SearchResult("冠军", "hybrid", 2, 1.0, hits))
    shown = console.export_text()
    assert (
        shown.index("strong match") < shown.index("Weak matches below") < shown.index("weak match")
    )
    assert "¶1" in shown


def test_only_weak_matches_say_there_is_no_strong_one(monkeypatch: pytest.MonkeyPatch) -> None:
    console = Console(record=True, width=120)
    monkeypatch.setattr(terminal_results, "out", console)
    terminal_results.print_result(
        SearchResult("量子", "hybrid", 1, 1.0, [_hit(1, (0.8, 0.8, 0.0))])
    )
    assert "No strong match" in console.export_text()
