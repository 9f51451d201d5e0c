"""semsearch: local semantic search over Chinese news articles."""

from __future__ import annotations

__version__ = "0.1.0"
