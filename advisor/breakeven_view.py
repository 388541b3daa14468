"""The `advisor breakeven` answer: its inputs read from the command line, its text and JSON."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date

from advisor.economics import BreakEven, Scenario, day_to_date, months_to_days
from advisor.errors import InputError
from advisor.formatting import day_and_date, days, money, number, on_day

DEFAULT_HORIZON_DAYS = 730.0


def horizon(horizon_days: float | None, horizon_months: float | None) -> float:
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


def _date(as_of: date, value: float | None) -> str | None:
    return None if value is None else day_to_date(as_of, value).isoformat()


def to_dict(s: Scenario, be: BreakEven) -> dict:
    """Every figure with its date where it has one; `None` means never (or not in the horizon)."""
    return {
        "as_of": s.as_of.isoformat(),
        "inputs": {k: v for k, v in asdict(s).items() if k != "as_of"},
        "saving_per_call": be.saving_per_call,
        "daily_net_saving": be.daily_net_saving,
        "payback_days": be.payback_days,
        "payback_date": _date(s.as_of, be.payback_days),
        "payback_within_horizon": be.payback_within_horizon,
        "training_payback_days": be.training_payback_days,
        "first_crossing_days": be.first_crossing_days,
        "first_crossing_date": _date(s.as_of, be.first_crossing_days),
        "net_saving_at_horizon": be.net_saving_at_horizon,
        "horizon_days": be.horizon_days,
        "fine_tune_life_days": be.life.life_days,
        "retrain_days": list(be.life.retrain_days),
        "fallback_day": be.life.fallback_day,
        "redo_before_payback": be.redo_before_payback,
        "min_calls_per_day": be.min_calls_per_day,
    }


def lines(s: Scenario, be: BreakEven) -> list[str]:
    """A short answer a person reads top to bottom."""
    horizon_text = f"{number(s.horizon_days, 0 if s.horizon_days.is_integer() else 1)}-day horizon"
    if be.payback_days is None:
        payback = "Payback: never (the fine-tune saves nothing a day)"
    else:
        where = "within" if be.payback_within_horizon else "beyond"
        payback = f"Payback: {day_and_date(be.payback_days, s.as_of)}, {where} the {horizon_text}"
    result = [
        payback,
        f"Daily net saving: {money(be.daily_net_saving)} at {number(s.calls_per_day)} calls/day "
        f"({money(be.saving_per_call)} a call"
        + (f", hosting {money(s.hosting_per_day)}/day)" if s.hosting_per_day else ")"),
        f"First crossing of the cost curves: {on_day(be.first_crossing_days, s.as_of)}"
        if be.first_crossing_days is not None
        else f"First crossing of the cost curves: not within the {horizon_text}",
        f"Net saving at the horizon: {money(be.net_saving_at_horizon)}",
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
    if be.min_calls_per_day is not None:
        result.append(
            f"Minimum volume for training to pay back within the fine-tune's life: "
            f"{number(be.min_calls_per_day)} calls/day"
        )
    result.append(f"(training payback alone: {days(be.training_payback_days)})")
    return result
