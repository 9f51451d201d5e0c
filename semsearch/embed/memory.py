"""Giving memory that was freed back to the system, so a process's resident size falls with it.

glibc's allocator keeps memory freed in small pieces for reuse instead of returning it: dropping
the ONNX export's tokenizer (a Unigram model of 250,002 pieces, which ``tokenizers`` holds as
282 MB of small allocations) after encoding 2,000 passages lowered a process's resident size by
16 MB, and by 307 MB once ``malloc_trim(0)`` had run: 7 MB above where it was before loading
(1 December 2026, docs/performance.md "Memory"). Elsewhere (another C library, another system)
there is nothing to call and nothing is done.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
from collections.abc import Callable


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or None where the C library has none."""
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):
        return None


def return_freed_memory() -> None:
    """Ask the C allocator to give the memory freed so far back to the system (glibc only).

    It takes a few milliseconds; call it after dropping something large (a tokenizer, a model),
    not in a loop.
    """
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
