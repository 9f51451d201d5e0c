"""The choices and formats the front ends offer, named where the service can vouch for them.

The CLI and the page reach the rest of semsearch only through the service
(``tests/test_layers.py``); the values they offer as choices (search modes, storage engines)
and the evaluation table they print are defined by the stages that own them and handed on
here. Each name is imported from its stage when first asked for (PEP 562), so that a command
asking for the engines does not load the evaluation and the searcher (0.15-0.2 s of every
``semsearch update`` at load 6); the stages load NumPy, so import this module inside a command.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from semsearch.evaluation import format_eval_table
    from semsearch.search import MODES
    from semsearch.storage import ENGINES, EngineConfig

#: Where each name comes from.
_SOURCES = {
    "ENGINES": "semsearch.storage",
    "EngineConfig": "semsearch.storage",
    "MODES": "semsearch.search",
    "format_eval_table": "semsearch.evaluation",
}

__all__ = ["ENGINES", "MODES", "EngineConfig", "format_eval_table"]


def __getattr__(name: str) -> Any:
    """Import a name from the stage that owns it, on first use.

    Args:
        name: One of :data:`__all__`.

    Returns:
        The value.

    Raises:
        AttributeError: Another name.
    """
    source = _SOURCES.get(name)
    if source is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(source), name)
    globals()[name] = value
    return value
