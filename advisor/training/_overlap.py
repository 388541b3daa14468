"""Eval examples the training data already holds: a fine-tune's score on them proves nothing.

Both sides are compared as normalized text: NFKC, casefolded, punctuation and symbols turned into
spaces, whitespace collapsed. A training example's text is its user messages; an eval example's
text is its input fields joined in order. A pair overlaps when:

- `exact`: the two normalized texts are equal;
- `contained`: the eval text appears whole, on word boundaries, inside the training text (a
  prompt template wrapped the eval input);
- `near`: the cosine similarity of their TF-IDF vectors over character n-grams is at least 0.9
  (advisor.prepare's detector, the one `advisor split` uses): a paraphrase, a typo, an edited
  word. It needs scikit-learn, so its answer is cached by the two files' hashes (`NearCache`):
  a replay whose cache sits with its fixtures never imports it.

Eval texts of fewer than five words have no 5-gram and are never `contained`: a short phrase
inside a long message says little. Candidates for `contained` come from an inverted index of each
eval text's rarest 5-gram, which a training text holding them all must hold, so 10,000 x 10,000
examples take seconds rather than a 10^8 pair loop; containment is confirmed on the text.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from advisor.heap import paused
from advisor.prepare._neardup import METHOD

if TYPE_CHECKING:
    from advisor.evalset import EvalSet

SHINGLE_WORDS = 5
NEAR_THRESHOLD = 0.9
"""Cosine similarity from which a training text is a near-duplicate of an eval text."""
_CACHE_VERSION = 1
_NOT_WORD = re.compile(r"[^\w\s]|_")


@dataclass(frozen=True, slots=True)
class Overlap:
    """A training example that holds an eval example's input."""

    training_line: int
    eval_id: str
    kind: Literal["exact", "contained", "near"]
    similarity: float
    """Cosine similarity of the TF-IDF vectors for `near`; 1.0 for exact and contained."""


@dataclass(frozen=True)
class NearCache:
    """Where the near-duplicate answer for one training file is kept, keyed by both hashes."""

    folder: Path
    training_sha256: str
    writable: bool = True
    """False for a replay: it reads its fixtures folder and never changes it."""


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


def find_overlaps(
    training: Sequence[tuple[int, str]], evalset: EvalSet, near_cache: NearCache | None = None
) -> Contamination:
    """Overlaps between training texts, given as (line, text), and an eval set's inputs."""
    # The index makes no cycles, but its hundreds of thousands of lists and sets made the
    # collector rescan everything again and again (half of the time for 10,000 x 10,000 texts).
    with paused():
        return _find(training, evalset, near_cache)


def _find(
    training: Sequence[tuple[int, str]], evalset: EvalSet, near_cache: NearCache | None
) -> Contamination:
    # Eval examples with the same normalized text are compared once, then reported each.
    ids_of: dict[str, list[str]] = {}
    for example in evalset.examples:
        text = normalize(" ".join(example.inputs.values()))
        if text:
            ids_of.setdefault(text, []).append(example.id)
    eval_texts = list(ids_of)
    eval_grams = [_shingles(t) for t in eval_texts]

    # Each eval text is indexed by its rarest 5-gram in the eval set, so that boilerplate shared
    # by many inputs (a signature, a greeting) makes no long posting list.
    frequency: Counter[int] = Counter()
    for grams in eval_grams:
        frequency.update(grams)
    index: dict[int, list[int]] = {}
    for j, grams in enumerate(eval_grams):
        if grams:
            index.setdefault(min(grams, key=frequency.__getitem__), []).append(j)
    del frequency
    number = {text: j for j, text in enumerate(eval_texts)}

    found: dict[tuple[int, int], Overlap] = {}
    for line, raw in training:  # one at a time: only the eval side stays in memory
        text = normalize(raw)
        exact = number.get(text)
        if exact is not None:
            found[line, exact] = Overlap(line, "", "exact", 1.0)
        grams = _shingles(text)
        padded = f" {text} "
        for j in sorted({j for gram in grams & index.keys() for j in index[gram]} - {exact}):
            if eval_grams[j] <= grams and f" {eval_texts[j]} " in padded:
                found[line, j] = Overlap(line, "", "contained", 1.0)
    for line, j, similarity in _near(training, eval_texts, evalset, near_cache):
        found.setdefault((line, j), Overlap(line, "", "near", similarity))
    overlaps = [
        Overlap(line, id_, o.kind, o.similarity)
        for (line, j), o in sorted(found.items())
        for id_ in ids_of[eval_texts[j]]
    ]
    return Contamination(
        overlaps=tuple(overlaps),
        contaminated_ids=frozenset(o.eval_id for o in overlaps),
        eval_examples=len(evalset.examples),
    )


def _near(
    training: Sequence[tuple[int, str]],
    eval_texts: list[str],
    evalset: EvalSet,
    cache: NearCache | None,
) -> list[tuple[int, int, float]]:
    """(training line, eval text number, similarity) of every near pair, cached when it can be."""
    path = None
    if cache is not None:
        key = f"{cache.training_sha256}:{evalset.fingerprint}:{NEAR_THRESHOLD}:{METHOD}"
        path = cache.folder / f"near-{hashlib.sha256(key.encode()).hexdigest()[:16]}.json"
        pairs = _read_near(path, cache, evalset.fingerprint)
        if pairs is not None:
            return pairs
    from advisor.prepare._neardup import near_pairs

    lines = [line for line, _ in training]
    pairs = [
        (lines[p.right], p.left, p.similarity)
        for p in near_pairs(eval_texts, [text for _, text in training], NEAR_THRESHOLD)
    ]
    if cache is not None and cache.writable and path is not None:
        _write_near(path, cache, evalset.fingerprint, pairs)
    return pairs


def _read_near(
    path: Path, cache: NearCache, eval_sha256: str
) -> list[tuple[int, int, float]] | None:
    """The cached pairs, or None when there is no cache for these two files (or it is torn)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if (
            data["version"] != _CACHE_VERSION
            or data["training_sha256"] != cache.training_sha256
            or data["eval_sha256"] != eval_sha256
            or data["threshold"] != NEAR_THRESHOLD
            or data["method"] != METHOD
        ):
            return None
        return [(int(p[0]), int(p[1]), float(p[2])) for p in data["pairs"]]
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return None  # recomputed, and rewritten where it may be


def _write_near(
    path: Path, cache: NearCache, eval_sha256: str, pairs: list[tuple[int, int, float]]
) -> None:
    from advisor.results import write_atomic

    data = {
        "version": _CACHE_VERSION,
        "method": METHOD,
        "training_sha256": cache.training_sha256,
        "eval_sha256": eval_sha256,
        "threshold": NEAR_THRESHOLD,
        "pairs": [list(p) for p in pairs],
        "pairs_are": ["training line", "distinct eval text, in eval order", "similarity"],
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, json.dumps(data, indent=1) + "\n")
    except OSError:
        pass  # a cache that cannot be written costs time on the next run, nothing else


def file_sha256(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()
