"""The `advisor breakeven` answer: its inputs read from the command line, its text and JSON."""

from __future__ import annotations

import json
from datetime import date

from advisor.breakeven import BreakEven, payback_reason
from advisor.economics import months_to_days
from advisor.errors import InputError
from advisor.wording import day_and_date, days, horizon, money, number, on_day, volume

DEFAULT_HORIZON_DAYS = 730.0


def horizon_days_of(horizon_days: float | None, horizon_months: float | None) -> float:
    if horizon_days is not None and horizon_months is not None:
        raise InputError("give the horizon once: --horizon-days or --horizon-months, not both")
    if horizon_months is not None:
        return months_to_days(horizon_months)
    return DEFAULT_HORIZON_DAYS if horizon_days is None else horizon_days


def day_of(value: str | None, as_of: date, option: str) -> float | None:
    """Days from `as_of` to an ISO date given on the command line."""
    if value is None:
        return None
    try:
        return float((date.fromisoformat(value) - as_of).days)
    except ValueError:
        raise InputError(f"{option} must be a date like 2027-01-14 (got {value!r})") from None


def to_json(be: BreakEven, serving: dict | None = None) -> str:
    """The answer as results.json stores a challenger's break-even, so one schema serves both;
    a dedicated or self-hosted way of serving adds its own block beside it (`serving_view`)."""
    if serving is None:
        return be.model_dump_json()
    return json.dumps({**be.model_dump(mode="json"), "serving": serving})


def _payback_line(be: BreakEven) -> str:
    s = be.scenario
    if be.simple_payback_days is None:
        return "Payback: never (the fine-tune saves nothing a day)"
    if be.payback_days is None:
        text = f"Payback: none within {horizon(s.horizon_days)}"
    else:
        text = (
            f"Payback: {day_and_date(be.payback_days, s.as_of)}, within {horizon(s.horizon_days)}"
        )
    why = payback_reason(be)
    if why is not None:
        text += f"; simple payback {day_and_date(be.simple_payback_days, s.as_of)}, {why}"
    return text


def lines(be: BreakEven) -> list[str]:
    """A short answer a person reads top to bottom: the lasting payback first."""
    s = be.scenario
    result = [
        _payback_line(be),
        f"Net saving at the horizon: {money(be.net_saving_at_horizon)}",
        f"Daily net saving: {money(be.daily_net_saving)} at {number(s.calls_per_day)} calls/day "
        f"({money(be.saving_per_call)} a call"
        + (f", hosting {money(s.hosting_per_day)}/day)" if s.hosting_per_day else ")"),
        f"Simple payback (upfront cost repaid by the daily saving, ignoring the fine-tune's "
        f"life): {day_and_date(be.simple_payback_days, s.as_of)}",
        f"First crossing of the cost curves: {on_day(be.first_crossing_days, s.as_of)}"
        if be.first_crossing_days is not None
        else f"First crossing of the cost curves: not within {horizon(s.horizon_days)}",
    ]
    life = be.life
    if life.life_days is not None:
        text = f"Fine-tune life: ends on {on_day(life.life_days, s.as_of)}"
        if life.retrain_days:
            text += f"; retrained {len(life.retrain_days)} time(s) in the horizon"
        if life.fallback_day is not None:
            text += (
                f"; no retraining possible from {on_day(life.fallback_day, s.as_of)},"
                " back to the incumbent"
            )
        result.append(text)
    if be.redo_before_payback:
        result.append(
            f"Must be redone before it pays: training pays back on day "
            f"{be.training_payback_days:,.1f}, after the fine-tune's life ends on day "
            f"{life.life_days:,.1f}"
        )
    result.append(
        f"Minimum volume for a payback within {horizon(s.horizon_days)}, every cost counted: "
        + ("none would" if be.min_calls_per_day is None else volume(be.min_calls_per_day))
    )
    result.append(
        "Minimum volume for the training cost alone to pay back within one life of the "
        "fine-tune (training only): "
        + (
            "none would"
            if be.training_min_calls_per_day is None
            else volume(be.training_min_calls_per_day)
        )
    )
    result.append(f"(training payback alone: {days(be.training_payback_days)})")
    return result
