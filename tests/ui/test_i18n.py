"""The message catalogue: no string missing, same placeholders everywhere, every key used."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from semsearch.ui.cards import STRENGTHS
from semsearch.ui.catalogue import MESSAGES, TRADITIONAL_OVERRIDES
from semsearch.ui.i18n import LANGUAGES, Texts, choose_language, format_date, template
from semsearch.ui.terminal_describe import INFO_FIELDS, INSPECT_FIELDS, TIME_FIELDS
from semsearch.ui.urlstate import MODES, SORTS

REPO = Path(__file__).resolve().parents[2]
#: Where the page's code asks for sentences: ``tr("key"`` / ``tr(f"prefix.{…}"``.
PAGE_SOURCES = [
    REPO / "app.py",
    REPO / "semsearch" / "cli.py",
    *sorted((REPO / "semsearch" / "ui").glob("*.py")),
]
_LITERAL_KEY = re.compile(r"""\btr\(\s*["']([a-z_]+\.[a-z_]+)["']""")
_PREFIX_KEY = re.compile(r"""\btr\(\s*f["']([a-z_]+\.)\{""")
#: Keys built at run time from a prefix, with every suffix the page can produce.
DYNAMIC_SUFFIXES = {
    "mode.": MODES,
    "search.": ("mode", "sort"),  # app._choice: the label of each choice …
    "strength.": STRENGTHS,
    "info.": (*INFO_FIELDS, *TIME_FIELDS, "chunking", "sentence_vectors", "size", "sources"),
    "inspect.": INSPECT_FIELDS,
}
#: … and its options, ``tr(f"{key}.{option}")``.
CHOICE_KEYS = {
    f"{key}.{option}" for key, options in (("mode", MODES), ("sort", SORTS)) for option in options
}


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def _asked_keys() -> set[str]:
    keys: set[str] = set(CHOICE_KEYS)
    for source in PAGE_SOURCES:
        code = source.read_text(encoding="utf-8")
        keys.update(_LITERAL_KEY.findall(code))
        for prefix in _PREFIX_KEY.findall(code):
            keys.update(prefix + suffix for suffix in DYNAMIC_SUFFIXES[prefix])
    return keys


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_message_exists_in_every_language_with_the_same_placeholders(lang: str) -> None:
    for key, (simplified, english) in MESSAGES.items():
        text = template(key, lang)
        assert text.strip(), (key, lang)
        assert _fields(text) == _fields(simplified) == _fields(english), (key, lang)


def test_every_key_the_page_asks_for_is_in_the_catalogue_and_every_entry_is_used() -> None:
    asked = _asked_keys()
    assert asked, "the scan found no tr(...) calls"
    assert asked - MESSAGES.keys() == set()
    assert MESSAGES.keys() - asked == set()
    assert TRADITIONAL_OVERRIDES.keys() <= MESSAGES.keys()


def test_chinese_messages_are_chinese_and_traditional_is_converted() -> None:
    han = re.compile(r"[\u4e00-\u9fff]")
    for key, (simplified, english) in MESSAGES.items():
        assert han.search(simplified) or key == "export.columns" or not han.search(english), key
    assert Texts("zh-Hant")("filter.title") == "篩選"
    assert Texts("zh-Hans")("filter.title") == "筛选"
    assert Texts("en")("filter.title") == "Filters"
    assert Texts("xx").lang == "en"


@pytest.mark.parametrize(
    ("requested", "locale", "expected"),
    [
        (None, "zh-CN", "zh-Hans"),
        (None, "zh", "zh-Hans"),
        (None, "zh-TW", "zh-Hant"),
        (None, "zh_HK", "zh-Hant"),
        (None, "zh-Hant-TW", "zh-Hant"),
        (None, "en-US", "en"),
        (None, None, "en"),
        ("en", "zh-CN", "en"),
        ("zh-Hant", "en-US", "zh-Hant"),
        ("klingon", "zh-CN", "zh-Hans"),
    ],
)
def test_choose_language_prefers_the_url_then_the_browser(
    requested: str | None, locale: str | None, expected: str
) -> None:
    assert choose_language(requested, locale) == expected


def test_dates_follow_the_readers_convention() -> None:
    assert format_date("2024-05-14", "zh-Hans") == "2024年5月14日"
    assert format_date("2024-05-14", "zh-Hant") == "2024年5月14日"
    assert format_date("2024-05-14", "en") == "14 May 2024"
    assert format_date(None, "en") == ""
    assert format_date("spring 2024", "zh-Hans") == "spring 2024"
