"""The command speaks the reader's language: ``$SEMSEARCH_LANG``, else the locale, else English.

Labels, results, errors and hints follow it; JSON keys never do.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

#: The locale variables cleared (None) so that only the one a test sets counts.
CLEAN = {"SEMSEARCH_LANG": None, "LC_ALL": None, "LC_MESSAGES": None, "LANG": None}
CHINESE = {**CLEAN, "LANG": "zh_CN.UTF-8", "COLUMNS": "200"}
TRADITIONAL = {**CLEAN, "LANG": "zh_TW.UTF-8", "COLUMNS": "200"}
ENGLISH = {**CLEAN, "LANG": "C", "COLUMNS": "200"}


@pytest.fixture
def indexed(fake_cli: Path) -> Path:
    """Three seeds indexed by the command with the fake model (it says so in Chinese)."""
    from semsearch import cli

    built = CliRunner().invoke(cli.app, ["build"], env=CHINESE)
    assert built.exit_code == 0, built.output
    assert "新增 3 篇" in built.output
    return fake_cli


def _invoke(env: dict[str, str | None], *args: str) -> str:
    from semsearch import cli

    done = CliRunner().invoke(cli.app, list(args), env=env)
    assert done.exit_code == 0, done.output
    return done.output


def test_info_and_query_speak_the_locales_language(indexed: Path) -> None:
    chinese = _invoke(CHINESE, "info")
    assert "文章" in chinese and "句子向量" in chinese and "本地时间" in chinese
    assert "documents" not in chinese
    english = _invoke(ENGLISH, "info")
    assert "documents" in english and "local time" in english and "文章" not in english
    traditional = _invoke(TRADITIONAL, "info")
    assert "句子向量" in traditional and "本地時間" in traditional
    found = _invoke(CHINESE, "query", "焦裕禄精神", "--mode", "keyword")
    assert "个结果" in found and "方式：关键词" in found and "第 " in found
    assert "results for" in _invoke(ENGLISH, "query", "焦裕禄精神", "--mode", "keyword")


def test_semsearch_lang_wins_over_the_locale_and_json_keys_never_change(indexed: Path) -> None:
    chosen = _invoke({**CHINESE, "SEMSEARCH_LANG": "en"}, "info")
    assert "documents" in chosen and "文章" not in chosen
    chinese = json.loads(_invoke(CHINESE, "query", "焦裕禄", "--mode", "keyword", "--json"))
    english = json.loads(_invoke(ENGLISH, "query", "焦裕禄", "--mode", "keyword", "--json"))
    assert chinese.keys() == english.keys()
    assert chinese["results"][0].keys() == english["results"][0].keys()


@pytest.mark.parametrize(
    ("env", "words"),
    [
        (CHINESE, ("错误：", "没有这个文件", "相对路径从")),
        (TRADITIONAL, ("錯誤：", "沒有這個文件", "相對路徑從")),
        (ENGLISH, ("Error:", "no such file", "a relative path starts from")),
    ],
)
def test_errors_and_hints_speak_the_locales_language(
    env: dict[str, str | None],
    words: tuple[str, ...],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from semsearch import cli

    for name, value in env.items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    monkeypatch.setattr(sys, "argv", ["semsearch", "inspect", str(tmp_path / "nope.txt")])
    with pytest.raises(SystemExit) as stopped:
        cli.main()
    assert stopped.value.code == 1
    shown = capsys.readouterr().err
    assert all(word in shown for word in words), shown
