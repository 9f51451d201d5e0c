"""The checks of a manifest's keys: one predicate per key and the form it expects.

:meth:`~semsearch.storage.manifest.Manifest.from_dict` runs :data:`KEY_CHECKS`, so a damaged
manifest (``"dimension": "abc"``, ``"chunk_count": null``) is reported with the key and the
form it should have, instead of failing later.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def is_int(value: Any) -> bool:
    """Whether ``value`` is an integer (JSON's true and false are not)."""
    return isinstance(value, int) and not isinstance(value, bool)


def _positive(value: Any) -> bool:
    return is_int(value) and value > 0


def _count(value: Any) -> bool:
    return is_int(value) and value >= 0


def _text(value: Any) -> bool:
    return isinstance(value, str)


def _mapping(value: Any) -> bool:
    return isinstance(value, dict)


def _texts(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _sizes(value: Any) -> bool:
    return isinstance(value, dict) and all(_count(size) for size in value.values())


def _or_null(check: Callable[[Any], bool]) -> Callable[[Any], bool]:
    return lambda value: value is None or check(value)


def _number(value: Any, low: float, high: float = float("inf")) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and low <= value <= high


def _keyword(value: Any) -> bool:
    """The keyword entry: its tokenizer and, from format 2, BM25's k1, b and avgdl."""
    if not isinstance(value, dict):
        return False
    checks = {
        "tokenizer": _text,
        "k1": lambda v: _number(v, 0.0),
        "b": lambda v: _number(v, 0.0, 1.0),
        "average_length": lambda v: _number(v, 0.0),
    }
    return all(check(value[key]) for key, check in checks.items() if key in value)


def _segment(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and _text(value.get("name"))
        and _count(value.get("chunks"))
        and _count(value.get("deleted"))
        and value["deleted"] <= value["chunks"]
    )


def _segments(value: Any) -> bool:
    return isinstance(value, list) and all(_segment(item) for item in value)


def _checksums(value: Any) -> bool:
    return isinstance(value, dict) and all(
        is_int(crc) and 0 <= crc < 2**32 for crc in value.values()
    )


#: The check and the expected form of each known key (a missing optional key means null).
KEY_CHECKS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "model_id": (_text, "a string"),
    "model_fingerprint": (_text, "a string"),
    "dimension": (_positive, "a positive integer"),
    "chunking": (_mapping, "an object"),
    "document_count": (_count, "a count (an integer of 0 or more)"),
    "chunk_count": (_count, "a count (an integer of 0 or more)"),
    "generation": (_text, "a string"),
    "next_chunk_id": (_positive, "a positive integer"),
    "keyword": (
        _or_null(_keyword),
        "null or an object of a tokenizer string, k1 ≥ 0, 0 ≤ b ≤ 1 and average_length ≥ 0",
    ),
    "sentence_vectors": (_or_null(_mapping), "an object or null"),
    "created_at": (_or_null(_text), "a string or null"),
    "updated_at": (_or_null(_text), "a string or null"),
    "corpus_roots": (_or_null(_texts), "a list of strings or null"),
    "files": (_or_null(_sizes), "an object of file sizes or null"),
    "vector_index": (_or_null(_mapping), "an object or null"),
    "scanned_at_ns": (_or_null(_count), "a count (an integer of 0 or more) or null"),
    "segments": (
        _or_null(_segments),
        "a list of segments ({name, chunks, deleted ≤ chunks}) or null",
    ),
    "crc32": (_or_null(_checksums), "an object of CRC-32 checksums (0 ≤ n < 2³²) or null"),
}
