"""Every sentence the page shows, in simplified Chinese and English (traditional is derived).

One entry per message: ``key: (简体, English)``. Traditional Chinese is converted from the
simplified text with OpenCC (:func:`semsearch.text.to_traditional`), so the two Chinese
versions cannot drift apart; :data:`TRADITIONAL_OVERRIDES` holds the few words where the
character conversion is not what a traditional-script reader writes. Placeholders are
``str.format`` fields and must be the same in every language (``tests/ui/test_i18n.py``
checks it, and that every key the page asks for is here).
"""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    # -- the page ---------------------------------------------------------------------------
    "page.tab": ("semsearch · 中文新闻搜索", "semsearch · Chinese news search"),
    "page.caption": (
        "在 {folder} 的 {documents} 篇中文新闻文章（{passages} 个片段）中"
        "按语义和关键词搜索，全部在本机完成。",
        "Local semantic and keyword search over {documents} Chinese news articles "
        "({passages} passages) from {folder}.",
    ),
    "page.no_index": (
        "{index} 中还没有索引。  \n**解决办法：** 点击侧栏的 **更新** 为 {corpus} 建立索引、"
        "上传文章，或运行 {command}。",
        "There is no index yet in {index}.  \n**Fix:** click **Update** in the sidebar to index "
        "{corpus}, upload articles, or run {command}.",
    ),
    "page.loading_model": (
        "正在加载语义模型（服务启动后只需一次）…",
        "Loading the embedding model (once per server)…",
    ),
    "page.loading_index": ("正在打开索引…", "Opening the index…"),
    "page.language": ("界面语言", "Language"),
    # -- the search form ----------------------------------------------------------------------
    "search.label": ("搜索", "Search"),
    "search.placeholder": (
        "例如：焦裕禄精神如何传承？——按回车键搜索",
        "e.g. 焦裕禄精神如何传承? — press Enter to search",
    ),
    "search.mode": ("方式", "Mode"),
    "mode.hybrid": ("综合", "Hybrid"),
    "mode.semantic": ("语义", "Semantic"),
    "mode.keyword": ("关键词", "Keyword"),
    "search.k": ("结果数", "Results"),
    "search.flat": ("平铺列表（不按文章分组）", "Flat list (not grouped by article)"),
    "search.sort": ("排序", "Sort by"),
    "sort.relevance": ("相关度", "Relevance"),
    "sort.date": ("日期（新→旧）", "Date (newest first)"),
    "first.heading": (
        "用任何说法提问，简体、繁体都可以",
        "Ask a question in any words, simplified or traditional",
    ),
    "first.caption": (
        "语义搜索按意思查找片段；关键词搜索按字词查找。",
        "Semantic search finds passages by meaning; keyword search by the exact words.",
    ),
    # -- filters ------------------------------------------------------------------------------
    "filter.title": ("筛选", "Filters"),
    "filter.docs": ("只看这些文章", "Only these articles"),
    "filter.docs_all": ("全部文章", "All articles"),
    "filter.from": ("起始日期", "From"),
    "filter.to": ("截止日期", "To"),
    "filter.year": ("年", "yyyy"),
    "filter.month": ("月", "mm"),
    "filter.day": ("日", "dd"),
    "filter.range": (
        "有日期的文章从 {lowest} 到 {highest}。",
        "Dated articles range from {lowest} to {highest}.",
    ),
    "filter.undated": (
        "日期筛选不包括没有日期的文章（共 {count} 篇）。",
        "The date filter leaves out the articles without a date ({count}).",
    ),
    # -- results ------------------------------------------------------------------------------
    "results.summary": (
        "“{query}”共 <b>{count}</b> 个结果，来自 {articles} 篇文章 · {mode} · <b>{ms} 毫秒</b>",
        "<b>{count}</b> results for “{query}” from {articles} articles · {mode} · <b>{ms} ms</b>",
    ),
    "results.none": (
        "没有与“{query}”匹配的片段（{ms} 毫秒）。",
        "No passages match “{query}” ({ms} ms).",
    ),
    "results.none_tip": (
        "换个说法试试，或用语义方式（按意思匹配，而不是按字词），或清除筛选条件。",
        "Try other words, the semantic mode (it matches meaning, not words), or clear the filters.",
    ),
    "results.weak_divider": (
        "以下是弱匹配：它们可能并不回答这个问题。",
        "Weak matches below: they may not answer the question.",
    ),
    "results.more": ("本文另外 {count} 处", "+{count} more in this article"),
    "results.also_in": ("另见 {count} 个文件（转载）", "Also in {count} other files (reprints)"),
    "results.chart": ("匹配文章的日期分布", "Matching articles over time"),
    "results.chart_articles": ("文章数", "Articles"),
    "results.chart_date": ("日期", "Date"),
    "results.undated": ("{count} 篇匹配文章没有日期。", "{count} matching articles have no date."),
    "strength.strong": ("强匹配", "Strong match"),
    "strength.possible": ("可能相关", "Possible match"),
    "strength.weak": ("弱匹配", "Weak match"),
    "card.paragraph": ("第 {number} 段", "¶{number}"),
    "card.score": ("得分 {score}", "score {score}"),
    "card.untitled": ("（无标题）", "(untitled)"),
    "card.neighbours": ("前后段落", "Neighbouring paragraphs"),
    "card.read": ("阅读全文", "Read article"),
    "card.cite": ("引用", "Cite"),
    "card.cite_help": (
        "点右上角的按钮复制这段引用。",
        "Copy the citation with the button at its top right.",
    ),
    "cite.paragraph": ("第 {number} 段", "paragraph {number}"),
    "cite.undated": ("无日期", "undated"),
    # -- export -------------------------------------------------------------------------------
    "export.label": ("导出结果", "Export results"),
    "export.columns": (
        "排名,匹配强度,得分,标题,来源,日期,段落,文件,片段",
        "rank,strength,score,title,source,date,paragraph,file,passage",
    ),
    "export.heading": ("“{query}”的搜索结果", "Results for “{query}”"),
    # -- the article view ---------------------------------------------------------------------
    "article.title": ("全文", "Article"),
    "article.marked": ("命中的片段以蓝色标出", "the hit is marked in blue"),
    "article.empty": ("（这篇文章没有正文。）", "(This article has no text.)"),
    "article.previous": ("上一处", "Previous hit"),
    "article.next": ("下一处", "Next hit"),
    "article.position": ("第 {index} / {total} 处命中", "hit {index} of {total}"),
    # -- the sidebar --------------------------------------------------------------------------
    "index.heading": ("索引", "Index"),
    "index.documents": ("文章", "Articles"),
    "index.passages": ("片段", "Passages"),
    "index.model": ("模型", "Model"),
    "index.updated": ("更新时间", "Updated"),
    "index.folder": ("文件夹", "Folder"),
    "index.unusable": (
        "{folder} 中的索引暂时无法使用。",
        "The index in {folder} cannot be used right now.",
    ),
    "index.missing": ("{folder} 中还没有索引。", "No index yet in {folder}."),
    "index.skipped": ("{count} 个文件被跳过", "{count} skipped files"),
    "index.none_skipped": ("没有跳过任何文件。", "No files were skipped."),
    "upload.heading": ("添加文章", "Add articles"),
    "upload.caption": ("保存到 {folder}，然后建立索引。", "Saved into {folder}, then indexed."),
    "upload.files": ("文章（{extensions}）", "Articles ({extensions})"),
    "upload.add": ("加入索引", "Add to index"),
    "upload.browse": ("选择文件", "Choose files"),
    "maintenance.heading": ("维护", "Maintenance"),
    "maintenance.update": ("更新", "Update"),
    "maintenance.update_help": (
        "为索引文件夹中新增或修改的文件建立索引，删除已移除的文件。",
        "Index new or changed files in the indexed folders, drop removed ones.",
    ),
    "maintenance.rebuild": ("重建", "Rebuild"),
    "maintenance.rebuild_all": (
        "重新读取每篇文章，重新计算全部 {passages} 个片段的向量；期间仍可搜索。",
        "Re-reads every article and re-embeds all {passages} passages; searching goes on.",
    ),
    "maintenance.rebuild_new": (
        "重新读取每篇文章并计算全部向量；期间仍可搜索。",
        "Re-reads every article and re-embeds everything; searching goes on.",
    ),
    "maintenance.rebuild_now": ("立即重建", "Rebuild now"),
    "maintenance.rebuilt": ("已重建：{report}", "Rebuilt: {report}"),
    "maintenance.skipped": (
        "{count} 个文件被跳过：详见“索引”面板。",
        "{count} files were skipped: see the Index panel.",
    ),
    # -- outcomes -----------------------------------------------------------------------------
    "report.up_to_date": ("索引已是最新。", "The index was already up to date."),
    "report.counts": (
        "新增 {added} 篇，修改 {changed} 篇，删除 {removed} 篇；"
        "{chunks} 个片段的向量用时 {seconds} 秒。",
        "{added} added, {changed} changed, {removed} removed; "
        "{chunks} chunks embedded in {seconds} s.",
    ),
    "upload.duplicate": (
        "{sent} 已在文集中，名为 {name}：不再重复添加。",
        "{sent} is already in the corpus as {name}: not added again.",
    ),
    "upload.renamed": (
        "已有同名文件 {sent}：另存为 {name}。",
        "Another file is called {sent}: saved as {name}.",
    ),
    "upload.indexed": ("已建立索引：{names}。{report}", "Indexed {names}. {report}"),
    "upload.unindexable": (
        "{name} 已保存，但无法建立索引：{reason}",
        "{name} was saved but cannot be indexed: {reason}",
    ),
    "error.fix": ("**解决办法：**", "**Fix:**"),
    "error.unexpected": (
        "出错了：{kind}: {message}。详细信息在服务器日志中。",
        "Something went wrong: {kind}: {message}. The details are in the server log.",
    ),
    "progress.starting": ("开始…", "Starting…"),
    "progress.done": ("完成。", "Done."),
    # -- the command (semsearch …) ------------------------------------------------------------
    "cli.loading_model": ("正在加载模型 {model}…", "Loading model {model}…"),
    "cli.up_to_date": (
        "索引 {index} 已是最新：没有变化，没有计算向量（{seconds} 秒）。",
        "Index {index} is up to date: nothing changed, nothing embedded ({seconds} s).",
    ),
    "cli.report": (
        "索引 {index}：新增 {added} 篇，修改 {changed} 篇，删除 {removed} 篇，未变 {unchanged} 篇；"
        "计算了 {chunks} 个片段（另加 {sentences} 个句子）的向量，复用 {reused} 个；"
        "跳过 {skipped} 个文件（{seconds} 秒）。",
        "Index {index}: {added} added, {changed} changed, {removed} removed, {unchanged} "
        "unchanged documents; {chunks} chunks (+{sentences} sentences) embedded, {reused} "
        "reused; {skipped} files skipped ({seconds} s).",
    ),
    "cli.undated_left_out": (
        "日期筛选排除了 {count} 篇没有日期的文章。",
        "{count} article(s) without a date are left out by the date filter.",
    ),
    "cli.no_results": ("没有“{query}”的结果（{ms} 毫秒）。", "No results for “{query}” ({ms} ms)."),
    "cli.results": (
        "“{query}”共 [bold]{count}[/] 个结果（方式：{mode}，{ms} 毫秒）",
        "[bold]{count}[/] results for “{query}” (mode {mode}, {ms} ms)",
    ),
    "cli.no_strong": (
        "没有强匹配：以下是最接近的片段，可能不是答案",
        "No strong match: these are the nearest passages, likely not an answer",
    ),
    "cli.weak_below": ("以下是弱匹配", "Weak matches below"),
    "cli.also_in_one": ("另见 1 个文件：{paths}", "also in 1 other file: {paths}"),
    "cli.also_in": ("另见 {count} 个文件：{paths}", "also in {count} other files: {paths}"),
    "cli.local_time": ("{time}（本地时间）", "{time} (local time)"),
    "cli.sentences_yes": ("有", "yes"),
    "cli.sentences_no": (
        "没有（下次 semsearch update 时加上）",
        "no (the next semsearch update adds them)",
    ),
    "cli.reprints_one": (
        "[bold]转载[/]：{groups} 组同一文章的副本，共 {documents} 个文档",
        "[bold]reprints[/]: {groups} group of copies of one article, {documents} documents in them",
    ),
    "cli.reprints": (
        "[bold]转载[/]：{groups} 组同一文章的副本，共 {documents} 个文档",
        "[bold]reprints[/]: {groups} groups of copies of one article, {documents} documents in "
        "them",
    ),
    "cli.group_files": ("{count} 个文件", "{count} files"),
    "cli.cleaned_text": ("清理后的正文", "Cleaned text"),
    "cli.removed_lines": ("删除的行（{count}）", "Removed lines ({count})"),
    "cli.chunks": ("片段（{count}）", "Chunks ({count})"),
    "cli.error": ("[bold red]错误：[/]{message}", "[bold red]Error:[/] {message}"),
    "cli.unexpected": (
        "意外失败（{kind}: {message}）。",
        "unexpected failure ({kind}: {message}).",
    ),
    "cli.bug_saved": (
        "这是 semsearch 的缺陷；错误追踪已保存在 {path}。",
        "This is a bug in semsearch; the traceback is in {path}.",
    ),
    "cli.bug_unsaved": (
        "这是 semsearch 的缺陷；错误追踪未能保存。",
        "This is a bug in semsearch; no traceback was saved.",
    ),
    "cli.model_ready": ("模型 {model} 已就绪：{path}", "Model {model} is ready: {path}"),
    "cli.interrupted": (
        "已中断。除非最后一步已经完成，索引没有改变。",
        "Interrupted. The index is unchanged unless the last step had finished.",
    ),
    "cli.watching": (
        "正在监视 {folders} 的变化。按 Ctrl-C 停止。",
        "Watching {folders} for changes. Press Ctrl-C to stop.",
    ),
    "cli.watch_stopped": (
        "已停止监视。已完成的每次更新都在索引中。",
        "Stopped watching. The index holds every update that finished.",
    ),
    "cli.watch_nothing": ("没有变化", "nothing changed"),
    "cli.watch_counts": (
        "新增 {added} 篇，修改 {changed} 篇，删除 {removed} 篇",
        "{added} added, {changed} changed, {removed} removed",
    ),
    "cli.watch_round": (
        "索引 {index}：{done}（{seconds} 秒）。",
        "Index {index}: {done} ({seconds} s).",
    ),
    # the rows of ``semsearch info`` and ``semsearch inspect`` (English: the field's own name)
    "info.index": ("索引", "index"),
    "info.documents": ("文章", "documents"),
    "info.chunks": ("片段", "chunks"),
    "info.model": ("模型", "model"),
    "info.dimension": ("维度", "dimension"),
    "info.created_at": ("创建时间", "created_at"),
    "info.updated_at": ("更新时间", "updated_at"),
    "info.chunking": ("分段设置", "chunking"),
    "info.sentence_vectors": ("句子向量", "sentence vectors"),
    "info.size": ("大小", "size"),
    "info.sources": ("文章文件夹", "sources"),
    "inspect.path": ("文件", "path"),
    "inspect.title": ("标题", "title"),
    "inspect.date": ("日期", "date"),
    "inspect.source": ("来源", "source"),
    "inspect.author": ("作者", "author"),
    "inspect.script": ("字形", "script"),
    "inspect.doc_id": ("文档编号", "doc_id"),
}

#: Traditional wording where OpenCC's character-by-character conversion is not idiomatic.
TRADITIONAL_OVERRIDES: dict[str, str] = {
    "page.loading_model": "正在載入語義模型（服務啟動後只需一次）…",
    "search.placeholder": "例如：焦裕祿精神如何傳承？——按 Enter 鍵搜尋",
}
