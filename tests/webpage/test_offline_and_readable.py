"""Start-up and offline use, and marks readable in both themes (in a real browser)."""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import Browser, Page, expect

from semsearch.ui.i18n import Texts

from .conftest import (
    FIRST_QUERY_TIMEOUT_MS,
    QUERY_TIMEOUT_MS,
    READY,
    Server,
    Tab,
    open_tab,
    streamlit_server,
    wait_idle,
)

pytestmark = [pytest.mark.slow, pytest.mark.browser]

#: WCAG 2 AA for normal text.
AA = 4.5

#: For every coloured element of ours: its text colour (blended by opacity) against the
#: first opaque background behind it, as a WCAG contrast ratio.
CONTRAST_JS = """
(selector) => {
  const parse = (c) => { const m = c.match(/[\\d.]+/g).map(Number);
    return { r: m[0], g: m[1], b: m[2], a: m.length > 3 ? m[3] : 1 }; };
  const over = (top, below) => ({ r: top.r * top.a + below.r * (1 - top.a),
    g: top.g * top.a + below.g * (1 - top.a), b: top.b * top.a + below.b * (1 - top.a), a: 1 });
  const background = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c.a > 0) { layers.push(c); if (c.a >= 1) break; }
    }
    let result = { r: 255, g: 255, b: 255, a: 1 };
    for (const layer of layers.reverse()) result = over(layer, result);
    return result;
  };
  const opacity = (el) => { let o = 1;
    for (let e = el; e; e = e.parentElement) o *= Number(getComputedStyle(e).opacity);
    return o; };
  const lum = (c) => { const f = (v) => { v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b); };
  return [...document.querySelectorAll(selector)].filter((e) => e.offsetParent !== null)
    .map((el) => {
      const bg = background(el);
      const fg = parse(getComputedStyle(el).color);
      const seen = over({ ...fg, a: fg.a * opacity(el) }, bg);
      const [hi, lo] = [lum(seen), lum(bg)].sort((x, y) => y - x);
      return { cls: el.className || el.tagName, text: el.textContent.slice(0, 12),
               ratio: (hi + 0.05) / (lo + 0.05), bg: getComputedStyle(el).backgroundColor };
    });
}
"""
MARKED = "mark, .ss-hit, .ss-answer, .ss-strength, .ss-rank, .ss-meta, .ss-text, .ss-title"


def _open_results(
    browser: Browser, url: str, query: str, color_scheme: str = "light", k: int = 10
) -> contextlib.AbstractContextManager[Tab]:
    return open_tab(
        browser, f"{url}/?lang=zh-Hans&k={k}&q={quote(query)}", color_scheme=color_scheme
    )


def _wait_cards(page: Page, timeout: float = QUERY_TIMEOUT_MS) -> None:
    expect(page.locator(".ss-passage").first).to_be_visible(timeout=timeout)
    wait_idle(page, timeout)


def test_first_visitor_after_start_gets_results_in_seconds_without_leaving_the_host(
    browser: Browser, server: Server
) -> None:
    assert server.warm_up_seconds is not None  # the server loaded the model while starting
    started = time.monotonic()
    # Thirty results reach articles of several dates whatever the ranking's weights: the page
    # draws its chart too.
    with _open_results(browser, server.url, "开福区 焦裕禄", k=30) as tab:
        page = tab.page
        _wait_cards(page, FIRST_QUERY_TIMEOUT_MS)
        elapsed = time.monotonic() - started
        expect(page.locator('[data-testid="stVegaLiteChart"]')).to_be_visible()
        page.get_by_role("button", name="导出结果").click()
        expect(page.get_by_role("button", name="Markdown")).to_be_visible()
        page.keyboard.press("Escape")
        page.get_by_role("button", name="阅读全文").first.click()
        expect(page.locator(".ss-article-view")).to_be_visible(timeout=QUERY_TIMEOUT_MS)
        page.wait_for_timeout(500)
        print(f"\nwarm-up {server.warm_up_seconds:.1f} s; page open → cards {elapsed:.2f} s")
        assert elapsed < 15
        outside = [u for u in tab.requests if not u.startswith(server.url)]
        assert outside == [], outside


def test_a_visitor_during_the_warm_up_is_told_then_served(
    browser: Browser, workspace: tuple[Path, Path]
) -> None:
    corpus, index = workspace
    with (
        streamlit_server(corpus.parent, index.name, corpus.name) as fresh,
        _open_results(browser, fresh.url, "焦裕禄干部学院建在哪里") as tab,
    ):
        loading = tab.page.get_by_text(Texts("zh-Hans")("page.loading_model"))
        warm_already = READY.search(fresh.log.read_text(errors="replace"))
        if not warm_already:
            try:
                expect(loading).to_be_visible(timeout=QUERY_TIMEOUT_MS)
            except AssertionError:
                # On a loaded machine the warm-up can end between reading the log and the
                # page's first run: then the visitor had nothing to wait for.
                assert READY.search(fresh.log.read_text(errors="replace"))
        _wait_cards(tab.page, FIRST_QUERY_TIMEOUT_MS)
        expect(loading).to_have_count(0)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_marks_and_text_have_aa_contrast_in_both_themes(
    browser: Browser, app_url: str, scheme: str
) -> None:
    with _open_results(browser, app_url, "焦裕禄精神如何传承", color_scheme=scheme) as tab:
        page = tab.page
        _wait_cards(page, FIRST_QUERY_TIMEOUT_MS)
        app_background = page.evaluate(
            "getComputedStyle(document.querySelector('[data-testid=stApp]')).backgroundColor"
        )
        dark = sum(int(v) for v in app_background[4:-1].split(",")[:3]) < 3 * 80
        assert dark == (scheme == "dark"), app_background
        page.get_by_role("button", name="阅读全文").first.click()
        expect(page.locator(".ss-article .ss-current").first).to_be_visible(
            timeout=QUERY_TIMEOUT_MS
        )
        # Streamlit fades the page while a rerun is under way: measure the page at rest.
        wait_idle(page)
        page.wait_for_timeout(600)
        measured = page.evaluate(CONTRAST_JS, MARKED)
        kinds = {str(m["cls"]).split()[0] for m in measured}
        assert {"MARK", "ss-hit", "ss-meta", "ss-text", "ss-rank"} <= kinds, kinds
        poor = [m for m in measured if m["ratio"] < AA]
        assert poor == [], poor[:5]
