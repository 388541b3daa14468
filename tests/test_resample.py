"""Shared bootstrap draws: the same figures as fresh draws, bit for bit, drawn once."""

from __future__ import annotations

import numpy as np

from advisor import resample
from advisor.chance import resampled_means
from advisor.stats import mean_interval, paired_bootstrap


def _figures() -> list[float]:
    rng = np.random.default_rng(4)
    a, b, costs = rng.random(300), rng.random(300), rng.random(300) / 1_000
    cost = mean_interval(costs, seed=7, chunk=4_096)
    delta = paired_bootstrap(a, b, seed=7, chunk=4_096)
    chance = resampled_means(a + 1j * costs, 10_000, seed=7, chunk=4_096)
    return [cost.low, cost.high, delta.low, delta.high, *chance.real, *chance.imag]


def test_shared_draws_give_the_figures_of_fresh_draws_exactly():
    fresh = _figures()
    with resample.shared():
        assert _figures() == fresh
        assert _figures() == fresh  # from the kept rows this time


def test_rows_are_drawn_once_inside_and_afresh_outside():
    with resample.shared():
        first = list(resample.index_rows(3, 50, 100, 1_000))
        again = list(resample.index_rows(3, 50, 100, 1_000))
        assert all(x is y for x, y in zip(first, again, strict=True))
        other_seed = list(resample.index_rows(4, 50, 100, 1_000))
        assert not np.array_equal(np.vstack(first), np.vstack(other_seed))
    outside = list(resample.index_rows(3, 50, 100, 1_000))
    assert not any(x is y for x, y in zip(first, outside, strict=True))
    assert np.array_equal(np.vstack(first), np.vstack(outside))
    assert [len(r) for r in outside] == [20] * 5  # 1,000 // 50 rows a chunk


def test_draws_beyond_the_limit_are_not_kept(monkeypatch):
    monkeypatch.setattr(resample, "SHARE_LIMIT", 6_000)
    with resample.shared():
        kept = list(resample.index_rows(3, 50, 100, 1_000))  # 5,000 draws: kept
        big = list(resample.index_rows(3, 60, 100, 1_000))  # 6,000 more: over, drawn afresh
        assert all(
            x is y for x, y in zip(kept, resample.index_rows(3, 50, 100, 1_000), strict=True)
        )
        assert not any(
            x is y for x, y in zip(big, resample.index_rows(3, 60, 100, 1_000), strict=True)
        )
