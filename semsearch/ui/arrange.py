"""How the page orders and groups a result's hits (pure, unit-tested).

Hits arrive best first. The page groups them by article (the article once, its passages under
it), may sort by date instead of relevance, and counts matching articles per date for the
small chart.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from semsearch.search import Hit


def sort_hits(hits: Sequence[Hit], by: str) -> list[Hit]:
    """Order hits by relevance (as ranked) or by date, newest first, undated last.

    Args:
        hits: The hits, best first.
        by: ``relevance`` or ``date``.

    Returns:
        The hits in that order (ties keep the ranking's order).
    """
    if by != "date":
        return list(hits)
    dated = sorted((h for h in hits if h.date), key=lambda h: h.date or "", reverse=True)
    return [*dated, *(h for h in hits if not h.date)]


def group_by_article(hits: Sequence[Hit]) -> list[list[Hit]]:
    """Gather hits into one group per article, in the order of each article's first hit.

    Args:
        hits: The hits in the order to show.

    Returns:
        The groups; inside each, the article's hits in the given order.
    """
    groups: dict[str, list[Hit]] = {}
    for hit in hits:
        groups.setdefault(hit.doc_id, []).append(hit)
    return list(groups.values())


def articles_per_date(hits: Sequence[Hit]) -> tuple[dict[str, int], int]:
    """Count the matching articles per date (an article once, at its date).

    Args:
        hits: The hits.

    Returns:
        ``({date: articles}, undated articles)``, the dates in order.
    """
    dates: dict[str, str | None] = {}
    for hit in hits:
        dates.setdefault(hit.doc_id, hit.date)
    counts = Counter(d for d in dates.values() if d)
    undated = sum(1 for d in dates.values() if not d)
    return dict(sorted(counts.items())), undated


def first_weak(strengths: Sequence[str | None]) -> int | None:
    """Where the weak matches begin, for the divider before them.

    Args:
        strengths: The match strengths of the hits (or groups) in display order (None:
            unknown).

    Returns:
        The index of the first weak item after which only weak or unknown ones follow, or
        None when there is no weak item (or the order is not by strength).
    """
    for index, strength in enumerate(strengths):
        if strength == "weak":
            rest = strengths[index:]
            return index if all(s in ("weak", None) for s in rest) else None
    return None
