"""What the manifest of a Qdrant index records beyond the common keys (its ``qdrant`` entry).

The manifest lives in the collection's metadata under one key, so publishing a version is one
metadata update (Qdrant replaces a top-level key whole). Beside the common keys
(:class:`~semsearch.storage.manifest.Manifest`) it records which collection and version it
describes, which vector slots are live, the BM25 statistics the stored weights were made with,
and where the version's term frequencies and skipped files are.

The BM25 statistics sit here rather than in ``manifest.keyword``: the indexer's
``keyword_tokens`` upgrade compares that entry whole with the tokenizer's description, so any
other key there would re-tokenize the index on every update.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from semsearch.errors import IndexStoreError
from semsearch.storage.manifest import Manifest, rebuild_hint
from semsearch.storage.qdrant.schema import KEYWORDS, SENTENCES, SLOTS
from semsearch.storage.qdrant.terms import BM25Parameters

#: The collection metadata key that holds the manifest.
MANIFEST_KEY = "semsearch_manifest"
#: The manifest key of this engine's entry.
STATE_KEY = "qdrant"


def timestamp() -> str:
    """Now, as manifests record times (ISO-8601, UTC, whole seconds)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class KeywordStatistics:
    """The BM25 side of a version.

    Attributes:
        k1: Term-frequency saturation.
        b: Length normalization.
        average_length: The mean chunk length every stored weight was made with (frozen
            between renormalizations; see the writer).
        chunk_count: Chunks holding a sparse vector (all of them; BM25's N).
        total_length: Their summed token counts (the true mean is ``total_length / N``).
        term_count: Distinct terms (the size of the frequency table).
    """

    k1: float
    b: float
    average_length: float = 1.0
    chunk_count: int = 0
    total_length: int = 0
    term_count: int = 0

    @property
    def parameters(self) -> BM25Parameters:
        """What a stored weight depends on."""
        return BM25Parameters(self.k1, self.b, self.average_length)


@dataclass
class EngineState:
    """The ``qdrant`` entry of a manifest.

    Attributes:
        collection: The collection holding this version.
        version: The version number (points of later versions are invisible to it).
        slots: The live slot of ``bm25`` and ``sentences``.
        slots_since: The version at which each slot became live (an old slot's vectors are
            dropped once no reader can still use them).
        keyword: The BM25 statistics.
        term_shards: The version of each frequency shard's point (their count is the shard
            count).
        sources_version: The version of the point listing the skipped files (0: none).
    """

    collection: str
    version: int
    keyword: KeywordStatistics
    slots: dict[str, str] = field(default_factory=lambda: {KEYWORDS: "a", SENTENCES: "a"})
    slots_since: dict[str, int] = field(default_factory=lambda: {KEYWORDS: 0, SENTENCES: 0})
    term_shards: list[int] = field(default_factory=list)
    sources_version: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data."""
        return asdict(self)

    @classmethod
    def of(cls, manifest: Manifest, index_label: str) -> EngineState:
        """Read the entry of a manifest.

        Raises:
            IndexStoreError: The entry is missing or damaged.
        """
        data = manifest.extra.get(STATE_KEY)
        try:
            keyword = KeywordStatistics(**data["keyword"])
            state = cls(**{**data, "keyword": keyword})
            if not all(state.slots.get(kind) in SLOTS for kind in (KEYWORDS, SENTENCES)):
                raise ValueError(f"unknown slots {state.slots}")
        except (TypeError, KeyError, ValueError) as error:
            shown = json.dumps(data, ensure_ascii=False)[:120]
            raise IndexStoreError(
                f"The manifest of the Qdrant index {index_label} is damaged: its "
                f"{STATE_KEY!r} entry is {shown} ({error}).",
                rebuild_hint(index_label),
                key="qdrant.manifest_damaged",
                params={"index": index_label, "entry": STATE_KEY, "shown": shown, "reason": error},
            ) from None
        return state
