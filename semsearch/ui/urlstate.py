"""The page's state in its URL: query, mode, number of results, filters, view and language.

A reload or a shared link shows the same search: the first run of a session fills the widgets'
session-state keys from the URL (``?q=…&mode=keyword&lang=zh-Hant``), every run writes them
back. Only values that differ from the defaults are written, and the language, so that a
shared link opens in the language it was shared in.
The translation between URL parameters and widget values is pure (:func:`state_from_params`,
:func:`params_from_state`) and unit-tested; :func:`sync` is the Streamlit glue.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, MutableMapping
from datetime import date
from typing import Any

# The page searches anyway, so NumPy (which choices loads) is no extra cost here.
from semsearch.service.choices import MODES
from semsearch.ui.i18n import choose_language

#: Widget key → (URL parameter, default). The defaults are also the widgets' start values.
FIELDS: dict[str, tuple[str, Any]] = {
    "query": ("q", ""),
    "mode": ("mode", "hybrid"),
    "k": ("k", 10),
    "filter_docs": ("docs", []),
    "filter_from": ("from", None),
    "filter_to": ("to", None),
    "flat": ("flat", False),
    "sort": ("sort", "relevance"),
}
SORTS = ("relevance", "date")
#: Most results the page asks for (the number input's maximum).
MAX_RESULTS = 50
_RESTORED = "_url_restored"


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _k(value: str) -> int:
    try:
        return min(MAX_RESULTS, max(1, int(value)))
    except ValueError:
        return 10


#: URL text → widget value; a value that does not parse falls back to the default.
_PARSERS: dict[str, Callable[[str], Any]] = {
    "query": lambda v: v,
    "mode": lambda v: v if v in MODES else "hybrid",
    "k": _k,
    "filter_from": _date,
    "filter_to": _date,
    "flat": lambda v: v == "1",
    "sort": lambda v: v if v in SORTS else "relevance",
}


def state_from_params(
    params: Mapping[str, list[str]], browser_locale: str | None
) -> dict[str, Any]:
    """The widgets' start values from the URL's parameters.

    Args:
        params: Each URL parameter's values (a parameter may repeat: ``docs``).
        browser_locale: The browser's language, for ``lang`` when the URL has none.

    Returns:
        Widget key → value, for every key in :data:`FIELDS` and ``lang``.
    """
    state: dict[str, Any] = {}
    for key, (name, default) in FIELDS.items():
        values = params.get(name) or []
        if key == "filter_docs":
            state[key] = [v for v in values if v]
        elif values:
            state[key] = _PARSERS[key](values[-1])
        else:
            state[key] = default
    requested = (params.get("lang") or [None])[-1]
    state["lang"] = choose_language(requested, browser_locale)
    return state


def params_from_state(state: Mapping[str, Any]) -> dict[str, str | list[str]]:
    """The URL parameters for the widgets' values (defaults left out, the language always in).

    Args:
        state: Widget key → value (missing keys count as defaults).

    Returns:
        Parameter → value (a list for ``docs``), in :data:`FIELDS` order, then ``lang``.
    """
    params: dict[str, str | list[str]] = {}
    for key, (name, default) in FIELDS.items():
        value = state.get(key, default)
        if value in (default, None, "") or (key == "query" and not str(value).strip()):
            continue
        if isinstance(value, bool):
            params[name] = "1"
        elif isinstance(value, date):
            params[name] = value.isoformat()
        elif isinstance(value, list):
            params[name] = [str(v) for v in value]
        else:
            params[name] = str(value)
    if state.get("lang"):
        params["lang"] = str(state["lang"])
    return params


def sync(session: MutableMapping[str, Any], query_params: Any, browser_locale: str | None) -> str:
    """Fill the widgets from the URL on a session's first run; write them back on every run.

    Args:
        session: ``st.session_state``.
        query_params: ``st.query_params``.
        browser_locale: The browser's language (``st.context.locale``).

    Returns:
        The page's language for this run.
    """
    if not session.get(_RESTORED):
        params = {name: query_params.get_all(name) for name in query_params}
        for key, value in state_from_params(params, browser_locale).items():
            session.setdefault(key, value)
        session[_RESTORED] = True
    wanted = params_from_state(session)
    current = {name: query_params.get_all(name) for name in query_params}
    as_lists = {
        name: value if isinstance(value, list) else [value] for name, value in wanted.items()
    }
    if current != as_lists:
        query_params.from_dict(wanted)
    return str(session["lang"])
