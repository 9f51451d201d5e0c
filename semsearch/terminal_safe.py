"""Making untrusted text safe to print on a terminal.

File names, titles, queries and error messages come from files and users. Printed raw, an
escape sequence in them (``\\x1b[2J`` clears the screen, an OSC sequence renames the window),
a carriage return or a bidi override (which shows ``txt.exe`` as ``exe.txt``) lets a file
rewrite what the user sees. :func:`escape_for_terminal` is the one place that neutralizes them:
every front end that prints to a terminal passes untrusted text through it.
"""

from __future__ import annotations

import re

#: Bidirectional controls: embeddings, overrides, isolates and the invisible direction marks.
BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"

#: Characters a terminal acts on instead of showing: C0 controls and DEL, C1 controls (U+0080 to
#: U+009F, which some terminals read as CSI and OSC), the line and paragraph separators,
#: bidi controls, and lone surrogates (the undecodable bytes of a file name, which would also
#: make printing fail).
_UNSAFE = re.compile(f"[\x00-\x1f\x7f-\x9f\u2028\u2029{BIDI_CONTROLS}\ud800-\udfff]")
_UNSAFE_BUT_NEWLINE = re.compile(
    f"[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029{BIDI_CONTROLS}\ud800-\udfff]"
)


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    if 0xDC80 <= code <= 0xDCFF:
        # A byte that is not UTF-8 in a file name (surrogateescape): show the byte itself.
        return f"\\x{code - 0xDC00:02x}"
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}"


def escape_for_terminal(text: str, keep_newlines: bool = False) -> str:
    """Return ``text`` with every character a terminal would act on shown as a visible escape.

    ESC becomes ``\\x1b``, a right-to-left override ``\\u202e``, an undecodable byte of a file
    name ``\\xNN``; everything else, Chinese included, is unchanged.

    Args:
        text: Untrusted text: a file name, a title, a query, an error message, a passage.
        keep_newlines: Keep ``\\n`` as a line break (for multi-line text such as an article);
            otherwise it is escaped too, so that one value stays on one line.

    Returns:
        The text, safe to print.
    """
    pattern = _UNSAFE_BUT_NEWLINE if keep_newlines else _UNSAFE
    return pattern.sub(_visible, text)


#: Characters JSON may carry raw that a terminal would still act on (json.dumps escapes C0).
_UNSAFE_IN_JSON = re.compile(f"[\x7f-\x9f\u2028\u2029{BIDI_CONTROLS}\ud800-\udfff]")


def escape_json_for_terminal(dumped: str) -> str:
    """Escape what a terminal acts on in JSON made by ``json.dumps(..., ensure_ascii=False)``.

    The result is the same JSON value: these characters only occur inside strings, where
    ``\\uXXXX`` means the same character.

    Args:
        dumped: The JSON text.

    Returns:
        The JSON text with DEL, C1 controls, separators, bidi controls and lone surrogates
        written as ``\\uXXXX``.
    """
    return _UNSAFE_IN_JSON.sub(lambda match: f"\\u{ord(match.group()):04x}", dumped)
