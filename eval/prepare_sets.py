"""Rebuild the derived evaluation sets in ``eval/`` from local copies of their public sources.

Nothing is downloaded: each subcommand reads a file or folder given on the command line, taken
from the public repository and commit named below (the commits the committed sets were built
from). The output is deterministic: the same source gives byte-identical files.

- ``cmrc2018``: github.com/ymcui/cmrc2018 at commit c0eb1b6ba219847457e6af3180da722bbeb656af,
  ``squad-style-data/cmrc2018_dev.json`` and ``squad-style-data/cmrc2018_trial.json``
  (CC BY-SA 4.0).
- ``drcd``: github.com/DRCKnowledgeTeam/DRCD at commit b944790de5af02c5fbb7cd9cb1473d27d169eebf,
  ``DRCD_dev.json`` (CC BY-SA 3.0).
- ``president_news``, ``president_news_short``: github.com/kiang/www.president.gov.tw at commit
  7e5cb2fd3eedc86c6678c2996e0e23c808c3915c, the folder ``news_json/`` (news releases of the
  Office of the President, Taiwan; public domain under Article 9 of Taiwan's Copyright Act).

Usage (from the repository root)::

    .venv/bin/python eval/prepare_sets.py cmrc2018 DEV.json TRIAL.json eval/cmrc2018
    .venv/bin/python eval/prepare_sets.py drcd DRCD_dev.json eval/drcd
    .venv/bin/python eval/prepare_sets.py president_news NEWS_JSON_FOLDER eval/president_news
    .venv/bin/python eval/prepare_sets.py president_news_short NEWS_JSON_FOLDER \
        eval/president_news_short

The question sets (``cmrc2018``, ``drcd``) keep every paragraph as one passage and every
question as one query, relevant = the paragraph it was written on; answers are stripped and
deduplicated; empty questions are dropped, and a question asked again on another paragraph is
merged into its first occurrence (both paragraphs relevant, ``merged_ids`` lists the other
id). ``president_news`` is described in :func:`build_president_news`.
"""

from __future__ import annotations

import argparse
import json
import random
import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

#: The news sets: the date window, the body lengths (characters, both ends included) and the
#: sample. Releases before 2017 are mostly headline-only pages in the source (the body was not
#: published online); the window is closed so that a newer checkout of the daily-updated source
#: gives the same pool. The two length ranges do not overlap, so the sets share no article.
NEWS_FIRST_DATE = "2017-01-01"
NEWS_LAST_DATE = "2025-12-31"
NEWS_LENGTHS: dict[str, tuple[int, int]] = {
    "president_news": (500, 2000),
    "president_news_short": (150, 499),
}
NEWS_SAMPLE_SIZE = 400
NEWS_SEED = 16

_SPACES = re.compile(r"\s+")


def write_jsonl(path: Path, rows: Iterable[dict]) -> int:
    """Write rows as UTF-8 JSON lines (non-ASCII kept as is).

    Args:
        path: The file to write (replaced if it exists).
        rows: JSON-serialisable objects, one per line.

    Returns:
        The number of rows written.
    """
    count = 0
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
            count += 1
    return count


def unique_stripped(values: Iterable[str]) -> list[str]:
    """Strip each value and drop empty ones and repeats, keeping the first order.

    Args:
        values: Strings, e.g. the answers given by several annotators.

    Returns:
        The distinct non-empty stripped strings.
    """
    kept: list[str] = []
    for value in values:
        text = value.strip()
        if text and text not in kept:
            kept.append(text)
    return kept


def squad_rows(path: Path, split: str) -> tuple[list[dict], list[dict]]:
    """Read a SQuAD-style file (CMRC 2018, DRCD) as passage rows and question rows.

    Args:
        path: The JSON file: ``data[].title``, ``data[].paragraphs[].id/context/qas``.
        split: The split name written on every row.

    Returns:
        The corpus rows (one per paragraph, in file order) and the query rows (one per
        question, relevant = its paragraph), before :func:`merge_repeated_questions`.
    """
    passages: list[dict] = []
    questions: list[dict] = []
    for article in json.loads(path.read_text(encoding="utf-8"))["data"]:
        for paragraph in article["paragraphs"]:
            passages.append(
                {
                    "id": paragraph["id"],
                    "text": paragraph["context"],
                    "title": article["title"],
                    "split": split,
                }
            )
            for question in paragraph["qas"]:
                answers = unique_stripped(answer["text"] for answer in question["answers"])
                questions.append(
                    {
                        "id": question["id"],
                        "text": question["question"],
                        "relevant": [paragraph["id"]],
                        "answers": answers,
                        "split": split,
                    }
                )
    return passages, questions


def merge_repeated_questions(questions: Iterable[dict]) -> list[dict]:
    """Drop empty questions and merge a question asked again into its first occurrence.

    The same question written on two paragraphs (CMRC 2018 has one) has both as right
    answers: the first row gets the other's relevant passages and answers, and ``merged_ids``.

    Args:
        questions: Query rows in file order.

    Returns:
        The rows kept, in the same order.
    """
    first_of: dict[str, dict] = {}
    kept: list[dict] = []
    for question in questions:
        text = question["text"].strip()
        if not text:
            continue
        first = first_of.get(text)
        if first is None:
            first_of[text] = question
            kept.append(question)
            continue
        first["relevant"] = unique_stripped([*first["relevant"], *question["relevant"]])
        first["answers"] = unique_stripped([*first["answers"], *question["answers"]])
        first.setdefault("merged_ids", []).append(question["id"])
    return kept


def write_set(target: Path, passages: list[dict], queries: list[dict]) -> str:
    """Write ``corpus.jsonl`` and ``queries.jsonl`` into a set folder.

    Args:
        target: The set folder (created if missing).
        passages: The corpus rows.
        queries: The query rows.

    Returns:
        A one-line summary for the console.
    """
    target.mkdir(parents=True, exist_ok=True)
    corpus_count = write_jsonl(target / "corpus.jsonl", passages)
    query_count = write_jsonl(target / "queries.jsonl", queries)
    chars = sum(len(row["text"]) for row in passages)
    return (
        f"{target}: {corpus_count} passages ({chars:,} characters, "
        f"mean {chars / max(corpus_count, 1):.0f}), {query_count} queries"
    )


def build_cmrc2018(dev: Path, trial: Path, target: Path) -> str:
    """Build the whole-paragraph CMRC 2018 set (dev then trial).

    Args:
        dev: ``squad-style-data/cmrc2018_dev.json``.
        trial: ``squad-style-data/cmrc2018_trial.json``.
        target: The set folder.

    Returns:
        A one-line summary.
    """
    dev_passages, dev_questions = squad_rows(dev, "dev")
    trial_passages, trial_questions = squad_rows(trial, "trial")
    queries = merge_repeated_questions(dev_questions + trial_questions)
    return write_set(target, dev_passages + trial_passages, queries)


def build_drcd(dev: Path, target: Path) -> str:
    """Build the DRCD set (traditional Chinese Wikipedia paragraphs) from its dev file.

    Args:
        dev: ``DRCD_dev.json``.
        target: The set folder.

    Returns:
        A one-line summary.
    """
    passages, questions = squad_rows(dev, "dev")
    return write_set(target, passages, merge_repeated_questions(questions))


def single_line(text: str) -> str:
    """Collapse every run of white space (full-width spaces included) into one space.

    Args:
        text: A headline.

    Returns:
        The text on one line, stripped.
    """
    return _SPACES.sub(" ", text).strip()


def news_article(release: dict) -> dict:
    """Turn one news release of the source into an article: headline, body, metadata.

    Args:
        release: A ``news_json/YEAR/ID.json`` object.

    Returns:
        ``id``, ``date``, ``url``, ``headline`` and ``body`` (the paragraphs, stripped, joined by
        newlines; the headline and the subtitle are left out).
    """
    paragraphs = [paragraph.strip() for paragraph in release.get("content_paragraphs") or []]
    return {
        "id": int(release["id"]),
        "date": str(release.get("date") or ""),
        "url": str(release.get("url") or ""),
        "headline": single_line(str(release.get("title") or "")),
        "body": "\n".join(paragraph for paragraph in paragraphs if paragraph),
    }


def news_pool(articles: list[dict], lengths: tuple[int, int]) -> tuple[list[dict], Counter[str]]:
    """Keep the articles that make fair headline queries, counting why the others were left out.

    An article is kept when it lies in the date window, its body length is in ``lengths``, its
    headline is not found word for word in its body (else the query would be trivial), and no
    other article of the source has the same headline or body.

    Args:
        articles: Every article of the source (:func:`news_article`).
        lengths: The shortest and longest body, in characters.

    Returns:
        The kept articles sorted by id, and a count per reason for those left out.
    """
    headline_count = Counter(article["headline"] for article in articles)
    body_count = Counter(article["body"] for article in articles)
    dropped: Counter[str] = Counter()
    kept: list[dict] = []
    for article in sorted(articles, key=lambda item: item["id"]):
        compact_headline = _SPACES.sub("", article["headline"])
        if not NEWS_FIRST_DATE <= article["date"] <= NEWS_LAST_DATE:
            dropped["outside the date window"] += 1
        elif not lengths[0] <= len(article["body"]) <= lengths[1]:
            dropped["body length outside the range"] += 1
        elif not compact_headline or compact_headline in _SPACES.sub("", article["body"]):
            dropped["headline empty or in the body"] += 1
        elif headline_count[article["headline"]] > 1 or body_count[article["body"]] > 1:
            dropped["headline or body shared with another release"] += 1
        else:
            kept.append(article)
    return kept, dropped


def build_president_news(news_dir: Path, target: Path, name: str) -> str:
    """Build a news set: whole articles as passages, their headlines as queries.

    Every ``*.json`` under ``news_dir`` is read; :func:`news_pool` filters the articles by the
    body lengths of the set (``NEWS_LENGTHS[name]``: long news or short news items) and
    ``NEWS_SAMPLE_SIZE`` of them are drawn with ``random.Random(NEWS_SEED)`` from the pool sorted
    by id, then written in id (date) order. One corpus row is one whole article (body
    paragraphs joined by newlines, no title, so the headline appears nowhere in the index); one
    query is that article's headline.

    Args:
        news_dir: The source's ``news_json`` folder.
        target: The set folder.
        name: ``president_news`` or ``president_news_short``.

    Returns:
        A summary of the pool and the written set.
    """
    releases = [
        json.loads(path.read_text(encoding="utf-8")) for path in sorted(news_dir.rglob("*.json"))
    ]
    articles = [news_article(release) for release in releases]
    pool, dropped = news_pool(articles, NEWS_LENGTHS[name])
    sample = sorted(
        random.Random(NEWS_SEED).sample(pool, min(NEWS_SAMPLE_SIZE, len(pool))),
        key=lambda article: article["id"],
    )
    passages = [
        {
            "id": f"president-{article['id']}",
            "text": article["body"],
            "title": "",
            "split": "test",
            "date": article["date"],
            "url": article["url"],
        }
        for article in sample
    ]
    queries = [
        {
            "id": f"president-{article['id']}-headline",
            "text": article["headline"],
            "relevant": [f"president-{article['id']}"],
            "answers": [],
            "split": "test",
        }
        for article in sample
    ]
    reasons = "; ".join(f"{reason}: {count}" for reason, count in sorted(dropped.items()))
    summary = f"{len(releases)} releases, pool {len(pool)} (left out: {reasons})"
    return summary + "\n" + write_set(target, passages, queries)


def main() -> None:
    """Command-line entry: one subcommand per set."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="set", required=True)
    cmrc = commands.add_parser("cmrc2018", help="CMRC 2018 dev + trial, whole paragraphs")
    cmrc.add_argument("dev", type=Path, help="squad-style-data/cmrc2018_dev.json")
    cmrc.add_argument("trial", type=Path, help="squad-style-data/cmrc2018_trial.json")
    cmrc.add_argument("target", type=Path, help="set folder to write")
    drcd = commands.add_parser("drcd", help="DRCD dev, traditional Chinese paragraphs")
    drcd.add_argument("dev", type=Path, help="DRCD_dev.json")
    drcd.add_argument("target", type=Path, help="set folder to write")
    for name, kind in (("president_news", "long news"), ("president_news_short", "short news")):
        news = commands.add_parser(name, help=f"{kind} articles, headline queries")
        news.add_argument("news_dir", type=Path, help="the source's news_json folder")
        news.add_argument("target", type=Path, help="set folder to write")
    arguments = parser.parse_args()
    if arguments.set == "cmrc2018":
        print(build_cmrc2018(arguments.dev, arguments.trial, arguments.target))
    elif arguments.set == "drcd":
        print(build_drcd(arguments.dev, arguments.target))
    else:
        print(build_president_news(arguments.news_dir, arguments.target, arguments.set))


if __name__ == "__main__":
    main()
