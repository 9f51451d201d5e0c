"""Traditional ↔ simplified Chinese conversion (OpenCC), shared by every stage that needs it.

Traditional and simplified Chinese must meet: the keyword index and the embedder both see the
simplified form of every text (see docs/retrieval.md), and document reading uses the two
directions to tell which script an article is written in.
"""

from __future__ import annotations

from functools import cache
from typing import Any

#: OpenCC configurations: traditional → simplified and simplified → traditional.
T2S = "t2s"
S2T = "s2t"


@cache
def converter(config: str) -> Any:
    """Return the OpenCC converter for ``config`` (``t2s`` or ``s2t``), made once per process.

    Args:
        config: An OpenCC configuration name.
    """
    import opencc

    return opencc.OpenCC(config)


def to_simplified(text: str) -> str:
    """Convert traditional characters to simplified (OpenCC ``t2s``, phrase rules included).

    Args:
        text: Any text; characters that are not traditional Chinese pass through unchanged.

    Returns:
        The simplified text (phrase rules may change its length, rarely).
    """
    return converter(T2S).convert(text) if text else text


def to_traditional(text: str) -> str:
    """Convert simplified characters to traditional (OpenCC ``s2t``).

    Args:
        text: Any text; characters that are not simplified Chinese pass through unchanged.
    """
    return converter(S2T).convert(text) if text else text
