"""Results to take away: a citation per hit, and the whole result as CSV, JSON or Markdown.

Pure functions from a :class:`semsearch.search.SearchResult` to text; the page offers them as
a copyable citation and as downloads. ``sources`` maps an article's id to its source (the
newspaper), which hits do not carry.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING

from semsearch.ui.cards import strength_of
from semsearch.ui.i18n import Texts
from semsearch.ui.page import display_title

if TYPE_CHECKING:
    from semsearch.search import Hit, SearchResult

#: The formats offered for download: file extension → MIME type.
EXPORT_FORMATS = {"csv": "text/csv", "json": "application/json", "md": "text/markdown"}


def citation(hit: Hit, tr: Texts, source: str | None = None) -> str:
    """A one-line citation of a hit: title, source, date, paragraph, file.

    Args:
        hit: A search hit.
        tr: The page's language.
        source: The article's source (newspaper), if known.

    Returns:
        E.g. ``《标题》，人民日报，2024年5月14日，第 3 段（seeds/000.txt）``.
    """
    title = display_title(hit, tr("card.untitled"))
    date = tr.date(hit.date) if hit.date else tr("cite.undated")
    paragraph = tr("cite.paragraph", number=hit.paragraph + 1)
    if tr.chinese:
        parts = [f"《{title}》", *([source] if source else []), date, paragraph]
        return "，".join(parts) + f"（{hit.path}）"
    parts = [f"“{title}”", *([source] if source else []), date, paragraph]
    return ", ".join(parts) + f" ({hit.path})"


def _rows(result: SearchResult, tr: Texts, sources: Mapping[str, str | None]) -> list[list[str]]:
    rows = []
    for hit in result.hits:
        strength = strength_of(hit)
        rows.append(
            [
                str(hit.rank),
                tr(f"strength.{strength}") if strength else "",
                f"{hit.score:.4f}",
                display_title(hit, tr("card.untitled")),
                sources.get(hit.doc_id) or "",
                hit.date or "",
                str(hit.paragraph + 1),
                hit.path,
                hit.text,
            ]
        )
    return rows


def _csv(result: SearchResult, tr: Texts, sources: Mapping[str, str | None]) -> str:
    """CSV with a header row in the page's language (with a BOM: Excel then reads UTF-8)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(tr("export.columns").split(","))
    writer.writerows(_rows(result, tr, sources))
    return "\ufeff" + buffer.getvalue()


def _json(result: SearchResult, tr: Texts, sources: Mapping[str, str | None]) -> str:
    """The CLI's ``--json`` fields plus each hit's source; indented, non-ASCII kept."""
    payload = result.to_json()
    for item, hit in zip(payload["results"], result.hits, strict=True):
        item["source"] = sources.get(hit.doc_id)
    return json.dumps(payload, ensure_ascii=False, indent=2, default=str)


def _markdown(result: SearchResult, tr: Texts, sources: Mapping[str, str | None]) -> str:
    """A Markdown list: each hit's citation, then its passage as a quote."""
    lines = [f"# {tr('export.heading', query=result.query)}", ""]
    for hit in result.hits:
        lines.append(f"{hit.rank}. {citation(hit, tr, sources.get(hit.doc_id))}")
        for paragraph in hit.text.splitlines():
            if paragraph.strip():
                lines.append(f"   > {paragraph.strip()}")
        lines.append("")
    return "\n".join(lines)


def export_text(
    result: SearchResult, kind: str, tr: Texts, sources: Mapping[str, str | None]
) -> str:
    """The result in one of :data:`EXPORT_FORMATS`.

    Args:
        result: The search's result.
        kind: ``csv``, ``json`` or ``md``.
        tr: The page's language.
        sources: Each article's source by id.

    Returns:
        The text.
    """
    writer = {"csv": _csv, "json": _json}.get(kind, _markdown)
    return writer(result, tr, sources)
