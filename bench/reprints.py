"""Reprint detection: precision and recall of document pairs on generated reprints and near-misses.

Bases are paragraphs of ``eval/drcd`` (traditional; ids ``article-paragraph``) and
``eval/cmrc2018`` (simplified) with at least 300 Han characters, and the ``seeds/`` articles.
Each base gets reprints that must be grouped with it:

- ``script``: the other script (``text.to_traditional`` / ``to_simplified``);
- ``punctuation``: full-width marks turned half-width, spaces sprinkled between sentences;
- ``chrome``: site chrome that cleaning might miss (navigation, ad, copyright, editor lines);
- ``all``: the three together.

and near-misses that must not be: ``half`` (the second half of its text replaced by another
base's sentences), ``quarter`` (a quarter replaced: an updated report) and, for drcd, the other
paragraphs of the same article (same topic, different text). Everything goes into one corpus and
:func:`semsearch.indexing.reprints.reprint_pairs` runs over it for each threshold; a found pair
is right when both documents come from the same base by a reprint variant. Every document is
read and cleaned like a ``.txt`` file first, as indexing does (chrome lines may survive it).

Usage::

    .venv/bin/python bench/reprints.py          # ~1 min
"""

from __future__ import annotations

import json
import random
import time
from pathlib import Path

from common import EVAL_DIR, REPO, print_table, write_result

from semsearch.indexing import reprints
from semsearch.ingest import UnreadableFileError
from semsearch.ingest.reader import read_document_bytes
from semsearch.text import SENTENCE_END_RE, split_sentences, to_simplified, to_traditional

THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
MIN_BASE_HAN = 300
BASES_PER_SET = 250
REPRINTS = ("script", "punctuation", "chrome", "all")
_HALF_WIDTH = str.maketrans({"，": ",", "。": ".", "：": ":", "；": ";", "！": "!", "？": "?",
                             "（": "(", "）": ")", "“": '"', "”": '"'})  # fmt: skip
CHROME_TOP = ["首页 > 新闻中心 > 国内新闻", "2024年09月08日 星期日", "字号：大 中 小"]
CHROME_MIDDLE = ["【广告】下载客户端，阅读更多精彩内容", "扫码关注公众号"]
CHROME_BOTTOM = ["责任编辑：王小明", "版权所有 © 2024 某某网 京ICP备12345678号", "相关阅读"]


def other_script(text: str) -> str:
    """The text in the other script (traditional bases become simplified)."""
    simplified = to_simplified(text)
    return to_traditional(text) if simplified == text else simplified


def other_punctuation(text: str) -> str:
    """Half-width punctuation and spaces after sentence ends."""
    return SENTENCE_END_RE.sub(lambda m: m.group(0) + " ", text).translate(_HALF_WIDTH)


def with_chrome(text: str) -> str:
    """The text inside site chrome lines."""
    sentences = split_sentences(text)
    middle = len(sentences) // 2
    body = (
        "".join(sentences[:middle]) + "\n" + CHROME_MIDDLE[0] + "\n" + "".join(sentences[middle:])
    )
    return "\n".join([*CHROME_TOP, body, *CHROME_BOTTOM])


def variant(text: str, kind: str) -> str:
    """One reprint of a text."""
    if kind == "script":
        return other_script(text)
    if kind == "punctuation":
        return other_punctuation(text)
    if kind == "chrome":
        return with_chrome(text)
    return with_chrome(other_punctuation(other_script(text)))


def replaced(text: str, other: str, share: float) -> str:
    """The text with its last ``share`` of characters replaced by the other text's first ones."""
    cut = round(len(text) * (1 - share))
    return text[:cut] + (other * 3)[: len(text) - cut]


def cleaned(doc_id: str, text: str) -> str | None:
    """The text as indexing stores it: read and cleaned like a ``.txt`` file (None when
    cleaning leaves nothing, so indexing would skip the file)."""
    try:
        return read_document_bytes(Path(f"{doc_id}.txt"), text.encode("utf-8")).text
    except UnreadableFileError:
        return None


def load_bases() -> list[tuple[str, str]]:
    """``(id, text)`` of the bases: drcd, cmrc2018 paragraphs and seeds articles."""
    bases: list[tuple[str, str]] = []
    for name in ("drcd", "cmrc2018"):
        rows = [json.loads(line) for line in (EVAL_DIR / name / "corpus.jsonl").open()]
        rows = [r for r in rows if len(reprints.folded_han(r["text"])) >= MIN_BASE_HAN]
        for row in random.Random(0).sample(rows, min(BASES_PER_SET, len(rows))):
            bases.append((f"{name}:{row['id']}", row["text"]))
    for path in sorted((REPO / "seeds").glob("*.txt")):
        bases.append((f"seeds:{path.stem}", path.read_text(encoding="utf-8")))
    return bases


def corpus() -> tuple[dict[str, str], dict[str, str]]:
    """The documents by id and the family (base) of each reprint; near-misses have their own."""
    bases = load_bases()
    texts: dict[str, str] = {}
    family: dict[str, str] = {}
    for number, (base_id, text) in enumerate(bases):
        texts[base_id] = text
        family[base_id] = base_id
        for kind in REPRINTS:
            texts[f"{base_id}#{kind}"] = variant(text, kind)
            family[f"{base_id}#{kind}"] = base_id
        other = bases[(number + 7) % len(bases)][1]
        for share, name in ((0.5, "half"), (0.25, "quarter")):
            doc_id = f"{base_id}#{name}"
            texts[doc_id] = replaced(text, other, share)
            family[doc_id] = doc_id
    return texts, family


def measure() -> dict[str, object]:
    """Precision and recall of reprint pairs for each threshold."""
    texts, family = corpus()
    started = time.perf_counter()
    kept = {doc_id: cleaned(doc_id, text) for doc_id, text in texts.items()}
    texts = {doc_id: text for doc_id, text in kept.items() if text is not None}
    signatures = {doc_id: reprints.signature(text) for doc_id, text in texts.items()}
    sign_ms = (time.perf_counter() - started) * 1000 / len(texts)
    truth = {
        (a, b)
        for a in texts
        for b in texts
        if a < b and family[a] == family[b] and signatures[a] and signatures[b]
    }
    same_article = {
        (a, b)
        for a in texts
        for b in texts
        if a < b and "#" not in a + b and a.startswith("drcd:") and b.startswith("drcd:")
        and a.rsplit("-", 1)[0] == b.rsplit("-", 1)[0]
    }  # fmt: skip
    rows = []
    for threshold in THRESHOLDS:
        found = set(reprints.reprint_pairs(signatures, threshold))
        right = found & truth
        groups = reprints.groups_of(texts, found)
        merged = {
            kind: sum(1 for d in texts if d.endswith(f"#{kind}") and groups[d] is not None)
            for kind in ("half", "quarter")
        }
        rows.append(
            {
                "threshold": threshold,
                "pairs_found": len(found),
                "precision": len(right) / len(found) if found else 1.0,
                "recall": len(right) / len(truth),
                "half_merged": merged["half"],
                "quarter_merged": merged["quarter"],
                "same_article_merged": len(found & same_article),
            }
        )
    return {
        "documents": len(texts),
        "true_pairs": len(truth),
        "same_article_pairs": len(same_article),
        "half_documents": sum(1 for d in texts if d.endswith("#half")),
        "quarter_documents": sum(1 for d in texts if d.endswith("#quarter")),
        "sign_ms_per_document": round(sign_ms, 3),
        "rows": rows,
    }


def main() -> None:
    """Measure and print the table; the result goes to ``bench/results/reprints.json``."""
    result = measure()
    print(
        f"{result['documents']} documents, {result['true_pairs']} reprint pairs, "
        f"{result['same_article_pairs']} same-article pairs, {result['half_documents']} half "
        f"and {result['quarter_documents']} quarter near-misses, "
        f"signing {result['sign_ms_per_document']} ms/document"
    )
    print_table(
        "Reprint pairs by threshold",
        [
            "threshold",
            "pairs found",
            "precision",
            "recall",
            "half merged",
            "quarter merged",
            "same-article pairs merged",
        ],
        [
            [
                r["threshold"],
                r["pairs_found"],
                f"{r['precision']:.4f}",
                f"{r['recall']:.4f}",
                r["half_merged"],
                r["quarter_merged"],
                r["same_article_merged"],
            ]
            for r in result["rows"]  # type: ignore[union-attr]
        ],
    )
    write_result("reprints", result)


if __name__ == "__main__":
    main()
