"""Eval examples the training data already holds: a fine-tune's score on them proves nothing.

Both sides are compared as normalized text: NFKC, casefolded, punctuation and symbols turned into
spaces, whitespace collapsed. A training example's text is its user messages; an eval example's
text is its input fields joined in order. A pair overlaps when:

- `exact`: the two normalized texts are equal;
- `contained`: the eval text appears whole, on word boundaries, inside the training text (a
  prompt template wrapped the eval input);
- `near`: at least 80% of the eval text's word 5-grams appear in the training text. This is the
  share of the *eval* text that the training text holds, not the Jaccard index: a template around
  the input (or one edited word) lowers Jaccard without making the example any less seen. Every
  pair with Jaccard >= 0.8 passes it too.

Eval texts of fewer than five words have no 5-gram and are matched exactly only: a short phrase
inside a long message says little. Candidate pairs come from a prefix-filtered inverted index: a
pair that shares >= 80% of an eval text's n 5-grams shares one of any `n - ceil(0.8 n) + 1` of them,
so each eval text is indexed by that many of its rarest, and 10,000 x 10,000 examples take seconds
rather than a 10^8 pair loop. 5-grams are kept as Python hashes; a collision (odds ~1e-19 per pair
of 5-grams) could only nudge a near score, since `exact` and `contained` are confirmed on the text.
"""

from __future__ import annotations

import gc
import heapq
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from advisor.evalset import EvalSet

SHINGLE_WORDS = 5
NEAR_SHARE = 0.8
"""The share of an eval text's word 5-grams a training text must hold to be a near duplicate."""
_NOT_WORD = re.compile(r"[^\w\s]|_")


@dataclass(frozen=True, slots=True)
class Overlap:
    """A training example that holds an eval example's input."""

    training_line: int
    eval_id: str
    kind: Literal["exact", "contained", "near"]
    similarity: float
    """Share of the eval text's word 5-grams found in the training text (1.0 for exact)."""


@dataclass(frozen=True)
class Contamination:
    """Every overlapping pair, and the eval examples that the fine-tune must not be judged on."""

    overlaps: tuple[Overlap, ...]
    contaminated_ids: frozenset[str]
    eval_examples: int


def normalize(text: str) -> str:
    """Casefolded words without punctuation, one space apart."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(_NOT_WORD.sub(" ", text).split())


def _shingles(text: str) -> set[int]:
    words = text.split()
    return set(map(hash, zip(*(words[i:] for i in range(SHINGLE_WORDS)), strict=False)))


def find_overlaps(training: Sequence[tuple[int, str]], evalset: EvalSet) -> Contamination:
    """Overlaps between training texts, given as (line, text), and an eval set's inputs."""
    with _collector_paused():
        return _find(training, evalset)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection meanwhile: the index creates no cycles, but its hundreds of
    thousands of lists and sets make the collector rescan everything again and again (half of
    the time for 10,000 x 10,000 long texts)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _find(training: Sequence[tuple[int, str]], evalset: EvalSet) -> Contamination:
    # Eval examples with the same normalized text are compared once, then reported each.
    ids_of: dict[str, list[str]] = {}
    for example in evalset.examples:
        text = normalize(" ".join(example.inputs.values()))
        if text:
            ids_of.setdefault(text, []).append(example.id)
    eval_texts = list(ids_of)
    eval_grams = [_shingles(t) for t in eval_texts]

    # Each eval text is indexed by its rarest 5-grams in the eval set, so that boilerplate shared
    # by many inputs (a signature, a greeting) makes no long posting list.
    frequency: Counter[int] = Counter()
    for grams in eval_grams:
        frequency.update(grams)
    index: dict[int, list[int]] = {}
    for j, grams in enumerate(eval_grams):
        prefix = len(grams) - _needed(len(grams)) + 1
        for gram in heapq.nsmallest(prefix, grams, key=frequency.__getitem__):
            index.setdefault(gram, []).append(j)
    del frequency
    number = {text: j for j, text in enumerate(eval_texts)}

    found: list[Overlap] = []
    for line, raw in training:  # one at a time: only the eval side stays in memory
        text = normalize(raw)
        grams = _shingles(text)
        pairs: list[tuple[int, Literal["exact", "contained", "near"], float]] = []
        exact = number.get(text)
        if exact is not None:
            pairs.append((exact, "exact", 1.0))
        padded = f" {text} "
        for j in sorted({j for gram in grams & index.keys() for j in index[gram]} - {exact}):
            share = len(grams & eval_grams[j]) / len(eval_grams[j])
            if share >= NEAR_SHARE:
                whole = share == 1 and f" {eval_texts[j]} " in padded
                pairs.append((j, "contained" if whole else "near", share))
        for j, kind, share in pairs:
            found.extend(Overlap(line, id_, kind, share) for id_ in ids_of[eval_texts[j]])
    return Contamination(
        overlaps=tuple(found),
        contaminated_ids=frozenset(o.eval_id for o in found),
        eval_examples=len(evalset.examples),
    )


def _needed(n: int) -> int:
    """5-grams an eval text of n 5-grams must share to be a near duplicate."""
    return math.ceil(NEAR_SHARE * n - 1e-9)
