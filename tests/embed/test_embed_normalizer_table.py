"""Tests of the tokenizer's Replace rules turned into one translation table."""

from __future__ import annotations

from semsearch.embed.normalizer_table import split_replace_normalizer


def test_replace_rules_become_one_translation_table_with_the_same_result() -> None:
    from tokenizers import Regex, normalizers

    rules = [
        {"type": "Replace", "pattern": {"String": "Ａ"}, "content": "a"},
        {"type": "Replace", "pattern": {"Regex": "[\\x{3000}\\x{9}-\\x{A}]"}, "content": " "},
        {"type": "Replace", "pattern": {"String": "a"}, "content": "b"},  # chains: Ａ → a → b
        {"type": "Replace", "pattern": {"Regex": "[\\x{1}-\\x{8}]"}, "content": ""},
        {"type": "Replace", "pattern": {"String": "①"}, "content": "1."},
        {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "},
    ]
    table, collapse = split_replace_normalizer({"type": "Sequence", "normalizers": rules})
    assert collapse
    assert table == {
        ord("Ａ"): "b",
        ord("a"): "b",
        0x3000: " ",
        9: " ",
        10: " ",
        ord("①"): "1.",
    } | {code: "" for code in range(1, 9)}
    reference = normalizers.Sequence(
        [
            normalizers.Replace("Ａ", "a"),
            normalizers.Replace(Regex("[\\x{3000}\\x{9}-\\x{A}]"), " "),
            normalizers.Replace("a", "b"),
            normalizers.Replace(Regex("[\\x{1}-\\x{8}]"), ""),
            normalizers.Replace("①", "1."),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    import re

    for text in ["ＡaＡ\u3000\t\n x", "\x01①\x07② a  b", "", "   "]:
        ours = re.sub(" {2,}", " ", text.translate(table))
        assert ours == reference.normalize_str(text)
    # Anything else is left to the tokenizer.
    assert split_replace_normalizer({"type": "NFKC"}) is None
    other = [*rules[:2], {"type": "Replace", "pattern": {"String": "ab"}, "content": "c"}]
    assert split_replace_normalizer({"type": "Sequence", "normalizers": other}) is None
    assert split_replace_normalizer(None) is None
