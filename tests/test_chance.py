"""The chance it pays, against probabilities worked out by hand (binomial, triangular)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from advisor.chance import PairedExamples, TrafficRanges, chance, resampled_means
from advisor.economics import Scenario
from advisor.stats import paired_bootstrap


def _paired(n: int, incumbent_cost: float, challenger_costs: list[float]) -> PairedExamples:
    return PairedExamples([1.0] * n, [1.0] * n, [incumbent_cost] * n, challenger_costs)


def _seed_case(calls: float) -> Scenario:
    return Scenario(calls, 0.002, 0.0005, training_cost=5_000)


def test_a_clear_win_pays_in_nearly_every_draw():
    # The seed case at 40,000 calls a day: $60 a day, paid back on day 83.3 of 730.
    costs = [0.0004, 0.0006] * 200
    p = chance(_seed_case(40_000), _paired(400, 0.002, costs), margin=0.02, seed=1)
    assert p.payback_within_horizon > 0.99 and p.net_saving_positive > 0.99
    assert p.non_inferior == 1.0 and p.draws == 10_000 and p.n == 400
    assert p.payback_p05 < p.payback_p50 < p.payback_p95 < 730
    assert p.payback_p50 == pytest.approx(5_000 / 60, rel=0.02)
    assert p.net_saving_p50 == pytest.approx(730 * 60 - 5_000, rel=0.02)


def test_a_clear_loss_pays_in_almost_no_draw():
    # 500 calls a day: $0.75 a day never repays $5,000 within 730 days.
    costs = [0.0004, 0.0006] * 200
    p = chance(_seed_case(500), _paired(400, 0.002, costs), margin=0.02, seed=1)
    assert p.payback_within_horizon < 0.01 and p.net_saving_positive < 0.01
    assert p.payback_p05 is None and p.payback_p95 is None
    assert p.net_saving_p95 < 0


def test_resampled_cost_gives_a_binomial_chance():
    # Half the challenger's examples cost $0.002 a call, half $0: a replicate's mean cost is
    # 0.002 k / 100, k ~ Binomial(100, 1/2). Against $0.0015 prompted, 10,000 calls a day over
    # 730 days and $3,577 upfront, the net saving is 7.3e6 x (0.0015 - 0.00002 k) - 3,577 > 0
    # exactly when k < (0.0015 - 3,577 / 7.3e6) / 0.00002 = 50.5, so
    # P = P(k <= 50) = 1/2 + C(100, 50) / 2^101 = 0.5398.
    s = Scenario(10_000, 0.0015, 0.001, training_cost=3_577)
    p = chance(s, _paired(100, 0.0015, [0.002, 0.0] * 50), margin=0.02, seed=7)
    exact = 0.5 + math.comb(100, 50) / 2**101
    assert exact == pytest.approx(0.5398, abs=1e-4)
    assert p.net_saving_positive == pytest.approx(exact, abs=0.02)
    assert p.payback_within_horizon == pytest.approx(exact, abs=0.02)


def test_a_volume_range_gives_a_triangular_chance():
    # Fixed costs: $0.0015 saved a call, $5,475 upfront, 730 days: the net saving is positive
    # above 5,475 / (0.0015 x 730) = 5,000 calls a day. Volume triangular on [0, 20,000] with
    # mode 10,000: P(C > 5,000) = 1 - 5,000^2 / (20,000 x 10,000) = 0.875.
    s = Scenario(10_000, 0.002, 0.0005, training_cost=5_475)
    ranges = TrafficRanges(calls_per_day=(0.0, 20_000.0))
    p = chance(s, _paired(50, 0.002, [0.0005] * 50), margin=0.02, seed=3, ranges=ranges)
    assert p.payback_within_horizon == pytest.approx(0.875, abs=0.02)
    assert p.calls_per_day_range == (0.0, 20_000.0)


def test_quality_draws_are_the_quality_intervals_replicates():
    rng = np.random.default_rng(0)
    a, b = rng.random(300), rng.random(300)
    means = resampled_means(a + 1j * b, 2_000, seed=11, chunk=4_096)
    deltas = means.imag - means.real
    interval = paired_bootstrap(a, b, n_boot=2_000, seed=11, chunk=4_096)
    assert np.quantile(deltas, [0.025, 0.975]) == pytest.approx([interval.low, interval.high])


def test_non_inferior_is_the_share_of_deltas_above_minus_margin():
    # The challenger fails 3 of 100 examples the incumbent passes: delta -0.03 against a 0.02
    # margin. A replicate clears -0.02 when it draws at most 2 failures, k ~ Binomial(100, 0.03):
    # P(k <= 2) = 0.97^100 + 100 x 0.03 x 0.97^99 + 4,950 x 0.03^2 x 0.97^98 = 0.4198.
    inc, ch = [1.0] * 100, [1.0] * 97 + [0.0] * 3
    paired = PairedExamples(inc, ch, [0.002] * 100, [0.001] * 100)
    p = chance(Scenario(1_000, 0.002, 0.001), paired, margin=0.02, seed=5)
    exact = sum(math.comb(100, k) * 0.03**k * 0.97 ** (100 - k) for k in range(3))
    assert exact == pytest.approx(0.4198, abs=1e-4)
    assert p.non_inferior == pytest.approx(exact, abs=0.02)
