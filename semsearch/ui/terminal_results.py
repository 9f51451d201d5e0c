"""What ``semsearch query`` prints: each hit with its title, strength, place and passage.

The query's words are highlighted and the sentence nearest the question underlined; a divider
comes before the first weak match. Words come from the catalogue in the command's language.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

from rich.padding import Padding
from rich.text import Text

from semsearch.terminal_safe import escape_for_terminal
from semsearch.text import merge_spans
from semsearch.ui.i18n import Texts
from semsearch.ui.terminal import err, markup_safe, multiline_safe, out, texts

if TYPE_CHECKING:
    from semsearch.search import Hit, SearchResult

#: Characters of a hit's neighbouring text shown on each side in the terminal.
CONTEXT_CHARS = 60
#: Spaces before a hit's details, kept on every wrapped line.
INDENT = 4
#: The query's words in a hit.
HIGHLIGHT_STYLE = "bold black on yellow"
#: The hit's sentence nearest the question.
ANSWER_STYLE = "underline"
#: How each match strength is shown (:mod:`semsearch.search.confidence`).
CONFIDENCE_STYLES = {"strong": "bold green", "possible": "yellow", "weak": "dim"}


def _hit_text(
    text: str, highlights: list[tuple[int, int]], answer: tuple[int, int] | None = None
) -> Text:
    """The hit's text with the query's words highlighted and its answer sentence underlined.

    Escaping changes lengths, so each piece between span bounds is escaped on its own.
    """
    spans = merge_spans(highlights, len(text))
    bounds = sorted({0, len(text), *(b for span in spans for b in span), *(answer or ())})
    rendered = Text()
    for start, end in itertools.pairwise(bounds):
        if end <= start or start >= len(text):
            continue
        styles = []
        if any(s <= start and end <= e for s, e in spans):
            styles.append(HIGHLIGHT_STYLE)
        if answer and answer[0] <= start and end <= answer[1]:
            styles.append(ANSWER_STYLE)
        rendered.append(multiline_safe(text[start:end]), style=" ".join(styles) or None)
    return rendered


def _trim_before(text: str, limit: int = CONTEXT_CHARS) -> str:
    return text if len(text) <= limit else "…" + text[-limit:]


def _trim_after(text: str, limit: int = CONTEXT_CHARS) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def print_result(result: SearchResult) -> None:
    """Print the hits of a search: rank, title, score, match strength, place, the passage.

    The query's words are highlighted and the sentence nearest the question underlined; a
    divider comes before the first weak match.

    Args:
        result: The search's result.
    """
    tr = texts()
    query, ms = markup_safe(result.query), f"{result.took_ms:.0f}"
    if result.undated_excluded:
        err.print(f"[yellow]{tr('cli.undated_left_out', count=result.undated_excluded)}[/]")
    if not result.hits:
        out.print(tr("cli.no_results", query=query, ms=ms))
        return
    mode = result.mode if not tr.chinese else tr(f"mode.{result.mode}")
    out.print(tr("cli.results", count=len(result.hits), query=query, mode=mode, ms=ms) + "\n")
    divided = False
    for hit in result.hits:
        if not divided and hit.confidence is not None and hit.confidence.label == "weak":
            words = tr("cli.no_strong") if hit.rank == 1 else tr("cli.weak_below")
            out.rule(f"[dim]{words}")
            out.print()
            divided = True
        _print_hit(hit, tr)


def _strength_words(label: str, tr: Texts) -> str:
    """``strong match`` (in English in lower case, as a phrase inside the line)."""
    words = tr(f"strength.{label}")
    return words if tr.chinese else words.lower()


def _print_hit(hit: Hit, tr: Texts) -> None:
    header = Text()
    header.append(f"{hit.rank:>2}. ", style="bold")
    header.append(escape_for_terminal(hit.title or tr("card.untitled")), style="bold cyan")
    header.append("  " + tr("card.score", score=f"{hit.score:.3f}"), style="magenta")
    if hit.confidence is not None:
        label = hit.confidence.label
        header.append(
            f"  {_strength_words(label, tr)} {hit.confidence.value:.2f}",
            style=CONFIDENCE_STYLES[label],
        )
    out.print(header)
    meta = f"{escape_for_terminal(hit.path)}  {tr('card.paragraph', number=hit.paragraph + 1)}"
    if hit.date:
        meta += f"  {escape_for_terminal(hit.date)}"
    out.print(Padding(Text(meta, style="dim"), (0, 0, 0, INDENT), expand=False))
    also_in = getattr(hit, "also_in", [])
    if also_in:
        line = _also_in_line(also_in, tr)
        out.print(Padding(Text(line, style="dim"), (0, 0, 0, INDENT), expand=False))
    body = Text()
    if hit.context_before:
        body.append(multiline_safe(_trim_before(hit.context_before)), style="dim")
        body.append(" ")
    body.append_text(_hit_text(hit.text, hit.highlights, hit.answer))
    if hit.context_after:
        body.append(" ")
        body.append(multiline_safe(_trim_after(hit.context_after)), style="dim")
    out.print(Padding(body, (0, 0, 0, INDENT), expand=False))
    out.print()


def _also_in_line(paths: list[str], tr: Texts) -> str:
    """The line under a hit naming the other copies of its article."""
    shown = ", ".join(map(escape_for_terminal, paths))
    if len(paths) == 1:
        return tr("cli.also_in_one", paths=shown)
    return tr("cli.also_in", count=len(paths), paths=shown)
