"""The page's state to and from its URL."""

from __future__ import annotations

from datetime import date
from typing import Any

from semsearch.ui.urlstate import FIELDS, params_from_state, state_from_params, sync


class FakeQueryParams(dict[str, list[str]]):
    """``st.query_params``'s part the page uses: get_all, iteration, from_dict."""

    writes = 0

    def get_all(self, name: str) -> list[str]:
        return list(self.get(name, []))

    def from_dict(self, params: dict[str, Any]) -> None:
        self.writes += 1
        self.clear()
        for name, value in params.items():
            self[name] = value if isinstance(value, list) else [value]


def test_a_bare_url_gives_the_defaults_and_the_browsers_language() -> None:
    state = state_from_params({}, "zh-TW")
    assert state == {key: default for key, (_, default) in FIELDS.items()} | {"lang": "zh-Hant"}
    assert params_from_state(state) == {"lang": "zh-Hant"}


def test_state_round_trips_through_the_url() -> None:
    state = {
        "query": "焦裕禄 精神",
        "mode": "keyword",
        "k": 25,
        "filter_docs": ["a1", "b2"],
        "filter_from": date(2024, 1, 2),
        "filter_to": None,
        "flat": True,
        "sort": "date",
        "lang": "en",
    }
    params = params_from_state(state)
    assert params == {
        "q": "焦裕禄 精神",
        "mode": "keyword",
        "k": "25",
        "docs": ["a1", "b2"],
        "from": "2024-01-02",
        "flat": "1",
        "sort": "date",
        "lang": "en",
    }
    as_lists = {k: v if isinstance(v, list) else [v] for k, v in params.items()}
    assert state_from_params(as_lists, "zh-CN") == state


def test_bad_values_in_a_hand_edited_url_fall_back_to_defaults() -> None:
    state = state_from_params(
        {"mode": ["magic"], "k": ["9999"], "from": ["yesterday"], "sort": ["x"], "lang": ["xx"]},
        "zh-CN",
    )
    assert state["mode"] == "hybrid" and state["k"] == 50 and state["filter_from"] is None
    assert state["sort"] == "relevance" and state["lang"] == "zh-Hans"
    assert state_from_params({"k": ["ten"]}, None)["k"] == 10


def test_sync_restores_once_then_writes_only_changes() -> None:
    session: dict[str, Any] = {}
    url = FakeQueryParams(q=["兰考"], lang=["zh-Hant"])
    assert sync(session, url, "en-US") == "zh-Hant"
    assert session["query"] == "兰考" and session["mode"] == "hybrid"
    assert url.writes == 0  # the URL already says it all
    session["query"] = "开福区"  # the reader types; the URL follows
    sync(session, url, "en-US")
    assert url.get_all("q") == ["开福区"] and url.writes == 1
    url["q"] = ["ignored"]  # later runs take the widgets' values, not the URL's
    sync(session, url, "en-US")
    assert session["query"] == "开福区" and url.get_all("q") == ["开福区"]
