"""The table ``semsearch eval`` prints: one row per search mode, one column per metric."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

#: Column order of the printed table.
METRIC_COLUMNS: tuple[str, ...] = ("R@1", "R@5", "R@10", "MRR@10", "nDCG@10", "median_ms")


def format_eval_table(result: dict[str, Any]) -> str:
    """Render :func:`~semsearch.evaluation.runner.run_eval`'s result as a plain-text table.

    Args:
        result: The dict returned by ``run_eval``.

    Returns:
        A header line with the set and its size, then the table, one row per mode, and a note
        on the query embedding time when it was measured.
    """
    size = f"{result['chunks']:,} chunks"
    if result.get("level") == "article":
        size = f"{result['articles']:,} articles in {size}, one hit per article"
    header = (
        f"{result['set']}: {size}, {result['queries']:,} queries (model {result.get('model', '?')})"
    )
    names = ["mode", *METRIC_COLUMNS]
    rows = [
        [mode] + [f"{scores[column]:.1f}" for column in METRIC_COLUMNS]
        for mode, scores in result["modes"].items()
    ]
    widths = [max(len(str(row[i])) for row in [names, *rows]) for i in range(len(names))]

    def line(cells: Sequence[str]) -> str:
        first = cells[0].ljust(widths[0])
        rest = [cell.rjust(width) for cell, width in zip(cells[1:], widths[1:], strict=True)]
        return "  ".join([first, *rest])

    lines = [header, "", line(names), line(["-" * w for w in widths]), *map(line, rows)]
    if "query_embed_ms" in result:
        lines.append("")
        lines.append(
            "median_ms: search with the query vector cached; embedding a query adds "
            f"{result['query_embed_ms']:.0f} ms (median)."
        )
    return "\n".join(lines)
