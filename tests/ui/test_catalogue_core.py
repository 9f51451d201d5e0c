"""The core's sentences: every error key a raise site names and every progress stage is in the
catalogue, in every language, with the placeholders the raise site fills."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest

from semsearch.errors import IndexStoreError, SemsearchError
from semsearch.indexing import report as indexing_report
from semsearch.search import MODES
from semsearch.ui.catalogue_core import ERRORS, STAGES
from semsearch.ui.i18n import LANGUAGES, Texts, error_text, stage_name, terminal_language

REPO = Path(__file__).resolve().parents[2]
SOURCES = [REPO / "app.py", *sorted((REPO / "semsearch").rglob("*.py"))]
#: Errors whose constructor adds placeholders of its own (``UnreadableFileError``: the path).
IMPLIED_PARAMS = {"UnreadableFileError": {"path"}}
_LITERAL_STAGE = re.compile(r"""reporter\.start\(\s*["']([^"']+)["']""")


def _fields(text: str | None) -> set[str]:
    if not text:
        return set()
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def _called_name(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _raise_sites() -> list[tuple[str, str, set[str]]]:
    """``(where, key, params)`` of every error built with a literal ``key=``."""
    sites = []
    for source in SOURCES:
        tree = ast.parse(source.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not _called_name(node).endswith("Error"):
                continue
            keywords = {keyword.arg: keyword.value for keyword in node.keywords}
            key = keywords.get("key")
            if not isinstance(key, ast.Constant) or not isinstance(key.value, str):
                continue
            params = set(IMPLIED_PARAMS.get(_called_name(node), set()))
            given = keywords.get("params")
            if isinstance(given, ast.Dict):
                params |= {k.value for k in given.keys if isinstance(k, ast.Constant)}
            where = f"{source.relative_to(REPO)}:{node.lineno}"
            sites.append((where, key.value, params))
    return sites


def _stages() -> set[str]:
    stages = {
        value
        for name, value in vars(indexing_report).items()
        if name.startswith("STAGE_") and isinstance(value, str)
    }
    stages |= {f"eval {mode}" for mode in MODES}  # evaluation/runner.py: f"eval {mode}"
    for source in SOURCES:
        stages.update(_LITERAL_STAGE.findall(source.read_text(encoding="utf-8")))
    return stages


def test_every_error_key_is_in_the_catalogue_with_the_raise_sites_placeholders() -> None:
    sites = _raise_sites()
    assert len(sites) >= 20, "the scan found too few keyed raise sites"
    for where, key, params in sites:
        assert key in ERRORS, (where, key)
        message, hint = ERRORS[key]
        assert _fields(message) | _fields(hint) <= params, (where, key, params)
    assert ERRORS.keys() <= {key for _, key, _ in sites}, "an ERRORS entry no raise site uses"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_stage_is_named_in_every_language(lang: str) -> None:
    stages = _stages()
    assert {"scan", "read", "embed", "write", "embed queries", "eval hybrid"} <= stages
    assert stages == STAGES.keys()
    for stage in stages:
        assert stage_name(stage, lang).strip()
    assert stage_name("embed", "en") == "embed"
    assert stage_name("embed", "zh-Hans") == "计算向量"
    assert stage_name("embed", "zh-Hant") == "計算向量"
    assert stage_name("something new", "zh-Hans") == "something new"


def test_errors_are_said_in_the_readers_language_and_keep_english_without_a_key() -> None:
    error = IndexStoreError(
        "There is no index in /tmp/x yet.",
        "Build one first: semsearch build [PATHS] --index /tmp/x",
        key="index.not_yet",
        params={"index": Path("/tmp/x")},
    )
    assert error_text(error, "en") == (error.message, error.hint)
    assert error_text(error, "zh-Hans") == (
        "/tmp/x 中还没有索引。",
        "先建立索引：semsearch build [PATHS] --index /tmp/x",
    )
    assert Texts("zh-Hant").error(error)[1] == "先建立索引：semsearch build [PATHS] --index /tmp/x"
    assert Texts("zh-Hant").error(error)[0] == "/tmp/x 中還沒有索引。"
    plain = SemsearchError("Something odd.", "Do this.")
    assert error_text(plain, "zh-Hans") == ("Something odd.", "Do this.")
    broken = SemsearchError("Odd.", None, key="index.not_yet", params={})
    assert error_text(broken, "zh-Hans") == ("Odd.", None)


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"SEMSEARCH_LANG": "zh-Hant", "LANG": "en_US.UTF-8"}, "zh-Hant"),
        ({"SEMSEARCH_LANG": "en", "LANG": "zh_CN.UTF-8"}, "en"),
        ({"SEMSEARCH_LANG": "zh-Hans"}, "zh-Hans"),
        ({"LANG": "zh_CN.UTF-8"}, "zh-Hans"),
        ({"LANG": "zh_TW.UTF-8"}, "zh-Hant"),
        ({"LANG": "zh_HK.Big5"}, "zh-Hant"),
        ({"LC_ALL": "C", "LANG": "zh_CN.UTF-8"}, "en"),
        ({"LC_MESSAGES": "zh_CN.UTF-8", "LANG": "C"}, "zh-Hans"),
        ({"LANG": "C"}, "en"),
        ({"LANG": "C.UTF-8"}, "en"),
        ({}, "en"),
    ],
)
def test_terminal_language_follows_semsearch_lang_then_the_locale(
    environ: dict[str, str], expected: str
) -> None:
    assert terminal_language(environ) == expected
