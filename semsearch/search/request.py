"""What a search may ask for: the modes, the checks of a request, and its filters.

Every message a user sees for a malformed request is written here, so the CLI, the app and
``semsearch eval`` refuse the same requests with the same words. Filters end up as one
:class:`~semsearch.storage.ChunkFilter`, which the storage engine applies.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

from semsearch.errors import SemsearchError
from semsearch.storage import ChunkFilter

if TYPE_CHECKING:
    from semsearch.storage import DocumentRecord

#: The search modes, the default first.
MODES: tuple[str, ...] = ("hybrid", "semantic", "keyword")


class SearchError(SemsearchError):
    """A search request cannot be answered as given (bad mode, date or filter)."""


def check_request(query: str, k: int, mode: str, has_embedder: bool) -> None:
    """Refuse a request that cannot be answered, before any work is done.

    Args:
        query: The user's query.
        k: How many hits are asked for.
        mode: The search mode.
        has_embedder: Whether the searcher holds the model (semantic and hybrid need it).

    Raises:
        SearchError: An unknown mode, an empty query, ``k < 1``, or a mode that needs the model
            when none was loaded (checked in that order).
    """
    if mode not in MODES:
        raise SearchError(
            f"Unknown search mode {mode!r}.",
            f"Choose one of {', '.join(MODES)}.",
            key="search.unknown_mode",
            params={"mode": mode, "choices": ", ".join(MODES)},
        )
    if not query or not query.strip():
        raise SearchError("The query is empty.", "Give some words to look for.", key="query.empty")
    if k < 1:
        raise SearchError(
            f"k must be at least 1, not {k}.",
            "Ask for one or more results.",
            key="search.bad_k",
            params={"k": k},
        )
    if mode != "keyword" and not has_embedder:
        raise SearchError(
            f"Mode {mode} needs the embedding model, which was not loaded.",
            "Open the searcher with the model, or use --mode keyword.",
            key="search.needs_model",
            params={"mode": mode},
        )


def check_date(value: str | None, option: str) -> str | None:
    """Read a date option.

    Args:
        value: ``YYYY-MM-DD``, or None / empty for no limit.
        option: How the message names the option (``The start date``).

    Returns:
        The date in ISO form, or None.

    Raises:
        SearchError: The value is not a date.
    """
    if value is None or value == "":
        return None
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        raise SearchError(
            f"{option} {value!r} is not a date.",
            "Write dates as YYYY-MM-DD, e.g. 2024-03-01.",
            key="search.bad_date",
            params={"option": option, "value": value},
        ) from None


def match_documents(documents: Sequence[DocumentRecord], selectors: Sequence[str]) -> list[str]:
    """Turn ``--doc`` values into doc ids: each is a doc id or a part of a file path.

    Args:
        documents: Every document of the index.
        selectors: Doc ids or path fragments (case-insensitive for paths).

    Returns:
        The matching doc ids, in index order, without repeats.

    Raises:
        SearchError: If a selector matches no document.
    """
    chosen: dict[str, None] = {}
    for selector in selectors:
        wanted = selector.strip()
        lowered = wanted.lower()
        matches = [
            d.doc_id
            for d in documents
            if wanted and (d.doc_id == wanted or lowered in d.path.lower())
        ]
        if not matches:
            raise SearchError(
                f"No article in the index matches {selector!r}.",
                "Give a doc id or a part of a file path; list them with: semsearch info",
                key="search.no_article",
                params={"selector": selector},
            )
        chosen.update(dict.fromkeys(matches))
    return list(chosen)


def check_date_range(date_from: str | None, date_to: str | None) -> tuple[str | None, str | None]:
    """Read the date options of a request.

    Args:
        date_from: Earliest article date, ``YYYY-MM-DD`` (undated articles drop out), or None.
        date_to: Latest article date, ``YYYY-MM-DD``, or None.

    Returns:
        Both dates in ISO form (None where not given).

    Raises:
        SearchError: For a malformed date or an empty range.
    """
    date_from = check_date(date_from, "The start date")
    date_to = check_date(date_to, "The end date")
    if date_from and date_to and date_from > date_to:
        raise SearchError(
            f"The date range {date_from} … {date_to} is empty.",
            "Choose a start date on or before the end date.",
            key="search.empty_dates",
            params={"date_from": date_from, "date_to": date_to},
        )
    return date_from, date_to


def join_filter(
    doc_ids: Sequence[str] | None,
    selected: list[str] | None,
    dates: tuple[str | None, str | None],
) -> ChunkFilter | None:
    """Join a request's checked filters into the one filter the storage engine applies.

    Args:
        doc_ids: Exact doc ids, or None.
        selected: The doc ids that ``--doc`` selectors matched (:func:`match_documents`), or
            None when none were given.
        dates: The checked ``(date_from, date_to)`` (:func:`check_date_range`).

    Returns:
        The filter, or None when nothing is filtered; its doc ids are those in both ``doc_ids``
        and ``selected`` when both are given.
    """
    date_from, date_to = dates
    wanted: list[str] | None = None
    if doc_ids is not None:
        wanted = list(doc_ids)
    if selected is not None:
        chosen = set(selected)
        wanted = selected if wanted is None else [d for d in wanted if d in chosen]
    if wanted is None and date_from is None and date_to is None:
        return None
    return ChunkFilter(
        doc_ids=None if wanted is None else tuple(wanted), date_from=date_from, date_to=date_to
    )
