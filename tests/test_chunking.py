"""Tests for semsearch.chunking: offsets, coverage, sizes, headings and the seeds."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from semsearch.chunking import (
    DEFAULT_MAX_CHARS,
    Chunk,
    ChunkingConfig,
    chunk_document,
    passage_text,
    sentence_passages,
)
from semsearch.errors import SemsearchError
from semsearch.ingest import Document, read_document

SEEDS = Path(__file__).resolve().parents[1] / "seeds"


def make_document(text: str, title: str = "标题") -> Document:
    return Document(
        doc_id="d" * 16,
        path="x.txt",
        title=title,
        text=text,
        date=None,
        source=None,
        author=None,
        content_hash="0" * 64,
        script="simplified",
    )


def assert_well_formed(document: Document, chunks: list[Chunk], config: ChunkingConfig) -> None:
    """The invariants every chunking must keep."""
    text = document.text
    assert [chunk.index for chunk in chunks] == list(range(len(chunks)))
    position = 0  # end of the text covered so far
    for chunk in chunks:
        assert chunk.text == text[chunk.start : chunk.end]
        assert chunk.text and chunk.text == chunk.text.strip()
        assert chunk.doc_id == document.doc_id and chunk.title == document.title
        # The paragraph number is that of the line the chunk starts in.
        assert chunk.paragraph == text.count("\n", 0, chunk.start)
        assert len(chunk.text) <= config.max_chars + config.min_chars + config.overlap
        # In order and covering: only whitespace between consecutive chunks; a chunk may reach
        # back into its predecessor by the overlap, never further.
        assert chunk.end > position
        assert position - chunk.start <= config.overlap
        assert text[position : max(position, chunk.start)].strip() == ""
        position = chunk.end
    assert text[position:].strip() == ""


# Sentences of Chinese characters with an end mark, sometimes ASCII words and numbers.
_sentence = st.builds(
    lambda body, end: body + end,
    st.text(alphabet="开封精神发展人民城市建设文化 abc123，、：", min_size=1, max_size=120),
    st.sampled_from(["。", "！", "？", "；", "……", "。”", "!", "", ";"]),
)
_paragraph = st.lists(_sentence, min_size=1, max_size=8).map("".join)
_text = st.lists(_paragraph, min_size=1, max_size=8).map(
    lambda paragraphs: "\n".join(p.strip() for p in paragraphs if p.strip()) or "正文。"
)
_config = st.builds(
    lambda max_chars, min_fraction, overlap: ChunkingConfig(
        max_chars=max_chars, min_chars=int(max_chars * min_fraction), overlap=overlap % max_chars
    ),
    st.integers(min_value=20, max_value=400),
    st.floats(min_value=0.0, max_value=0.5),
    st.sampled_from([0, 0, 0, 10, 30]),
)


@settings(max_examples=300, deadline=None)
@given(text=_text, config=_config)
def test_chunks_point_at_their_text_and_cover_the_document(
    text: str, config: ChunkingConfig
) -> None:
    document = make_document(text)
    chunks = chunk_document(document, config)
    assert_well_formed(document, chunks, config)


@settings(max_examples=100, deadline=None)
@given(text=_text)
def test_chunking_is_deterministic(text: str) -> None:
    document = make_document(text)
    assert chunk_document(document) == chunk_document(document)


def test_long_paragraph_is_cut_at_sentence_ends_into_even_pieces() -> None:
    sentences = [f"第{n}句话讲的是开封城市建设和文化发展的一个方面。" for n in range(1, 21)]
    document = make_document("".join(sentences))
    chunks = chunk_document(document, ChunkingConfig(max_chars=100, min_chars=20, overlap=0))
    assert all(chunk.text.endswith("。") for chunk in chunks)
    lengths = [len(chunk.text) for chunk in chunks]
    assert max(lengths) <= 100
    assert len(chunks) == -(-len(document.text) // 100)  # the fewest pieces that fit
    assert max(lengths) - min(lengths) <= 30  # balanced, no stub at the end


def test_over_long_sentence_is_cut_at_clause_marks() -> None:
    clause = "开封坚持以人民为中心的发展思想"
    sentence = "，".join([clause] * 12) + "。"
    chunks = chunk_document(make_document(sentence), ChunkingConfig(100, 20, 0))
    assert len(chunks) == 2
    assert chunks[0].text.endswith("，") and chunks[1].text.endswith("。")


def test_text_without_any_punctuation_is_cut_by_length() -> None:
    text = "开" * 450
    chunks = chunk_document(make_document(text), ChunkingConfig(200, 20, 0))
    assert [len(c.text) for c in chunks] == [200, 200, 50]


def test_short_heading_joins_the_next_paragraph() -> None:
    body = "蘭考縣委在旗幟鮮明講政治上當標桿，不斷強化政治引領，增強四個意識。"
    document = make_document(f"{body}\n牢記囑托 黨建引領\n{body}")
    chunks = chunk_document(document, ChunkingConfig(200, 20, 0))
    assert [c.text for c in chunks] == [body, f"牢記囑托 黨建引領\n{body}"]
    assert [c.paragraph for c in chunks] == [0, 1]


def test_short_last_paragraph_joins_the_previous_one() -> None:
    body = "开福区行政版图形似一支熊熊燃烧的火炬，新一届区委已经接过发展火炬。"
    document = make_document(f"{body}\n(完)")
    chunks = chunk_document(document, ChunkingConfig(200, 20, 0))
    assert [c.text for c in chunks] == [f"{body}\n(完)"]


def test_ordinary_paragraphs_are_never_joined() -> None:
    first = "第一段讲开封的城市建设，内容完整而且足够长。"
    second = "第二段讲开封的文化发展，内容也完整而且足够长。"
    chunks = chunk_document(make_document(f"{first}\n{second}"), ChunkingConfig(200, 10, 0))
    assert [c.text for c in chunks] == [first, second]


def test_overlap_repeats_the_previous_sentence() -> None:
    sentences = [f"这是第{n}句，内容写得长一些。" for n in range(1, 13)]
    document = make_document("".join(sentences))
    plain = chunk_document(document, ChunkingConfig(60, 10, 0))
    overlapping = chunk_document(document, ChunkingConfig(60, 10, 20))
    assert len(plain) == len(overlapping) > 1
    for before, after in zip(plain[1:], overlapping[1:], strict=True):
        assert after.end == before.end and after.start < before.start
        assert document.text[after.start : before.start] in sentences[-1] + "".join(sentences)


def test_passage_text_puts_the_title_in_front() -> None:
    chunk = chunk_document(make_document("正文内容。", title="新闻标题"))[0]
    assert passage_text(chunk) == "新闻标题\n正文内容。"
    untitled = chunk_document(make_document("正文内容。", title=""))[0]
    assert passage_text(untitled) == "正文内容。"


def test_config_validation_and_manifest_form() -> None:
    assert ChunkingConfig().as_dict() == {
        "max_chars": DEFAULT_MAX_CHARS,
        "min_chars": ChunkingConfig().min_chars,
        "overlap": 0,
    }
    for bad in ({"max_chars": 5}, {"min_chars": 500}, {"overlap": -1}, {"overlap": 10_000}):
        with pytest.raises(SemsearchError):
            ChunkingConfig(**bad)


@pytest.mark.parametrize("path", sorted(SEEDS.glob("*.txt")), ids=lambda p: p.name[:3])
def test_seed_chunks(path: Path) -> None:
    document = read_document(path, root=SEEDS)
    config = ChunkingConfig()
    chunks = chunk_document(document, config)
    assert_well_formed(document, chunks, config)
    lengths = [len(chunk.text) for chunk in chunks]
    assert min(lengths) >= config.min_chars
    assert max(lengths) <= config.max_chars + config.min_chars
    # Chunks end where sentences end, apart from cuts forced inside over-long sentences.
    ends = sum(1 for chunk in chunks if re.search(r"[。！？!?；;…”]$", chunk.text))
    assert ends >= 0.8 * len(chunks)


def test_seed_002_long_paragraph_is_split() -> None:
    document = read_document(SEEDS / "002_c22613e7f4a477b7.txt")
    assert document.text.count("\n") == 0 and len(document.text) > 2000
    chunks = chunk_document(document)
    assert len(chunks) >= len(document.text) // DEFAULT_MAX_CHARS
    assert all(len(chunk.text) <= DEFAULT_MAX_CHARS for chunk in chunks)


def test_seed_headings_travel_with_their_paragraph() -> None:
    document = read_document(SEEDS / "001_92b96156f557c987.txt")
    texts = [chunk.text for chunk in chunk_document(document)]
    heading = next(t for t in texts if "牢記囑托 黨建引領" in t)
    assert heading.startswith("又一個春日") or heading.startswith("牢記囑托 黨建引領\n")
    assert "2021年2月25日" in heading


def test_sentence_passages_put_the_title_before_each_sentence() -> None:
    assert sentence_passages("北京下雨了。上海晴天。", "天气") == [
        "天气\n北京下雨了。",
        "天气\n上海晴天。",
    ]
    assert sentence_passages("北京下雨了。上海晴天。") == ["北京下雨了。", "上海晴天。"]


def test_a_chunk_of_one_sentence_has_no_sentence_passages() -> None:
    # Its one sentence vector would equal the chunk's own vector.
    assert sentence_passages("北京下雨了。", "天气") == []
    assert sentence_passages("", "天气") == []
