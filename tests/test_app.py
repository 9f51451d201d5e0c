"""End-to-end tests of the Streamlit page in a real browser (Debian's Chromium via Playwright).

One Streamlit server per module, on a free port, over a temporary copy of the seeds (plus an
article full of HTML injection) indexed once with the real model. The tests type queries the
way a user does and read what the browser shows.

``SEMSEARCH_SCREENSHOT=1 pytest tests/test_app.py -k screenshot`` also writes
``docs/screenshot.png`` (for the README).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Dialog,
    Locator,
    Page,
    expect,
    sync_playwright,
)

pytestmark = [pytest.mark.slow, pytest.mark.browser]


REPO = Path(__file__).resolve().parent.parent
APP = REPO / "app.py"
SEEDS = REPO / "seeds"
INJECTION = Path(__file__).resolve().parent / "data" / "injection.txt"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]

#: Generous: the first query loads the model in the server (several seconds on 2 busy cores).
FIRST_QUERY_TIMEOUT_MS = 120_000
QUERY_TIMEOUT_MS = 30_000

NEW_ARTICLE = """嫦娥六号完成人类首次月球背面采样返回

发布时间：2024-06-25 来源：科技日报

6月25日14时07分，嫦娥六号返回器准确着陆在内蒙古四子王旗预定区域，工作正常，
标志着探月工程嫦娥六号任务取得圆满成功，实现世界首次月球背面采样返回。

嫦娥六号在月球背面南极-艾特肯盆地采集了约1935.3克月壤样品，科研人员将开展深入研究。
"""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"streamlit exited early:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"streamlit did not answer in {timeout:.0f} s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """``seeds/`` (the seeds + the injection article) and ``index/`` in a temporary folder.

    Laid out like the repository and indexed from inside the folder with the real model, so
    the page shows the same relative paths as under ``make run``.
    """
    from semsearch import indexing
    from semsearch.embed import load_embedder

    root = tmp_path_factory.mktemp("app")
    corpus = root / "seeds"
    shutil.copytree(SEEDS, corpus)
    shutil.copy(INJECTION, corpus / INJECTION.name)
    with contextlib.chdir(root):
        indexing.build([Path("seeds")], Path("index"), load_embedder())
    return corpus, root / "index"


@contextlib.contextmanager
def streamlit_server(cwd: Path, index: str, corpus: str, **settings: str) -> Iterator[str]:
    """Run ``streamlit run app.py`` on a free port; stop its whole process group afterwards.

    Fails if the server logged a traceback: the page must turn every error into a message.
    ``settings`` are more environment variables (``SEMSEARCH_ENGINE=…``).
    """
    port = _free_port()
    log = cwd / f"streamlit-{port}.log"
    env = {
        **os.environ,
        "SEMSEARCH_INDEX": index,
        "SEMSEARCH_CORPUS": corpus,
        "PYTHONUNBUFFERED": "1",
        **settings,
    }
    command = [
        sys.executable, "-m", "streamlit", "run", str(APP),
        "--server.port", str(port),
        "--server.address", "127.0.0.1",
        "--server.headless", "true",
        "--server.fileWatcherType", "none",
        "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, process, log, timeout=60)
        yield url
    finally:
        group = os.getpgid(process.pid)
        os.killpg(group, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(group, signal.SIGKILL)
            process.wait(timeout=10)
    server_log = log.read_text(errors="replace")
    assert "Traceback" not in server_log, server_log[-3000:]


@pytest.fixture(scope="module")
def app_url(workspace: tuple[Path, Path]) -> Iterator[str]:
    """The page over the indexed workspace (relative paths, as under ``make run``)."""
    corpus, index = workspace
    with streamlit_server(corpus.parent, index.name, corpus.name) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Debian Chromium (a downloaded browser is not available here)."""
    if not CHROMIUM.exists():
        pytest.fail("No /usr/bin/chromium: run `make browser` (apt-get install chromium).")
    with sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def _open_page(browser: Browser, url: str) -> tuple[BrowserContext, Page, list[str]]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    tab = context.new_page()
    dialogs: list[str] = []

    def record_dialog(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    tab.on("dialog", record_dialog)
    tab.goto(url)
    expect(tab.get_by_role("heading", name="semsearch")).to_be_visible(timeout=60_000)
    return context, tab, dialogs


@pytest.fixture
def page(browser: Browser, app_url: str) -> Iterator[Page]:
    """A fresh page on the app; fails the test if any JavaScript dialog (alert) opened."""
    context, tab, dialogs = _open_page(browser, app_url)
    # The first visit loads the model behind a spinner; wait until the page is idle.
    expect(tab.get_by_role("textbox", name="Search")).to_be_enabled(timeout=FIRST_QUERY_TIMEOUT_MS)
    wait_idle(tab, FIRST_QUERY_TIMEOUT_MS)
    yield tab
    context.close()
    assert dialogs == [], f"a script ran in the page: {dialogs}"


def wait_idle(page: Page, timeout: float = QUERY_TIMEOUT_MS) -> None:
    """Wait until the Streamlit script is not running (a rerun has finished)."""
    app = page.locator('[data-testid="stApp"]')
    expect(app).to_have_attribute("data-test-script-state", "notRunning", timeout=timeout)


def search(page: Page, query: str, timeout: float = QUERY_TIMEOUT_MS) -> float:
    """Type a query, press Enter and wait for its results; returns the seconds it took."""
    box = page.get_by_role("textbox", name="Search")
    box.fill(query)
    started = time.monotonic()
    box.press("Enter")
    summary = page.locator(".ss-summary").filter(has_text=query)
    expect(summary).to_be_visible(timeout=timeout)
    # The summary comes first: wait for the run to finish drawing the cards too.
    wait_idle(page, timeout)
    return time.monotonic() - started


def first_card(page: Page) -> Locator:
    """The first result card's own HTML block."""
    return page.locator(".ss-card").first


def test_missing_index_shows_the_fix(browser: Browser, tmp_path: Path) -> None:
    (tmp_path / "articles").mkdir()
    with streamlit_server(tmp_path, "no-index-here", "articles") as url:
        context, tab, _ = _open_page(browser, url)
        alert = tab.get_by_role("alert").filter(has_text="There is no index yet")
        expect(alert).to_contain_text("no-index-here")
        expect(alert).to_contain_text("semsearch build articles")
        expect(tab.get_by_role("textbox", name="Search")).to_be_disabled()
        context.close()


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
    with streamlit_server(tmp_path, "news", "articles", **engine) as url:
        context, tab, _ = _open_page(browser, url)
        search(tab, "焦裕禄干部学院建在哪里", timeout=FIRST_QUERY_TIMEOUT_MS)
        expect(first_card(tab).locator(".ss-file")).to_contain_text("000_02c521df31b8c6f7.txt")
        expect(tab.get_by_text("news on Qdrant at")).to_be_visible()
        busy = subprocess.run(
            [*command, "update", *where], cwd=tmp_path, capture_output=True, text=True, timeout=300
        )
        context.close()
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
    expect(card.locator("mark").first).to_be_visible()  # the query's words are highlighted
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
    assert files.count() > 1
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


@pytest.mark.skipif(
    os.environ.get("SEMSEARCH_SCREENSHOT") != "1", reason="set SEMSEARCH_SCREENSHOT=1 to write it"
)
def test_screenshot_of_a_results_page(page: Page) -> None:
    search(page, "焦裕禄干部学院", timeout=FIRST_QUERY_TIMEOUT_MS)  # warm up
    search(page, "焦裕禄精神如何传承")
    page.mouse.move(0, 0)
    page.wait_for_timeout(500)
    target = REPO / "docs" / "screenshot.png"
    page.screenshot(path=str(target))
    assert target.stat().st_size > 20_000


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
    documents = page.locator('[data-testid="stMetric"]').filter(has_text="Documents")
    expect(documents).to_contain_text("7")  # 5 seeds, the injection article, the new one
    search(page, "月球背面采样返回")
    expect(first_card(page).locator(".ss-file")).to_contain_text("嫦娥六号 报道.txt")
    # The same file again is recognized, not saved twice.
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(upload))
    page.get_by_role("button", name="Add to index").click()
    expect(page.get_by_text("is already in the corpus")).to_be_visible(timeout=QUERY_TIMEOUT_MS)
    assert sorted(p.name for p in corpus.glob("嫦娥*")) == ["嫦娥六号 报道.txt"]
