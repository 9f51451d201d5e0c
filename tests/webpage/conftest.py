"""One Streamlit server and one headless Chromium for every browser test of the page.

The server is started the way ``make run`` starts it (``python -m semsearch.ui.serve``: the
model and index load while it starts) over a temporary copy of the seeds (plus an article
full of HTML injection) indexed once with the real model; it is shared by the whole session
(starting it costs ~15 s of model loading on this machine). The tests type queries the way a
user does and read what the browser shows. Every request the browser makes is recorded, so a
test can assert that none leaves the page's own host.
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
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Dialog, Locator, Page, expect, sync_playwright

REPO = Path(__file__).resolve().parents[2]
SEEDS = REPO / "seeds"
INJECTION = REPO / "tests" / "data" / "injection.txt"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]

#: Generous: a server started without warm-up loads the model on the first query.
FIRST_QUERY_TIMEOUT_MS = 120_000
QUERY_TIMEOUT_MS = 30_000
#: An article without any date, for the date filter's count of what it leaves out.
UNDATED_NAME = "undated.txt"
UNDATED_ARTICLE = "安溪茶农的春天\n\n清明前后，安溪的茶园里满是采茶人，铁观音新茶陆续上市。\n"
#: The warm-up's line in the server log (semsearch.ui.preload).
READY = re.compile(r"semsearch: model and index ready in ([\d.]+) s")


@dataclass
class Server:
    """A running page: its URL, its log and how long the warm-up took."""

    url: str
    log: Path
    warm_up_seconds: float | None = None


@dataclass
class Tab:
    """A browser tab on the page, with every URL it requested and every dialog it opened."""

    page: Page
    requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)


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


def wait_warm(server: Server, timeout: float = 180) -> float:
    """Wait for the warm-up's line in the log; returns the seconds it reports."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = READY.search(server.log.read_text(errors="replace"))
        if found:
            server.warm_up_seconds = float(found.group(1))
            return server.warm_up_seconds
        time.sleep(0.3)
    pytest.fail(f"no warm-up line in {timeout:.0f} s:\n{server.log.read_text()[-3000:]}")


@contextlib.contextmanager
def streamlit_server(cwd: Path, index: str, corpus: str, **settings: str) -> Iterator[Server]:
    """Run the page's server on a free port; stop its whole process group afterwards.

    Fails if the server logged a traceback (the page must turn every error into a message)
    or watched files (no "Inotify" line: file watching is off). ``settings`` are more
    environment variables (``SEMSEARCH_ENGINE=…``).
    """
    port = _free_port()
    log = cwd / f"streamlit-{port}.log"
    env = {
        **os.environ,
        "SEMSEARCH_INDEX": index,
        "SEMSEARCH_CORPUS": corpus,
        "PYTHONUNBUFFERED": "1",
        "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
        **settings,
    }
    command = [
        sys.executable, "-m", "semsearch.ui.serve",
        "--server.port", str(port),
        "--server.address", "127.0.0.1",
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
        yield Server(url, log)
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
    assert "Inotify" not in server_log, server_log[-3000:]


@pytest.fixture(scope="session")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """``seeds/`` (the seeds, the injection article, an undated one) and ``index/`` in a temporary
    folder.

    Laid out like the repository and indexed from inside the folder with the real model, so
    the page shows the same relative paths as under ``make run``.
    """
    from semsearch import indexing
    from semsearch.embed import load_embedder

    root = tmp_path_factory.mktemp("app")
    corpus = root / "seeds"
    shutil.copytree(SEEDS, corpus)
    shutil.copy(INJECTION, corpus / INJECTION.name)
    (corpus / UNDATED_NAME).write_text(UNDATED_ARTICLE, encoding="utf-8")
    with contextlib.chdir(root):
        indexing.build([Path("seeds")], Path("index"), load_embedder())
    return corpus, root / "index"


@pytest.fixture(scope="session")
def server(workspace: tuple[Path, Path]) -> Iterator[Server]:
    """The page over the indexed workspace (relative paths, as under ``make run``), warm."""
    corpus, index = workspace
    with streamlit_server(corpus.parent, index.name, corpus.name) as running:
        wait_warm(running)
        yield running


@pytest.fixture(scope="session")
def app_url(server: Server) -> str:
    """The shared page's address."""
    return server.url


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Headless Debian Chromium (a downloaded browser is not available here)."""
    if not CHROMIUM.exists():
        pytest.fail("No /usr/bin/chromium: run `make browser` (apt-get install chromium).")
    with sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@contextlib.contextmanager
def open_tab(
    browser: Browser,
    url: str,
    *,
    locale: str = "zh-CN",
    color_scheme: str = "light",
    width: int = 1280,
    height: int = 900,
) -> Iterator[Tab]:
    """A new browser context on ``url``, once the page's title is there; closed afterwards."""
    context = browser.new_context(
        viewport={"width": width, "height": height},
        locale=locale,
        color_scheme=color_scheme,  # type: ignore[arg-type]
    )
    tab = Tab(context.new_page())

    def record_dialog(dialog: Dialog) -> None:
        tab.dialogs.append(dialog.message)
        dialog.dismiss()

    tab.page.on("dialog", record_dialog)
    tab.page.on("request", lambda request: tab.requests.append(request.url))
    tab.page.goto(url)
    expect(tab.page.get_by_role("heading", name="semsearch")).to_be_visible(timeout=60_000)
    try:
        yield tab
    finally:
        context.close()


@pytest.fixture
def page(browser: Browser, app_url: str) -> Iterator[Page]:
    """A fresh page on the app in English; fails the test if any JavaScript dialog opened."""
    with open_tab(browser, f"{app_url}/?lang=en") as tab:
        expect(tab.page.get_by_role("textbox", name="Search")).to_be_enabled(
            timeout=FIRST_QUERY_TIMEOUT_MS
        )
        wait_idle(tab.page, FIRST_QUERY_TIMEOUT_MS)
        yield tab.page
        assert tab.dialogs == [], f"a script ran in the page: {tab.dialogs}"


def wait_idle(page: Page, timeout: float = QUERY_TIMEOUT_MS) -> None:
    """Wait until the Streamlit script is not running (a rerun has finished)."""
    app = page.locator('[data-testid="stApp"]')
    expect(app).to_have_attribute("data-test-script-state", "notRunning", timeout=timeout)


def search(
    page: Page, query: str, timeout: float = QUERY_TIMEOUT_MS, label: str = "Search"
) -> float:
    """Type a query, press Enter and wait for its results; returns the seconds it took."""
    box = page.get_by_role("textbox", name=label)
    box.fill(query)
    started = time.monotonic()
    box.press("Enter")
    summary = page.locator(".ss-summary").filter(has_text=query)
    expect(summary).to_be_visible(timeout=timeout)
    # The summary comes first: wait for the run to finish drawing the cards too.
    wait_idle(page, timeout)
    return time.monotonic() - started


def first_card(page: Page) -> Locator:
    """The first result's own HTML block (an article's header, or a flat card)."""
    return page.locator(".ss-card").first
