"""Regrouping only what a write touched gives the groups a regrouping of every document gives.

Generated families of reprints: each article is followed by copies that drift from it a few
characters at a time, so a family is a chain (a copy is alike its neighbours but not always the
first article) and removing a copy in the middle can split its group. Documents are added and
removed in rounds, and after each round the groups recorded incrementally
(:func:`semsearch.indexing.reprints.group_reprints`) must equal those of every signature
grouped from scratch.
"""

from __future__ import annotations

import random

from semsearch.indexing import reprints
from semsearch.storage import ReprintSelection, ReprintState

#: Common Han characters to draw article text from.
HAN = [chr(code) for code in range(0x4E00, 0x4E00 + 3000)]


class ReprintWriter:
    """The reprint side of an index writer, in memory (what ``group_reprints`` uses)."""

    base = None

    def __init__(self) -> None:
        self.states: dict[str, ReprintState] = {}
        self.selections: list[ReprintSelection | None] = []

    def reprint_states(self, select: ReprintSelection | None = None) -> dict[str, ReprintState]:
        self.selections.append(select)
        return {
            doc_id: state
            for doc_id, state in self.states.items()
            if select is None or select.holds(doc_id, state)
        }

    def set_reprints(self, states: dict[str, ReprintState]) -> None:
        self.states.update(states)


def family(rng: random.Random, name: str, copies: int) -> dict[str, str]:
    """An article and copies, each a few characters away from the one before."""
    text = [rng.choice(HAN) for _ in range(400)]
    texts = {f"{name}-0": "".join(text)}
    for number in range(1, copies + 1):
        for _ in range(rng.choice([4, 8, 12])):
            text[rng.randrange(len(text))] = rng.choice(HAN)
        texts[f"{name}-{number}"] = "".join(text)
    return texts


def from_scratch(writer: ReprintWriter) -> dict[str, str | None]:
    signatures = {doc_id: state.signature or b"" for doc_id, state in writer.states.items()}
    return reprints.groups_of(signatures, reprints.reprint_pairs(signatures))


def add(writer: ReprintWriter, texts: dict[str, str], removed: list[str]) -> None:
    """One write: remove documents (their groups are noted first), add the texts."""
    broken = reprints.groups_losing_members(writer, removed)  # type: ignore[arg-type]
    for doc_id in removed:
        del writer.states[doc_id]
    writer.states.update({doc_id: ReprintState(None, None) for doc_id in texts})
    reprints.group_reprints(writer, texts, broken)  # type: ignore[arg-type]


def test_incremental_groups_equal_groups_from_scratch() -> None:
    rng = random.Random(20261130)
    writer = ReprintWriter()
    families = [family(rng, f"f{number:02d}", rng.randrange(0, 9)) for number in range(30)]
    items = [item for texts in families for item in texts.items()]
    rng.shuffle(items)  # a copy may come before its article: a group's name can change
    everything = dict(items)
    add(writer, dict(list(everything.items())[:60]), [])
    assert from_scratch(writer) == {d: s.group for d, s in writer.states.items()}
    assert any(state.group for state in writer.states.values())
    pending = dict(list(everything.items())[60:])
    for round_number in range(25):
        removed = rng.sample(sorted(writer.states), k=rng.randrange(0, 4))
        names = rng.sample(sorted(pending), k=min(len(pending), rng.randrange(0, 4)))
        if round_number % 5 == 4:  # a changed file: the same id removed and added again
            names += removed[:1]
        texts = {doc_id: pending.pop(doc_id, everything[doc_id]) for doc_id in names}
        add(writer, texts, removed)
        expected = from_scratch(writer)
        assert {d: s.group for d, s in writer.states.items()} == expected, round_number
        assert all(state.signature is not None for state in writer.states.values())


def test_a_removal_reads_only_its_groups() -> None:
    rng = random.Random(7)
    writer = ReprintWriter()
    texts = {**family(rng, "a", 3), **family(rng, "b", 3)}
    add(writer, texts, [])
    writer.selections.clear()
    add(writer, {}, ["a-1"])
    assert None not in writer.selections  # no read of every document
    assert from_scratch(writer) == {d: s.group for d, s in writer.states.items()}


def test_a_few_new_documents_read_only_their_neighbourhood() -> None:
    rng = random.Random(11)
    writer = ReprintWriter()
    first = family(rng, "a", 3)
    add(writer, {**first, **family(rng, "b", 3), **family(rng, "c", 0)}, [])
    writer.selections.clear()
    add(writer, {"copy": first["a-1"]}, [])
    assert None not in writer.selections  # no read of every signature
    assert any(selection.sharing_a_band for selection in writer.selections if selection)
    assert writer.states["copy"].group == writer.states["a-1"].group is not None
    assert from_scratch(writer) == {d: s.group for d, s in writer.states.items()}
