"""End-to-end tests of the ``semsearch`` command: real processes, real model, real files.

One test runs the command in-process with a fake model, to check which model an update loads.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "seeds"
SEMSEARCH = [sys.executable, "-m", "semsearch.cli"]

RESULT_KEYS = {
    "rank",
    "score",
    "chunk_id",
    "doc_id",
    "title",
    "path",
    "date",
    "paragraph",
    "start",
    "end",
    "text",
    "context_before",
    "context_after",
}

NEW_ARTICLE = """量子计算研究院揭牌成立

发布时间:2024-06-01 来源:科技日报

6月1日,量子计算研究院在合肥正式揭牌成立。研究院将聚焦超导量子芯片和量子纠错两个方向,计划三年内建成百比特级别的量子计算原型机。

研究院首任院长表示,量子计算的难点在于保持量子比特的相干时间,团队已经把相干时间提高到了一百微秒以上。
"""


def run(*args: str, cwd: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run the CLI as a user would, in ``cwd``."""
    env = {**os.environ, "COLUMNS": "200"}
    env.pop("SEMSEARCH_INDEX", None)
    env.pop("SEMSEARCH_CORPUS", None)
    done = subprocess.run(
        [*SEMSEARCH, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )
    if check and done.returncode != 0:
        raise AssertionError(f"semsearch {args} failed ({done.returncode}):\n{done.stderr}")
    return done


def query_json(cwd: Path, text: str, *extra: str) -> dict:
    """Run ``semsearch query --json`` and return the parsed object."""
    return json.loads(run("query", text, "--json", *extra, cwd=cwd).stdout)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A working directory with a copy of the seeds, indexed once by ``semsearch build``."""
    root = tmp_path_factory.mktemp("cli")
    shutil.copytree(SEEDS, root / "seeds")
    done = run("build", cwd=root)
    assert "5 added" in done.stderr
    return root


def test_help_lists_every_command() -> None:
    done = subprocess.run([*SEMSEARCH, "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    for command in ("build", "update", "watch", "query", "info", "inspect", "eval"):
        assert command in done.stdout


@pytest.mark.slow
def test_query_json_schema_and_simplified_question(workdir: Path) -> None:
    payload = query_json(workdir, "焦裕禄干部学院", "-k", "3")
    assert set(payload) >= {"query", "mode", "k", "took_ms", "results"}
    assert payload["mode"] == "hybrid" and payload["k"] == 3
    assert 1 <= len(payload["results"]) <= 3
    first = payload["results"][0]
    assert set(first) >= RESULT_KEYS
    assert first["rank"] == 1
    assert first["path"].endswith("000_02c521df31b8c6f7.txt")
    assert "焦裕禄干部学院" in first["text"]
    assert first["paragraph"] >= 1  # 1-based, as on the page
    start, end = first["answer"]
    assert 0 <= start < end <= len(first["text"])
    assert first["confidence"]["label"] in {"strong", "possible", "weak"}


@pytest.mark.slow
def test_match_strength_and_answer_sentence_from_a_subfolder(workdir: Path) -> None:
    """The index is found from a subfolder; a true answer is strong, an unrelated one weak."""
    answered = query_json(workdir / "seeds", "沂源培育了几家上市公司", "-k", "1")["results"][0]
    assert answered["confidence"]["label"] == "strong"
    start, end = answered["answer"]
    assert "6家上市公司" in answered["text"][start:end]
    unrelated = query_json(workdir / "seeds", "量子计算机芯片出口管制", "-k", "3")["results"]
    assert all(hit["confidence"]["label"] == "weak" for hit in unrelated)
    shown = run("query", "量子计算机芯片出口管制", "-k", "2", cwd=workdir / "seeds").stdout
    assert "No strong match" in shown


@pytest.mark.slow
def test_traditional_and_english_queries(workdir: Path) -> None:
    traditional = query_json(workdir, "蘭考脫貧攻堅", "-k", "1")
    assert traditional["results"][0]["path"].endswith("001_92b96156f557c987.txt")
    assert traditional["results"][0]["answer"] is not None
    # A simplified query reaches the traditional article too (OpenCC on the keyword side).
    simplified = query_json(workdir, "兰考脱贫攻坚", "-k", "1", "--mode", "keyword")
    assert simplified["results"][0]["path"].endswith("001_92b96156f557c987.txt")
    english = query_json(workdir, "torch bearer district party secretary", "-k", "3")
    assert any(r["path"].endswith("004_fc9483995d931fb3.txt") for r in english["results"])


@pytest.mark.slow
def test_human_output_and_info(workdir: Path) -> None:
    done = run("query", "开福区火炬手", "-k", "2", cwd=workdir)
    assert "开福" in done.stdout and "004_fc9483995d931fb3.txt" in done.stdout
    info = json.loads(run("info", "--json", cwd=workdir).stdout)
    assert info["documents"] == 5 and info["chunks"] > 50
    assert info["model"] == "multilingual-e5-small" and info["sentence_vectors"] is True
    assert re.search(r"sentence vectors\s+yes", run("info", cwd=workdir).stdout)


@pytest.mark.slow
def test_update_cycle_noop_add_change_delete(workdir: Path) -> None:
    noop = run("update", cwd=workdir)
    assert "nothing changed" in noop.stderr

    article = workdir / "seeds" / "quantum.txt"
    article.write_text(NEW_ARTICLE, encoding="utf-8")
    added = run("update", cwd=workdir)
    assert "1 added" in added.stderr
    hit = query_json(workdir, "量子比特的相干时间提高到多少", "-k", "1")["results"][0]
    assert hit["path"].endswith("quantum.txt")

    article.write_text(NEW_ARTICLE.replace("合肥", "深圳"), encoding="utf-8")
    changed = run("update", cwd=workdir)
    assert "1 changed" in changed.stderr
    hit = query_json(workdir, "量子计算研究院在哪个城市揭牌", "-k", "1")["results"][0]
    assert "深圳" in hit["text"] and "合肥" not in hit["text"]

    article.unlink()
    removed = run("update", cwd=workdir)
    assert "1 removed" in removed.stderr
    results = query_json(workdir, "量子计算研究院", "-k", "10")["results"]
    assert not any(r["path"].endswith("quantum.txt") for r in results)


def test_user_errors_exit_1_without_traceback(tmp_path: Path) -> None:
    missing = run("query", "测试", "--index", str(tmp_path / "none"), cwd=tmp_path, check=False)
    assert missing.returncode == 1
    assert "no index" in missing.stderr.lower() and "Traceback" not in missing.stderr

    garbage = tmp_path / "garbage"
    (garbage / "gen-000001").mkdir(parents=True)
    (garbage / "gen-000001" / "manifest.json").write_text("{not json", encoding="utf-8")
    (garbage / "current").symlink_to("gen-000001")
    corrupt = run("info", "--index", str(garbage), cwd=tmp_path, check=False)
    assert corrupt.returncode == 1 and "Traceback" not in corrupt.stderr
    assert "rebuild" in corrupt.stderr.lower()

    unreadable = run("inspect", str(tmp_path / "nope.txt"), cwd=tmp_path, check=False)
    assert unreadable.returncode == 1 and "Traceback" not in unreadable.stderr


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    done = run("query", "x", "--mode", "fuzzy", cwd=tmp_path, check=False)
    assert done.returncode == 2


def test_inspect_shows_removed_lines() -> None:
    done = run("inspect", str(SEEDS / "004_fc9483995d931fb3.txt"), "--json", cwd=REPO)
    payload = json.loads(done.stdout)
    assert "微信图片" not in payload["text"]
    assert any("微信图片" in removed["text"] for removed in payload["removed"])
    assert payload["chunks"] and payload["date"] == "2021-09-03"


def test_update_uses_the_index_own_model_unless_one_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rule the page follows too: without --model, an update loads the index's own model."""
    from fakes import FakeEmbedder
    from typer.testing import CliRunner

    from semsearch import cli
    from semsearch.errors import IndexStoreError

    loaded: list[str] = []

    def load_fake(name: str, model_cache: Path | None = None) -> FakeEmbedder:
        loaded.append(name)
        return FakeEmbedder(model_id=name)

    monkeypatch.setattr(cli, "load_model", load_fake)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SEMSEARCH_INDEX", raising=False)
    monkeypatch.setenv("SEMSEARCH_CORPUS", "seeds")
    monkeypatch.setenv("SEMSEARCH_MODEL", "fake-default")
    shutil.copytree(SEEDS, tmp_path / "seeds")
    runner = CliRunner()
    assert runner.invoke(cli.app, ["build", "--model", "fake-a"]).exit_code == 0
    updated = runner.invoke(cli.app, ["update"])
    assert updated.exit_code == 0 and "nothing changed" in updated.output
    assert loaded == ["fake-a", "fake-a"]
    refused = runner.invoke(cli.app, ["update", "--model", "fake-b"])
    assert isinstance(refused.exception, IndexStoreError)
    assert "fake-a" in refused.exception.message


def test_every_index_command_runs_on_qdrant(
    fake_cli: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """build, update, query, info and eval with --engine qdrant --qdrant-url FOLDER."""
    from typer.testing import CliRunner

    from semsearch import cli

    runner = CliRunner()
    where = ["--engine", "qdrant", "--qdrant-url", str(fake_cli / "qdrant"), "--index", "news"]
    built = runner.invoke(cli.app, ["build", "seeds", *where])
    assert built.exit_code == 0, built.output
    assert "3 added" in built.output
    # Keyword mode: a query loads its model without the fake's patch (not announced).
    keyword = ["query", "兰考县脱贫", "--json", "--mode", "keyword"]
    found = runner.invoke(cli.app, [*keyword, *where])
    hits = json.loads(found.stdout)["results"]
    assert hits and set(hits[0]) >= RESULT_KEYS
    (fake_cli / "seeds" / "000_02c521df31b8c6f7.txt").unlink()
    updated = runner.invoke(cli.app, ["update", *where])
    assert updated.exit_code == 0 and "1 removed" in updated.output, updated.output
    described = runner.invoke(cli.app, ["info", "--json", *where])
    info = json.loads(described.stdout)
    assert info["documents"] == 2 and info["generation"] == "v000002"
    assert info["index"] == f"news on Qdrant at {fake_cli / 'qdrant'}"
    # $SEMSEARCH_ENGINE and $SEMSEARCH_QDRANT_URL stand for the options.
    monkeypatch.setenv("SEMSEARCH_ENGINE", "qdrant")
    monkeypatch.setenv("SEMSEARCH_QDRANT_URL", str(fake_cli / "qdrant"))
    again = runner.invoke(cli.app, [*keyword, "--index", "news"])
    assert [h["doc_id"] for h in json.loads(again.stdout)["results"]] == [
        h["doc_id"] for h in hits if h["path"] != "seeds/000_02c521df31b8c6f7.txt"
    ][:10]


def test_eval_runs_on_qdrant(fake_cli: Path) -> None:
    from typer.testing import CliRunner

    from semsearch import cli

    tiny = fake_cli / "tiny"
    tiny.mkdir()
    rows = [
        {"id": f"p{i}", "title": f"标题{i}", "text": f"第{i}篇文章讲城市{i}的新闻。"}
        for i in range(6)
    ]
    queries = [{"id": f"q{i}", "text": f"城市{i}的新闻", "relevant": [f"p{i}"]} for i in range(6)]
    for name, items in (("corpus", rows), ("queries", queries)):
        lines = [json.dumps(item, ensure_ascii=False) for item in items]
        (tiny / f"{name}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    args = ["eval", str(tiny), "--json", "--modes", "keyword,hybrid"]
    local = json.loads(CliRunner().invoke(cli.app, args).stdout)
    qdrant_args = [*args, "--engine", "qdrant", "--qdrant-url", str(fake_cli / "q")]
    qdrant = json.loads(CliRunner().invoke(cli.app, qdrant_args).stdout)
    for mode in ("keyword", "hybrid"):
        assert qdrant["modes"][mode]["MRR@10"] == local["modes"][mode]["MRR@10"]


def test_engine_options_are_checked(fake_cli: Path) -> None:
    from typer.testing import CliRunner

    from semsearch import cli

    runner = CliRunner()
    assert runner.invoke(cli.app, ["info", "--engine", "milvus"]).exit_code == 2
    assert runner.invoke(cli.app, ["info", "--qdrant-url", "http://q:6333"]).exit_code == 2


def test_a_local_mode_folder_in_use_elsewhere_is_a_message(fake_cli: Path) -> None:
    import fcntl

    from typer.testing import CliRunner

    from semsearch import cli
    from semsearch.errors import IndexStoreError

    folder = fake_cli / "qdrant"
    folder.mkdir()
    # What the page's Qdrant client holds on the folder (flock conflicts across open files).
    with open(folder / ".lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        args = ["update", "--engine", "qdrant", "--qdrant-url", str(folder)]
        refused = CliRunner().invoke(cli.app, args)
    assert isinstance(refused.exception, IndexStoreError)  # main() prints it, exit code 1
    assert "is open in another process" in refused.exception.message


@pytest.mark.parametrize("engine", ["local", "qdrant"])
def test_reprints_collapse_to_one_hit_and_are_listed_by_info(fake_cli: Path, engine: str) -> None:
    """Two reprints of a seed article: one collapsed hit naming the other files, and a group."""
    from typer.testing import CliRunner

    from semsearch import cli
    from semsearch.text import to_traditional

    original = fake_cli / "seeds" / "000_02c521df31b8c6f7.txt"
    body = original.read_text(encoding="utf-8")
    (fake_cli / "seeds" / "copy_tw.txt").write_text(
        "首页 > 新闻中心\n" + to_traditional(body).replace("，", ","), encoding="utf-8"
    )
    (fake_cli / "seeds" / "copy_site.txt").write_text(
        body + "\n版权所有 © 2024 某某网", encoding="utf-8"
    )
    where = (
        ["--engine", engine, "--qdrant-url", str(fake_cli / "qdrant")] if engine != "local" else []
    )
    runner = CliRunner()
    built = runner.invoke(cli.app, ["build", "seeds", *where])
    assert built.exit_code == 0, built.output
    query = ["query", "焦裕禄精神", "--mode", "keyword", "--collapse", *where]
    hits = json.loads(runner.invoke(cli.app, [*query, "--json"]).stdout)["results"]
    copies = [h for h in hits if "000_" in h["path"] or "copy_" in h["path"]]
    assert len(copies) == 1 and len(copies[0]["also_in"]) == 2
    shown = runner.invoke(cli.app, query).stdout
    assert "also in 2 other files" in shown
    info = json.loads(runner.invoke(cli.app, ["info", "--json", *where]).stdout)
    assert info["reprints"]["groups"] == 1 and info["reprints"]["documents"] == 3
    assert sorted(info["reprints"]["largest"][0]["paths"]) == [
        "seeds/000_02c521df31b8c6f7.txt",
        "seeds/copy_site.txt",
        "seeds/copy_tw.txt",
    ]
    assert (
        "1 group of copies of one article, 3 documents in them"
        in runner.invoke(cli.app, ["info", *where]).stdout
    )


def _invoke(*args: str) -> tuple[int, str]:
    """Run the command in-process (no model needed); exit code and everything printed."""
    from typer.testing import CliRunner

    from semsearch import cli

    done = CliRunner().invoke(cli.app, list(args), env={"COLUMNS": "200"})
    return done.exit_code, done.output


def test_help_shows_defaults_environment_variables_and_the_index_rule() -> None:
    code, text = _invoke("query", "--help")
    assert code == 0
    assert "$SEMSEARCH_INDEX" in text and "$SEMSEARCH_MODEL_CACHE" in text
    assert "nearest index/" in text and "[default: 10]" in text
    assert "<list" not in text and "<bool>" not in text and "<str>" not in text
    code, text = _invoke("--help")
    assert "The index used: --index, else $SEMSEARCH_INDEX" in text
    assert "$SEMSEARCH_CORPUS" in text and "local time" in text


@pytest.mark.parametrize(("typed", "meant"), [("qurey", "query"), ("search", "query")])
def test_a_mistyped_command_gets_a_suggestion(typed: str, meant: str) -> None:
    code, text = _invoke(typed, "x")
    assert code == 2 and f"Did you mean '{meant}'" in text


def test_inspect_of_a_missing_file_or_a_folder_says_so(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from semsearch import cli
    from semsearch.errors import SemsearchError

    for target, words in ((tmp_path / "nope.txt", "no such file"), (tmp_path, "is a folder")):
        done = CliRunner().invoke(cli.app, ["inspect", str(target)])
        assert isinstance(done.exception, SemsearchError)
        assert words in done.exception.message
