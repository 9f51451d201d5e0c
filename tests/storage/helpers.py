"""Documents built by hand for the storage tests, embedded with the FakeEmbedder."""

from __future__ import annotations

import json
import os
from pathlib import Path

from fakes import FakeEmbedder

from semsearch import lexical
from semsearch.chunking import Chunk, ChunkingConfig, passage_text
from semsearch.ingest import Document, RemovedLine
from semsearch.storage import FileState, IndexWriter, embed_key
from semsearch.storage.local.checksums import file_crc32
from semsearch.storage.local.generations import CURRENT_LINK, file_sizes

from .format1 import rewrite_as_format1

CHUNKING = ChunkingConfig()

ARTICLES = {
    "econ": (
        "经济观察",
        "2024-03-01",
        ["国家统计局发布数据，一季度经济增长百分之五。", "消费和投资共同拉动了增长。"],
    ),
    "sport": (
        "体育新闻",
        "2024-05-20",
        ["国家队在亚洲杯上赢得冠军。", "主教练称赞球员的拼搏精神。", "球迷在广场上庆祝。"],
    ),
    "weather": (
        "天气预报",
        None,
        ["明天北方地区有大风降温天气。", "南方多地将出现强降雨。"],
    ),
}


def make_document(doc_id: str, paragraphs: list[str] | None = None) -> tuple[Document, list[Chunk]]:
    """Build a document whose chunks are its paragraphs."""
    title, date, default_paragraphs = ARTICLES.get(doc_id, (f"标题{doc_id}", None, []))
    paragraphs = paragraphs if paragraphs is not None else default_paragraphs
    text = "\n".join(paragraphs)
    document = Document(
        doc_id=doc_id,
        path=f"corpus/{doc_id}.txt",
        title=title,
        text=text,
        date=date,
        source="新华社",
        author=None,
        content_hash=f"hash-{doc_id}-{len(text)}",
        script="simplified",
        removed=[RemovedLine(1, "广告：点击购买", "advertisement")],
    )
    chunks = []
    start = 0
    for number, paragraph in enumerate(paragraphs):
        end = start + len(paragraph)
        chunks.append(Chunk(doc_id, number, number, start, end, paragraph, title))
        start = end + 1
    return document, chunks


def add(writer: IndexWriter, embedder: FakeEmbedder, doc_id: str, **kwargs: object) -> list[int]:
    """Embed and add one document to a writer."""
    document, chunks = make_document(doc_id, **kwargs)  # type: ignore[arg-type]
    passages = [passage_text(chunk) for chunk in chunks]
    return writer.add_document(
        document,
        chunks,
        embedder.embed_passages(passages),
        [lexical.tokenize(p) for p in passages],
        [embed_key(embedder.fingerprint, p) for p in passages],
        FileState(f"/abs/{doc_id}.txt", 100, 1),
    )


def segment_dir(index_dir: Path, number: int = 0) -> Path:
    """A segment folder of the current generation (the first by default, in chunk id order)."""
    generation = current_dir(index_dir)
    manifest = json.loads((generation / "manifest.json").read_text(encoding="utf-8"))
    return generation / manifest["segments"][number]["name"]


def select_everywhere(reader: object, sql: str) -> list[tuple]:
    """Run a query on every segment's records of a local reader; all rows together."""
    rows: list[tuple] = []
    for segment in reader.segments.segments:  # type: ignore[attr-defined]
        rows += segment.records.select(sql)
    return rows


def generation_dirs(index_dir: Path) -> list[str]:
    """The generation folders of an index, by name."""
    return sorted(p.name for p in index_dir.iterdir() if p.name.startswith("gen-"))


def current_dir(index_dir: Path) -> Path:
    """The generation folder ``current`` points to."""
    return index_dir / os.readlink(index_dir / CURRENT_LINK)


def make_old_format(index_dir: Path) -> None:
    """Turn the current generation into one written before segments, sentence vectors and
    schema versions (format 1 without the ``sentence_vectors`` table or manifest key)."""
    rewrite_as_format1(index_dir, sentence_vectors=False)


def refresh_manifest(generation: Path) -> None:
    """Record the sizes and checksums a test's deliberate change gave the files of a generation
    (so that only what the test changed is wrong, not the checksums)."""
    path = generation / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["files"] = file_sizes(generation)
    if "crc32" in manifest:
        manifest["crc32"] = {name: file_crc32(generation / name) for name in manifest["files"]}
    path.write_text(json.dumps(manifest), encoding="utf-8")
