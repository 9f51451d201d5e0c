"""Model inputs made ahead of the forward passes, so that a build's tokenizer can go first.

A one-shot build tokenizes everything it is about to embed, keeps the token ids and releases the
tokenizer (282 MB for the default model) before the session runs: the two are then never in
memory together, which was the build's peak (issue 17.2, docs/performance.md "Memory").
:class:`AheadInputs` holds those inputs for :class:`~semsearch.embed.base.BaseEmbedder`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

#: Texts tokenized per call when made ahead (bounds the tokenizer's own per-text objects, which
#: are much larger than the ids kept).
AHEAD_CALL_SIZE = 2048

InputT = TypeVar("InputT")

#: Makes the inputs of texts as given (folding them first, if the embedder folds).
Encoder = Callable[[Sequence[str]], list[InputT]]


class AheadInputs(Generic[InputT]):
    """Model inputs made before they are needed, by kind and text (as given to the embedder).

    A text is looked up as the caller gives it, before folding, so it is folded once.
    """

    def __init__(self) -> None:
        self._inputs: dict[tuple[str, str], InputT] = {}

    def __len__(self) -> int:
        return len(self._inputs)

    def add(self, texts: Sequence[str], kind: str, encode: Encoder[InputT]) -> None:
        """Make and keep the inputs of the texts not kept yet.

        Args:
            texts: The texts (repeats are made once).
            kind: The kind of text (the prompt they get).
            encode: Makes the inputs of texts of that kind.
        """
        fresh = [text for text in dict.fromkeys(texts) if (kind, text) not in self._inputs]
        for offset in range(0, len(fresh), AHEAD_CALL_SIZE):
            part = fresh[offset : offset + AHEAD_CALL_SIZE]
            self._inputs.update(zip(((kind, text) for text in part), encode(part), strict=True))

    def inputs(self, texts: Sequence[str], kind: str, encode: Encoder[InputT]) -> list[InputT]:
        """The inputs of a call's texts: those kept, the others made now (and not kept).

        Args:
            texts: The texts.
            kind: Their kind.
            encode: Makes the inputs of texts of that kind.

        Returns:
            One input per text, in order.
        """
        if not self._inputs:
            return encode(texts)
        found = [self._inputs.get((kind, text)) for text in texts]
        rest = [row for row, item in enumerate(found) if item is None]
        if rest:
            for row, item in zip(rest, encode([texts[row] for row in rest]), strict=True):
                found[row] = item
        return found  # type: ignore[return-value]  # every None was filled

    def clear(self) -> None:
        """Forget every kept input (the embedder is unloaded, or cuts texts differently)."""
        self._inputs.clear()
