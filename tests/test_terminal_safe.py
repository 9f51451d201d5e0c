"""Tests for semsearch.terminal_safe: what a terminal would act on is shown, not obeyed."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from semsearch.terminal_safe import escape_for_terminal, escape_json_for_terminal


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("\x1b[2J清屏", "\\x1b[2J清屏"),
        ("\x1b]0;title\x07", "\\x1b]0;title\\x07"),
        ("a\rb\x08c\x00", "a\\x0db\\x08c\\x00"),
        ("c1 \x9b31m \x85", "c1 \\x9b31m \\x85"),
        ("报告\u202etxt.exe", "报告\\u202etxt.exe"),
        ("\u2066isolate\u2069 \u200f", "\\u2066isolate\\u2069 \\u200f"),
        ("line\u2028separator", "line\\u2028separator"),
        ("bytes-\udcff\udcfe.txt", "bytes-\\xff\\xfe.txt"),
        ("中文、English, emoji 😀 and tabs\tand\nnewlines", None),
    ],
)
def test_escape_for_terminal(text: str, shown: str | None) -> None:
    if shown is None:
        shown = text.replace("\t", "\\x09").replace("\n", "\\x0a")
    assert escape_for_terminal(text) == shown


def test_newlines_can_be_kept_for_multi_line_text() -> None:
    assert escape_for_terminal("第一段\n第二段\x1b[0m", keep_newlines=True) == (
        "第一段\n第二段\\x1b[0m"
    )


@given(st.text())
def test_the_result_holds_nothing_a_terminal_acts_on(text: str) -> None:
    safe = escape_for_terminal(text)
    assert not any(ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F for ch in safe)
    assert not any(0xD800 <= ord(ch) <= 0xDFFF or ch in "\u202a\u202e\u2066\u2069" for ch in safe)
    safe.encode("utf-8")  # printable on any UTF-8 terminal


@given(st.dictionaries(st.text(), st.text()))
def test_json_stays_the_same_value(payload: dict[str, str]) -> None:
    dumped = escape_json_for_terminal(json.dumps(payload, ensure_ascii=False))
    assert json.loads(dumped) == payload
    assert not any(0x7F <= ord(ch) <= 0x9F or ch == "\u202e" for ch in dumped)
