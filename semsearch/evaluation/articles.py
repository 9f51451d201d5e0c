"""Article-level evaluation: a set's rows as article files, judged one article per hit.

``semsearch eval --articles`` writes each corpus row as a ``.txt`` article (its title on the
first line, then its text) and indexes the folder with the real reading, cleaning and chunking
(:func:`semsearch.indexing.build`), as a user's articles would be. Queries are answered with one
hit per article (``collapse=True``) and a hit counts when its article holds a relevant row. On
the passage sets each row becomes a short article of its own; on the news sets, a whole article
is cut into passages by the chunker instead of being indexed as one chunk.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from semsearch.evaluation.sets import EvalQuery, EvalSet


@dataclass(frozen=True)
class ArticleFiles:
    """The article files written for a set and how its judgements map onto them.

    Attributes:
        folder: Where the ``.txt`` files are.
        queries: The set's queries with ``relevant`` naming article keys (file stems).
    """

    folder: Path
    queries: list[EvalQuery]


def article_key(path: str) -> str:
    """The article key of a hit's path: the stem of the file written for its row."""
    return Path(path).stem


def article_text(title: str, text: str) -> str:
    """The file content of one row: the title line (when there is one), a blank line, the text.

    Args:
        title: The row's title (may be empty: the reader then finds a headline or none).
        text: The row's text; its ``"\\n"`` separate paragraphs.

    Returns:
        The text of a ``.txt`` article, ending with a newline.
    """
    body = text.strip()
    return f"{title.strip()}\n\n{body}\n" if title.strip() else f"{body}\n"


def write_articles(eval_set: EvalSet, queries: Sequence[EvalQuery], folder: Path) -> ArticleFiles:
    """Write every corpus row of a set as one ``.txt`` article and judge queries by article.

    Args:
        eval_set: The loaded set.
        queries: The queries to judge (a prefix of the set's when limited).
        folder: An empty or missing folder; the files are named ``000000.txt``, ``000001.txt``…
            in corpus order.

    Returns:
        The folder and the queries with relevant article keys (a query keeps its id and text;
        ids of unknown rows are dropped, so such a query scores zero, as at passage level).
    """
    folder.mkdir(parents=True, exist_ok=True)
    key_of: dict[str, str] = {}
    for number, passage in enumerate(eval_set.passages):
        key = f"{number:06d}"
        (folder / f"{key}.txt").write_text(
            article_text(passage.title, passage.text), encoding="utf-8"
        )
        key_of[passage.passage_id] = key
    judged = [
        EvalQuery(
            query.query_id,
            query.text,
            tuple(dict.fromkeys(key_of[p] for p in query.relevant if p in key_of)),
        )
        for query in queries
    ]
    return ArticleFiles(folder, judged)
