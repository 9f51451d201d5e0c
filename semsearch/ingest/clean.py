"""Separating an article's text from the page around it, as a pipeline of named steps.

Cleaning is a pure function of one file's content: no state is shared across files, so an
incremental update gives the same document as a fresh build. Each step of
:data:`CLEANING_STEPS` works on the lines of one file and marks the lines it removes with their
reason (the parts it cuts from a line are recorded at once); docs/cleaning.md lists the rules.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from semsearch.ingest.document import RemovedLine
from semsearch.ingest.metadata import (
    HEADLINE_CHARS,
    find_author,
    find_publication_date,
    find_source,
    pick_short_title,
    pick_title,
)
from semsearch.ingest.rules import (
    PAGE_MARKER,
    SHARE_SITE_TITLE,
    SUMMARY_LABEL,
    TRAILING_ELLIPSIS,
    Line,
    classify_line,
)
from semsearch.text import ends_sentence, has_strong_end_mark

#: A line at least this long (characters) that ends a sentence is body text ("prose").
PROSE_MIN_CHARS = 30


@dataclass
class CleanedText:
    """What :func:`clean_lines` returns.

    Attributes:
        title: The headline, when the text or the hint gives one.
        text: The article's paragraphs, one a line.
        date: Publication date ``YYYY-MM-DD``, when given.
        source: Publishing outlet, when given.
        author: Author or reporter names, when given.
        removed: Every removed line (or part of one) with its reason, in line order.
    """

    title: str | None
    text: str
    date: str | None
    source: str | None
    author: str | None
    removed: list[RemovedLine]


@dataclass
class _Page:
    """The lines of one file while they are cleaned.

    ``title`` is the headline known so far: the format's hint or the share site's file name,
    then the text of the line chosen as headline.
    """

    lines: list[Line]
    title: str | None
    removed: list[RemovedLine] = field(default_factory=list)


def clean_lines(lines: Sequence[str], title_hint: str | None = None) -> CleanedText:
    """Separate an article's text from the page around it.

    A pure function of its input. Steps: page markers glued to line starts are cut and the
    broken sentences joined; each line is judged on its own by the rules in
    :data:`~semsearch.ingest.rules.LINE_RULES`; the headline is chosen among the lines before
    the first body paragraph (``title_hint``, e.g. a share site's 《file name》 or an HTML
    title, wins when given); short lines before the headline or after the last body paragraph
    are page chrome; repeated lines and a summary that repeats the body are dropped; date,
    source and author are read from the metadata lines.

    Args:
        lines: The normalized lines of one file (line numbers are their positions + 1).
        title_hint: A headline known from the file format, if any.

    Returns:
        Title, cleaned text (one paragraph a line), date, source, author and removed lines.
    """
    page = _Page(
        lines=[Line(no, text.strip()) for no, text in enumerate(lines, start=1) if text.strip()],
        title=title_hint.strip() if title_hint and title_hint.strip() else None,
    )
    for step in CLEANING_STEPS:
        step(page)
    return _cleaned_text(page)


def _cut_page_markers(page: _Page) -> None:
    """Step 1: cut page numbers glued to line starts, join the sentence the page break split."""
    markers = _find_page_markers(page.lines)
    joined: list[Line] = []
    for index, line in enumerate(page.lines):
        if index in markers:
            match = PAGE_MARKER.match(line.text)
            assert match is not None
            page.removed.append(RemovedLine(line.no, match.group(0), "page marker"))
            rest = line.text[match.end() :]
            if markers[index] and joined:
                joined[-1].text += rest
                continue
            line = Line(line.no, rest)
        joined.append(line)
    page.lines = [line for line in joined if line.text]


def _judge_single_lines(page: _Page) -> None:
    """Step 2: the rules on single lines; a share site's 《file name》 is the title hint."""
    share_title: str | None = None
    for line in page.lines:
        line.reason = classify_line(line.text)
        if line.reason == "share-site header" and share_title is None:
            match = SHARE_SITE_TITLE.search(line.text)
            if match:
                share_title = match.group(1).strip()
    if page.title is None:
        page.title = share_title


def _mark_zones(page: _Page) -> None:
    """Step 3: the body runs from the first to the last prose line; find the headline before it.

    Short lines without a sentence before the headline (or anywhere before the body when there
    is no headline) and after the body are page chrome.
    """
    items = page.lines
    prose = [i for i, line in enumerate(items) if line.reason is None and _is_prose(line.text)]
    title_line: Line | None = None
    if prose:
        first, last = prose[0], prose[-1]
        header = [line for line in items[:first] if line.reason is None]
        title_line = _headline(page, header, items[first])
        for line in header:
            if line is title_line:
                continue
            before_title = title_line is not None and line.no < title_line.no
            if (before_title or title_line is None) and _is_chrome(line.text):
                line.reason = "navigation"
        for line in items[last + 1 :]:
            if line.reason is None and _is_chrome(line.text):
                line.reason = "navigation"
    if title_line is not None:
        title_line.reason = "title"
        page.title = title_line.text


def _headline(page: _Page, header: list[Line], body_start: Line) -> Line | None:
    """The header line that is the known title, or the best headline (else a short title)."""
    if page.title is None:
        items = page.lines
        following = {
            line.no: (items[i + 1] if i + 1 < len(items) else None) for i, line in enumerate(items)
        }
        return pick_title(header, following) or pick_short_title(header, following, body_start)
    title = _compact(page.title)
    return next((line for line in header if _compact(line.text) == title), None)


def _drop_repeats(page: _Page) -> None:
    """Step 4: a line seen before, the headline inside the body, a summary of what follows."""
    seen: set[str] = set()
    kept = [line for line in page.lines if line.reason is None]
    for position, line in enumerate(kept):
        key = _compact(line.text)
        if key in seen:
            line.reason = "duplicate"
        elif page.title and key == _compact(page.title):
            line.reason = "title"
        elif _repeats_following(line.text, kept[position + 1 :]):
            line.reason = "duplicate"
        seen.add(key)


def _cut_glued_title(page: _Page) -> None:
    """Step 5: a headline glued to the start of the first paragraph (docx dumps do this).

    A title shorter than a headline (an entry's name, 于乐) that begins the first paragraph is
    its subject (于乐，男，…), not a glued headline: it stays.
    """
    title = page.title
    body = [line for line in page.lines if line.reason is None]
    if not title or len(title) < HEADLINE_CHARS[0] or not body:
        return
    first = body[0]
    if len(first.text) > len(title) + 10 and first.text.startswith(title):
        page.removed.append(RemovedLine(first.no, title, "title"))
        first.text = first.text[len(title) :].lstrip(" :：-—")


#: The cleaning steps, in order; each reads and marks the page's lines.
CLEANING_STEPS: tuple[Callable[[_Page], None], ...] = (
    _cut_page_markers,
    _judge_single_lines,
    _mark_zones,
    _drop_repeats,
    _cut_glued_title,
)


def _cleaned_text(page: _Page) -> CleanedText:
    """Record the marked lines as removed and read the metadata from the metadata lines."""
    removed = list(page.removed)
    for line in page.lines:
        if line.reason is not None:
            removed.append(RemovedLine(line.no, line.text, line.reason))
    removed.sort(key=lambda r: r.line_no)
    body = [line for line in page.lines if line.reason is None]
    meta_lines = [line for line in page.lines if line.reason in {"metadata", "byline"}]
    return CleanedText(
        title=page.title or None,
        text="\n".join(line.text for line in body if line.text),
        date=find_publication_date(meta_lines),
        source=find_source(meta_lines),
        author=find_author(meta_lines),
        removed=removed,
    )


def _find_page_markers(lines: list[Line]) -> dict[int, bool]:
    """Lines that start with a page number glued on by a docx/pdf-to-text conversion.

    The markers of a converted document count up 1、2、3… at line starts, and the (long) line
    before a marker stops mid-sentence, because the page broke the sentence. The items of a real
    numbered list end with punctuation or are short, so they are left alone.

    Returns:
        Line index → whether the text after the marker continues the previous line.
    """
    numbered = [
        (index, int(match.group(1)))
        for index, line in enumerate(lines)
        if (match := PAGE_MARKER.match(line.text))
    ]
    runs: list[list[tuple[int, int]]] = []
    for index, number in numbered:
        if runs and number == runs[-1][-1][1] + 1:
            runs[-1].append((index, number))
        elif number in (1, 2):
            runs.append([(index, number)])

    def breaks_sentence(index: int) -> bool:
        previous = lines[index - 1].text if index > 0 else ""
        return len(previous) >= 50 and not ends_sentence(previous)

    markers: dict[int, bool] = {}
    for run in runs:
        later = run[1:]
        broken = sum(1 for index, _ in later if breaks_sentence(index))
        if later and 2 * broken >= len(later):
            for position, (index, _) in enumerate(run):
                markers[index] = position > 0 and breaks_sentence(index)
    return markers


def _is_prose(line: str) -> bool:
    return len(line) >= PROSE_MIN_CHARS and (
        ends_sentence(line) or has_strong_end_mark(line) or len(line) >= 80
    )


def _is_chrome(line: str) -> bool:
    """A short line with no sentence in it: a site name, a menu item, a stray label."""
    return len(line) <= 20 and not has_strong_end_mark(line) and not ends_sentence(line)


def _compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _repeats_following(line: str, following: Sequence[Line]) -> bool:
    """True for a summary/lead that repeats the start of the paragraphs after it."""
    content = SUMMARY_LABEL.sub("", line)
    labelled = content != line
    truncated = bool(TRAILING_ELLIPSIS.search(content))
    if not (labelled or truncated):
        return False
    content = _compact(TRAILING_ELLIPSIS.sub("", content))
    if len(content) < 15:
        return False
    rest = _compact("".join(line.text for line in following[:20]))
    return content in rest
