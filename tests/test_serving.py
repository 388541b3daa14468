"""Serving a fine-tune three ways: hand-computed hosting, GPU steps, payback and training."""

import math

import pytest

from advisor.economics import MONTH_DAYS, Scenario
from advisor.errors import InputError
from advisor.serving import (
    Dedicated,
    SelfHosted,
    Serverless,
    cost_gap,
    gpu_steps,
    gpu_training_cost,
    gpus_for,
    hosting_between,
    served_break_even,
    token_training_cost,
)

# 10,000 calls a day saving $0.0015 each: $15 a day; a $0.25/hour endpoint costs $6 a day.
FLAT = Scenario(
    calls_per_day=10_000,
    prompt_cost_per_call=0.002,
    ft_cost_per_call=0.0005,
    training_cost=900,
    horizon_days=365,
)


def test_dedicated_endpoint_pays_back_when_savings_cover_training_and_the_hourly_fee():
    result = served_break_even(FLAT, Dedicated(per_hour=0.25, capacity_per_second=1))
    assert result.payback_days == pytest.approx(900 / (15 - 6))  # day 100
    assert result.net_saving_at_horizon == pytest.approx(9 * 365 - 900)  # $2,385
    assert result.hosting_at_horizon == pytest.approx(6 * 365)
    assert result.over_capacity_day is None  # peak 0.23 calls/s, well under 1


def test_dedicated_endpoint_reports_the_day_traffic_outgrows_its_capacity():
    growing = Scenario(**{**FLAT.__dict__, "monthly_growth": 0.10, "horizon_days": 730})
    result = served_break_even(
        growing, Dedicated(per_hour=0.25, capacity_per_second=1, peak_factor=2)
    )
    # capacity 1 call/s at peak = 43,200 calls a day at a peak factor of 2
    assert result.over_capacity_day == pytest.approx(MONTH_DAYS * math.log(4.32) / math.log(1.1))


def test_hosting_stops_when_the_fine_tune_falls_back_to_the_incumbent():
    ending = Scenario(**{**FLAT.__dict__, "shutdown_day": 200, "training_cutoff_day": 100})
    result = served_break_even(ending, Dedicated(per_hour=0.25))
    assert result.life.fallback_day == 200
    assert result.hosting_at_horizon == pytest.approx(6 * 200)
    assert result.net_saving_at_horizon == pytest.approx(9 * 200 - 900)
    assert result.payback_days == pytest.approx(100)


def test_quality_needed_to_break_even_is_the_error_gap_that_zeroes_the_net_saving():
    priced = Scenario(**{**FLAT.__dict__, "error_cost": 0.01})
    result = served_break_even(priced, Dedicated(per_hour=0.25))
    # $2,385 of saving absorbs 2,385 / ($0.01 x 3,650,000 calls) = 6.5 points more errors
    assert result.break_even_error_gap == pytest.approx(-2385 / (0.01 * 3_650_000))
    assert served_break_even(FLAT, Serverless()).break_even_error_gap is None


# 34,560 calls a day = 0.4 calls/s on average, 0.8 at a peak factor of 2: one GPU serving 1 call/s.
# Growing 25% a month, the peak passes 1 call/s after one month and 2 calls/s after
# ln(2.5)/ln(1.25) months; it is 0.8 x 1.25^5 = 2.44 calls/s at the 5-month horizon: 3 GPUs.
GROWING = Scenario(
    calls_per_day=34_560,
    prompt_cost_per_call=0.003,
    ft_cost_per_call=0.0002,
    training_cost=500,
    monthly_growth=0.25,
    horizon_days=5 * MONTH_DAYS,
)
GPUS = SelfHosted(gpu_per_hour=2.0, capacity_per_gpu=1.0, peak_factor=2.0)


def test_self_hosted_gpu_count_steps_up_twice_as_traffic_grows():
    t1 = MONTH_DAYS  # 30.44 days
    t2 = MONTH_DAYS * math.log(2.5) / math.log(1.25)  # 124.98 days
    steps = gpu_steps(GROWING, GPUS)
    assert [n for _, n in steps] == [1, 2, 3]
    assert [d for d, _ in steps] == pytest.approx([0, t1, t2])
    horizon = GROWING.horizon_days
    hosting = 48 * (1 * t1 + 2 * (t2 - t1) + 3 * (horizon - t2))  # $2 x 24 h per GPU-day
    assert hosting_between(GROWING, GPUS, 0, horizon) == pytest.approx(hosting)
    calls = 34_560 * MONTH_DAYS / math.log(1.25) * (1.25**5 - 1)
    result = served_break_even(GROWING, GPUS)
    assert result.net_saving_at_horizon == pytest.approx(calls * 0.0028 - 500 - hosting)
    assert result.gpu_steps == steps
    assert 0 < result.payback_days < horizon
    assert cost_gap(GROWING, GPUS, result.payback_days) == pytest.approx(0, abs=1e-6)


def test_gpu_count_is_the_peak_load_over_capacity_rounded_up():
    assert gpus_for(43_200, GPUS) == 1  # exactly 1 call/s at peak: one GPU
    assert gpus_for(43_201, GPUS) == 2
    assert gpus_for(0, GPUS) == 1


def test_training_per_token_has_its_minimum_charge_and_self_hosted_training_is_gpu_hours():
    assert token_training_cost(67_569, 3, 0.50) == pytest.approx(67_569 * 3 * 0.5 / 1e6)
    assert token_training_cost(67_569, 3, 0.50, min_charge=4.0) == 4.0
    assert gpu_training_cost(6, 2.5) == 15.0


def test_absurd_serving_figures_are_input_errors():
    with pytest.raises(InputError):
        SelfHosted(gpu_per_hour=2, capacity_per_gpu=0)
    with pytest.raises(InputError):
        Dedicated(per_hour=math.nan)
    boom = Scenario(**{**GROWING.__dict__, "monthly_growth": 5.0, "horizon_days": 3650})
    with pytest.raises(InputError, match="more than 1,000 GPUs"):
        served_break_even(boom, GPUS)
