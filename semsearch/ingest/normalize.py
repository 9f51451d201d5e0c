"""Evening out the Unicode of extracted text, and telling which Chinese script it is written in."""

from __future__ import annotations

import re
import unicodedata

from semsearch.text import to_simplified, to_traditional

#: Full-width forms kept as they are: they are the ordinary Chinese punctuation marks.
KEPT_FULL_WIDTH = frozenset("！（），：；？～")
_ODD_SPACES = "\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
_ODD_SPACES += "\u202f\u205f\u3000\t\f\v"
_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff\u00ad"


def _build_translation() -> dict[int, str | None]:
    table: dict[int, str | None] = {}
    for code in range(0xFF01, 0xFF5F):
        if chr(code) not in KEPT_FULL_WIDTH:
            table[code] = chr(code - 0xFEE0)
    for ch in _ODD_SPACES:
        table[ord(ch)] = " "
    for ch in _ZERO_WIDTH:
        table[ord(ch)] = None
    for code in list(range(0x00, 0x20)) + list(range(0x7F, 0xA0)):
        if chr(code) != "\n":
            table.setdefault(code, None)
    table[ord("\t")] = " "
    return table


_TRANSLATION = _build_translation()
_SPACE_RUN = re.compile(r" {2,}")


def normalize_text(text: str) -> str:
    """Even out the Unicode of extracted text without touching Chinese punctuation.

    - line ends become ``"\\n"``; Unicode NFC (composes accents, maps CJK compatibility
      ideographs to the unified ones);
    - full-width ASCII letters, digits and symbols (U+FF01–FF5E) become ASCII, except the
      full-width marks that are ordinary Chinese punctuation: ``！（），：；？～``;
      ``。、“”《》【】`` and the like are outside that block and are never changed;
    - odd spaces (ideographic space U+3000, no-break space, tabs, thin spaces) become a space,
      zero-width characters and control characters are removed;
    - runs of spaces shrink to one; lines are stripped.

    NFKC is not used: it would turn ``，`` into ``,`` and ``：`` into ``:``.

    Args:
        text: Raw extracted text.

    Returns:
        The normalized text (same number of lines).
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n")
    text = unicodedata.normalize("NFC", text).translate(_TRANSLATION)
    return "\n".join(_SPACE_RUN.sub(" ", line).strip() for line in text.split("\n"))


def detect_script(text: str) -> str:
    """Tell whether Chinese text is written in simplified or traditional characters.

    Counts the characters that OpenCC's t2s changes (traditional-only) against those its s2t
    changes (simplified-only).

    Args:
        text: Any text.

    Returns:
        ``"traditional"``, ``"simplified"``, or ``"unknown"`` when there is no telling sign.
    """
    sample = text[:20000]
    if not any("\u4e00" <= ch <= "\u9fff" for ch in sample):
        return "unknown"
    as_simplified = to_simplified(sample)
    as_traditional = to_traditional(sample)
    traditional = sum(1 for a, b in zip(sample, as_simplified, strict=False) if a != b)
    simplified = sum(1 for a, b in zip(sample, as_traditional, strict=False) if a != b)
    if traditional > simplified:
        return "traditional"
    if simplified > traditional:
        return "simplified"
    return "simplified" if simplified else "unknown"
