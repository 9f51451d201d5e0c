"""What both sides of ``bench/peers.py`` share: timing the queries and writing the result.

Standard library only: the peer's runner imports it from the peer's own virtual environment.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import time
from collections.abc import Callable


def time_queries(
    search: Callable[[str], list[str]], queries: list[dict], warm_up: int
) -> tuple[list[float], list[list[str]]]:
    """Search every query once, after ``warm_up`` untimed ones; time each in milliseconds.

    Args:
        search: Returns the article of each hit, best first, for a query text.
        queries: Rows with a ``text``.
        warm_up: Queries searched before timing (first calls allocate and warm caches).

    Returns:
        The milliseconds and the ranked articles of every query, in query order.
    """
    for query in queries[:warm_up]:
        search(query["text"])
    timings, rankings = [], []
    for query in queries:
        started = time.perf_counter()
        rankings.append(search(query["text"]))
        timings.append((time.perf_counter() - started) * 1000.0)
    return timings, rankings


def write_peer_result(path: str, system: str, seconds: dict[str, float], timings: list[float],
                      rankings: list[list[str]], load_average: list[float]) -> None:  # fmt: skip
    """Write one run's result as ``bench/peers.py`` reads it.

    Args:
        path: The result file.
        system: ``semsearch`` or ``txtai``.
        seconds: ``load_seconds`` and ``index_seconds``.
        timings: Query milliseconds.
        rankings: Ranked articles per query.
        load_average: The load averages when indexing began.
    """
    result = {
        "system": system,
        **{name: round(value, 2) for name, value in seconds.items()},
        "query_p50_ms": round(statistics.median(timings), 2),
        "rankings": rankings,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "load_average": [round(value, 2) for value in load_average],
    }
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(result, handle)


def load_average() -> list[float]:
    """The 1, 5 and 15 minute load averages."""
    return list(os.getloadavg())
