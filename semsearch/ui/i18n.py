"""The page's languages: which one a reader gets, and its sentences from the one catalogue.

Simplified Chinese by default when the browser asks for Chinese (traditional when it asks for
zh-TW, zh-HK, zh-MO or zh-Hant), English otherwise; the reader's choice is kept in the URL
(``?lang=zh-Hans|zh-Hant|en``). The command follows ``$SEMSEARCH_LANG``, else the locale
(:func:`terminal_language`). Every sentence comes from :data:`semsearch.ui.catalogue.MESSAGES`
(the core's errors and stage names from :mod:`semsearch.ui.catalogue_core`) through a
:class:`Texts`. Dates are written the way each language's readers write them (``2024年5月14日``,
``14 May 2024``). Cheap to import: the command loads it at start.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import date
from functools import cache
from typing import TYPE_CHECKING

from semsearch.settings import ENV_LANG
from semsearch.text import to_traditional
from semsearch.ui.catalogue import MESSAGES, TRADITIONAL_OVERRIDES
from semsearch.ui.catalogue_core import ERRORS, STAGES

if TYPE_CHECKING:
    from semsearch.errors import SemsearchError

#: The page's languages, in the order the switch offers them.
LANGUAGES = ("zh-Hans", "zh-Hant", "en")
#: Each language named in itself (the switch shows these).
LANGUAGE_NAMES = {"zh-Hans": "简体中文", "zh-Hant": "繁體中文", "en": "English"}
#: For a browser that asks for Chinese without saying which script.
DEFAULT_CHINESE = "zh-Hans"
#: Browser locales that mean traditional script.
_TRADITIONAL_LOCALES = ("zh-tw", "zh-hk", "zh-mo", "zh-hant")
#: The locale variables, strongest first (as POSIX reads them for messages).
_LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG")
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


def terminal_language(environ: Mapping[str, str] | None = None) -> str:
    """The command's language: ``$SEMSEARCH_LANG``, else the locale, else English.

    Args:
        environ: The environment (default: the process's).

    Returns:
        One of :data:`LANGUAGES`: a locale starting with ``zh`` means Chinese (``zh_TW``,
        ``zh_HK``, ``zh_MO`` traditional), anything else (``C``, ``en_US``…) English.
    """
    environ = os.environ if environ is None else environ
    requested = environ.get(ENV_LANG, "").strip()
    if requested:
        return choose_language(None, requested)
    for name in _LOCALE_VARIABLES:
        value = environ.get(name, "").strip()
        if value:
            return choose_language(None, value.split(".")[0])
    return "en"


def _in_script(simplified: str, lang: str) -> str:
    return to_traditional(simplified) if lang == "zh-Hant" else simplified


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


def error_text(error: SemsearchError, lang: str) -> tuple[str, str | None]:
    """An error's message and hint in ``lang``, from its catalogue key.

    Args:
        error: The error (its English ``message`` and ``hint``, its ``key`` and ``params``).
        lang: One of :data:`LANGUAGES`.

    Returns:
        ``(message, hint)``: the English ones in English, or for an error without a known key
        (or whose parameters do not fill the sentence).
    """
    if lang not in ("zh-Hans", "zh-Hant") or error.key not in ERRORS:
        return error.message, error.hint
    message, hint = ERRORS[error.key]
    try:
        return (
            _in_script(message, lang).format(**error.params),
            _in_script(hint, lang).format(**error.params) if hint else error.hint,
        )
    except (KeyError, IndexError):
        return error.message, error.hint


def stage_name(stage: str, lang: str) -> str:
    """A progress stage's name in ``lang`` (the name itself when it is not in the catalogue).

    Args:
        stage: The name the core reports (``"embed"``, ``"eval hybrid"``…).
        lang: One of :data:`LANGUAGES`.

    Returns:
        The name to show.
    """
    names = STAGES.get(stage)
    if names is None:
        return stage
    return names[1] if lang == "en" else _in_script(names[0], lang)


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

    def error(self, error: SemsearchError) -> tuple[str, str | None]:
        """An error's message and hint in this language (see :func:`error_text`)."""
        return error_text(error, self.lang)

    def stage(self, stage: str) -> str:
        """A progress stage's name in this language (see :func:`stage_name`)."""
        return stage_name(stage, self.lang)

    def date(self, iso: str | None) -> str:
        """A date in this language's convention (see :func:`format_date`)."""
        return format_date(iso, self.lang)

    @property
    def chinese(self) -> bool:
        """True for either Chinese script."""
        return self.lang != "en"
