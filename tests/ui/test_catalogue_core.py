"""The core's sentences: every error a raise site builds has a key, every note a key, and every
key, progress stage and skip reason is in the catalogue, in every language, with the placeholders
the raise site fills."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest

from semsearch.errors import IndexStoreError, SemsearchError
from semsearch.indexing import report as indexing_report
from semsearch.progress import Note
from semsearch.search import MODES
from semsearch.ui.catalogue_core import ERRORS, NOTES, REASONS, STAGES
from semsearch.ui.i18n import (
    LANGUAGES,
    Texts,
    error_text,
    note_text,
    reason_text,
    stage_name,
    terminal_language,
)

REPO = Path(__file__).resolve().parents[2]
SOURCES = [REPO / "app.py", *sorted((REPO / "semsearch").rglob("*.py"))]
#: Errors whose constructor adds placeholders of its own (``UnreadableFileError``: the path).
IMPLIED_PARAMS = {"UnreadableFileError": {"path", "reason"}}
#: Errors whose constructor names a sentence when the raise site gives none.
IMPLIED_KEYS = {"UnreadableFileError": "file.reason"}
_LITERAL_STAGE = re.compile(r"""reporter\.start\(\s*["']([^"']+)["']""")


def _fields(text: str | None) -> set[str]:
    if not text:
        return set()
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def _called_name(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _trees() -> list[tuple[str, ast.Module]]:
    return [
        (str(source.relative_to(REPO)), ast.parse(source.read_text(encoding="utf-8")))
        for source in SOURCES
    ]


def _user_error_classes(trees: list[tuple[str, ast.Module]]) -> set[str]:
    """The names of :class:`SemsearchError` and of every class of ``semsearch/`` derived from it."""
    bases: dict[str, set[str]] = {}
    for _, tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                bases[node.name] = {
                    getattr(base, "id", getattr(base, "attr", "")) for base in node.bases
                }
    found = {"SemsearchError"}
    while grown := {name for name, of in bases.items() if of & found} - found:
        found |= grown
    return found


def _params_given(call: ast.Call) -> set[str]:
    given = {keyword.arg: keyword.value for keyword in call.keywords}.get("params")
    if isinstance(given, ast.Dict):
        return {k.value for k in given.keys if isinstance(k, ast.Constant)}
    return set()


def _raise_sites() -> list[tuple[str, str | None, set[str]]]:
    """``(where, key, params)`` of every user-facing error built in ``semsearch/`` (key None:
    the site names no sentence, or not with a literal)."""
    trees = _trees()
    classes = _user_error_classes(trees)
    sites = []
    for path, tree in trees:
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or _called_name(node) not in classes:
                continue
            name = _called_name(node)
            key = {keyword.arg: keyword.value for keyword in node.keywords}.get("key")
            literal = key.value if isinstance(key, ast.Constant) else None
            if key is None:
                literal = IMPLIED_KEYS.get(name)
            params = IMPLIED_PARAMS.get(name, set()) | _params_given(node)
            sites.append((f"{path}:{node.lineno}", literal, params))
    return sites


def _note_sites() -> list[tuple[str, str | None, set[str]]]:
    """``(where, key, params)`` of every :class:`Note` made in ``semsearch/``."""
    sites = []
    for path, tree in _trees():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or _called_name(node) not in ("Note", "of"):
                continue
            if _called_name(node) == "of" and getattr(node.func, "value", None) is None:
                continue
            if _called_name(node) == "of" and getattr(node.func.value, "id", "") != "Note":
                continue
            key = node.args[0] if node.args else None
            literal = key.value if isinstance(key, ast.Constant) else None
            params = {keyword.arg for keyword in node.keywords if keyword.arg}
            if len(node.args) > 2 and isinstance(node.args[2], ast.Dict):
                params |= {k.value for k in node.args[2].keys if isinstance(k, ast.Constant)}
            sites.append((f"{path}:{node.lineno}", literal, params))
    return sites


#: Functions whose return values are skip reasons (the worker's death, a link, a file's read).
REASON_FUNCTIONS = {"_death_reason", "link_problem", "_read_one"}
#: Where each call takes its reason (the arguments' positions; an unreadable file's hint too,
#: which is said by its phrase when its key has no hint of its own).
REASON_ARGUMENTS = {
    "UnreadableFileError": (1, 2),
    "UndecodableError": (0,),
    "SkippedFile": (1,),
    "skip": (1,),
}


def _sample(value: ast.expr) -> str | None:
    """A literal or f-string as a sample text (each value in the f-string written as 7)."""
    if isinstance(value, ast.Constant) and isinstance(value.value, str):
        return value.value
    if isinstance(value, ast.JoinedStr):
        return "".join(
            part.value if isinstance(part, ast.Constant) else "7" for part in value.values
        )
    return None


def _reason_values(tree: ast.Module) -> list[ast.expr]:
    values: list[ast.expr] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name in REASON_FUNCTIONS:
            values += [r.value for r in ast.walk(node) if isinstance(r, ast.Return) and r.value]
        elif isinstance(node, ast.Assign) and any(
            getattr(target, "id", "").endswith("_REASON") for target in node.targets
        ):
            values.append(node.value)
        elif isinstance(node, ast.Call) and _called_name(node) == "failure_reason":
            values.append(node.args[1] if len(node.args) > 1 else ast.Constant("cannot be read"))
        elif isinstance(node, ast.Call):
            positions = REASON_ARGUMENTS.get(_called_name(node), ())
            values += [node.args[at] for at in positions if at < len(node.args)]
    return values


def _written_reasons() -> list[tuple[str, str]]:
    """``(where, sample)`` of every skip reason ``semsearch/`` writes as a literal or f-string:
    the reason arguments of ``UnreadableFileError`` (and its hint), ``UndecodableError``,
    ``SkippedFile`` and ``skip``, the phrase ``failure_reason`` starts with, the ``*_REASON``
    constants and what :data:`REASON_FUNCTIONS` return."""
    found = []
    for path, tree in _trees():
        for value in _reason_values(tree):
            sample = _sample(value)
            if sample is not None:
                found.append((f"{path}:{getattr(value, 'lineno', 0)}", sample))
    return found


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
    assert len(sites) >= 100, "the scan found too few raise sites"
    for where, key, params in sites:
        assert key is not None, f"{where}: a user-facing error without a literal key="
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


def test_every_note_has_a_key_in_the_catalogue_with_the_sites_placeholders() -> None:
    sites = [site for site in _note_sites() if not site[0].startswith("semsearch/progress.py")]
    assert len(sites) >= 8, "the scan found too few notes"
    for where, key, params in sites:
        assert key is not None, f"{where}: a note without a literal key"
        assert key in NOTES, (where, key)
        assert _fields(NOTES[key]) <= params, (where, key, params)
    assert NOTES.keys() <= {key for _, key, _ in sites}, "a NOTES entry no site uses"


@pytest.mark.parametrize("lang", ["zh-Hans", "zh-Hant"])
def test_notes_are_said_in_the_readers_language_with_the_reason(lang: str) -> None:
    note = indexing_report.skipped_note("corpus/a.txt", "empty file")
    assert note_text(note, "en") == "Skipped corpus/a.txt: empty file" == str(note)
    said = note_text(note, lang)
    assert said.startswith(("已跳过 corpus/a.txt：空文件", "已跳過 corpus/a.txt：空文件"))
    assert note_text(Note("note.unknown", "As is."), lang) == "As is."
    on_file = Note.of(
        "note.on_file", "…", path="a.txt", note="2 invalid UTF-8 bytes replaced by U+FFFD"
    )
    assert note_text(on_file, "zh-Hans") == "关于 a.txt：2 个无效的 UTF-8 字节已替换为 U+FFFD"
    assert note_text(Note("note.skipped", "Kept.", {}), lang) == "Kept."  # params missing


def test_every_written_skip_reason_begins_with_a_catalogue_phrase() -> None:
    patterns = [re.compile(pattern) for pattern, _ in REASONS]
    samples = _written_reasons()
    assert len(samples) >= 35, "the scan found too few reasons"
    for where, sample in samples:
        assert any(pattern.match(sample) for pattern in patterns), (where, sample)
        assert reason_text(sample, "zh-Hans") != sample, (where, sample)


@pytest.mark.parametrize(
    ("reason", "simplified"),
    [
        ("empty file", "空文件"),
        ("unsupported file type .jpg", "不支持的文件类型 .jpg"),
        (
            "file too large (40 MB; the limit for .txt is 32 MB)",
            "文件太大（40 MB；.txt 的上限是 32 MB）",
        ),
        ("not a valid .docx file (BadZipFile: x)", "不是有效的 .docx 文件 (BadZipFile: x)"),
        (
            "cannot be read (it needs more memory than there is)",
            "无法读取（需要的内存超过可用内存）",
        ),
        ("took longer than 30 s to read (stopped)", "读取超过 30 秒（已停止）"),
        ("not a valid .docx file (not a zip package)", "不是有效的 .docx 文件（不是 zip 压缩包）"),
        ("1 invalid UTF-8 byte replaced by U+FFFD", "1 个无效的 UTF-8 字节已替换为 U+FFFD"),
        ("and 3 more warnings", "另有 3 条警告"),
        ("something new", "something new"),
    ],
)
def test_skip_reasons_are_said_by_their_opening_words(reason: str, simplified: str) -> None:
    assert reason_text(reason, "en") == reason
    assert reason_text(reason, "zh-Hans") == simplified
    assert Texts("zh-Hant").reason(reason) == reason_text(reason, "zh-Hant")


def test_an_unreadable_files_error_says_its_reason_without_a_key_of_its_own() -> None:
    from semsearch.ingest import UnreadableFileError

    error = UnreadableFileError("a.pdf", "encrypted PDF", "save an unprotected copy")
    assert error.key == "file.reason"
    assert error_text(error, "zh-Hans") == ("a.pdf：加密的 PDF", "请另存一份未加密的副本")
    assert error_text(error, "en") == ("a.pdf: encrypted PDF", "save an unprotected copy")
