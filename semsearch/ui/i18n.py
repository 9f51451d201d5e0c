"""The page's languages: which one a reader gets, and its sentences from the one catalogue.

Simplified Chinese by default when the browser asks for Chinese (traditional when it asks for
zh-TW, zh-HK, zh-MO or zh-Hant), English otherwise; the reader's choice is kept in the URL
(``?lang=zh-Hans|zh-Hant|en``). Every sentence comes from
:data:`semsearch.ui.catalogue.MESSAGES` through a :class:`Texts`. Dates are written the way
each language's readers write them (``2024年5月14日``, ``14 May 2024``).
"""

from __future__ import annotations

from datetime import date
from functools import cache

from semsearch.text import to_traditional
from semsearch.ui.catalogue import MESSAGES, TRADITIONAL_OVERRIDES

#: The page's languages, in the order the switch offers them.
LANGUAGES = ("zh-Hans", "zh-Hant", "en")
#: Each language named in itself (the switch shows these).
LANGUAGE_NAMES = {"zh-Hans": "简体中文", "zh-Hant": "繁體中文", "en": "English"}
#: For a browser that asks for Chinese without saying which script.
DEFAULT_CHINESE = "zh-Hans"
#: Browser locales that mean traditional script.
_TRADITIONAL_LOCALES = ("zh-tw", "zh-hk", "zh-mo", "zh-hant")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def choose_language(requested: str | None, browser_locale: str | None) -> str:
    """The language to show: the one in the URL if it is known, else the browser's.

    Args:
        requested: The ``lang`` URL parameter, if any.
        browser_locale: The browser's language (``navigator.language``, e.g. ``zh-CN``).

    Returns:
        One of :data:`LANGUAGES`.
    """
    if requested in LANGUAGES:
        return str(requested)
    locale = (browser_locale or "").lower().replace("_", "-")
    if locale.startswith(_TRADITIONAL_LOCALES):
        return "zh-Hant"
    if locale.startswith("zh"):
        return DEFAULT_CHINESE
    return "en"


@cache
def template(key: str, lang: str) -> str:
    """The catalogue's text for ``key`` in ``lang`` (placeholders not filled).

    Args:
        key: A key of :data:`~semsearch.ui.catalogue.MESSAGES`.
        lang: One of :data:`LANGUAGES`.

    Returns:
        The template.

    Raises:
        KeyError: For a key that is not in the catalogue (a test catches these first).
    """
    simplified, english = MESSAGES[key]
    if lang == "en":
        return english
    if lang == "zh-Hant":
        return TRADITIONAL_OVERRIDES.get(key) or to_traditional(simplified)
    return simplified


def format_date(iso: str | None, lang: str) -> str:
    """Write an ISO date (``YYYY-MM-DD``) the way readers of ``lang`` do.

    Args:
        iso: The date, or None.
        lang: One of :data:`LANGUAGES`.

    Returns:
        ``2024年5月14日`` in Chinese, ``14 May 2024`` in English; an unreadable value as is,
        None as an empty string.
    """
    if not iso:
        return ""
    try:
        day = date.fromisoformat(iso[:10])
    except ValueError:
        return iso
    if lang == "en":
        return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"
    return f"{day.year}年{day.month}月{day.day}日"


class Texts:
    """The page's sentences in one language.

    Args:
        lang: One of :data:`LANGUAGES` (anything else: English).
    """

    def __init__(self, lang: str) -> None:
        self.lang = lang if lang in LANGUAGES else "en"

    def __call__(self, key: str, **values: object) -> str:
        """The sentence ``key`` with its placeholders filled.

        Args:
            key: A catalogue key.
            **values: The placeholders' values (already escaped for where they go).

        Returns:
            The sentence.
        """
        text = template(key, self.lang)
        return text.format(**values) if values else text

    def date(self, iso: str | None) -> str:
        """A date in this language's convention (see :func:`format_date`)."""
        return format_date(iso, self.lang)

    @property
    def chinese(self) -> bool:
        """True for either Chinese script."""
        return self.lang != "en"
