"""Joining hard-wrapped lines back into paragraphs (Markdown source, PDF text lines)."""

from __future__ import annotations


def join_wrapped(lines: list[str]) -> str:
    """Join hard-wrapped lines: no space between Chinese characters, one space otherwise.

    Args:
        lines: The stripped lines of one paragraph (at least one).

    Returns:
        The paragraph as one line.
    """
    joined = lines[0]
    for line in lines[1:]:
        if joined and line and (_is_cjk(joined[-1]) or _is_cjk(line[0])):
            joined += line
        else:
            joined += " " + line
    return joined


def _is_cjk(ch: str) -> bool:
    return (
        "\u4e00" <= ch <= "\u9fff"
        or "\u3400" <= ch <= "\u4dbf"
        or "\u3000" <= ch <= "\u303f"
        or "\uff00" <= ch <= "\uffef"
        or ch in "“”‘’…—"
    )
