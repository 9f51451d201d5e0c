"""Reading results: the article at the hit, grouped results, export and citations; screenshots.

``SEMSEARCH_SCREENSHOT=1 pytest tests/webpage -k screenshot`` also writes the README's
``docs/screenshot-light.png``, ``docs/screenshot-dark.png`` and ``docs/screenshot-phone.png``.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from .conftest import (
    FIRST_QUERY_TIMEOUT_MS,
    QUERY_TIMEOUT_MS,
    REPO,
    open_tab,
    search,
    wait_idle,
)

pytestmark = [pytest.mark.slow, pytest.mark.browser]

#: Every hit of this question comes from the 焦裕禄 article, several of them far down.
ONE_ARTICLE_QUERY = "焦裕禄精神如何传承"


def _in_view(page: Page, element: Locator) -> bool:
    box = element.bounding_box()
    viewport = page.viewport_size
    assert box is not None and viewport is not None
    return box["y"] >= 0 and box["y"] + min(box["height"], 200) <= viewport["height"]


def test_article_opens_at_the_hit_and_moves_between_hits(page: Page) -> None:
    search(page, ONE_ARTICLE_QUERY, timeout=FIRST_QUERY_TIMEOUT_MS)
    passages = page.locator(".ss-passage")
    # Open the article from its last shown passage: the hit lies below the fold.
    buttons = page.get_by_role("button", name="Read article")
    buttons.nth(1).click()
    view = page.get_by_role("dialog").locator(".ss-article-view")
    expect(view).to_be_visible(timeout=QUERY_TIMEOUT_MS)
    current = view.locator(".ss-hit.ss-current").first
    expect(current).to_be_visible()
    page.wait_for_timeout(800)  # the scroll runs after the dialog's first frame
    assert _in_view(page, current)
    rank = passages.nth(1).get_attribute("data-rank")
    assert rank is not None
    total = int(view.get_attribute("data-hits") or "0")
    assert total > 1
    before = int(view.get_attribute("data-current") or "-1")
    position = view.locator(".ss-position")
    expect(position).to_contain_text(f"hit {before + 1} of {total}")
    # Query words outside the current hit are subdued (no yellow background).
    outside = view.locator("mark.ss-soft").first
    assert outside.evaluate("e => getComputedStyle(e).backgroundColor") == "rgba(0, 0, 0, 0)"
    view.get_by_role("button", name=re.compile("Next hit")).click()
    after = (before + 1) % total
    expect(view).to_have_attribute("data-current", str(after))
    expect(position).to_contain_text(f"hit {after + 1} of {total}")
    moved = view.locator(f'.ss-current[data-hit="{after}"]').first
    page.wait_for_timeout(800)  # smooth scrolling
    assert _in_view(page, moved)
    view.get_by_role("button", name=re.compile("Previous hit")).click()
    expect(view).to_have_attribute("data-current", str(before))


def test_results_are_grouped_by_article_with_more_and_a_flat_switch(page: Page) -> None:
    search(page, ONE_ARTICLE_QUERY, timeout=FIRST_QUERY_TIMEOUT_MS)
    groups = page.locator(".ss-group")
    files = groups.locator(".ss-file").all_inner_texts()
    assert len(files) == len(set(files))  # each article once
    passages = page.locator(".ss-passage")
    more = page.get_by_text(re.compile(r"^\+\d+ more in this article$"))
    expect(more.first).to_be_visible()
    hidden = int(re.findall(r"\d+", more.first.inner_text())[0])
    assert hidden > 0
    summary = page.locator(".ss-summary").inner_text()
    count = int(re.findall(r"(\d+) results", summary)[0])
    assert passages.count() == count  # the hidden ones are on the page, behind '+N more'
    page.get_by_text("Flat list (not grouped by article)").click()
    expect(page).to_have_url(re.compile("flat=1"))
    wait_idle(page)
    expect(page.locator(".ss-group")).to_have_count(0)
    expect(page.locator(".ss-card")).to_have_count(count)


def test_results_export_and_a_hit_is_cited(page: Page, tmp_path: Path) -> None:
    search(page, "开福区 人人都是火炬手", timeout=FIRST_QUERY_TIMEOUT_MS)
    title = page.locator(".ss-group .ss-title").first.inner_text()
    page.get_by_role("button", name="Export results").click()
    exported = {}
    for name in ("CSV", "JSON", "Markdown"):
        with page.expect_download() as download:
            page.get_by_role("button", name=name, exact=True).click()
        target = tmp_path / download.value.suggested_filename
        download.value.save_as(target)
        exported[name] = target.read_text(encoding="utf-8-sig")
    assert exported["CSV"].startswith("rank,strength,score,title,source,date,paragraph")
    assert title in exported["CSV"]
    payload = json.loads(exported["JSON"])
    assert payload["query"] == "开福区 人人都是火炬手" and payload["results"][0]["title"] == title
    assert f"“{title}”" in exported["Markdown"]
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Cite").first.click()
    cited = page.locator('[data-testid="stCode"]').filter(has_text=title).first
    expect(cited).to_be_visible()
    expect(cited).to_contain_text(re.compile(r"paragraph \d+ \(seeds/004_fc9483995d931fb3\.txt\)"))


def test_on_a_phone_the_first_result_is_on_the_first_screen(browser: Browser, app_url: str) -> None:
    """At 390×844 the search box, the options and the first result's header fit one screen."""
    url = f"{app_url}/?lang=zh-Hans&q={quote('焦裕禄干部学院建在哪里')}"
    with open_tab(browser, url, width=390, height=844) as tab:
        page = tab.page
        card = page.locator(".ss-card").first
        expect(card).to_be_visible(timeout=FIRST_QUERY_TIMEOUT_MS)
        wait_idle(page)
        box = card.bounding_box()
        assert box is not None
        # The card's top within the first screen, with room for its title and first lines.
        assert 0 <= box["y"] <= 844 - 250, box
        # Nothing lost: the box, the mode, the number, the filters and the view are all there,
        # and the labels hidden on a phone still name the controls for screen readers.
        expect(page.get_by_role("textbox", name="搜索")).to_be_in_viewport()
        expect(page.get_by_role("radio", name="关键词")).to_be_in_viewport()
        expect(page.get_by_role("spinbutton", name="结果数")).to_be_in_viewport()
        expect(page.get_by_text("筛选")).to_be_in_viewport()
        expect(page.get_by_role("heading", name="semsearch")).to_be_in_viewport()


@pytest.mark.skipif(
    os.environ.get("SEMSEARCH_SCREENSHOT") != "1", reason="set SEMSEARCH_SCREENSHOT=1 to write them"
)
@pytest.mark.parametrize(
    ("name", "scheme", "width", "height"),
    [("light", "light", 1280, 900), ("dark", "dark", 1280, 900), ("phone", "light", 390, 844)],
)
def test_screenshot_of_a_results_page(
    browser: Browser, app_url: str, name: str, scheme: str, width: int, height: int
) -> None:
    url = f"{app_url}/?lang=zh-Hans&q={quote('焦裕禄干部学院建在哪里')}"
    with open_tab(browser, url, color_scheme=scheme, width=width, height=height) as tab:
        expect(tab.page.locator(".ss-passage").first).to_be_visible(timeout=FIRST_QUERY_TIMEOUT_MS)
        wait_idle(tab.page)
        # Widgets draw a grey placeholder until their code has loaded: wait for all of them.
        expect(tab.page.get_by_role("textbox", name="搜索")).to_be_visible(timeout=QUERY_TIMEOUT_MS)
        expect(tab.page.locator('[data-testid="stSkeleton"]')).to_have_count(
            0, timeout=QUERY_TIMEOUT_MS
        )
        tab.page.mouse.move(0, 0)
        tab.page.wait_for_timeout(800)
        target = REPO / "docs" / f"screenshot-{name}.png"
        tab.page.screenshot(path=str(target))
        assert target.stat().st_size > 20_000
