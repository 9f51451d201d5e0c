"""Peak memory (and time) of a build, of a CLI query and of the app process.

- **build**: ``semsearch build`` of the 1,103 cmrc2018 articles as files (4,912 chunks), a new
  process with the default model and real embeddings; its wall time gives the end-to-end
  indexing rate of the CLI too.
- **CLI query**: ``semsearch query`` (hybrid) as a new process, on the real 5k index and on the
  synthetic 100k index (``bench/synthetic.py``).
- **app**: ``streamlit run app.py`` over the 5k and the 100k index; headless Chromium opens the
  page and runs three queries; the server's peak resident memory (``VmHWM``) is read afterwards.

Peak memory is the kernel's high-water mark of resident memory (``/usr/bin/time`` ``%M`` or
``VmHWM``), in MB.

Usage::

    .venv/bin/python bench/memory.py           # ~6 min (the build embeds 4,912 chunks)
    .venv/bin/python bench/memory.py --skip-build
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from common import (
    CACHE_DIR,
    PYTHON,
    REPO,
    bench_env,
    load_average,
    print_table,
    run_measured,
    write_result,
)

SEMSEARCH = str(REPO / ".venv" / "bin" / "semsearch")
CHROMIUM = Path("/usr/bin/chromium")
QUERIES = ["战国无双3是哪两个公司合作开发的", "台风登陆后发布了什么预警", "锣鼓经是什么"]


def measure_build() -> dict:
    """``semsearch build`` of the cmrc2018 articles as files, with real embeddings."""
    from update import write_corpus

    corpus = CACHE_DIR / "memory-corpus"
    write_corpus(corpus, 4_912)  # one copy of every article: 4,912 paragraphs
    index_dir = CACHE_DIR / "memory-build-index"
    shutil.rmtree(index_dir, ignore_errors=True)
    print(f"semsearch build of 4,912 chunks (load {load_average()})…", flush=True)
    done = run_measured(
        [SEMSEARCH, "build", str(corpus / "c00"), "--index", str(index_dir), "--rebuild"],
        env=bench_env(),
        timeout=1800,
    )
    if done["returncode"] != 0:
        raise SystemExit(f"semsearch build failed:\n{done['stderr'][-2000:]}")
    info = json.loads(
        subprocess.run(
            [SEMSEARCH, "info", "--index", str(index_dir), "--json"],
            capture_output=True, text=True, check=True, env=bench_env(),
        ).stdout
    )  # fmt: skip
    shutil.rmtree(index_dir, ignore_errors=True)
    return {
        "chunks": info["chunks"],
        "seconds": done["seconds"],
        "chunks_per_s": round(info["chunks"] / done["seconds"], 1),
        "peak_rss_mb": done["peak_rss_mb"],
        "load_average": load_average(),
    }


def measure_cli_query(index_dir: Path) -> dict:
    """Peak memory and time of one hybrid ``semsearch query`` process."""
    done = run_measured(
        [SEMSEARCH, "query", QUERIES[0], "--index", str(index_dir), "--json"], env=bench_env()
    )
    if done["returncode"] != 0:
        raise SystemExit(f"semsearch query failed:\n{done['stderr'][-2000:]}")
    return {"seconds": done["seconds"], "peak_rss_mb": done["peak_rss_mb"]}


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def streamlit(index_dir: Path) -> Iterator[tuple[str, int]]:
    """Serve the app over ``index_dir`` on a free local port; yields (url, server pid)."""
    port = _free_port()
    log = CACHE_DIR / f"streamlit-{port}.log"
    command = [
        PYTHON, "-m", "streamlit", "run", str(REPO / "app.py"),
        "--server.port", str(port), "--server.address", "127.0.0.1",
        "--server.headless", "true", "--server.fileWatcherType", "none",
        "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            command,
            cwd=REPO,
            env=bench_env(SEMSEARCH_INDEX=str(index_dir), PYTHONUNBUFFERED="1"),
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"streamlit did not start:\n{log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                time.sleep(0.3)
        yield url, process.pid
    finally:
        os.killpg(os.getpgid(process.pid), signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(os.getpgid(process.pid), signal.SIGKILL)
            process.wait(timeout=15)
        log.unlink(missing_ok=True)


def _status_mb(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return round(int(line.split()[1]) / 1024, 1)
    raise RuntimeError(f"{field} not in /proc/{pid}/status")


def measure_app(index_dir: Path) -> dict:
    """Start the app, run the queries in headless Chromium, read the server's peak memory."""
    from playwright.sync_api import expect, sync_playwright

    with streamlit(index_dir) as (url, pid), sync_playwright() as driver:
        idle_mb = _status_mb(pid, "VmRSS")
        browser = driver.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(url)
        box = page.get_by_role("textbox", name="Search")
        expect(box).to_be_visible(timeout=120_000)
        seconds = []
        for query in QUERIES:
            box.fill(query)
            started = time.monotonic()
            box.press("Enter")
            expect(page.locator(".ss-summary").filter(has_text=query)).to_be_visible(
                timeout=180_000
            )
            expect(page.locator('[data-testid="stStatusWidget"]')).to_have_count(0, timeout=180_000)
            seconds.append(round(time.monotonic() - started, 2))
        browser.close()
        return {
            "server_idle_rss_mb": idle_mb,
            "server_peak_rss_mb": _status_mb(pid, "VmHWM"),
            "server_rss_after_mb": _status_mb(pid, "VmRSS"),
            "query_seconds_in_page": seconds,
        }


def main() -> None:
    """Measure, print the table and write ``bench/results/memory.json``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--skip-build", action="store_true")
    parser.add_argument("--skip-app", action="store_true")
    args = parser.parse_args()

    from latency import real_index
    from synthetic import ensure_index

    from semsearch.embed import load_embedder

    embedder = load_embedder()
    indexes = {"5k": real_index(embedder), "100k": ensure_index(100_000, embedder)}
    results: dict = {"load_average_start": load_average()}
    if not args.skip_build:
        results["build"] = measure_build()
        print(f"build: {results['build']}", flush=True)
    results["cli_query"] = {name: measure_cli_query(path) for name, path in indexes.items()}
    print(f"CLI query: {results['cli_query']}", flush=True)
    if not args.skip_app:
        if not CHROMIUM.exists():
            raise SystemExit("No /usr/bin/chromium: run `make browser` first.")
        results["app"] = {}
        for name, path in indexes.items():
            results["app"][name] = measure_app(path)
            print(f"app {name}: {results['app'][name]}", flush=True)
    results["load_average_end"] = load_average()

    rows = []
    if "build" in results:
        build = results["build"]
        rows.append(
            [
                f"semsearch build, {build['chunks']:,} chunks",
                build["peak_rss_mb"],
                f"{build['seconds']} s ({build['chunks_per_s']} chunks/s)",
            ]
        )
    for name, row in results["cli_query"].items():
        rows.append(
            [f"semsearch query (hybrid), {name} index", row["peak_rss_mb"], f"{row['seconds']} s"]
        )
    for name, row in results.get("app", {}).items():
        rows.append(
            [
                f"app server after 3 queries, {name} index",
                row["server_peak_rss_mb"],
                f"queries in page {row['query_seconds_in_page']} s",
            ]
        )
    print_table("Peak resident memory", ["process", "peak RSS MB", "time"], rows)
    path = write_result("memory", results)
    print(f"\nWrote {path}")


if __name__ == "__main__":
    main()
