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
reprints were detected). Groups are regrouped only where the update touched them
(:func:`group_reprints`): the new documents, the documents sharing a band with them, and the
groups that gained or lost a member, each taken whole.
"""

from __future__ import annotations

import zlib
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping

import numpy as np

from semsearch.storage import IndexWriter, ReprintSelection, ReprintState
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
#: New documents up to which the others are compared with them value by value, not by keys.
DIRECT_MATCH_LIMIT = 8
#: New documents up to which the documents sharing a band with them are looked up in the
#: index's band indexes (32 indexed lookups per document), not found among every signature.
BAND_LOOKUP_LIMIT = 64
#: Documents with fewer Han characters are never grouped (too little text to tell reprints from
#: boilerplate notices).
MIN_HAN_CHARS = 50

# A prime below 2**32: (a * x + b) of values below it stays below 2**64 in uint64 arithmetic.
_PRIME = np.uint64(4294967291)
_PERMUTATION_SEED = 20261130
_rng = np.random.default_rng(_PERMUTATION_SEED)
_A = _rng.integers(1, int(_PRIME), size=PERMUTATIONS, dtype=np.uint64)
_B = _rng.integers(0, int(_PRIME), size=PERMUTATIONS, dtype=np.uint64)
# The multiplier folding a band's values into one key (the 64-bit FNV prime).
_FNV_PRIME = np.uint64(0x100000001B3)


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


def _signed(
    signatures: Mapping[str, bytes], dtype: type[np.unsignedinteger] = np.uint64
) -> tuple[list[str], np.ndarray]:
    """The documents with a full signature (sorted) and their signatures as one matrix."""
    doc_ids = sorted(d for d, value in signatures.items() if len(value) == PERMUTATIONS * 4)
    matrix = np.frombuffer(b"".join(signatures[d] for d in doc_ids), dtype="<u4")
    return doc_ids, matrix.reshape(len(doc_ids), PERMUTATIONS).astype(dtype, copy=False)


def band_keys(matrix: np.ndarray) -> np.ndarray:
    """One 64-bit key per LSH band of each signature (a collision only adds a candidate, which
    is then checked).

    Args:
        matrix: Signatures as rows of uint64 (:func:`_signed`).

    Returns:
        A ``(rows, BANDS)`` uint64 matrix.
    """
    # ((c0 * F + c1) * F + c2) * F + c3 of each band's values, as one product and sum (uint64
    # arithmetic wraps the same way either way).
    powers = _FNV_PRIME ** np.arange(ROWS - 1, -1, -1, dtype=np.uint64)
    return (matrix.reshape(len(matrix), BANDS, ROWS) * powers).sum(axis=2, dtype=np.uint64)


def _band_pairs(matrix: np.ndarray) -> np.ndarray:
    """Row pairs ``(i, j)``, ``i < j``, equal in at least one band (unique, as an array)."""
    found: list[np.ndarray] = []
    keys = band_keys(matrix)
    for band in range(BANDS):
        key = keys[:, band]
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
    broken_groups: Collection[str] = (),
    threshold: float = THRESHOLD,
) -> int:
    """Sign the unsigned documents of the version being written and record changed groups.

    Only the part of the graph the write touched is grouped again (:func:`_touched`): the
    documents signed now, those sharing an LSH band with them, and every member of their groups
    and of the groups that lost a member. A group nothing touched keeps no edge to the rest,
    so the groups come out as a regrouping of every document would give (the test compares
    them), without enumerating the pairs of every bucket: that took 8.7 s for one removal at
    10k chunks (2,284 documents, each article twice; load 9, profiled). A removal reads only
    the states of its groups; signing a few documents reads only the states of those sharing
    a band with them (the engine's band lookup, ``ReprintSelection.sharing_a_band``) and of
    their groups: reading every signature instead took 0.23 s of a one-article add at 22,783
    documents. Many new documents (a build) are matched against every signature.

    Args:
        writer: The index writer, after its documents were added and removed.
        texts: Cleaned texts of documents added in this write, by doc id (others without a
            signature, from an index made before reprints were detected, are read from it).
        broken_groups: The groups of the documents removed in this write (they may shrink or
            split; see :func:`groups_losing_members`).
        threshold: The least estimated Jaccard similarity of reprints.

    Returns:
        The number of documents whose signature or group was recorded.
    """
    selection = ReprintSelection(tuple(texts), tuple(sorted(broken_groups)), unsigned=True)
    states = writer.reprint_states(selection)
    unsigned = [doc_id for doc_id, state in states.items() if state.signature is None]
    if not unsigned and not broken_groups:
        return 0
    if len(unsigned) > BAND_LOOKUP_LIMIT:
        states = writer.reprint_states()  # many new documents: matched against every signature
    signed = {doc_id: _sign(writer, texts, doc_id) for doc_id in unsigned}
    if signed and len(unsigned) <= BAND_LOOKUP_LIMIT:
        states.update(_neighbours(writer, [value for value in signed.values() if value]))
    signatures = {doc_id: state.signature or b"" for doc_id, state in states.items()}
    signatures.update(signed)
    touched = _touched(states, signatures, unsigned, set(broken_groups))
    pairs = reprint_pairs({doc_id: signatures[doc_id] for doc_id in touched}, threshold)
    groups = groups_of(sorted(touched), pairs)
    changes = {
        doc_id: ReprintState(signatures[doc_id], groups[doc_id])
        for doc_id in sorted(touched)
        if states[doc_id].signature is None or states[doc_id].group != groups[doc_id]
    }
    if changes:
        writer.set_reprints(changes)
    return len(changes)


def _sign(writer: IndexWriter, texts: Mapping[str, str], doc_id: str) -> bytes:
    """The signature of a document being signed (its text given, or read from the index)."""
    text = texts.get(doc_id)
    if text is None:
        assert writer.base is not None  # a document not added now was there before
        text = writer.base.document(doc_id).text
    return signature(text)


def _neighbours(writer: IndexWriter, new_signatures: list[bytes]) -> dict[str, ReprintState]:
    """The states of the documents sharing a band with a new signature, and of every member of
    their groups: all that :func:`_touched` may take besides what the first read gave."""
    if not new_signatures:
        return {}
    near = writer.reprint_states(ReprintSelection(sharing_a_band=tuple(new_signatures)))
    groups = tuple(sorted({state.group for state in near.values() if state.group is not None}))
    if groups:
        near.update(writer.reprint_states(ReprintSelection(groups=groups)))
    return near


def groups_losing_members(writer: IndexWriter, doc_ids: Collection[str]) -> set[str]:
    """The reprint groups of documents about to be removed (call it before removing them).

    Args:
        writer: The index writer.
        doc_ids: The documents the write removes (or replaces).

    Returns:
        Their groups (documents without reprints have none).
    """
    if not doc_ids:
        return set()
    states = writer.reprint_states(ReprintSelection(doc_ids=tuple(doc_ids)))
    return {state.group for state in states.values() if state.group is not None}


def _sharing_a_band(matrix: np.ndarray, rows: list[int]) -> np.ndarray:
    """Which signatures share a whole band with one of ``rows`` (those rows included).

    A few new documents are compared value by value (13 ms per document at 22,783 signatures,
    where making every band key costs 0.14 s; load 5); many, by their band keys.

    Args:
        matrix: Signatures as rows (:func:`_signed`).
        rows: The rows of the new documents.

    Returns:
        A boolean per row.
    """
    sharing = np.zeros(len(matrix), dtype=bool)
    if len(rows) <= DIRECT_MATCH_LIMIT:
        for row in rows:
            equal = (matrix == matrix[row]).reshape(len(matrix), BANDS, ROWS)
            sharing |= equal.all(axis=2).any(axis=1)
        return sharing
    keys = band_keys(matrix.astype(np.uint64))
    for band in range(BANDS):
        sharing |= np.isin(keys[:, band], keys[rows, band])
    return sharing


def _touched(
    states: Mapping[str, ReprintState],
    signatures: Mapping[str, bytes],
    signed_now: list[str],
    broken_groups: set[str],
) -> set[str]:
    """The documents whose groups a write may change: see :func:`group_reprints`."""
    touched = set(signed_now)
    doc_ids, matrix = _signed(signatures, np.uint32) if signed_now else ([], np.zeros((0, 0)))
    row_of = {doc_id: row for row, doc_id in enumerate(doc_ids)}
    new_rows = [row_of[doc_id] for doc_id in signed_now if doc_id in row_of]
    if new_rows:
        touched.update(doc_ids[row] for row in np.flatnonzero(_sharing_a_band(matrix, new_rows)))
    groups = broken_groups | {states[d].group for d in touched if states[d].group is not None}
    if groups:
        touched.update(d for d, state in states.items() if state.group in groups)
    return touched
