"""The command's ``--help`` in simplified Chinese: the program, each command, each parameter.

The English help is written where each command and option is declared (:mod:`semsearch.cli`,
:mod:`semsearch.ui.options`); Typer builds it when the command starts, before the language is
known, so :mod:`semsearch.ui.command_group` swaps these sentences in while a Chinese help is
drawn (traditional Chinese converted from them, as for :mod:`semsearch.ui.catalogue`). Keys:
``semsearch`` (the program), a command's name, a parameter's name (the same in every command),
``NAME.default`` for a parameter's default when it is a sentence. ``tests/test_cli_help.py``
checks that every command and parameter is here and that each keeps the English one's
environment variables and options.
"""

from __future__ import annotations

_PATHS_RULE = (
    "$SEMSEARCH_INDEX，否则为工作文件夹或其上层中最近的含索引的 index/ 文件夹"
    "（如同 git 寻找仓库），否则为工作文件夹中的 index/"
)

#: ``key: 简体`` (see the module's description).
HELP: dict[str, str] = {
    "semsearch": (
        "在本机对中文新闻文章做语义搜索。\n\n"
        '常见用法：先运行一次 `semsearch build seeds/`，再 `semsearch query "..."`；'
        "新增或修改文章后运行 `semsearch update`。\n\n"
        f"使用的索引：--index，否则 {_PATHS_RULE}。"
        "环境变量：$SEMSEARCH_INDEX（索引文件夹）、"
        "$SEMSEARCH_CORPUS（默认收录的文章，否则 seeds/）、"
        "$SEMSEARCH_MODEL（新索引的模型）、$SEMSEARCH_MODEL_CACHE（转换后的模型）、"
        "$SEMSEARCH_LANG（语言：zh-Hans、zh-Hant 或 en）。段落从 1 开始编号，与网页一致。"
        "时间以本地时间显示。"
    ),
    "build": "为文章建立索引（默认：seeds/）。已有的索引会被更新，除非使用 --rebuild。",
    "update": (
        "让索引与文件一致：只为新内容计算向量，删除已消失的文件。\n\n"
        "不给 PATHS 时，使用建立索引时的文件夹（新索引则用 seeds/）。"
    ),
    "watch": (
        "让索引随文件同步：任何改动后几秒内更新，直到按 Ctrl-C。\n\n"
        "不给 PATHS 时，监视建立索引时的文件夹（新索引则用 seeds/）。"
        "正在写入的文件在写完后才收录。"
    ),
    "query": "在索引中搜索并显示最相关的段落。",
    "info": "描述索引：文档、片段、模型、大小、时间、跳过的文件。",
    "inspect": "显示一个文件如何被读取：元数据、清理后的正文、删除的行和片段。",
    "eval": (
        "衡量检索质量（Recall@1/5/10、MRR@10、nDCG@10、查询时间中位数）。\n\n"
        "评测集在所选引擎的临时索引中建立（使用 --qdrant-url 时，是那里的 "
        "semsearch-eval-<set> 索引，每次运行都会替换）。"
    ),
    "prepare-model": "让模型可离线使用（把自带的默认模型转换一次）。",
    "paths": "文章的文件和文件夹（.txt .md .html .htm .docx .pdf），文件夹会递归搜索。",
    "index": "索引文件夹。",
    "index.default": _PATHS_RULE,
    "model": "sentence-transformers 模型名称或本机文件夹。",
    "model.default": (
        "建立索引时的模型；新索引、eval 和 prepare-model：$SEMSEARCH_MODEL，"
        "否则 multilingual-e5-small"
    ),
    "model_cache": "转换后的默认模型存放处。",
    "model_cache.default": "$SEMSEARCH_MODEL_CACHE，否则为用户缓存文件夹",
    "rebuild": "从头开始，丢弃旧索引。",
    "engine": "存储引擎：local（FAISS + SQLite 文件）或 qdrant。",
    "engine.default": "$SEMSEARCH_ENGINE，否则 local",
    "qdrant_url": (
        "配合 --engine qdrant：服务器或集群的网址（http(s)://host:6333，API 密钥取自 "
        "$SEMSEARCH_QDRANT_API_KEY），或 Qdrant 进程内本地模式的文件夹；--index 为其中的索引命名。"
    ),
    "qdrant_url.default": "$SEMSEARCH_QDRANT_URL，否则为 --index 文件夹中的本地模式",
    "debounce": "文件夹需安静（没有文件在变化）多少秒后才更新。",
    "text": "要查找的内容：词语或问题，任何语言或字体。",
    "k": "结果数量。",
    "mode": "hybrid（意思和词语）、semantic（只看意思）或 keyword（按词语的 BM25）。",
    "as_json": "在标准输出打印一个 JSON 对象。",
    "doc": "只搜这些文章（文档编号或文件路径的一部分）；可重复。",
    "date_from": "只搜 YYYY-MM-DD 当天或之后的文章（没有日期的文章不算在内，并会计数）。",
    "date_to": "只搜 YYYY-MM-DD 当天或之前的文章。",
    "collapse": "每篇文章只显示最好的段落。",
    "file": "要清理和切分的文章文件。",
    "directory": "评测集：含 corpus.jsonl 和 queries.jsonl 的文件夹。",
    "modes": "要比较的搜索方式，以逗号分隔。",
    "articles": (
        "文章层面：把每行写成一个文章文件，经真实的读取、清理和切分建立索引，每篇文章只算一个命中。"
    ),
    "help": "显示这段说明并退出。",
}

#: Typer's words around the help (``typer.rich_utils``' names for them) in simplified Chinese;
#: ``Usage:`` is click's.
FRAME: dict[str, str] = {
    "ARGUMENTS_PANEL_TITLE": "参数",
    "OPTIONS_PANEL_TITLE": "选项",
    "COMMANDS_PANEL_TITLE": "命令",
    "DEFAULT_STRING": "[默认：{}]",
    "ENVVAR_STRING": "[环境变量：{}]",
    "REQUIRED_LONG_STRING": "[必填]",
    "Usage:": "用法：",
}
