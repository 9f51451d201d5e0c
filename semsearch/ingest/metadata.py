"""What the cleaner reads about an article: its headline, date, source and author.

The date, source and author come from the lines the rules removed as ``metadata`` or
``byline``; the headline is chosen among the lines before the body. The patterns are written in
simplified characters: each line is matched in its simplified form and a value is cut from the
line as written, so a traditional article keeps its own script (來源:河南日報 → 河南日報).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path

from semsearch.ingest.rules import (
    AUTHOR,
    BYLINE,
    DATE,
    DATE_LABEL,
    SOURCE,
    SUMMARY_LABEL,
    TRAILING_ELLIPSIS,
    WEEKDAY,
    Line,
)
from semsearch.text import CLOSERS, HAN_RE, ends_sentence, to_simplified

#: Headline lengths (characters) :func:`pick_title` accepts; a shorter title is the last resort
#: of :func:`pick_short_title`.
HEADLINE_CHARS = (4, 120)
#: Lengths of a short title: an entry's name (于乐, 锣鼓经), 343 of cmrc2018's 1,104 titles.
SHORT_TITLE_CHARS = (2, 3)


def pick_title(header: list[Line], following: dict[int, Line | None]) -> Line | None:
    """Choose the headline among the unclassified lines before the body.

    A headline is 4–120 characters (:data:`HEADLINE_CHARS`) and does not end with 。; the one
    followed by a date, source or byline line wins, then the longest (site names are short).

    Args:
        header: The kept lines before the first body paragraph.
        following: Line number → the line after it (None for the last line).

    Returns:
        The headline line, or None when no line qualifies.
    """
    candidates = [
        line
        for line in header
        if HEADLINE_CHARS[0] <= len(line.text) <= HEADLINE_CHARS[1]
        and not line.text.rstrip(CLOSERS).endswith("。")
        and not SUMMARY_LABEL.match(to_simplified(line.text))
        and not TRAILING_ELLIPSIS.search(line.text)
    ]
    if not candidates:
        return None

    def score(line: Line) -> tuple[bool, int]:
        nxt = following.get(line.no)
        labelled = nxt is not None and nxt.reason in {"metadata", "byline"}
        return labelled, len(line.text)

    return max(candidates, key=score)


def pick_short_title(
    header: list[Line], following: dict[int, Line | None], body_start: Line
) -> Line | None:
    """Choose a 2–3-character title when no headline qualifies: an entry's name at its top.

    Encyclopedia entries, people and term pages are titled by their name (于乐, 锣鼓经), too
    short for :func:`pick_title`. Site names are short too, so the line must look like an
    entry's name: the file's first kept line (lines the rules removed as chrome or metadata, such
    as 首页 or 登录, are never kept, so never a title), standing alone (a blank line or the body
    right after it), mostly Han characters, not ending with a sentence mark or a label's colon.
    A web copy whose first line is a site name (新浪) still has a real headline, which
    :func:`pick_title` takes first.

    Args:
        header: The kept lines before the first body paragraph.
        following: Line number → the line after it (None for the last line).
        body_start: The first body paragraph.

    Returns:
        The title line, or None when the first kept line is not a short title.
    """
    if not header:
        return None
    line = header[0]
    text = line.text
    if not SHORT_TITLE_CHARS[0] <= len(text) <= SHORT_TITLE_CHARS[1]:
        return None
    nxt = following.get(line.no)
    alone = nxt is not None and (nxt.no > line.no + 1 or nxt is body_start)
    mostly_han = 2 * len(HAN_RE.findall(text)) > len(text)
    if not alone or not mostly_han or ends_sentence(text) or text.endswith((":", "：")):
        return None
    return line


def title_from_file_name(path: Path) -> str:
    """Return the title of an article whose text names none: its file name, readable.

    Args:
        path: The file.

    Returns:
        The file name without suffix, underscores as spaces, control and bidi characters
        (an escape sequence, a right-to-left override) left out; the whole name if that is
        blank.
    """
    visible = "".join(ch for ch in path.stem if unicodedata.category(ch) not in {"Cc", "Cf"})
    return visible.replace("_", " ").strip() or path.name


def find_source(lines: Iterable[Line]) -> str | None:
    """Return the outlet named after ``来源:``/``稿源:`` in the first line that has one.

    Args:
        lines: The metadata and byline lines.

    Returns:
        The source, or None.
    """
    return _first_group(SOURCE, lines)


def find_author(lines: Sequence[Line]) -> str | None:
    """Return the author: a labelled ``作者:`` first, else the reporters of a byline.

    Args:
        lines: The metadata and byline lines.

    Returns:
        The author or reporter names, or None.
    """
    labelled = _first_group(AUTHOR, lines)
    if labelled:
        return labelled
    for line in lines:
        if line.reason != "byline":
            continue
        written = line.text.lstrip("•· ")
        folded = to_simplified(written)
        match = BYLINE.match(folded)
        if match is None:
            continue
        group = "mark" if match.group("mark") else "reporter"
        value = match.group(group)
        if value:
            # Keep the reporters' names; what follows another label (通讯员…) is secondary.
            names = re.sub(r"^(?:本报|本台|本刊|本网)?(?:特约)?记者\s*", "", value.strip())
            names = re.split(r"\s*(?:通讯员|实习生|摄影|摄)\s*", names)[0].strip(" )）")
            if not names:
                return None
            # The names as written: at the same place in the line (folding kept its length).
            start = match.start(group) + value.find(names)
            same_length = len(folded) == len(written)
            return written[start : start + len(names)] if same_length else names
    return None


def find_publication_date(lines: Sequence[Line]) -> str | None:
    """The labelled date first (发布时间/时间/日期…), then a bare date line, then a dated bar.

    Args:
        lines: The metadata and byline lines.

    Returns:
        The date as ``YYYY-MM-DD`` (impossible dates are passed over), or None.
    """
    labelled: str | None = None
    plain: str | None = None
    weekday_bar: str | None = None
    for line in lines:
        folded = to_simplified(line.text)
        for match in DATE.finditer(folded):
            iso = _iso_from_match(match)
            if iso is None:
                continue
            if DATE_LABEL.search(folded[: match.start()]):
                labelled = labelled or iso
            elif WEEKDAY.search(folded):
                # A date with a weekday at the top of a page is the site's "today" bar.
                weekday_bar = weekday_bar or iso
            else:
                plain = plain or iso
    return labelled or plain or weekday_bar


def iso_date_or_none(value: str | None) -> str | None:
    """Read the first date in a format's metadata value (e.g. an HTML ``published_time``).

    Args:
        value: Any text, or None.

    Returns:
        The date as ``YYYY-MM-DD``, or None when there is no possible date in it.
    """
    if not value:
        return None
    match = DATE.search(value)
    return _iso_from_match(match) if match else None


def _first_group(pattern: re.Pattern[str], lines: Iterable[Line]) -> str | None:
    for line in lines:
        folded = to_simplified(line.text)
        match = pattern.search(folded)
        if match:
            return _as_written(line.text, folded, match, "value")
    return None


def _as_written(written: str, folded: str, match: re.Match[str], group: str) -> str:
    """A group matched in a line's simplified form, cut from the line as written.

    Folding keeps the length of almost every line; when a phrase rule changed it, the
    simplified value is returned.
    """
    if len(folded) != len(written):
        return match.group(group)
    return written[match.start(group) : match.end(group)]


def _iso_from_match(match: re.Match[str]) -> str | None:
    year = int(match.group("y"))
    month = int(match.group("m1") or match.group("m2"))
    day = int(match.group("d1") or match.group("d2"))
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None
