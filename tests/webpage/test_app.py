"""End-to-end tests of the Streamlit page in a real browser (Debian's Chromium via Playwright).

The page's established behaviour, in English (``?lang=en``): searching, filters, the article
dialog, escaping, uploads. The server and browser are shared (``conftest.py``).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from .conftest import (
    FIRST_QUERY_TIMEOUT_MS,
    QUERY_TIMEOUT_MS,
    SEEDS,
    first_card,
    open_tab,
    search,
    streamlit_server,
    wait_idle,
)

pytestmark = [pytest.mark.slow, pytest.mark.browser]

NEW_ARTICLE = """嫦娥六号完成人类首次月球背面采样返回

发布时间：2024-06-25 来源：科技日报

6月25日14时07分，嫦娥六号返回器准确着陆在内蒙古四子王旗预定区域，工作正常，
标志着探月工程嫦娥六号任务取得圆满成功，实现世界首次月球背面采样返回。

嫦娥六号在月球背面南极-艾特肯盆地采集了约1935.3克月壤样品，科研人员将开展深入研究。
"""


def test_missing_index_shows_the_fix(browser: Browser, tmp_path: Path) -> None:
    (tmp_path / "articles").mkdir()
    with (
        streamlit_server(tmp_path, "no-index-here", "articles") as server,
        open_tab(browser, f"{server.url}/?lang=en") as tab,
    ):
        alert = tab.page.get_by_role("alert").filter(has_text="There is no index yet")
        expect(alert).to_contain_text("no-index-here")
        expect(alert).to_contain_text("semsearch build articles")
        expect(tab.page.get_by_role("textbox", name="Search")).to_be_disabled()


def test_the_page_searches_a_qdrant_index_a_cli_update_meanwhile_is_told(
    browser: Browser, tmp_path: Path
) -> None:
    """$SEMSEARCH_ENGINE=qdrant with a local-mode folder: the page searches it, and since local
    mode serves one process at a time, a CLI update while the page has it open gets a message."""
    corpus = tmp_path / "articles"
    corpus.mkdir()
    for seed in sorted(SEEDS.glob("*.txt"))[:2]:
        shutil.copy(seed, corpus / seed.name)
    folder = tmp_path / "qdrant"
    where = ["--engine", "qdrant", "--qdrant-url", str(folder), "--index", "news"]
    command = [sys.executable, "-m", "semsearch.cli"]
    built = subprocess.run(
        [*command, "build", "articles", *where],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert built.returncode == 0, built.stderr
    engine = {"SEMSEARCH_ENGINE": "qdrant", "SEMSEARCH_QDRANT_URL": str(folder)}
    with (
        streamlit_server(tmp_path, "news", "articles", **engine) as server,
        open_tab(browser, f"{server.url}/?lang=en") as tab,
    ):
        search(tab.page, "焦裕禄干部学院建在哪里", timeout=FIRST_QUERY_TIMEOUT_MS)
        expect(first_card(tab.page).locator(".ss-file")).to_contain_text("000_02c521df31b8c6f7.txt")
        expect(tab.page.get_by_text("news on Qdrant at")).to_be_visible()
        busy = subprocess.run(
            [*command, "update", *where], cwd=tmp_path, capture_output=True, text=True, timeout=300
        )
    assert busy.returncode == 1 and "Traceback" not in busy.stderr
    assert "is open in another process" in " ".join(busy.stderr.split())


def test_first_visit_offers_example_queries_that_run(page: Page) -> None:
    examples = page.get_by_role("button", name=re.compile("焦裕禄干部学院"))
    examples.click()
    summary = page.locator(".ss-summary").filter(has_text="焦裕禄干部学院")
    expect(summary).to_be_visible(timeout=FIRST_QUERY_TIMEOUT_MS)
    expect(first_card(page).locator(".ss-file")).to_contain_text("000_02c521df31b8c6f7.txt")
    expect(page.get_by_role("textbox", name="Search")).to_have_value(re.compile("焦裕禄干部学院"))


def test_seed_question_finds_the_right_article_first(page: Page) -> None:
    search(page, "焦裕禄干部学院建在哪里", timeout=FIRST_QUERY_TIMEOUT_MS)
    card = first_card(page)
    expect(card.locator(".ss-file")).to_contain_text("000_02c521df31b8c6f7.txt")
    expect(page.locator(".ss-text mark").first).to_be_visible()  # the query's words are marked
    # A second query answers fast now that the model is loaded.
    elapsed = search(page, "开福区 人人都是火炬手")
    expect(first_card(page).locator(".ss-file")).to_contain_text("004_fc9483995d931fb3.txt")
    took_ms = float(page.locator(".ss-summary").first.get_attribute("data-took-ms") or "inf")
    print(f"\nwarm query: searcher {took_ms:.0f} ms, Enter→results in browser {elapsed:.2f} s")
    assert took_ms < 1000


def test_traditional_query_finds_the_traditional_article(page: Page) -> None:
    search(page, "蘭考如何實現脫貧摘帽", timeout=FIRST_QUERY_TIMEOUT_MS)
    expect(first_card(page).locator(".ss-file")).to_contain_text("001_92b96156f557c987.txt")
    # The whole article opens in a dialog, with the hit marked.
    page.get_by_role("button", name="Read article").first.click()
    dialog = page.get_by_role("dialog")
    expect(dialog.locator(".ss-article .ss-hit").first).to_be_visible(timeout=QUERY_TIMEOUT_MS)
    expect(dialog.locator(".ss-article")).to_contain_text("蘭考")


def test_mode_and_article_filter_narrow_the_results(page: Page) -> None:
    search(page, "精神 发展", timeout=FIRST_QUERY_TIMEOUT_MS)
    files = page.locator(".ss-file")
    assert len(set(files.all_inner_texts())) > 1  # several articles before filtering
    page.get_by_role("radio", name="Keyword").click()
    expect(page.locator(".ss-summary")).to_contain_text("Keyword")
    wait_idle(page)
    page.get_by_text("Filters").click()
    expect(page.locator('[data-testid="stExpander"] details').first).to_have_attribute("open", "")
    chooser = page.get_by_role("combobox", name="Only these articles")
    expect(chooser).to_be_in_viewport()
    page.locator('[data-testid="stMultiSelect"] button[aria-label="Open"]').click()
    expect(page.get_by_role("listbox")).to_be_visible()
    page.locator('[role="option"]').filter(has_text="004_fc9483995d931fb3").click()
    chooser.press("Escape")
    others = files.filter(has_not_text="seeds/004_fc9483995d931fb3.txt")
    expect(others).to_have_count(0, timeout=QUERY_TIMEOUT_MS)
    wait_idle(page)
    assert page.locator(".ss-passage").count() > 1  # grouped: one article, several passages
    expect(page.locator(".ss-summary")).to_contain_text("Keyword")


def test_injection_article_shows_markup_as_text(page: Page) -> None:
    search(page, "中牟县沙地西瓜丰收", timeout=FIRST_QUERY_TIMEOUT_MS)
    card = first_card(page)
    expect(card.locator(".ss-file")).to_contain_text("injection.txt")
    page.get_by_role("button", name="Read article").first.click()
    article = page.get_by_role("dialog").locator(".ss-article")
    expect(article).to_contain_text(
        '<script>window.__pwned = "script"; alert("xss-script")</script>'
    )
    expect(article).to_contain_text("<img src=x onerror=")
    expect(article).to_contain_text("**粗体** [链接](javascript:alert(1)) $x^2$")
    assert page.locator("img[onerror]").count() == 0
    scripts = page.evaluate(
        "[...document.querySelectorAll('script')].filter(s => s.textContent.includes('xss')).length"
    )
    assert scripts == 0
    assert page.evaluate("window.__pwned === undefined")


def test_uploaded_article_is_searchable_at_once(
    page: Page, workspace: tuple[Path, Path], tmp_path: Path
) -> None:
    corpus, _ = workspace
    upload = tmp_path / "嫦娥六号 报道.txt"
    upload.write_text(NEW_ARTICLE, encoding="utf-8")
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(upload))
    page.get_by_role("button", name="Add to index").click()
    expect(page.get_by_text(re.compile(r"Indexed 嫦娥六号 报道\.txt"))).to_be_visible(
        timeout=FIRST_QUERY_TIMEOUT_MS
    )
    assert (corpus / "嫦娥六号 报道.txt").read_text(encoding="utf-8") == NEW_ARTICLE
    documents = page.locator('[data-testid="stMetric"]').filter(has_text="Articles")
    expect(documents).to_contain_text("8")  # 5 seeds, the injection and undated ones, the new one
    search(page, "月球背面采样返回")
    expect(first_card(page).locator(".ss-file")).to_contain_text("嫦娥六号 报道.txt")
    # The same file again is recognized, not saved twice.
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(upload))
    page.get_by_role("button", name="Add to index").click()
    expect(page.get_by_text("is already in the corpus")).to_be_visible(timeout=QUERY_TIMEOUT_MS)
    assert sorted(p.name for p in corpus.glob("嫦娥*")) == ["嫦娥六号 报道.txt"]
