"""Tests of the looked-up tokenizer of a first query: the same ids as the whole tokenizer."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from semsearch.embed import OnnxEmbedder
from semsearch.embed.query_tokenizer import MAX_BATCH_CHARACTERS, QueryTokenizer, pieces_file

_PIECES = [
    *[("<s>", 0.0), ("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0)],
    *[("▁", -1.0), ("北", -3.0), ("京", -3.0), ("北京", -2.5), ("▁北京", -4.0), ("天", -3.5)],
    *[("气", -3.5), ("天气", -3.0), ("很", -3.0), ("好", -3.0), ("很好", -6.5), ("▁a", -2.0)],
    *[("a", -2.5), ("b", -2.5), ("ab", -4.0), ("▁ab", -3.5), ("x", -9.0), ("罕", -12.0)],
]


def _write_unigram(folder: Path, pieces: list[tuple[str, float]] = _PIECES) -> Path:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors

    tokenizer = Tokenizer(models.Unigram(pieces, 3, False))
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace()
    tokenizer.decoder = decoders.Metaspace()
    tokenizer.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", special_tokens=[("<s>", 0), ("</s>", 2)]
    )
    folder.mkdir(parents=True, exist_ok=True)
    tokenizer.save(str(folder / "tokenizer.json"))
    return folder


@pytest.fixture
def small_unigram(tmp_path: Path) -> Path:
    return _write_unigram(tmp_path / "export")


def test_a_text_gets_the_ids_of_the_whole_tokenizer(small_unigram: Path) -> None:
    from tokenizers import Tokenizer

    whole = Tokenizer.from_file(str(small_unigram / "tokenizer.json"))
    looked_up = QueryTokenizer(small_unigram, max_length=512)
    assert pieces_file(small_unigram).is_file()  # written once, beside the export
    texts = ["北京天气很好", "北京 天气", "ab ab  a b", "很好很好很好", "北京罕见"]
    texts += ["未知字 x 北京", ""]
    for text in texts:
        assert looked_up.encode(text) == whole.encode(text).ids, text
    # A batch is looked up with one vocabulary, the union of its texts' pieces: same ids.
    assert looked_up.encode_batch(texts) == [whole.encode(text).ids for text in texts]
    # Cut at the same length, special tokens included.
    whole.enable_truncation(max_length=5)
    looked_up.set_max_length(5)
    assert looked_up.encode("北京天气很好 ab") == whole.encode("北京天气很好 ab").ids


def test_an_unknown_character_is_scored_against_the_whole_vocabulary(tmp_path: Path) -> None:
    from tokenizers import Tokenizer

    # "罕" is the lowest piece: without it a text's own pieces would set the unknown penalty.
    folder = _write_unigram(tmp_path / "export")
    whole = Tokenizer.from_file(str(folder / "tokenizer.json"))
    looked_up = QueryTokenizer(folder, max_length=512)
    for text in ("好字好", "x字x", "天字气很"):
        assert looked_up.encode(text) == whole.encode(text).ids, text


def test_a_tokenizer_that_is_not_unigram_is_refused(tmp_path: Path) -> None:
    from tokenizers import Tokenizer, models

    folder = tmp_path / "export"
    folder.mkdir()
    Tokenizer(models.WordLevel({"[UNK]": 0, "a": 1}, unk_token="[UNK]")).save(
        str(folder / "tokenizer.json")
    )
    with pytest.raises(ValueError, match="Unigram"):
        QueryTokenizer(folder, max_length=16)


@pytest.mark.slow
def test_every_eval_query_gets_the_ids_of_the_whole_tokenizer(onnx_default: OnnxEmbedder) -> None:
    from tokenizers import Tokenizer

    whole = Tokenizer.from_file(str(onnx_default.onnx_path / "tokenizer.json"))
    whole.no_padding()
    whole.enable_truncation(max_length=onnx_default.max_seq_length)
    looked_up = QueryTokenizer(onnx_default.onnx_path, onnx_default.max_seq_length)
    eval_dir = Path(__file__).resolve().parents[2] / "eval"
    queries = [
        json.loads(line)["text"]
        for path in sorted(eval_dir.glob("*/queries.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    assert len(queries) > 10_000
    prompt = onnx_default.prompts.query
    for query in onnx_default.prepare_texts(queries):
        text = onnx_default._normalize(prompt + query)
        assert looked_up.encode(text) == whole.encode(text).ids, query


@pytest.mark.slow
def test_a_first_query_does_not_load_the_whole_tokenizer(onnx_default: OnnxEmbedder) -> None:
    fresh = OnnxEmbedder(onnx_default.onnx_path, onnx_default.model_id, onnx_default.path)
    query = "台风登陆后气象部门发布了什么预警"
    first = fresh.embed_queries([query])
    assert fresh.loaded and fresh._tokenizer is None
    np.testing.assert_array_equal(first, onnx_default.embed_queries([query]))
    # The next query loads it: a warm process tokenizes with the whole vocabulary.
    np.testing.assert_array_equal(fresh.embed_queries([query]), first)
    assert fresh._tokenizer is not None


@pytest.mark.slow
def test_every_eval_passage_and_sentence_gets_the_ids_of_the_whole_tokenizer(
    onnx_default: OnnxEmbedder,
) -> None:
    from tokenizers import Tokenizer

    from semsearch.chunking import passage_text, sentence_passages
    from semsearch.evaluation.sets import eval_documents, load_eval_set

    whole = Tokenizer.from_file(str(onnx_default.onnx_path / "tokenizer.json"))
    whole.no_padding()
    whole.enable_truncation(max_length=onnx_default.max_seq_length)
    looked_up = QueryTokenizer(onnx_default.onnx_path, onnx_default.max_seq_length)
    eval_dir = Path(__file__).resolve().parents[2] / "eval"
    prompt = onnx_default.prompts.passage
    seen: set[str] = set()
    calls: list[list[str]] = [[]]
    for corpus in sorted(eval_dir.glob("*/corpus.jsonl")):
        _, chunks_by_doc, _ = eval_documents(load_eval_set(corpus.parent))
        for chunks in chunks_by_doc.values():  # an article's passages, then its sentences
            texts = [passage_text(chunk) for chunk in chunks]
            texts += [s for chunk in chunks for s in sentence_passages(chunk.text, chunk.title)]
            prepared = onnx_default.prepare_texts(texts)
            normalized = [onnx_default._normalize(prompt + text) for text in prepared]
            fresh = [text for text in dict.fromkeys(normalized) if text not in seen]
            seen.update(fresh)
            # Calls of up to the size an update looks up, as the embedder makes them.
            if sum(map(len, calls[-1])) + sum(map(len, fresh)) > MAX_BATCH_CHARACTERS:
                calls.append([])
            calls[-1] += fresh
    assert len(seen) > 30_000
    for texts in calls:
        expected = [item.ids for item in whole.encode_batch(texts)]
        got = looked_up.encode_batch(texts)
        for text, ids, want in zip(texts, got, expected, strict=True):
            assert ids == want, text


@pytest.mark.slow
def test_a_small_update_does_not_load_the_whole_tokenizer(onnx_default: OnnxEmbedder) -> None:
    fresh = OnnxEmbedder(onnx_default.onnx_path, onnx_default.model_id, onnx_default.path)
    passages = ["台风\n气象部门发布了台风预警。", "北京\n天气很好。", "上海\n今天下雨"]
    vectors = fresh.embed_passages(passages)
    assert fresh.loaded and fresh._tokenizer is None
    np.testing.assert_array_equal(vectors, onnx_default.embed_passages(passages))
    # A call above the threshold loads it (a build): the lookups would cost more.
    many = ["台风登陆后气象部门发布了预警" * 10] * (MAX_BATCH_CHARACTERS // 140 + 1)
    fresh.embed_passages(many)
    assert fresh._tokenizer is not None
