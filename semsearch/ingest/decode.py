"""Bytes to text: byte-order marks, UTF-8/16, GB18030 against Big5, charset-normalizer last.

Short Chinese texts fool statistical detectors, so the legacy Chinese encodings are chosen by
how common the decoded characters are (docs/cleaning.md, "Encodings"). A UTF-8 text with a few
stray bytes is read with those bytes replaced, and says so, rather than lost.
"""

from __future__ import annotations

import math
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from semsearch.ingest.document import UnreadableFileError
from semsearch.text import to_simplified

_BOMS: tuple[tuple[bytes, str], ...] = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)
#: The legacy Chinese encodings tried, in this order; GB18030 is a superset of GBK and GB2312,
#: Big5-HKSCS of Big5.
_CHINESE_ENCODINGS = ("gb18030", "big5hkscs")
#: Below this mean log frequency (see _chinese_plausibility) decoded "Chinese" is mojibake; real
#: news text scores about -7 and a GB18030 reading of Japanese Shift-JIS about -16.
_GIBBERISH_SCORE = -12.0
_COMMON_PUNCTUATION = frozenset("，。、；：？！“”‘’《》（）【】—…·「」『』〈〉")
#: Other encodings charset-normalizer may pick when no Chinese one fits (Western, Japanese, Korean).
_OTHER_ENCODINGS = ["cp1252", "shift_jis", "euc_jp", "euc_kr", "cp949"]
#: A text that is not valid UTF-8 is still read as UTF-8 (invalid bytes replaced by U+FFFD) when
#: its valid multi-byte characters outnumber the invalid bytes by this much: one stray byte in an
#: article, not a legacy Chinese text (the seeds in GB18030 or Big5 give 0.15–0.3 valid UTF-8
#: characters per invalid byte) nor a Western text with a few Latin-1 accents.
_VALID_PER_INVALID_UTF8 = 100
_REPLACEMENT_BYTES = "\ufffd".encode()


class UndecodableError(ValueError):
    """Raised by :func:`decode_text` with a short reason (binary file, undecodable bytes)."""


@dataclass(frozen=True)
class DecodedText:
    """A decoded text file.

    Attributes:
        text: The text.
        encoding: The encoding it was read with.
        replaced: How many invalid bytes were replaced by U+FFFD (UTF-8 with stray bytes).
    """

    text: str
    encoding: str
    replaced: int = 0

    @property
    def notes(self) -> list[str]:
        """What the reader should be told: the replaced bytes, if any."""
        if not self.replaced:
            return []
        bytes_ = "byte" if self.replaced == 1 else "bytes"
        return [f"{self.replaced} invalid UTF-8 {bytes_} replaced by U+FFFD"]


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode the bytes of a text file, detecting the encoding (see :func:`decode_bytes`).

    Args:
        data: The file's bytes.

    Returns:
        The text and the name of the encoding used.

    Raises:
        UndecodableError: for binary content or bytes no supported encoding can read.
    """
    decoded = decode_bytes(data)
    return decoded.text, decoded.encoding


def decode_bytes(data: bytes) -> DecodedText:
    """Decode the bytes of a text file, detecting the encoding.

    Order: a byte-order mark (UTF-8/16/32); strict UTF-8; UTF-16 without BOM when NUL bytes
    fit that pattern; UTF-8 with a few invalid bytes replaced; GB18030 or Big5, choosing by how
    common the resulting characters are (short Chinese texts fool statistical detectors); last,
    charset-normalizer's best guess if the result reads as text.

    Args:
        data: The file's bytes.

    Returns:
        The text, the encoding used, and how many invalid bytes were replaced.

    Raises:
        UndecodableError: for binary content or bytes no supported encoding can read.
    """
    marked = _decode_by_byte_order_mark(data)
    if marked is not None:
        return marked
    try:
        return DecodedText(_checked(data.decode("utf-8")), "utf-8")
    except UnicodeDecodeError:
        pass
    if b"\x00" in data:
        return DecodedText(*_decode_utf16_without_mark(data))
    nearly = _nearly_utf8(data)
    if nearly is not None:
        return nearly
    return DecodedText(*_decode_legacy(data))


def _decode_legacy(data: bytes) -> tuple[str, str]:
    """GB18030 or Big5 by plausibility, else charset-normalizer's guess."""
    candidates: dict[str, str] = {}
    for encoding in _CHINESE_ENCODINGS:
        try:
            candidates[encoding] = data.decode(encoding)
        except UnicodeDecodeError:
            continue
    if candidates:
        scores = {enc: _chinese_plausibility(text) for enc, text in candidates.items()}
        best = max(scores, key=lambda enc: scores[enc])
        if scores[best] >= _GIBBERISH_SCORE:
            return _checked(candidates[best]), best
        # Rare characters only: Japanese or Korean bytes read as GB18030, say.
        guess = _charset_normalizer_guess(data)
        return guess or (_checked(candidates[best]), best)
    guess = _charset_normalizer_guess(data)
    if guess is not None:
        return guess
    raise UndecodableError("undecodable bytes (not UTF-8, UTF-16, GB18030 or Big5 text)")


def decode_or_raise(path: Path, data: bytes) -> DecodedText:
    """Decode a file's bytes, turning a failure into the file's one-line reason.

    Args:
        path: The file (named in the error).
        data: Its bytes.

    Returns:
        The decoded text (its ``notes`` say if bytes were replaced).

    Raises:
        UnreadableFileError: with the reason from :func:`decode_bytes`.
    """
    try:
        return decode_bytes(data)
    except UndecodableError as error:
        raise UnreadableFileError(path, str(error), "save it as UTF-8 text") from None


def _nearly_utf8(data: bytes) -> DecodedText | None:
    """UTF-8 with its few invalid bytes replaced, or None when the bytes are not nearly UTF-8."""
    text = data.decode("utf-8", "replace")
    replaced = text.count("\ufffd") - data.count(_REPLACEMENT_BYTES)
    multibyte = sum(1 for ch in text if ord(ch) > 0x7F) - replaced
    if replaced <= 0 or multibyte < _VALID_PER_INVALID_UTF8 * replaced:
        return None
    return DecodedText(_checked(text), "utf-8", replaced)


def _decode_by_byte_order_mark(data: bytes) -> DecodedText | None:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return DecodedText(_checked(data.decode(encoding)), encoding)
            except UnicodeDecodeError:
                nearly = _nearly_utf8(data[len(bom) :]) if encoding == "utf-8-sig" else None
                if nearly is not None:
                    return DecodedText(nearly.text, encoding, nearly.replaced)
                raise UndecodableError(
                    f"undecodable bytes (starts with a {encoding} byte-order mark but is not "
                    f"valid {encoding})"
                ) from None
    return None


def _decode_utf16_without_mark(data: bytes) -> tuple[str, str]:
    for encoding in ("utf-16-le", "utf-16-be"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _looks_like_text(text):
            return text, encoding
    raise UndecodableError("binary file (contains NUL bytes), not text")


def _checked(text: str) -> str:
    if not _looks_like_text(text):
        raise UndecodableError("binary file (control characters), not text")
    return text


def _looks_like_text(text: str) -> bool:
    if not text or "\x00" in text:
        return False
    sample = text[:20000]
    bad = sum(
        1
        for ch in sample
        if (unicodedata.category(ch) in {"Cc", "Cs", "Co", "Cn"} and ch not in "\t\n\r\f\v")
    )
    return bad <= max(2, len(sample) // 100)


@cache
def _han_log_frequencies() -> tuple[dict[str, float], float]:
    """Log frequencies of Chinese characters, from jieba's word list (ships with jieba)."""
    import jieba

    counts: Counter[str] = Counter()
    dictionary = Path(jieba.__file__).with_name("dict.txt")
    with dictionary.open(encoding="utf-8") as handle:
        for line in handle:
            parts = line.split(" ", 2)
            if len(parts) >= 2 and parts[1].isdigit():
                frequency = int(parts[1])
                for ch in parts[0]:
                    counts[ch] += frequency
    total = float(sum(counts.values()))
    floor = math.log(1.0 / total)
    return {ch: math.log(n / total) for ch, n in counts.items()}, floor


def _chinese_plausibility(text: str) -> float:
    """Mean log frequency of the non-ASCII characters: real Chinese scores far above mojibake."""
    log_freq, floor = _han_log_frequencies()
    simplified = to_simplified(text[:4000])
    scores: list[float] = []
    for ch in simplified:
        if ch.isascii():
            continue
        if ch in _COMMON_PUNCTUATION:
            scores.append(-5.0)
        elif "\u4e00" <= ch <= "\u9fff":
            scores.append(log_freq.get(ch, floor))
        else:
            # Kana, private-use, box drawing and the like: what a wrong codec produces.
            scores.append(floor - 5.0)
    return sum(scores) / len(scores) if scores else 0.0


def _charset_normalizer_guess(data: bytes) -> tuple[str, str] | None:
    from charset_normalizer import from_bytes

    best = from_bytes(data, cp_isolation=_OTHER_ENCODINGS).best()
    if best is None or best.encoding is None:
        return None
    text = str(best)
    letters = sum(1 for ch in text if ch.isalpha() or ch.isspace() or ch in ".,;:!?'\"()-")
    if best.chaos > 0.2 or letters < 0.9 * len(text) or not _looks_like_text(text):
        return None
    return text, best.encoding
