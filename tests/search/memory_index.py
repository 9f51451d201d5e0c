"""A small corpus of four articles and an in-memory :class:`~semsearch.storage.SearchIndex`.

The in-memory index scores exactly (cosine of the FakeEmbedder's vectors, the real BM25), so
the searcher's unit tests run without FAISS or SQLite; the integration tests build the same
articles into the real local engine.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from fakes import FakeEmbedder

from semsearch.chunking import Chunk, ChunkingConfig, passage_text
from semsearch.errors import IndexStoreError
from semsearch.ingest import Document, RemovedLine, SkippedFile
from semsearch.lexical import KeywordIndex, tokenize
from semsearch.storage import ChunkFilter, DocumentRecord, FileScope, StoredChunk, StoredFile
from semsearch.storage.manifest import Manifest

# doc_id: (title, date, path, paragraphs) — one chunk per paragraph.
ARTICLES: dict[str, tuple[str, str | None, str, list[str]]] = {
    "econ": (
        "经济观察",
        "2024-03-01",
        "news/2024/econ.txt",
        [
            "国家统计局发布数据，一季度国内生产总值增长百分之五。",
            "消费和投资共同拉动了经济增长，出口保持稳定。",
            "专家预计全年经济将保持平稳运行。",
        ],
    ),
    "sport": (
        "体育新闻",
        "2024-05-20",
        "news/2024/sport.txt",
        ["国家队在亚洲杯决赛中赢得冠军。", "主教练称赞球员的拼搏精神。"],
    ),
    "taiwan": (
        "臺灣科技",
        "2023-11-02",
        "news/2023/taiwan.txt",
        ["臺灣的半導體產業發展迅速，晶片出口創新高。", "資訊科技人才需求持續增加。"],
    ),
    "weather": (
        "天气预报",
        None,
        "misc/weather.txt",
        ["明天北方地区有大风降温天气。", "南方多地将出现强降雨，注意出行安全。"],
    ),
}


def article_documents() -> tuple[list[Document], dict[str, list[Chunk]]]:
    """The articles as documents and their chunks, one chunk per paragraph."""
    documents, chunks_by_doc = [], {}
    for doc_id, (title, date, path, paragraphs) in ARTICLES.items():
        text = "\n".join(paragraphs)
        documents.append(
            Document(doc_id, path, title, text, date, None, None, doc_id * 4, "unknown")
        )
        chunks, offset = [], 0
        for index, paragraph in enumerate(paragraphs):
            chunks.append(
                Chunk(doc_id, index, index, offset, offset + len(paragraph), paragraph, title)
            )
            offset += len(paragraph) + 1
        chunks_by_doc[doc_id] = chunks
    return documents, chunks_by_doc


class MemoryReader:
    """A :class:`~semsearch.storage.SearchIndex` over plain lists (exact cosine, real BM25)."""

    generation = "memory"

    def __init__(self, embedder: FakeEmbedder) -> None:
        documents, chunks_by_doc = article_documents()
        self.model_id = embedder.model_id
        self.dimension = embedder.dimension
        self.records = {
            d.doc_id: DocumentRecord(
                d.doc_id, d.path, d.title, d.date, None, None, "", "unknown", 0, ""
            )
            for d in documents
        }
        self.stored: list[StoredChunk] = []
        for document in documents:
            for chunk in chunks_by_doc[document.doc_id]:
                self.stored.append(
                    StoredChunk(
                        len(self.stored) * 10 + 5,  # ids that are not row numbers
                        chunk.doc_id,
                        chunk.index,
                        chunk.paragraph,
                        chunk.start,
                        chunk.end,
                        chunk.text,
                        chunk.title,
                        document.path,
                        document.date,
                    )
                )
        self.by_id = {c.chunk_id: c for c in self.stored}
        self.ids = np.array([c.chunk_id for c in self.stored], dtype=np.int64)
        passages = [passage_text(c) for chunks in chunks_by_doc.values() for c in chunks]
        self.vectors = embedder.embed_passages(passages)
        self.keyword = KeywordIndex()
        self.keyword.build(self.ids.tolist(), [tokenize(p) for p in passages])
        self.manifest = Manifest(
            format_version=0,
            model_id=embedder.model_id,
            model_fingerprint=embedder.fingerprint,
            dimension=embedder.dimension,
            chunking=ChunkingConfig().as_dict(),
            document_count=len(self.records),
            chunk_count=len(self.stored),
            generation=self.generation,
            next_chunk_id=int(self.ids.max()) + 1,
        )
        self.calls: list[str] = []

    @property
    def chunk_count(self) -> int:
        return len(self.stored)

    @property
    def document_count(self) -> int:
        return len(self.records)

    # Every chunk here is one sentence, so none has sentence vectors.
    has_sentence_vectors = True

    def check_compatible(self, embedder: object, chunking: object) -> None:
        return None

    def _allowed(self, where: ChunkFilter | None) -> np.ndarray | None:
        return None if where is None or where.is_empty else self.chunk_ids(where)

    def dense_search(
        self, vector: np.ndarray, k: int, where: ChunkFilter | None = None
    ) -> list[tuple[int, float]]:
        self.calls.append("vector")
        scores = self.vectors @ np.asarray(vector).reshape(-1)
        rows = np.arange(len(self.ids))
        allowed = self._allowed(where)
        if allowed is not None:
            rows = rows[np.isin(self.ids, allowed)]
        order = rows[np.lexsort((self.ids[rows], -scores[rows]))][:k]
        return [(int(self.ids[r]), float(scores[r])) for r in order]

    def dense_scores(self, vector: np.ndarray, ids: np.ndarray) -> np.ndarray:
        self.calls.append("vector")
        rows = [int(np.flatnonzero(self.ids == i)[0]) for i in ids]
        return self.vectors[rows] @ np.asarray(vector).reshape(-1)

    def keyword_search(
        self, tokens: Sequence[str], k: int, where: ChunkFilter | None = None
    ) -> list[tuple[int, float]]:
        self.calls.append("keyword")
        return self.keyword.search(tokens, k, chunk_ids=self._allowed(where))

    def keyword_scores(self, tokens: Sequence[str], ids: np.ndarray) -> np.ndarray:
        self.calls.append("keyword")
        found = dict(self.keyword.search(tokens, len(ids), chunk_ids=ids))
        return np.array([found.get(int(i), 0.0) for i in ids])

    def keyword_weights(self, tokens: Sequence[str]) -> dict[str, float]:
        return self.keyword.token_weights(tokens)

    def sentence_vectors(self, ids: Sequence[int]) -> dict[int, np.ndarray]:
        return {}

    def chunks(self, ids: Sequence[int]) -> list[StoredChunk]:
        return [self.by_id[int(i)] for i in ids]

    def neighbours(
        self, chunk_id: int, before: int = 1, after: int = 1
    ) -> tuple[list[StoredChunk], list[StoredChunk]]:
        chunk = self.by_id[chunk_id]
        same = [c for c in self.stored if c.doc_id == chunk.doc_id]
        return (
            [c for c in same if chunk.index - before <= c.index < chunk.index],
            [c for c in same if chunk.index < c.index <= chunk.index + after],
        )

    def chunk_ids(self, where: ChunkFilter | None = None) -> np.ndarray:
        where = where or ChunkFilter()
        kept = [
            c.chunk_id
            for c in self.stored
            if (where.doc_ids is None or c.doc_id in where.doc_ids)
            and (where.date_from is None or (c.date is not None and c.date >= where.date_from))
            and (where.date_to is None or (c.date is not None and c.date <= where.date_to))
        ]
        return np.array(sorted(kept), dtype=np.int64)

    def documents(self) -> list[DocumentRecord]:
        return list(self.records.values())

    def document(self, doc_id: str) -> DocumentRecord:
        if doc_id not in self.records:
            raise IndexStoreError(f"No document {doc_id!r} in the index.")
        return self.records[doc_id]

    def removed_lines(self, doc_id: str) -> list[RemovedLine]:
        return []

    def skipped_files(self) -> list[SkippedFile]:
        return []

    def stored_files(self, scope: FileScope | None = None) -> list[StoredFile]:
        return []

    def close(self) -> None:
        return None
