"""Paired statistics: is a challenger worse than the incumbent on the same examples, by how much?

Both candidates are scored on the same examples, so every function takes aligned arrays (element i
of `a`, the incumbent, and of `b`, the challenger, is the same example) and works on the
per-example differences b - a. Repeats are averaged per example first.

Resampling runs in chunks of about `CHUNK` random draws, so 100,000 examples x 10,000 resamples
never hold a 10^9 matrix. For a given seed the result does not depend on the chunk size: numpy's
Generator hands out the same stream whether asked for many rows at once or a few at a time.

An empty comparison raises ValueError: it is the caller's bug (nothing was paired), not a result.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from numbers import Real
from statistics import NormalDist
from typing import Literal, TypeVar

import numpy as np
from numpy.typing import ArrayLike

from advisor.resample import resampled_sums

CHUNK = 1 << 18
"""Random draws per chunk: about 4 MB of working memory whatever n and the number of resamples,
small enough to stay in cache, large enough that Python's loop costs nothing (measured)."""

_CELL_COST = 16
"""A multinomial cell costs about 16 index draws (measured): with fewer than n / 16 distinct values,
drawing how often each value is picked beats drawing which examples are."""

G = TypeVar("G", bound=Hashable)
Test = Literal["mcnemar_exact", "sign_flip"]


@dataclass(frozen=True)
class Interval:
    """A point estimate and its two-sided percentile bootstrap interval."""

    mean_delta: float
    """Observed mean of b - a, challenger minus incumbent; for `mean_interval`, the plain mean."""
    low: float
    high: float
    seed: int
    """Seed of the numpy Generator that drew the resamples: the same seed redraws them."""
    n_boot: int
    """Number of bootstrap resamples."""


@dataclass(frozen=True)
class McNemarResult:
    """McNemar's exact test: only the examples where exactly one candidate passes carry evidence."""

    b01: int
    """Examples the incumbent failed and the challenger passed."""
    b10: int
    """Examples the incumbent passed and the challenger failed."""
    p_value: float
    """Exact two-sided p-value; 1.0 when no example is discordant."""


@dataclass(frozen=True)
class Comparison:
    """A challenger against the incumbent on the same examples."""

    delta: float
    """Mean per-example score of the challenger minus the incumbent's."""
    interval: Interval
    p_value: float
    """Two-sided p-value of `test` for no difference."""
    test: Test
    n: int
    """Paired examples."""
    seed: int
    sd_diff: float | None
    """Sample standard deviation of the per-example differences; None with one example."""
    mde: float | None
    """Minimum detectable effect at this n, alpha and power; None when `sd_diff` is."""


def per_example_means(scores_by_example: Sequence[float | Sequence[float]]) -> np.ndarray:
    """Average each example's repeats, so that an example counts once however often it ran.

    A bare number is one repeat. An example with no score at all raises ValueError: dropping it
    from one candidate only would unpair the rest.
    """
    return _means(scores_by_example)[0]


def paired_bootstrap(
    a: ArrayLike,
    b: ArrayLike,
    *,
    alpha: float = 0.05,
    n_boot: int = 10_000,
    seed: int,
    chunk: int = CHUNK,
) -> Interval:
    """Percentile interval of mean(b) - mean(a), resampling whole examples with replacement.

    Resampling pairs, not each candidate apart, keeps their correlation: two models that fail the
    same hard examples differ far less than their separate intervals suggest.
    """
    a, b = _paired(a, b)
    return _bootstrap(b - a, alpha=alpha, n_boot=n_boot, seed=seed, chunk=chunk)


def mean_interval(
    values: ArrayLike,
    *,
    alpha: float = 0.05,
    n_boot: int = 10_000,
    seed: int,
    chunk: int = CHUNK,
) -> Interval:
    """Percentile bootstrap interval of a mean (cost per call); `mean_delta` holds the mean."""
    return _bootstrap(_finite(values, "values"), alpha=alpha, n_boot=n_boot, seed=seed, chunk=chunk)


def mcnemar_exact(a_pass: ArrayLike, b_pass: ArrayLike) -> McNemarResult:
    """McNemar's exact test: p = min(1, 2 P(X <= min(b01, b10))), X ~ Binomial(b01 + b10, 1/2).

    Examples both candidates pass or both fail say nothing about which is better; under no
    difference each discordant example is equally likely to favour either.
    """
    a, b = _paired(a_pass, b_pass)
    if not (np.isin(a, (0, 1)).all() and np.isin(b, (0, 1)).all()):
        raise ValueError("McNemar's test needs pass/fail scores, each 0 or 1")
    b01 = int(np.count_nonzero((a == 0) & (b == 1)))
    b10 = int(np.count_nonzero((a == 1) & (b == 0)))
    if b01 + b10 == 0:
        return McNemarResult(b01, b10, 1.0)
    return McNemarResult(b01, b10, min(1.0, 2 * _binomial_half_cdf(min(b01, b10), b01 + b10)))


def sign_flip_test(
    a: ArrayLike,
    b: ArrayLike,
    *,
    n_perm: int = 10_000,
    seed: int,
    chunk: int = CHUNK,
) -> float:
    """Two-sided paired permutation p-value for no difference, flipping the signs of b - a.

    With no difference each example's difference is as likely negative as positive, so random
    sign flips draw the null distribution of their sum. Zero differences look the same either way
    and are dropped. When the m non-zero differences have 2^m <= n_perm sign patterns, all are
    enumerated and p is exact; otherwise p = (count + 1) / (n_perm + 1), counting the observed
    pattern among the draws so that p is never 0 (Phipson and Smyth, 2010).
    """
    if n_perm < 1:
        raise ValueError(f"n_perm must be at least 1, got {n_perm}")
    a, b = _paired(a, b)
    diffs = (b - a)[b != a]
    if diffs.size == 0:
        return 1.0
    total = diffs.sum()
    # Sums of the same terms in another order differ by rounding; count those as ties.
    threshold = abs(total) - 1e-9 * np.abs(diffs).sum()
    m = diffs.size
    exact = 2**m <= n_perm
    if exact:
        width, patterns, d = m, 2**m, diffs
    else:
        # Whole 32-bit words per row, one bit per example, so no draw straddles two chunks.
        width, patterns = 32 * -(-m // 32), n_perm
        d = np.zeros(width)
        d[:m] = diffs
    rng = np.random.default_rng(seed)
    rows = max(1, chunk // width)
    count = 0
    for start in range(0, patterns, rows):
        size = min(rows, patterns - start)
        if exact:  # pattern number j keeps the sign of example i when bit i of j is set
            keep = (np.arange(start, start + size)[:, None] >> np.arange(m)) & 1
        else:
            words = rng.integers(0, 2**32, size=(size, width // 32), dtype=np.uint32)
            keep = np.unpackbits(words.view(np.uint8), axis=1)
        sums = 2 * (keep.astype(np.float64) @ d) - total
        count += int(np.count_nonzero(np.abs(sums) >= threshold))
    return count / patterns if exact else (count + 1) / (n_perm + 1)


def compare(
    a_scores: Sequence[float | Sequence[float]],
    b_scores: Sequence[float | Sequence[float]],
    *,
    pass_fail: bool,
    alpha: float = 0.05,
    power: float = 0.8,
    seed: int,
    n_boot: int = 10_000,
    n_perm: int = 10_000,
) -> Comparison:
    """Delta, its bootstrap interval and a p-value for a challenger against the incumbent.

    McNemar's exact test when the metric is pass/fail and every example ran once with scores of 0
    or 1; otherwise the sign-flip test on per-example means, since a mean of repeats is no longer
    pass/fail. Both tests draw from the same seed; each result is reproducible on its own.
    """
    a, a_once = _means(a_scores)
    b, b_once = _means(b_scores)
    interval = paired_bootstrap(a, b, alpha=alpha, n_boot=n_boot, seed=seed)
    binary = np.isin(a, (0, 1)).all() and np.isin(b, (0, 1)).all()
    test: Test
    if pass_fail and a_once and b_once and binary:
        test, p_value = "mcnemar_exact", mcnemar_exact(a, b).p_value
    else:
        test, p_value = "sign_flip", sign_flip_test(a, b, n_perm=n_perm, seed=seed)
    sd_diff = float(np.std(b - a, ddof=1)) if a.size > 1 else None
    mde = None
    if sd_diff is not None:
        mde = minimum_detectable_effect(a.size, alpha=alpha, power=power, sd_diff=sd_diff)
    return Comparison(
        delta=interval.mean_delta,
        interval=interval,
        p_value=p_value,
        test=test,
        n=int(a.size),
        seed=seed,
        sd_diff=sd_diff,
        mde=mde,
    )


def minimum_detectable_effect(
    n: int,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
    sd_diff: float | None = None,
    discordance: float | None = None,
) -> float:
    """Smallest true delta that a two-sided paired test at `alpha` finds with probability `power`.

    Normal approximation: (z_{1-alpha/2} + z_power) * sd_diff / sqrt(n). Give the standard
    deviation of the per-example differences, or, for pass/fail scores not yet measured, the
    `discordance` (share of examples where exactly one candidate passes): with no true
    difference those differences are +1 or -1 and the rest 0, so sd_diff = sqrt(discordance).
    """
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    _check_level(alpha, "alpha")
    _check_level(power, "power")
    if sd_diff is None:
        if discordance is None or not 0 <= discordance <= 1:
            raise ValueError(f"give sd_diff, or discordance between 0 and 1 (got {discordance})")
        sd_diff = math.sqrt(discordance)
    elif discordance is not None:
        raise ValueError("give sd_diff or discordance, not both")
    if sd_diff < 0:
        raise ValueError(f"sd_diff cannot be negative, got {sd_diff}")
    z = NormalDist().inv_cdf
    return (z(1 - alpha / 2) + z(power)) * sd_diff / math.sqrt(n)


def examples_to_settle(interval: Interval, margin: float, n: int) -> int | None:
    """Examples in all that would lift the interval's lower end to -margin if the delta held.

    An interval's arms shrink as 1/sqrt(n), so the lower arm, delta - low, reaches the distance
    delta + margin at n * ((delta - low) / (delta + margin))^2 examples. The lower arm is used
    rather than the half-width because percentile intervals need not be symmetric and only the
    lower end decides non-inferiority. Returns n when the lower end already clears -margin, and
    None when delta <= -margin: more data would then confirm the loss, never make it eligible.
    """
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    distance = interval.mean_delta + margin
    if distance <= 0:
        return None
    lower_arm = interval.mean_delta - interval.low
    return max(n, math.ceil(n * (lower_arm / distance) ** 2))


def delta_by_group(
    a: ArrayLike,
    b: ArrayLike,
    groups: Sequence[G],
    *,
    alpha: float = 0.05,
    n_boot: int = 2_000,
    seed: int,
    chunk: int = CHUNK,
) -> dict[G, Interval]:
    """Paired delta interval within each group (gold class, slice), in order of first appearance.

    Fewer resamples by default than the headline interval: groups show where a challenger loses,
    they do not decide the verdict. Every group uses `seed`, so adding a group changes no other.
    """
    a, b = _paired(a, b)
    if len(groups) != a.size:
        raise ValueError(f"{len(groups)} group labels for {a.size} examples")
    members: dict[G, list[int]] = {}
    for i, group in enumerate(groups):
        members.setdefault(group, []).append(i)
    return {
        group: paired_bootstrap(a[idx], b[idx], alpha=alpha, n_boot=n_boot, seed=seed, chunk=chunk)
        for group, idx in members.items()
    }


def _means(scores_by_example: Sequence[float | Sequence[float]]) -> tuple[np.ndarray, bool]:
    """Per-example means, and whether every example ran exactly once."""
    means = np.empty(len(scores_by_example))
    once = True
    for i, example in enumerate(scores_by_example):
        repeats = (example,) if isinstance(example, Real) else tuple(example)
        if not repeats:
            raise ValueError(f"example {i} has no score: score it or drop it from every candidate")
        means[i] = math.fsum(repeats) / len(repeats)
        once = once and len(repeats) == 1
    return _finite(means, "scores"), once


def _finite(values: ArrayLike, what: str) -> np.ndarray:
    x = np.asarray(values, dtype=float)
    if x.ndim != 1:
        raise ValueError(f"{what} must be one number per example, got shape {x.shape}")
    if x.size == 0:
        raise ValueError(f"no {what}: statistics need at least one example")
    if not np.isfinite(x).all():
        raise ValueError(f"{what} contain NaN or infinity")
    return x


def _paired(a: ArrayLike, b: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    a, b = _finite(a, "incumbent scores"), _finite(b, "challenger scores")
    if a.size != b.size:
        raise ValueError(f"unpaired: {a.size} incumbent scores, {b.size} challenger scores")
    return a, b


def _check_level(value: float, name: str) -> None:
    if not 0 < value < 1:
        raise ValueError(f"{name} must be between 0 and 1, got {value}")


def _bootstrap(x: np.ndarray, *, alpha: float, n_boot: int, seed: int, chunk: int) -> Interval:
    _check_level(alpha, "alpha")
    if n_boot < 1:
        raise ValueError(f"n_boot must be at least 1, got {n_boot}")
    low, high = np.quantile(_resampled_means(x, n_boot, seed, chunk), [alpha / 2, 1 - alpha / 2])
    return Interval(float(x.mean()), float(low), float(high), seed, n_boot)


def _resampled_means(x: np.ndarray, n_boot: int, seed: int, chunk: int) -> np.ndarray:
    """Means of `n_boot` resamples of `x` with replacement, drawn at most `chunk` draws at a time.

    How often each distinct value lands in a resample is multinomial, so with few distinct values
    (pass/fail, averaged repeats) drawing those counts is the same resampling, much faster.
    """
    n = x.size
    values, counts = np.unique(x, return_counts=True)
    if values.size * _CELL_COST <= n:
        rng = np.random.default_rng(seed)
        sums = np.empty(n_boot)
        rows = max(1, chunk // values.size)
        for start in range(0, n_boot, rows):
            size = min(rows, n_boot - start)
            sums[start : start + size] = rng.multinomial(n, counts / n, size=size) @ values
        return sums / n
    return resampled_sums(x, n_boot, seed, chunk) / n


def _binomial_half_cdf(k: int, n: int) -> float:
    """P(X <= k) for X ~ Binomial(n, 1/2) and k <= n / 2, without overflow for n = 100,000.

    Sums the terms relative to the largest, C(n, k), walking down with C(n, i-1) = C(n, i) *
    i / (n - i + 1), then scales by C(n, k) / 2^n taken in log space (it overflows floats as a
    ratio of integers once n passes about 1,000).
    """
    term = total = 1.0
    for i in range(k, 0, -1):
        term *= i / (n - i + 1)
        total += term
        if term < total * 1e-17:  # terms only shrink from here: the rest cannot change the sum
            break
    log_pmf = math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1) - n * math.log(2)
    return total * math.exp(log_pmf)
