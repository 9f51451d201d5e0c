"""Cutting a call's texts into forward passes: longest first, packed by padded size.

A forward pass costs about what its padded token matrix holds (texts × the longest text's
tokens), and its attention scores hold texts × heads × tokens² floats. Sorting texts by length
keeps padding small; a budget on padded tokens lets short texts (sentences, queries) share a pass
with many others and keeps long ones (512 tokens) few per pass, so memory stays flat whatever
the texts: 32 passages of 512 tokens would need 400 MB of attention scores per layer.
"""

from __future__ import annotations

from collections.abc import Sequence

#: Padded tokens per forward pass. With two passes at once (``OnnxEmbedder``), 1,024 holds the
#: build's peak memory where one pass of 2,048 does (60 news chunks and their sentences, then 16
#: passages of 512 tokens: 605 / 653 MB against 581 / 649 MB, and 687 / 799 MB for two passes of
#: 2,048), while still packing a dozen chunks or two dozen sentences a pass (docs/performance.md).
BATCH_TOKENS = 1024


def plan_batches(lengths: Sequence[int], max_texts: int, max_tokens: int) -> list[list[int]]:
    """Order texts longest first and cut them into batches that fit both limits.

    A batch's padded size is its number of texts times its longest text (the first, as texts
    come longest first). A text longer than ``max_tokens`` gets a batch of its own.

    Args:
        lengths: The length of each text, in tokens (or what stands for them).
        max_texts: Most texts per batch.
        max_tokens: Most padded tokens per batch.

    Returns:
        Batches of row numbers into ``lengths``, longest texts first; every row once.

    Raises:
        ValueError: A limit below 1.
    """
    if max_texts < 1 or max_tokens < 1:
        raise ValueError(f"batch limits must be at least 1, got {max_texts} and {max_tokens}")
    # Stable: texts of equal length keep their input order.
    order = sorted(range(len(lengths)), key=lambda row: -lengths[row])
    batches: list[list[int]] = []
    batch: list[int] = []
    for row in order:
        padded = (len(batch) + 1) * (lengths[batch[0]] if batch else lengths[row])
        if batch and (len(batch) == max_texts or padded > max_tokens):
            batches.append(batch)
            batch = []
        batch.append(row)
    if batch:
        batches.append(batch)
    return batches
