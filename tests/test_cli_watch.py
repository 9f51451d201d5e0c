"""``semsearch watch`` end to end: a real process, the real model, real files and index.

The watcher runs in a subprocess over a copy of a few seeds; the test drops, edits and deletes
an article and asks ``semsearch query`` until the change is found. The deadlines guard against
hangs; they do not measure speed.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from test_cli import NEW_ARTICLE, SEEDS, SEMSEARCH, query_json

DEADLINE = 60.0


def wait_until(condition: Callable[[], bool], what: str, deadline: float = DEADLINE) -> None:
    """Poll ``condition`` until it holds; fail after ``deadline`` seconds."""
    end = time.monotonic() + deadline
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting until {what}")
        time.sleep(0.5)


def _interruptible() -> None:
    """Give the watcher Ctrl-C's default disposition, as a terminal's foreground job has it.

    A suite started in the background by a non-interactive shell (``make test &``, some CI
    runners) inherits SIGINT ignored, and Python then installs no KeyboardInterrupt handler: the
    watcher rightly ignored the test's Ctrl-C and the test hung (the stacks showed the main
    loop waiting normally).
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class WatchProcess:
    """``semsearch watch`` running in ``cwd``, its stderr collected in a file."""

    def __init__(self, cwd: Path) -> None:
        # faulthandler: a watcher that does not stop writes every thread's stack on SIGABRT.
        env = {**os.environ, "COLUMNS": "200", "PYTHONFAULTHANDLER": "1"}
        env.pop("SEMSEARCH_INDEX", None)
        env.pop("SEMSEARCH_CORPUS", None)
        self.stderr_path = cwd / "watch.err"
        with self.stderr_path.open("w") as stderr:
            self.process = subprocess.Popen(
                [*SEMSEARCH, "watch", "--debounce", "1"],
                cwd=cwd,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                text=True,
                preexec_fn=_interruptible,
            )

    @property
    def said(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8")

    def interrupt(self) -> int:
        """Ctrl-C; the exit status. A watcher still running after the deadline fails the test
        with the stacks of its threads (seen once under load; this says where it waits)."""
        self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout=DEADLINE)
        except subprocess.TimeoutExpired:
            self.process.send_signal(signal.SIGABRT)
            self.process.wait(timeout=DEADLINE)
            raise AssertionError(
                f"the watcher did not stop on Ctrl-C:\n{self.said[-6000:]}"
            ) from None


@pytest.fixture
def watching(tmp_path: Path) -> Iterator[WatchProcess]:
    """A watcher over a copy of three seeds in ``seeds/``; no index exists before it."""
    (tmp_path / "seeds").mkdir()
    for seed in sorted(SEEDS.glob("*.txt"))[:3]:
        shutil.copy(seed, tmp_path / "seeds")
    watcher = WatchProcess(tmp_path)
    try:
        wait_until(lambda: "Watching" in watcher.said, "it watches", deadline=300)
        yield watcher
    finally:
        if watcher.process.poll() is None:
            watcher.process.kill()
            watcher.process.wait()


def found(cwd: Path, query: str) -> list[str]:
    """The paths of the hits of a hybrid query."""
    return [hit["path"] for hit in query_json(cwd, query, "-k", "5")["results"]]


@pytest.mark.slow
def test_watch_follows_a_dropped_edited_and_deleted_article(watching: WatchProcess) -> None:
    cwd = watching.stderr_path.parent
    assert "3 added" in watching.said
    article = cwd / "seeds" / "quantum.txt"
    article.write_text(NEW_ARTICLE, encoding="utf-8")
    wait_until(
        lambda: found(cwd, "量子比特的相干时间提高到多少")[:1] == ["seeds/quantum.txt"],
        "the new article is found",
    )

    article.write_text(NEW_ARTICLE.replace("合肥", "深圳"), encoding="utf-8")

    def edit_found() -> bool:
        hit = query_json(cwd, "量子计算研究院在哪个城市揭牌", "-k", "1")["results"][0]
        return "深圳" in hit["text"]

    wait_until(edit_found, "the edit is found")

    article.unlink()
    wait_until(
        lambda: not any(p.endswith("quantum.txt") for p in found(cwd, "量子计算研究院")),
        "the deleted article is gone",
    )
    said = watching.said
    assert "1 added" in said and "1 changed" in said and "1 removed" in said

    assert watching.interrupt() == 0
    assert "Stopped watching" in watching.said
    assert "Traceback" not in watching.said
    info = json.loads(
        subprocess.run(
            [*SEMSEARCH, "info", "--json"], cwd=cwd, capture_output=True, text=True, timeout=120
        ).stdout
    )
    assert info["documents"] == 3
