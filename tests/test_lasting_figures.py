"""Scenarios walked together as draws of one give each the payback it has on its own, bit for bit.

The sensitivity's rows go through `breakeven.lasting_figures` together; a row's payback and net
saving must be exactly those `break_even` gives its scenario alone.
"""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, reject, settings
from hypothesis import strategies as st

from advisor.breakeven import break_even, lasting_figures
from advisor.economics import Scenario
from advisor.sensitivity import sensitivity

days = st.floats(1.0, 3_000.0)


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    steps = sorted(draw(st.lists(st.tuples(days, st.floats(0.0, 50.0)), max_size=3)))
    return Scenario(
        calls_per_day=draw(st.floats(0.0, 1e7)),
        prompt_cost_per_call=draw(st.floats(0.0, 0.05)),
        ft_cost_per_call=draw(st.floats(0.0, 0.05)),
        training_cost=draw(st.floats(0.0, 1e5)),
        one_time_cost=draw(st.floats(0.0, 1e4)),
        retrain_cost=draw(st.one_of(st.none(), st.floats(0.0, 1e5))),
        hosting_per_hour=draw(st.floats(0.0, 20.0)),
        hosting_steps=tuple(dict(steps).items()),
        monthly_growth=draw(st.floats(-0.5, 0.2)),
        horizon_days=draw(days),
        update_every_days=draw(st.one_of(st.none(), st.floats(20.0, 900.0))),
        shutdown_day=draw(st.one_of(st.none(), days)),
        training_cutoff_day=draw(st.one_of(st.none(), days)),
        error_cost=draw(st.floats(0.0, 2.0)),
        prompt_error_rate=draw(st.floats(0.0, 1.0)),
        ft_error_rate=draw(st.floats(0.0, 1.0)),
    )


def _alone(s: Scenario) -> tuple[float | None, float]:
    be = break_even(s)
    return be.payback_days, be.net_saving_at_horizon


@settings(max_examples=150, deadline=None)
@given(scenarios(), st.lists(st.floats(0.0, 3.0), min_size=1, max_size=6))
def test_walked_together_each_gets_its_own_figures_exactly(s: Scenario, factors: list[float]):
    variants = [
        replace(s, calls_per_day=s.calls_per_day * f, ft_cost_per_call=s.ft_cost_per_call * f)
        for f in factors
    ]
    variants += [replace(s, monthly_growth=s.monthly_growth + f / 100) for f in factors]
    variants.append(replace(s, training_cost=s.training_cost * 2))  # a lifecycle of its own
    try:
        alone = [_alone(v) for v in variants]
    except (OverflowError, ValueError):  # break_even's own limits at extreme inputs, as before
        reject()
    assert lasting_figures(variants) == alone


def test_sensitivity_rows_are_each_ends_break_even():
    s = Scenario(
        20_000,
        0.002,
        0.0005,
        training_cost=5_000,
        hosting_per_hour=0.4,
        monthly_growth=0.03,
        update_every_days=300,
        error_cost=0.05,
        prompt_error_rate=0.1,
        ft_error_rate=0.08,
    )
    rows = sensitivity(s, None)
    volume = rows[0]
    assert volume.factor == "calls per day ±25%"
    low = break_even(replace(s, calls_per_day=15_000))
    high = break_even(replace(s, calls_per_day=25_000))
    assert (volume.payback_low, volume.net_saving_low) == (
        low.payback_days,
        low.net_saving_at_horizon,
    )
    assert (volume.payback_high, volume.net_saving_high) == (
        high.payback_days,
        high.net_saving_at_horizon,
    )
