"""Statistics against numbers worked out by hand, plus the degenerate cases and the 100k scale."""

import math
import time
import tracemalloc
from statistics import NormalDist

import numpy as np
import pytest

from advisor.stats import (
    Interval,
    compare,
    delta_by_group,
    examples_to_settle,
    mcnemar_exact,
    mean_interval,
    minimum_detectable_effect,
    paired_bootstrap,
    per_example_means,
    sign_flip_test,
)

# b01 = 8 examples only the challenger passes, b10 = 2 only the incumbent passes, 5 both pass.
# P(X <= 2; 10, 1/2) = (C(10,0) + C(10,1) + C(10,2)) / 2^10 = (1 + 10 + 45) / 1024 = 56 / 1024,
# so p = 2 * 56 / 1024 = 0.109375.
INCUMBENT = [0] * 8 + [1] * 2 + [1] * 5
CHALLENGER = [1] * 8 + [0] * 2 + [1] * 5


def test_per_example_means_average_repeats_first():
    assert per_example_means([[1, 0, 1], [0.5], 0.25, (1, 1)]) == pytest.approx(
        [2 / 3, 0.5, 0.25, 1.0]
    )


def test_an_example_without_scores_is_an_error():
    with pytest.raises(ValueError, match="example 1 has no score"):
        per_example_means([[1], []])


def test_mcnemar_exact_on_a_hand_computed_table():
    result = mcnemar_exact(INCUMBENT, CHALLENGER)
    assert (result.b01, result.b10) == (8, 2)
    assert result.p_value == pytest.approx(0.109375, rel=1e-12)


def test_mcnemar_without_discordant_pairs_or_with_even_split_is_one():
    assert mcnemar_exact([1, 0, 1], [1, 0, 1]).p_value == 1.0
    # b01 = b10 = 1: 2 * P(X <= 1; 2, 1/2) = 2 * 3/4 = 1.5, capped at 1.
    assert mcnemar_exact([0, 1], [1, 0]).p_value == 1.0


def test_mcnemar_matches_exact_integer_arithmetic():
    # C(2000, i) / 2^2000 overflows floats; Python's integers divide exactly.
    b01, b10 = 950, 1050
    exact = 2 * sum(math.comb(2000, i) for i in range(b01 + 1)) / 2**2000
    assert mcnemar_exact([0] * b01 + [1] * b10, [1] * b01 + [0] * b10).p_value == pytest.approx(
        exact, rel=1e-9
    )


def test_mcnemar_with_100k_discordant_pairs_does_not_overflow():
    b01, b10 = 49_000, 51_000
    p = mcnemar_exact([0] * b01 + [1] * b10, [1] * b01 + [0] * b10).p_value
    # Normal approximation with continuity correction: 2 * Phi((49,000.5 - 50,000) / sqrt(25,000)).
    approx = 2 * NormalDist().cdf((b01 + 0.5 - 50_000) / math.sqrt(25_000))
    assert p == pytest.approx(approx, rel=0.02)
    assert 0 < p < 1e-9


def test_mcnemar_needs_pass_fail_scores():
    with pytest.raises(ValueError, match="pass/fail"):
        mcnemar_exact([0.5, 1], [1, 1])


def test_sign_flip_exact_enumeration_by_hand():
    # Differences 1, 2, 3: the 8 sign patterns sum to 6, 4, 2, 0, 0, -2, -4, -6;
    # |sum| >= 6 twice, p = 2/8.
    assert sign_flip_test([0, 0, 0], [1, 2, 3], seed=0) == 0.25
    # Differences 1, -1, 2 (observed sum 2): sums 4, 0, 2, -2, 2, -2, 0, -4; |sum| >= 2 six times.
    assert sign_flip_test([0, 1, 0], [1, 0, 2], seed=0) == 0.75


def test_sign_flip_ignores_zero_differences_and_all_ties_give_one():
    assert sign_flip_test([0, 0, 0, 5, 5], [1, 2, 3, 5, 5], seed=0) == 0.25
    assert sign_flip_test([0.3, 1.0], [0.3, 1.0], seed=0) == 1.0


def test_sign_flip_on_pass_fail_is_mcnemar():
    # The 10 discordant examples give 2^10 = 1024 patterns, enumerated exactly.
    assert sign_flip_test(INCUMBENT, CHALLENGER, seed=0) == pytest.approx(0.109375, rel=1e-12)


def test_random_sign_flips_count_the_observed_pattern():
    # All 200 differences positive: no random flip reaches the observed sum, so p = 1 / (99 + 1).
    assert sign_flip_test(np.zeros(200), np.ones(200), n_perm=99, seed=0) == 0.01


def test_random_sign_flips_approach_the_exact_p_and_are_seeded():
    a = np.zeros(14)
    b = np.array([1, -2, 3, 4, -5, 6, 7, 8, -9, 10, 11, -12, 13, 14]) / 10
    exact = sign_flip_test(a, b, n_perm=2**14, seed=0)  # 2^14 patterns: enumerated
    drawn = sign_flip_test(a, b, n_perm=10_000, seed=7)
    assert drawn == pytest.approx(exact, abs=0.02)
    assert sign_flip_test(a, b, n_perm=10_000, seed=7, chunk=64) == drawn


def test_bootstrap_contains_the_true_delta_and_is_seeded():
    rng = np.random.default_rng(1)
    a = rng.normal(0.7, 0.2, 2_000)
    b = a + 0.05 + rng.normal(0, 0.1, 2_000)
    interval = paired_bootstrap(a, b, seed=3)
    assert interval.low < 0.05 < interval.high
    assert interval.mean_delta == pytest.approx(np.mean(b - a))
    assert (interval.seed, interval.n_boot) == (3, 10_000)
    # Half-width close to the normal theory's 1.96 * sd / sqrt(n).
    half = NormalDist().inv_cdf(0.975) * np.std(b - a) / math.sqrt(2_000)
    assert (interval.high - interval.low) / 2 == pytest.approx(half, rel=0.1)
    fewer = paired_bootstrap(a, b, n_boot=1_000, seed=3)
    assert paired_bootstrap(a, b, n_boot=1_000, seed=3, chunk=5_000) == fewer
    assert paired_bootstrap(a, b, n_boot=1_000, seed=4) != fewer


def test_bootstrap_of_pass_fail_scores_matches_normal_theory_and_is_seeded():
    # Few distinct differences: resampled by counting how often each value is drawn.
    rng = np.random.default_rng(2)
    a = (rng.random(3_000) < 0.8).astype(float)
    b = np.where(rng.random(3_000) < 0.1, 1 - a, a)
    interval = paired_bootstrap(a, b, alpha=0.1, seed=3)
    half = NormalDist().inv_cdf(0.95) * np.std(b - a) / math.sqrt(3_000)
    assert (interval.high - interval.low) / 2 == pytest.approx(half, rel=0.1)
    assert paired_bootstrap(a, b, alpha=0.1, seed=3, chunk=10) == interval


def test_bootstrap_degenerate_cases():
    one = paired_bootstrap([0.2], [0.7], seed=0)
    assert (one.low, one.high) == pytest.approx((0.5, 0.5))
    ties = paired_bootstrap([1, 0, 1] * 10, [1, 0, 1] * 10, seed=0)
    assert (ties.mean_delta, ties.low, ties.high) == (0.0, 0.0, 0.0)
    for a, b, match in [
        ([], [], "no incumbent"),
        ([1, 0], [1], "unpaired"),
        ([np.nan], [1], "NaN"),
    ]:
        with pytest.raises(ValueError, match=match):
            paired_bootstrap(a, b, seed=0)
    with pytest.raises(ValueError, match="alpha"):
        paired_bootstrap([1], [1], alpha=1.5, seed=0)


def test_bootstrap_of_100k_examples_is_chunked():
    rng = np.random.default_rng(5)
    a = rng.normal(0.0, 1.0, 100_000)
    b = a + 0.01 + rng.normal(0.0, 0.5, 100_000)
    tracemalloc.start()
    started = time.perf_counter()
    try:
        interval = paired_bootstrap(a, b, n_boot=10_000, seed=1)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - started < 60  # a few seconds on a quiet machine
    assert peak < 200 * 2**20  # a 10^9-index matrix alone would take 8 GB
    assert interval.low < 0.01 < interval.high


def test_mean_interval():
    assert mean_interval([0.002] * 5, seed=0) == Interval(0.002, 0.002, 0.002, 0, 10_000)
    costs = np.random.default_rng(0).gamma(2.0, 0.001, 500)
    interval = mean_interval(costs, seed=0, n_boot=2_000)
    assert interval.low < costs.mean() < interval.high
    with pytest.raises(ValueError, match="no values"):
        mean_interval([], seed=0)


def test_compare_uses_mcnemar_for_single_pass_fail_runs():
    result = compare(INCUMBENT, CHALLENGER, pass_fail=True, seed=9)
    assert result.test == "mcnemar_exact"
    assert result.p_value == pytest.approx(0.109375, rel=1e-12)
    assert result.delta == pytest.approx(6 / 15)
    assert (result.n, result.seed, result.interval.seed) == (15, 9, 9)
    assert result.sd_diff == pytest.approx(np.std(np.subtract(CHALLENGER, INCUMBENT), ddof=1))
    assert result.mde == pytest.approx(
        minimum_detectable_effect(15, alpha=0.05, power=0.8, sd_diff=result.sd_diff)
    )


def test_compare_uses_sign_flip_with_repeats_or_graded_scores():
    repeated = compare(
        [[s, s] for s in INCUMBENT], [[s, s] for s in CHALLENGER], pass_fail=True, seed=9
    )
    assert repeated.test == "sign_flip"
    assert repeated.p_value == pytest.approx(0.109375, rel=1e-12)  # same data, same exact answer
    assert compare([0.5, 1.0], [1.0, 1.0], pass_fail=False, seed=9).test == "sign_flip"


def test_compare_with_one_example_has_no_spread():
    result = compare([0], [1], pass_fail=True, seed=0)
    assert (result.delta, result.p_value, result.sd_diff, result.mde) == (1.0, 1.0, None, None)


def test_minimum_detectable_effect_by_hand():
    # z_0.975 + z_0.8 = 1.959964 + 0.841621 = 2.801585; times 0.3 / sqrt(900) = 0.0280159.
    assert minimum_detectable_effect(900, sd_diff=0.3) == pytest.approx(0.0280159, rel=1e-5)
    # 9% discordant pass/fail examples: sd_diff = sqrt(0.09) = 0.3, the same answer.
    assert minimum_detectable_effect(900, discordance=0.09) == pytest.approx(0.0280159, rel=1e-5)
    for kwargs in ({}, {"sd_diff": 0.3, "discordance": 0.09}, {"sd_diff": -1.0}):
        with pytest.raises(ValueError):
            minimum_detectable_effect(900, **kwargs)
    with pytest.raises(ValueError, match="n must be"):
        minimum_detectable_effect(0, sd_diff=0.3)


def test_examples_to_settle_by_hand():
    # delta 0.01, lower end -0.03, margin 0.02: the lower arm 0.04 must shrink to 0.03,
    # n = 400 * (0.04 / 0.03)^2 = 711.1, so 712 examples.
    assert examples_to_settle(Interval(0.01, -0.03, 0.05, 0, 10_000), 0.02, 400) == 712
    # Asymmetric interval: only the lower arm (0.5) counts, distance 0.25: 100 * 2^2 = 400.
    assert examples_to_settle(Interval(0.125, -0.375, 0.25, 0, 10_000), 0.125, 100) == 400
    # Lower end already clears -margin: the examples in hand suffice.
    assert examples_to_settle(Interval(0.01, -0.01, 0.03, 0, 10_000), 0.02, 400) == 400
    # The estimate itself at or below -margin: more data would not make it eligible.
    assert examples_to_settle(Interval(-0.02, -0.06, 0.02, 0, 10_000), 0.02, 400) is None
    assert examples_to_settle(Interval(-0.05, -0.09, -0.01, 0, 10_000), 0.02, 400) is None


def test_delta_by_group_in_order_of_first_appearance():
    a = [0, 0, 1, 0, 0, 1]
    b = [1, 0, 1, 1, 0, 1]
    groups = ["spam", "ham", "spam", "spam", "ham", "spam"]
    by_group = delta_by_group(a, b, groups, seed=4)
    assert list(by_group) == ["spam", "ham"]
    assert by_group["spam"].mean_delta == 0.5
    assert (by_group["ham"].low, by_group["ham"].high, by_group["ham"].n_boot) == (0.0, 0.0, 2_000)
    with pytest.raises(ValueError, match="group labels"):
        delta_by_group(a, b, groups[:-1], seed=4)
