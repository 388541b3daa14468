"""A stratified, seeded split of labelled examples into an eval set and a training set.

scikit-learn's `StratifiedShuffleSplit` gives each class on the eval side its share of the eval
size, rounded so that every class is within one example of exact, and the same seed gives the same
split on any machine. A class with a single example cannot be on both sides: it goes to training
(where the fine-tune can at least learn it) and the caller warns, naming it.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

from advisor.errors import InputError
from advisor.evalset import Example

MIN_CLASS = 2
"""Examples a class needs to have one on each side."""


@dataclass(frozen=True)
class Assignment:
    """Which examples (by position) go to each side."""

    eval_rows: tuple[int, ...]
    train_rows: tuple[int, ...]
    too_small: tuple[str, ...]
    """Classes with fewer than MIN_CLASS examples, sent whole to training."""


def label_of(example: Example) -> str:
    """The class of an example as text: a label field holds text, a number or a boolean."""
    value = example.expected
    if isinstance(value, str):
        return value
    if isinstance(value, dict | list):
        raise InputError(f"example {example.id!r}: the label is not text or a number")
    return json.dumps(value)


def eval_size(n: int, size: int | None, share: float | None) -> int:
    """The eval side's size from --eval-size or --eval-share (default a fifth)."""
    if size is not None and share is not None:
        raise InputError("give --eval-size or --eval-share, not both")
    if share is None and size is None:
        share = 0.2
    if share is not None:
        if not 0 < share < 1:
            raise InputError(f"--eval-share must be between 0 and 1 (got {share})")
        size = round(share * n)
    assert size is not None
    if size < 1:
        raise InputError(f"--eval-size must be at least 1 (got {size})")
    return size


def stratified_split(labels: Sequence[str], size: int, seed: int) -> Assignment:
    """Split positions 0..n-1 so each class keeps its share on both sides."""
    from sklearn.model_selection import StratifiedShuffleSplit

    counts = Counter(labels)
    too_small = tuple(sorted(label for label, n in counts.items() if n < MIN_CLASS))
    small = set(too_small)
    rows = [i for i, label in enumerate(labels) if label not in small]
    classes = len(counts) - len(small)
    if not rows:
        raise InputError(f"no class has {MIN_CLASS} examples: nothing can be split")
    if not classes <= size <= len(rows) - classes:
        raise InputError(
            f"the eval size must be between {classes} and {len(rows) - classes} for "
            f"{len(rows):,} examples in {classes} classes (got {size}), so that every class "
            "has an example on each side"
        )
    splitter = StratifiedShuffleSplit(n_splits=1, test_size=size, random_state=seed)
    kept = [labels[i] for i in rows]
    train, test = next(splitter.split(kept, kept))
    eval_rows = tuple(sorted(rows[i] for i in test))
    train_rows = tuple(
        sorted([rows[i] for i in train] + [i for i in range(len(labels)) if labels[i] in small])
    )
    return Assignment(eval_rows, train_rows, too_small)


@dataclass(frozen=True)
class SizeNeeded:
    """The eval size that detects a quality loss of `margin` at `alpha` and `power`."""

    examples: int
    baseline: float
    margin: float
    alpha: float
    power: float
    z_alpha: float
    """z at 1 - alpha/2 (two-sided)."""
    z_power: float
    discordance: float
    """Share of examples on which exactly one of two candidates is right, assumed 2p(1-p)."""

    def detectable_at(self, n: int) -> float:
        """The smallest loss `n` eval examples detect at the same alpha and power."""
        return (self.z_alpha + self.z_power) * math.sqrt(self.discordance / n)

    def lines(self) -> list[str]:
        return [
            f"eval size needed: {self.examples:,} examples",
            "  n = ((z_(1-alpha/2) + z_power)^2 x d) / margin^2, rounded up, with",
            f"  baseline accuracy p = {self.baseline:g}, margin = {self.margin:g}, "
            f"alpha = {self.alpha:g}, power = {self.power:g}",
            f"  z_(1-alpha/2) = {self.z_alpha:.4f}, z_power = {self.z_power:.4f}",
            f"  d = 2 p (1 - p) = {self.discordance:.4f} (two candidates at p, errors independent)",
        ]


def size_needed(baseline: float, margin: float, alpha: float, power: float) -> SizeNeeded:
    """Normal approximation of the paired test on pass/fail scores (as advisor.stats's minimum
    detectable effect): two candidates both right a share p of the time, wrong on independent
    examples, disagree on d = 2p(1-p) of them, so the per-example difference has variance d and
    n = (z_(1-alpha/2) + z_power)^2 d / margin^2. Correlated errors need fewer examples."""
    if not 0 < baseline < 1:
        raise InputError(f"--baseline-accuracy must be between 0 and 1 (got {baseline})")
    if not 0 < margin < 1:
        raise InputError(f"the margin must be between 0 and 1 (got {margin})")
    z = NormalDist().inv_cdf
    z_alpha, z_power = z(1 - alpha / 2), z(power)
    discordance = 2 * baseline * (1 - baseline)
    n = math.ceil((z_alpha + z_power) ** 2 * discordance / margin**2 - 1e-9)
    return SizeNeeded(n, baseline, margin, alpha, power, z_alpha, z_power, discordance)
