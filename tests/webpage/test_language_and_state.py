"""The page speaks the reader's language and keeps its state in the URL (in a real browser)."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import Browser, Page, expect

from semsearch.ui.i18n import Texts

from .conftest import FIRST_QUERY_TIMEOUT_MS, open_tab, search, wait_idle

pytestmark = [pytest.mark.slow, pytest.mark.browser]

SIMPLIFIED, TRADITIONAL, ENGLISH = Texts("zh-Hans"), Texts("zh-Hant"), Texts("en")


def _params(page: Page) -> dict[str, list[str]]:
    return parse_qs(urlparse(page.url).query)


def _visible_labels(page: Page, tr: Texts) -> None:
    expect(page.get_by_role("textbox", name=tr("search.label"))).to_be_enabled(
        timeout=FIRST_QUERY_TIMEOUT_MS
    )
    for key in ("index.heading", "upload.heading", "maintenance.heading", "filter.title"):
        expect(page.get_by_text(tr(key), exact=True).first).to_be_visible()
    expect(page.get_by_text(tr("mode.semantic"), exact=True)).to_be_visible()


def test_a_chinese_browser_gets_simplified_and_the_switch_is_kept_in_the_url(
    browser: Browser, app_url: str
) -> None:
    with open_tab(browser, app_url, locale="zh-CN") as tab:
        page = tab.page
        _visible_labels(page, SIMPLIFIED)
        # Our English labels are gone ("Documents"/"Chunks"/"Search" …).
        for english in ("Maintenance", "Add articles", "Filters", "Chunks", "Documents"):
            expect(page.get_by_text(english, exact=True)).to_have_count(0)
        # Streamlit's own English hints are hidden (typing shows "Press Enter to apply").
        page.get_by_role("textbox", name=SIMPLIFIED("search.label")).fill("焦裕禄")
        for hint in ("Press Enter to apply", "200MB per file"):
            expect(page.get_by_text(hint)).to_be_hidden()
        page.get_by_role("textbox", name=SIMPLIFIED("search.label")).fill("")
        wait_idle(page)
        assert _params(page)["lang"] == ["zh-Hans"]
        page.get_by_role("combobox", name=SIMPLIFIED("page.language")).click()
        page.get_by_role("option", name="繁體中文").click()
        _visible_labels(page, TRADITIONAL)
        expect(page).to_have_url(re.compile("lang=zh-Hant"))
        page.reload()
        _visible_labels(page, TRADITIONAL)


@pytest.mark.parametrize(("locale", "tr"), [("zh-TW", TRADITIONAL), ("en-US", ENGLISH)])
def test_the_browser_language_picks_the_script_or_english(
    browser: Browser, app_url: str, locale: str, tr: Texts
) -> None:
    with open_tab(browser, app_url, locale=locale) as tab:
        _visible_labels(tab.page, tr)


def test_query_mode_view_and_language_survive_a_reload_and_a_shared_link(
    browser: Browser, app_url: str
) -> None:
    with open_tab(browser, f"{app_url}/?lang=en") as tab:
        page = tab.page
        wait_idle(page, FIRST_QUERY_TIMEOUT_MS)
        search(page, "精神 发展")
        page.get_by_role("radio", name="Keyword").click()
        expect(page).to_have_url(re.compile("mode=keyword"))
        wait_idle(page)
        page.get_by_text("Flat list (not grouped by article)").click()
        expect(page).to_have_url(re.compile("flat=1"))
        wait_idle(page)
        params = _params(page)
        assert params["q"] == ["精神 发展"]
        assert params["mode"] == ["keyword"] and params["flat"] == ["1"]
        shared = page.url
    with open_tab(browser, shared, locale="zh-CN") as tab:
        page = tab.page
        summary = page.locator(".ss-summary").filter(has_text="精神 发展")
        expect(summary).to_contain_text("Keyword", timeout=FIRST_QUERY_TIMEOUT_MS)
        expect(page.get_by_role("textbox", name="Search")).to_have_value("精神 发展")
        wait_idle(page)
        # Flat list: one card per passage, each with its own file.
        cards = page.locator(".ss-card")
        assert cards.count() == page.locator(".ss-passage").count() > 1
        expect(page.get_by_role("radio", name="Keyword")).to_be_checked()
        assert re.search(r"lang=en", page.url)


def test_a_date_filter_says_how_many_undated_articles_it_leaves_out(
    browser: Browser, app_url: str
) -> None:
    with open_tab(browser, f"{app_url}/?lang=en&from=2000-01-01&q=%E8%8C%B6") as tab:
        page = tab.page
        wait_idle(page, FIRST_QUERY_TIMEOUT_MS)
        page.get_by_text("Filters").click()
        note = page.get_by_text(re.compile(r"leaves out the articles without a date \((\d+)\)"))
        expect(note.first).to_be_visible()
        count = int(re.findall(r"\((\d+)\)", note.first.inner_text())[0])
        assert count >= 1  # at least the workspace's undated article
        expect(page.locator(".ss-file").filter(has_text="undated.txt")).to_have_count(0)
        year = page.get_by_role("spinbutton", name="year, From")
        expect(year).to_have_attribute("aria-valuenow", "2000")  # restored from the URL


@pytest.mark.parametrize(("lang", "year"), [("zh-Hans", "年"), ("zh-Hant", "年"), ("en", "yyyy")])
def test_an_empty_date_field_shows_its_placeholder_in_the_pages_language(
    browser: Browser, app_url: str, lang: str, year: str
) -> None:
    tr = Texts(lang)
    with open_tab(browser, f"{app_url}/?lang={lang}") as tab:
        page = tab.page
        wait_idle(page, FIRST_QUERY_TIMEOUT_MS)
        page.get_by_text(tr("filter.title"), exact=True).click()
        part = page.locator('[data-testid="stDateInput"] [data-type="year"]').first
        expect(part).to_be_visible()
        expect(part).to_have_attribute("data-placeholder", "true")
        shown = part.evaluate("e => getComputedStyle(e, '::before').content")
        assert shown == f'"{year}"'
        # Streamlit's own English placeholder takes no room: only ours is seen.
        assert part.evaluate("e => getComputedStyle(e).fontSize") == "0px"
        month = page.locator('[data-testid="stDateInput"] [data-type="month"]').first
        expected = tr("filter.month")
        assert month.evaluate("e => getComputedStyle(e, '::before').content") == f'"{expected}"'
