"""The choices and formats the front ends offer, named where the service can vouch for them.

The CLI and the page reach the rest of semsearch only through the service
(``tests/test_layers.py``); the values they offer as choices (search modes, storage engines)
and the evaluation table they print are defined by the stages that own them and handed on
here. Import this module inside a command, not at the top of a front end: it loads NumPy.
"""

from __future__ import annotations

from semsearch.evaluation import format_eval_table
from semsearch.search import MODES
from semsearch.storage import ENGINES, EngineConfig

__all__ = ["ENGINES", "MODES", "EngineConfig", "format_eval_table"]
