"""The chance it pays: the quality bootstrap's replicates carried through to the money.

Each replicate resamples the eval examples with replacement, both arms together (the same seeded
index draws as the quality interval's paired bootstrap), and so has its own quality delta, error
rates and costs per call; where the study gives traffic ranges it also draws the day-0 volume and
the growth, triangular with the stated value as the mode. Each replicate then has its own daily
saving, payback and net saving at the horizon (`breakeven`, vectorised over replicates).

Memory stays bounded like `stats`: indices are drawn about `stats.CHUNK` at a time, so 100,000
examples x 10,000 replicates never hold more than a few MB of draws.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from advisor import economics as eco
from advisor.breakeven import Draws, lasting_payback, net_saving
from advisor.resample import resampled_sums
from advisor.stats import CHUNK
from advisor.verdict import Probability

N_DRAWS = 10_000


@dataclass(frozen=True)
class PairedExamples:
    """Per-example measurements of both arms on the same examples (repeats averaged)."""

    incumbent_score: Sequence[float]
    challenger_score: Sequence[float]
    incumbent_cost: Sequence[float]
    challenger_cost: Sequence[float]


@dataclass(frozen=True)
class TrafficRanges:
    """[low, high] around the stated day-0 volume and monthly growth; None keeps it fixed."""

    calls_per_day: tuple[float, float] | None = None
    monthly_growth: tuple[float, float] | None = None


def resampled_means(values: np.ndarray, n_draws: int, seed: int, chunk: int = CHUNK) -> np.ndarray:
    """Means of `values` (one per example) over `n_draws` resamples of the examples.

    Draws the indices exactly as `stats` does for a paired bootstrap (one Generator from `seed`,
    rows of n indices), so replicate i here is replicate i of the quality interval; where `stats`
    takes its multinomial shortcut (few distinct score differences), the replicates are the same
    in distribution rather than draw for draw. Two figures
    per example travel as one complex number: drawing the indices is most of the cost (measured),
    and one gather serves both.
    """
    return resampled_sums(values, n_draws, seed, chunk) / values.size


def _triangular(
    rng: np.random.Generator, stated: float, span: tuple[float, float] | None, size: int
) -> np.ndarray:
    if span is None or span[0] == span[1]:
        return np.full(size, stated)
    return rng.triangular(span[0], stated, span[1], size=size)


def _rescale(costs: np.ndarray, point: float) -> np.ndarray:
    """Per-example costs scaled so that their mean is the verdict's cost per call.

    The verdict's cost per call averages every answered call; the replicates resample only the
    paired examples, so without this the two could disagree on which side of zero a saving is.
    The relative spread of the replicates is kept.
    """
    observed = costs.mean()
    return costs * (point / observed) if observed > 0 else np.full(costs.shape, point)


def chance(
    s: eco.Scenario,
    paired: PairedExamples,
    *,
    margin: float,
    seed: int,
    ranges: TrafficRanges = TrafficRanges(),
    n_draws: int = N_DRAWS,
) -> Probability:
    """P(net saving > 0), P(payback within the horizon), P(delta >= -margin) and percentiles."""
    delta = np.asarray(paired.challenger_score, dtype=float) - np.asarray(
        paired.incumbent_score, dtype=float
    )
    if delta.size == 0:
        raise ValueError("no paired example: the chance it pays needs at least one")
    saving = _rescale(np.asarray(paired.incumbent_cost, dtype=float), s.prompt_cost_per_call)
    saving -= _rescale(np.asarray(paired.challenger_cost, dtype=float), s.ft_cost_per_call)
    means = resampled_means(delta + 1j * saving, n_draws, seed)
    delta_draws = means.real
    # Error rates are 1 - mean score, so the incumbent's minus the challenger's is the delta.
    saving_draws = means.imag + delta_draws * s.error_cost
    # A stream of its own, so that adding ranges changes no quality replicate.
    traffic = np.random.default_rng([seed, 1])
    draws = Draws(
        _triangular(traffic, s.calls_per_day, ranges.calls_per_day, n_draws),
        _triangular(traffic, s.monthly_growth, ranges.monthly_growth, n_draws),
        saving_draws,
    )
    life = eco.lifecycle(s)
    payback = lasting_payback(draws, s, life)
    net = net_saving(draws, s, life)
    net_q = np.quantile(net, [0.05, 0.5, 0.95], method="inverted_cdf")
    never = np.nan_to_num(payback, nan=np.inf)
    pay_q = np.quantile(never, [0.05, 0.5, 0.95], method="inverted_cdf")
    days = [None if not np.isfinite(q) else float(q) for q in pay_q]
    return Probability(
        draws=n_draws,
        n=delta.size,
        seed=seed,
        net_saving_positive=float(np.mean(net > 0)),
        payback_within_horizon=float(np.mean(~np.isnan(payback))),
        # 0.98 - 1.0 is -0.020000000000000018: a delta on the margin counts as on it.
        non_inferior=float(np.mean(delta_draws >= -margin - 1e-12)),
        net_saving_p05=float(net_q[0]),
        net_saving_p50=float(net_q[1]),
        net_saving_p95=float(net_q[2]),
        payback_p05=days[0],
        payback_p50=days[1],
        payback_p95=days[2],
        calls_per_day_range=ranges.calls_per_day,
        monthly_growth_range=ranges.monthly_growth,
    )
