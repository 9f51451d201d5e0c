"""semsearch: local semantic search over Chinese news articles."""

from __future__ import annotations

import os

# No model hub is reachable at run time: make every Hugging Face library fail fast and local.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

__version__ = "0.1.0"
