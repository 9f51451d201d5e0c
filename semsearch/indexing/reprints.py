"""Reprints: the same article in several files, found by MinHash and grouped at index time.

Chinese news is syndicated: a folder of web copies holds one article several times, with other
site chrome, in the other script, with other punctuation. Cleaning removes most of the chrome;
what is left is compared here (docs/reprints.md has the measurements behind the constants):

- a document's *signature* (:func:`signature`) is the MinHash of the set of Han 5-grams of its
  text folded to simplified, with every other character (punctuation, spaces, Latin, digits)
  left out, so script and punctuation differences vanish before comparing;
- documents are *candidates* when one LSH band of their signatures is equal
  (:data:`BANDS` × :data:`ROWS`), so matching costs the number of documents, never their square;
- candidates whose estimated Jaccard similarity (the share of equal MinHash values) reaches
  :data:`THRESHOLD` are reprints of each other; groups are the connected components, named by
  their smallest doc id (stable while that document stays).

Signatures are stored with each document by the storage engine (``IndexWriter.set_reprints``),
so an update signs only new and changed documents (and, once, those of an index made before
reprints were detected).
"""

from __future__ import annotations

import zlib
from collections import defaultdict
from collections.abc import Iterable, Mapping

import numpy as np

from semsearch.storage import IndexWriter, ReprintState
from semsearch.text import HAN_RE, to_simplified

#: Characters per shingle. 5-grams of Han characters are rare enough that two different reports
#: of one event share few of them (measured: docs/reprints.md).
SHINGLE = 5
#: MinHash permutations (the signature is ``PERMUTATIONS`` uint32 values).
PERMUTATIONS = 128
#: LSH bands and rows per band (``BANDS * ROWS == PERMUTATIONS``): a pair with Jaccard 0.5 is a
#: candidate with probability 1 - (1 - 0.5**4)**32 = 0.87, one with 0.7 almost surely.
BANDS = 32
ROWS = 4
#: Estimated Jaccard similarity from which two documents are reprints (chosen on generated
#: reprints and near-misses, docs/reprints.md).
THRESHOLD = 0.8
#: Documents with fewer Han characters are never grouped (too little text to tell reprints from
#: boilerplate notices).
MIN_HAN_CHARS = 50

# A prime below 2**32: (a * x + b) of values below it stays below 2**64 in uint64 arithmetic.
_PRIME = np.uint64(4294967291)
_PERMUTATION_SEED = 20261130
_rng = np.random.default_rng(_PERMUTATION_SEED)
_A = _rng.integers(1, int(_PRIME), size=PERMUTATIONS, dtype=np.uint64)
_B = _rng.integers(0, int(_PRIME), size=PERMUTATIONS, dtype=np.uint64)


def folded_han(text: str) -> str:
    """The Han characters of a text, folded to simplified, everything else left out.

    Args:
        text: A document's cleaned text.

    Returns:
        The Han characters, in order.
    """
    return "".join(HAN_RE.findall(to_simplified(text)))


def shingles(text: str) -> np.ndarray:
    """The distinct hashed Han shingles of a text.

    Args:
        text: A document's cleaned text.

    Returns:
        Sorted distinct uint64 hashes (each below the MinHash prime); empty for a text shorter
        than :data:`MIN_HAN_CHARS` Han characters.
    """
    han = folded_han(text)
    if len(han) < MIN_HAN_CHARS:
        return np.zeros(0, dtype=np.uint64)
    grams = {han[i : i + SHINGLE] for i in range(len(han) - SHINGLE + 1)}
    hashes = np.fromiter(
        (zlib.crc32(gram.encode("utf-8")) for gram in grams), dtype=np.uint64, count=len(grams)
    )
    return np.unique(hashes % _PRIME)


def signature(text: str) -> bytes:
    """A document's MinHash signature as stored with it.

    Args:
        text: The document's cleaned text (``Document.text``).

    Returns:
        :data:`PERMUTATIONS` little-endian uint32 values, or ``b""`` for a text too short to be
        grouped.
    """
    hashes = shingles(text)
    if not len(hashes):
        return b""
    values = (hashes[None, :] * _A[:, None] + _B[:, None]) % _PRIME
    return values.min(axis=1).astype("<u4").tobytes()


def _values(signature_bytes: bytes) -> np.ndarray:
    return np.frombuffer(signature_bytes, dtype="<u4")


def similarity(first: bytes, second: bytes) -> float:
    """The estimated Jaccard similarity of two signatures (0 when either is empty).

    Args:
        first: A signature from :func:`signature`.
        second: Another.

    Returns:
        The share of equal MinHash values.
    """
    if not first or not second or len(first) != len(second):
        return 0.0
    return float(np.mean(_values(first) == _values(second)))


def _signed(signatures: Mapping[str, bytes]) -> tuple[list[str], np.ndarray]:
    """The documents with a full signature (sorted) and their signatures as one matrix."""
    doc_ids = sorted(d for d, value in signatures.items() if len(value) == PERMUTATIONS * 4)
    matrix = np.frombuffer(b"".join(signatures[d] for d in doc_ids), dtype="<u4")
    return doc_ids, matrix.reshape(len(doc_ids), PERMUTATIONS).astype(np.uint64)


def _band_pairs(matrix: np.ndarray) -> np.ndarray:
    """Row pairs ``(i, j)``, ``i < j``, equal in at least one band (unique, as an array)."""
    found: list[np.ndarray] = []
    for band in range(BANDS):
        # One 64-bit key per band (a collision only adds a candidate, which is then checked).
        key = np.zeros(len(matrix), dtype=np.uint64)
        for column in matrix[:, band * ROWS : (band + 1) * ROWS].T:
            key = key * np.uint64(0x100000001B3) + column
        order = np.argsort(key, kind="stable")
        ordered = key[order]
        starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
        sizes = np.diff(np.r_[starts, len(ordered)])
        for start, size in zip(starts[sizes > 1], sizes[sizes > 1], strict=True):
            rows = np.sort(order[start : start + size])
            first, second = np.triu_indices(size, k=1)
            found.append(np.stack([rows[first], rows[second]], axis=1))
    if not found:
        return np.zeros((0, 2), dtype=np.int64)
    return np.unique(np.concatenate(found), axis=0)


def candidate_pairs(signatures: Mapping[str, bytes]) -> set[tuple[str, str]]:
    """Pairs of documents sharing an LSH band (each pair ordered, smaller id first).

    Args:
        signatures: Signatures by doc id (empty ones are left out).

    Returns:
        The candidate pairs.
    """
    doc_ids, matrix = _signed(signatures)
    return {(doc_ids[i], doc_ids[j]) for i, j in _band_pairs(matrix)}


def reprint_pairs(
    signatures: Mapping[str, bytes], threshold: float = THRESHOLD
) -> list[tuple[str, str]]:
    """The candidate pairs whose estimated similarity reaches the threshold.

    Args:
        signatures: Signatures by doc id.
        threshold: The least estimated Jaccard similarity of reprints.

    Returns:
        Sorted pairs, smaller id first.
    """
    doc_ids, matrix = _signed(signatures)
    pairs = _band_pairs(matrix)
    if not len(pairs):
        return []
    alike = np.mean(matrix[pairs[:, 0]] == matrix[pairs[:, 1]], axis=1) >= threshold
    return sorted((doc_ids[i], doc_ids[j]) for i, j in pairs[alike])


def groups_of(doc_ids: Iterable[str], pairs: Iterable[tuple[str, str]]) -> dict[str, str | None]:
    """Each document's group: the smallest doc id of its connected component, None alone.

    Args:
        doc_ids: Every document.
        pairs: The reprint pairs among them.

    Returns:
        The group of each document (None for a document without reprints).
    """
    parent = {doc_id: doc_id for doc_id in doc_ids}

    def root(doc_id: str) -> str:
        while parent[doc_id] != doc_id:
            parent[doc_id] = parent[parent[doc_id]]
            doc_id = parent[doc_id]
        return doc_id

    for first, second in pairs:
        low, high = sorted((root(first), root(second)))
        parent[high] = low
    sizes: dict[str, int] = defaultdict(int)
    for doc_id in parent:
        sizes[root(doc_id)] += 1
    return {doc_id: root(doc_id) if sizes[root(doc_id)] > 1 else None for doc_id in parent}


def group_reprints(
    writer: IndexWriter,
    texts: Mapping[str, str],
    removed: bool = False,
    threshold: float = THRESHOLD,
) -> int:
    """Sign the unsigned documents of the version being written and record changed groups.

    Groups are recomputed from every stored signature only when something was signed or
    removed (linear in the documents: the LSH buckets; ~0.6 s for 20,000 documents, 3.7 s for
    100,000 on the 2-core test machine); an update that only touched files reads the states and
    stops.

    Args:
        writer: The index writer, after its documents were added and removed.
        texts: Cleaned texts of documents added in this write, by doc id (others without a
            signature, from an index made before reprints were detected, are read from it).
        removed: Whether documents were removed in this write (their groups may shrink).
        threshold: The least estimated Jaccard similarity of reprints.

    Returns:
        The number of documents whose signature or group was recorded.
    """
    states = writer.reprint_states()
    unsigned = [doc_id for doc_id, state in states.items() if state.signature is None]
    if not unsigned and not removed:
        return 0
    signatures = {doc_id: state.signature or b"" for doc_id, state in states.items()}
    for doc_id in unsigned:
        text = texts.get(doc_id)
        if text is None:
            assert writer.base is not None  # a document not added now was there before
            text = writer.base.document(doc_id).text
        signatures[doc_id] = signature(text)
    groups = groups_of(states, reprint_pairs(signatures, threshold))
    changes = {
        doc_id: ReprintState(signatures[doc_id], groups[doc_id])
        for doc_id, state in states.items()
        if state.signature is None or state.group != groups[doc_id]
    }
    if changes:
        writer.set_reprints(changes)
    return len(changes)
