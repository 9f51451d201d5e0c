"""The seams of docs/architecture.md, kept true: which part of semsearch may import which.

Data flows forward: each stage imports only the stages before it and the shared modules, the
ranking core imports no other part at all, and the front ends (the CLI, the page and their
rendering in ``ui/``) reach everything through the service facade. Imports made only for type
hints (under ``if TYPE_CHECKING:``) may name the dataclasses of any stage that is not a front
end: data moves forward, so a front end may know the shape of a hit without calling the search.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "semsearch"
APP = PACKAGE.parent / "app.py"

#: Shared modules any part may import.
SHARED = {"errors", "settings", "text", "atomic", "progress", "sqlbatch", "terminal_safe"}
#: The front ends; nothing else imports them.
FRONT_ENDS = {"cli", "app", "ui"}

#: What each part may import at run time besides :data:`SHARED` (docs/architecture.md).
ALLOWED: dict[str, set[str]] = {
    **{shared: set() for shared in SHARED},
    "ranking": set(),
    "ingest": set(),
    "lexical": set(),
    "embed": set(),
    "chunking": {"ingest"},
    "storage": {"ingest", "chunking", "lexical"},
    "indexing": {"ingest", "chunking", "lexical", "embed", "storage"},
    "search": {"ranking", "lexical", "embed", "storage"},
    "evaluation": {"ingest", "chunking", "embed", "storage", "indexing", "search"},
    "uploads": set(),
    "service": {
        "ingest",
        "chunking",
        "lexical",
        "embed",
        "storage",
        "indexing",
        "search",
        "evaluation",
        "uploads",
    },
    "ui": {"service"},
    "cli": {"service", "ui"},
    "app": {"service", "ui"},
}


def _part(path: Path) -> str:
    if path == APP:
        return "app"
    relative = path.relative_to(PACKAGE).with_suffix("")
    return relative.parts[0] if relative.parts[0] != "__init__" else "__init__"


def _imports(tree: ast.Module) -> list[tuple[str, bool]]:
    """Every ``semsearch.<part>`` imported, and whether only for type hints."""
    typing_only: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for inner in node.body:
                typing_only.update(id(n) for n in ast.walk(inner))
    found = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
            if node.module == "semsearch":
                names = [f"semsearch.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "semsearch" and len(parts) > 1:
                found.append((parts[1], id(node) in typing_only))
    return found


def _modules() -> list[Path]:
    return [*sorted(PACKAGE.rglob("*.py")), APP]


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE.parent)))
def test_each_module_imports_only_what_its_part_may(path: Path) -> None:
    part = _part(path)
    if part in ("__init__", "__main__"):
        return
    assert part in ALLOWED, f"{part} is a new part of semsearch: add it to ALLOWED and the docs"
    wrong = []
    for target, typing_only in _imports(ast.parse(path.read_text(encoding="utf-8"))):
        if target == part or target in SHARED:
            continue
        if typing_only and target not in FRONT_ENDS:
            continue
        if target not in ALLOWED[part]:
            wrong.append(target)
    assert not wrong, f"{path.name} ({part}) imports {sorted(set(wrong))}"


def test_the_ranking_core_touches_no_storage_and_no_model() -> None:
    for path in sorted((PACKAGE / "ranking").glob("*.py")):
        imported = {target for target, _ in _imports(ast.parse(path.read_text(encoding="utf-8")))}
        assert not imported & {"storage", "embed", "search", "lexical", "indexing"}
