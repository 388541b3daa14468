"""The cost model against figures checked by hand (the design's worked examples first)."""

from datetime import date

import numpy as np
import pytest

from advisor.breakeven import Draws, break_even, lasting_payback, payback_reason
from advisor.economics import (
    MONTH_DAYS,
    Scenario,
    calls_between,
    cost_curves,
    daily_net_saving,
    lifecycle,
    months_to_days,
)
from advisor.errors import InputError


def test_worked_example_10k_calls():
    # $0.002 - $0.0005 = $0.0015 a call x 10,000 = $15 a day; 5,000 / 15 = 333.33 days.
    be = break_even(Scenario(10_000, 0.002, 0.0005, training_cost=5_000))
    assert be.daily_net_saving == pytest.approx(15.0)
    assert be.payback_days == pytest.approx(333.333, abs=1e-3)
    assert be.simple_payback_days == pytest.approx(333.333, abs=1e-3)
    assert be.training_payback_days == pytest.approx(333.333, abs=1e-3)
    assert be.first_crossing_days == pytest.approx(333.333, abs=1e-3)
    # 730 days x $15 - $5,000
    assert be.net_saving_at_horizon == pytest.approx(5_950.0)
    assert be.payback_within_horizon


def test_payback_beyond_horizon_500_calls():
    # $0.002 a call x 500 = $1 a day; 3,000 / 1 = 3,000 days, beyond 730.
    be = break_even(Scenario(500, 0.003, 0.001, training_cost=3_000, horizon_days=730))
    assert be.simple_payback_days == pytest.approx(3_000.0)
    assert be.payback_days is None and be.payback_date is None
    assert not be.payback_within_horizon
    assert be.first_crossing_days is None
    assert be.net_saving_at_horizon == pytest.approx(730 - 3_000)


def test_dearer_fine_tune_never_pays_without_error_cost():
    be = break_even(Scenario(10_000, 0.001, 0.002, training_cost=1_000))
    assert be.payback_days is None
    assert be.training_payback_days is None
    assert be.first_crossing_days is None
    assert be.min_calls_per_day is None
    assert be.net_saving_at_horizon == pytest.approx(-1_000 - 730 * 10)


def test_zero_volume_never_pays():
    be = break_even(Scenario(0, 0.002, 0.0005, training_cost=5_000))
    assert be.daily_net_saving == 0
    assert be.payback_days is None
    assert be.net_saving_at_horizon == pytest.approx(-5_000)
    # 5,000 / (0.0015 x 730 days) = 4,566.2 calls a day would pay back within the horizon.
    assert be.min_calls_per_day == pytest.approx(4_566.21, abs=0.01)
    assert be.training_min_calls_per_day == pytest.approx(4_566.21, abs=0.01)


def test_monthly_volume_with_hosting_and_twelve_month_horizon():
    # 100,000 calls a month is 3,285.42 a day; $0.008 saved a call = $26.283 a day; hosting
    # $100 a month = $3.2854 a day; net $22.998 a day. 2,500 / 22.998 = 108.705 days
    # = 3.5714 months; at 365.25 days: 22.998 x 365.25 - 2,500 = $5,900.
    calls = 100_000 / MONTH_DAYS
    hosting = 100 / (MONTH_DAYS * 24)
    assert hosting == pytest.approx(0.1369, abs=1e-4)
    be = break_even(
        Scenario(
            calls, 0.02, 0.012, training_cost=2_500, hosting_per_hour=hosting, horizon_days=365.25
        )
    )
    assert be.payback_days == pytest.approx(108.705, abs=1e-3)
    assert be.payback_days / MONTH_DAYS == pytest.approx(3.57, abs=0.005)
    assert be.net_saving_at_horizon == pytest.approx(5_900.0, abs=0.01)


def test_growth_compounds_continuously():
    # 10% a month for one month: 1,000 calls/day grows to 1,100; calls in the month are
    # 1,000 x M x (1.1 - 1) / ln 1.1 = 1,000 x 30.4375 x 0.1 / 0.0953102 = 31,935.2.
    s = Scenario(1_000, 0.002, 0.001, monthly_growth=0.10)
    assert calls_between(s, 0, MONTH_DAYS) == pytest.approx(31_935.2, abs=0.1)
    assert daily_net_saving(s, MONTH_DAYS) == pytest.approx(1.1)


def test_growth_shortens_payback():
    flat = break_even(Scenario(1_000, 0.002, 0.001, training_cost=100))
    grown = break_even(Scenario(1_000, 0.002, 0.001, training_cost=100, monthly_growth=0.1))
    # flat: $1 a day, 100 days. With growth, solve 30.4375 (1.1^(t/M) - 1) / ln 1.1 = 100:
    # 1.1^(t/M) = 1 + 100 x 0.0953102 / 30.4375 = 1.313134, t = 30.4375 x 0.272416 / 0.0953102
    # = 86.997 days.
    assert flat.payback_days == pytest.approx(100.0)
    assert grown.payback_days == pytest.approx(86.997, abs=1e-3)


def test_shrinking_traffic_that_never_repays():
    # $1 a day shrinking 50% a month saves at most 30.4375 / ln 2 = $43.9 in all.
    be = break_even(Scenario(1_000, 0.002, 0.001, training_cost=100, monthly_growth=-0.5))
    assert be.payback_days is None


def test_retraining_at_each_update_and_redo_before_payback():
    # Updates every 6 months (182.625 days) within 730 days: retrains at 182.6, 365.25, 547.9.
    s = Scenario(10_000, 0.002, 0.0005, training_cost=5_000, update_every_days=months_to_days(6))
    be = break_even(s)
    assert be.life.life_days == pytest.approx(182.625)
    assert be.life.retrain_days == pytest.approx((182.625, 365.25, 547.875))
    assert be.redo_before_payback  # 333.3 > 182.6
    # 730 x 15 - 4 x 5,000 = -9,050: the fine-tune never catches up.
    assert be.net_saving_at_horizon == pytest.approx(-9_050.0)
    assert be.first_crossing_days is None
    assert be.payback_days is None and be.simple_payback_days == pytest.approx(333.333, abs=1e-3)
    # Every cost within the horizon: 4 x 5,000 / (0.0015 x 730) = 18,264.8 calls/day.
    assert be.min_calls_per_day == pytest.approx(18_264.8, abs=0.1)
    # Training must pay back in 182.625 days: 5,000 / (0.0015 x 182.625) = 18,252.3 calls/day.
    assert be.training_min_calls_per_day == pytest.approx(18_252.3, abs=0.1)


def test_first_crossing_counts_retrain_steps():
    # $100 a day, training $5,000, retrain $1,000 every 40 days. At day 40 the gap is
    # 5,000 - 4,000 + 1,000 = 2,000, repaid 20 days later: crossing on day 60.
    s = Scenario(
        100_000,
        0.002,
        0.001,
        training_cost=5_000,
        retrain_cost=1_000,
        update_every_days=40,
        horizon_days=79,
    )
    be = break_even(s)
    assert be.life.retrain_days == (40,)
    assert be.simple_payback_days == pytest.approx(50.0)
    assert be.first_crossing_days == pytest.approx(60.0)
    assert be.payback_days == pytest.approx(60.0)
    # Retrains charged like training ($5,000): the gap at day 40 is 6,000, at day 80 it is
    # 6,000 - 4,000 + 5,000 = 7,000, repaid by day 150: past a 120-day horizon.
    be = break_even(Scenario(**{**s.__dict__, "retrain_cost": None, "horizon_days": 120}))
    assert be.life.retrain_days == (40, 80)
    assert be.first_crossing_days is None
    assert be.net_saving_at_horizon == pytest.approx(120 * 100 - 15_000)


def test_crossing_before_first_retrain():
    s = Scenario(100_000, 0.002, 0.001, training_cost=2_000, update_every_days=40, horizon_days=100)
    assert break_even(s).first_crossing_days == pytest.approx(20.0)


def test_no_training_after_cutoff_falls_back_to_incumbent():
    # Shutdown on day 100, no training jobs after day 50: no retrain, the incumbent's cost from
    # day 100 on, so the saving stops there: 100 days x $15 - $5,000.
    s = Scenario(
        10_000,
        0.002,
        0.0005,
        training_cost=5_000,
        shutdown_day=100,
        training_cutoff_day=50,
        horizon_days=365,
    )
    life = lifecycle(s)
    assert life.retrain_days == ()
    assert life.fallback_day == 100
    be = break_even(s)
    assert be.net_saving_at_horizon == pytest.approx(1_500 - 5_000)
    assert be.redo_before_payback


def test_shutdown_with_training_still_open_retrains():
    s = Scenario(
        10_000,
        0.002,
        0.0005,
        training_cost=5_000,
        shutdown_day=100,
        update_every_days=months_to_days(12),
        horizon_days=365,
    )
    life = lifecycle(s)
    assert life.retrain_days == (100,)
    assert life.fallback_day is None


def _stepped(first_per_hour: float, from_day_100: float) -> Scenario:
    """$15 a day saved on 10,000 calls, $300 of training, hosting that changes on day 100."""
    return Scenario(
        10_000,
        0.002,
        0.0005,
        training_cost=300,
        hosting_per_hour=first_per_hour,
        hosting_steps=((100.0, from_day_100),),
        horizon_days=365,
    )


def test_hosting_steps_are_segments_of_the_lasting_payback():
    # Hosting $24 a day until day 100, then $6 a day.
    s = _stepped(1.0, 0.25)
    # 300 + $9 a day lost = $1,200 behind on day 100, then $9 a day back: even on day 233.3.
    be = break_even(s)
    assert be.payback_days == pytest.approx(100 + 1_200 / 9)
    assert be.simple_payback_days == pytest.approx(100 + 1_200 / 9)
    assert be.net_saving_at_horizon == pytest.approx(9 * 265 - 1_200)
    # The chance's draws walk the same segments: 20,000 calls save $30 a day, $6 net of the
    # first hosting, so they repay 300 on day 50.
    draws = Draws(np.array([10_000.0, 20_000.0]), np.zeros(2), np.full(2, 0.0015))
    paybacks = lasting_payback(draws, s, lifecycle(s))
    assert paybacks == pytest.approx([100 + 1_200 / 9, 50])


def test_hosting_that_steps_up_can_undo_a_crossing():
    # $15 a day saved, hosting $6 a day, then $24 a day from day 100: even on day 33.3 (the
    # simple payback), $600 ahead on day 100, then $9 a day back: $1,785 behind on day 365.
    s = _stepped(0.25, 1.0)
    be = break_even(s)
    assert be.simple_payback_days == pytest.approx(300 / 9)
    assert be.first_crossing_days == pytest.approx(300 / 9)
    assert be.payback_days is None
    assert be.net_saving_at_horizon == pytest.approx(600 - 9 * 265)
    assert daily_net_saving(s, 150) == pytest.approx(-9)


def test_hosting_can_eat_the_saving():
    # $15 a day saved, hosting $1 an hour = $24 a day: never.
    be = break_even(Scenario(10_000, 0.002, 0.0005, training_cost=5_000, hosting_per_hour=1))
    assert be.daily_net_saving == pytest.approx(-9.0)
    assert be.payback_days is None
    # With 10% monthly growth the saving turns positive later, and pays back eventually.
    grown = break_even(
        Scenario(10_000, 0.002, 0.0005, training_cost=5_000, hosting_per_hour=1, monthly_growth=0.1)
    )
    assert grown.payback_days is not None and grown.payback_days > 200


def test_error_cost_can_make_a_dearer_fine_tune_pay():
    # Dearer by $0.001 a call, but 5 points fewer errors at $0.10 each saves $0.005 a call.
    s = Scenario(
        10_000,
        0.001,
        0.002,
        training_cost=4_000,
        error_cost=0.10,
        prompt_error_rate=0.15,
        ft_error_rate=0.10,
    )
    be = break_even(s)
    assert be.saving_per_call == pytest.approx(0.004)
    assert be.payback_days == pytest.approx(100.0)


def test_one_time_costs_count_in_payback_not_training_payback():
    be = break_even(Scenario(10_000, 0.002, 0.0005, training_cost=3_000, one_time_cost=1_500))
    assert be.payback_days == pytest.approx(300.0)
    assert be.training_payback_days == pytest.approx(200.0)


def test_cost_curves_end_at_the_net_saving_and_show_steps():
    s = Scenario(
        10_000, 0.002, 0.0005, training_cost=5_000, update_every_days=100, horizon_days=250
    )
    curves = cost_curves(s)
    be = break_even(s)
    assert curves.days[0] == 0 and curves.days[-1] == 250
    assert curves.fine_tuned[0] == pytest.approx(5_000)
    assert curves.prompted[-1] - curves.fine_tuned[-1] == pytest.approx(be.net_saving_at_horizon)
    at = curves.days.index(100)
    assert curves.fine_tuned[at] - curves.fine_tuned[at - 1] == pytest.approx(5_000, abs=0.01)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("calls_per_day", -1),
        ("prompt_cost_per_call", -0.1),
        ("training_cost", -5),
        ("hosting_per_hour", float("nan")),
        ("monthly_growth", -1),
        ("horizon_days", 0),
        ("ft_error_rate", 1.5),
    ],
)
def test_invalid_inputs_are_input_errors(field, value):
    kwargs = {"calls_per_day": 1, "prompt_cost_per_call": 1, "ft_cost_per_call": 0, field: value}
    with pytest.raises(InputError) as info:
        Scenario(**kwargs)
    assert info.value.exit_code == 2


def test_as_of_dates():
    from advisor.economics import day_to_date

    assert day_to_date(date(2026, 11, 28), 333.33) == date(2027, 10, 27)


def test_nothing_to_repay():
    # A cheaper prompted model has no upfront cost: it pays from day 0; a dearer one never does.
    cheaper = break_even(Scenario(1_000, 0.002, 0.001))
    assert cheaper.payback_days == 0 and cheaper.first_crossing_days == 0
    assert cheaper.net_saving_at_horizon == pytest.approx(730.0)
    dearer = break_even(Scenario(1_000, 0.001, 0.002))
    assert dearer.payback_days is None and dearer.first_crossing_days is None
    idle = break_even(Scenario(0, 0.002, 0.001))
    assert idle.payback_days is None


def test_shutdown_before_the_simple_payback_has_no_payback():
    # $15 a day, $5,000 of training, shutdown on day 200 and no training jobs after day 39:
    # the incumbent's price from day 200, so 200 x 15 - 5,000 = -$2,000 at the 730-day horizon.
    s = Scenario(
        10_000, 0.002, 0.0005, training_cost=5_000, shutdown_day=200, training_cutoff_day=39
    )
    be = break_even(s)
    assert be.payback_days is None and be.payback_date is None
    assert be.simple_payback_days == pytest.approx(333.333, abs=1e-3)
    assert be.net_saving_at_horizon == pytest.approx(-2_000.0)
    assert "serves only until day 200.0" in payback_reason(be)


def test_curves_that_cross_then_part_after_a_retrain_pay_back_at_the_lasting_crossing():
    # $100 a day, training $2,000, a $2,500 retrain every 40 days, 100-day horizon.
    # Gap (fine-tuned minus prompted): 2,000 - 100t, zero on day 20; on day 40 it is
    # -2,000 + 2,500 = 500, zero again on day 45; on day 80, -3,500 + 2,500 = -1,000; on day
    # 100, -3,000. It stays at or below zero from day 45: the payback.
    s = Scenario(
        100_000,
        0.002,
        0.001,
        training_cost=2_000,
        retrain_cost=2_500,
        update_every_days=40,
        horizon_days=100,
    )
    be = break_even(s)
    assert be.first_crossing_days == pytest.approx(20.0)
    assert be.simple_payback_days == pytest.approx(20.0)
    assert be.payback_days == pytest.approx(45.0)
    assert be.net_saving_at_horizon == pytest.approx(3_000.0)
    assert "2 retrain(s)" in payback_reason(be)


def test_payback_with_growth_and_hosting_inside_a_segment():
    # Hosting $24 a day against $15 a day of saving growing 10% a month: the gap rises, then
    # falls; the payback is where it comes back to zero, the same as the simple payback.
    s = Scenario(10_000, 0.002, 0.0005, training_cost=5_000, hosting_per_hour=1, monthly_growth=0.1)
    be = break_even(s)
    assert be.payback_days == pytest.approx(be.simple_payback_days, abs=1e-6)


def test_draws_give_the_scalar_figures_draw_by_draw():
    s = Scenario(10_000, 0.002, 0.0005, training_cost=5_000, update_every_days=300)
    life = lifecycle(s)
    calls = np.array([5_000.0, 10_000.0, 40_000.0])
    draws = Draws(calls, np.zeros(3), np.full(3, 0.0015))
    paybacks = lasting_payback(draws, s, life)
    for c, got in zip(calls, paybacks, strict=True):
        one = break_even(Scenario(**{**s.__dict__, "calls_per_day": c}))
        expected = np.nan if one.payback_days is None else one.payback_days
        assert got == pytest.approx(expected, nan_ok=True)
