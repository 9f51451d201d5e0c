"""Search: a query in, hits out, the same way for the CLI, the app and ``semsearch eval``.

- :mod:`~semsearch.search.request`: the modes, the checks of a request, its filters;
- :mod:`~semsearch.search.candidates`: candidates fetched through the storage protocol and
  ranked by :mod:`semsearch.ranking` (the one place every ranking step is written),
  :class:`~semsearch.search.candidates.CandidateRanker`;
- :mod:`~semsearch.search.hits`: hits with context and highlights, and the result;
- :mod:`~semsearch.search.searcher`: :class:`Searcher`, which runs a search, and
  :func:`open_searcher`.
"""

from __future__ import annotations

from semsearch.search.hits import CONTEXT_CHARS, Hit, SearchResult, context_around
from semsearch.search.request import MODES, SearchError
from semsearch.search.searcher import Searcher, open_searcher

__all__ = [
    "CONTEXT_CHARS",
    "MODES",
    "Hit",
    "SearchError",
    "SearchResult",
    "Searcher",
    "context_around",
    "open_searcher",
]
