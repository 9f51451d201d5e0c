"""SIGKILL at random moments of builds and updates: the previous index always stays usable.

A bounded, seeded series of trials: each changes the corpus (adds, edits and deletes articles,
a Word file and a web page among them, so the extraction worker is running too), starts an
update or a rebuild in a child process with a slowed fake model, kills it after a random delay
(drawn over the length of an undisturbed run), then checks that the index opens and searches,
that the extraction worker did not outlive its indexer, and that a normal update succeeds and
leaves no temporary folder behind.
"""

from __future__ import annotations

import random
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
from fakes import FakeEmbedder

from semsearch import indexing, lexical
from semsearch.storage import open_index

from .conftest import SEEDS
from .poison import docx_bytes

TRIALS = 8
SEED = 14
TESTS = Path(__file__).resolve().parents[1]

_CHILD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    sys.path.insert(0, {tests!r})
    from fakes import FakeEmbedder
    from semsearch import indexing

    class SlowEmbedder(FakeEmbedder):
        # Same fingerprint as FakeEmbedder; slow enough for a kill to land mid-embedding.
        def embed_passages(self, texts, batch_size=32, progress=None):
            time.sleep(0.003 * len(texts))
            return super().embed_passages(texts, batch_size, progress)

    print("ready", flush=True)
    if sys.argv[1] == "rebuild":
        indexing.build([Path("corpus")], Path("index"), SlowEmbedder(), rebuild=True)
    else:
        indexing.update(None, Path("index"), SlowEmbedder())
    print("finished", flush=True)
    """
)


def start(operation: str) -> subprocess.Popen[str]:
    """Start an update or a rebuild in a child process; return once it has imported semsearch."""
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD.format(tests=str(TESTS)), operation],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert child.stdout is not None and child.stdout.readline().strip() == "ready"
    return child


def children_of(pid: int) -> list[int]:
    """The processes ``pid`` has started (the extraction worker)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(p) for p in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def is_gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state in {"Z", "X"}  # a zombie waits for init to reap it: it runs no more


def change_corpus(corpus: Path, trial: int) -> None:
    """Add one article, edit one and delete one, differently in each trial."""
    rng = random.Random(SEED * 100 + trial)
    articles = sorted(corpus.glob("*.txt"))
    edited = rng.choice(articles)
    edited.write_text(edited.read_text(encoding="utf-8") + f"\n补充段落第{trial}次修改。\n")
    if len(articles) > 4:
        rng.choice([a for a in articles if a != edited]).unlink()
    shutil.copy(SEEDS[trial % len(SEEDS)], corpus / f"new-{trial}.txt")


def html_page() -> bytes:
    """A web page holding the fifth seed article."""
    lines = [line for line in SEEDS[4].read_text(encoding="utf-8").splitlines() if line.strip()]
    body = "".join(f"<p>{line}</p>" for line in lines[1:])
    return f"<html><head><title>{lines[0]}</title></head><body>{body}</body></html>".encode()


def check_usable(embedder: FakeEmbedder, generations: set[str]) -> None:
    """The index opens at the old or the new generation, and both searches answer."""
    reader = open_index(Path("index"))
    try:
        assert reader.generation in generations
        ids = reader.chunk_ids()
        assert reader.document_count == len(reader.documents()) and len(ids)
        chunk = reader.chunks([int(ids[0])])[0]
        query = embedder.embed_queries([f"{chunk.title}\n{chunk.text}"])[0]
        assert reader.dense_search(query, 1)[0][0] == chunk.chunk_id
        assert reader.keyword_search(lexical.tokenize_query(chunk.text[:8]), 3)
    finally:
        reader.close()


def test_random_kills_of_builds_and_updates(corpus: Path, embedder: FakeEmbedder) -> None:
    for seed in SEEDS[3:]:
        shutil.copy(seed, corpus / seed.name)
    (corpus / "word.docx").write_bytes(docx_bytes())
    (corpus / "page.html").write_bytes(html_page())
    indexing.build([corpus], Path("index"), embedder)

    change_corpus(corpus, 0)
    started = time.monotonic()
    undisturbed = start("update")
    assert undisturbed.wait(timeout=120) == 0
    duration = time.monotonic() - started

    rng = random.Random(SEED)
    published: list[bool] = []
    for trial in range(1, TRIALS + 1):
        change_corpus(corpus, trial)
        before = open_index(Path("index")).generation
        after = f"gen-{int(before.split('-')[1]) + 1:06d}"
        child = start("rebuild" if trial % 2 else "update")
        time.sleep(rng.uniform(0.0, duration))
        workers = children_of(child.pid)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)

        check_usable(embedder, {before, after})
        published.append(open_index(Path("index")).generation == after)
        deadline = time.monotonic() + 10
        while not all(is_gone(pid) for pid in workers):
            assert time.monotonic() < deadline, f"trial {trial}: a worker outlived its indexer"
            time.sleep(0.1)
        report = indexing.update(None, Path("index"), embedder)
        assert not any(".tmp-" in p.name for p in Path("index").iterdir())
        reader = open_index(Path("index"))
        assert reader.document_count == len(list(corpus.glob("*.txt"))) + 2
        assert report.skipped == [] and np.all(reader.chunk_ids() >= 0)
        reader.close()
    # The delays span a whole run: most kills land before the new generation is published.
    assert not all(published)
