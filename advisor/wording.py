"""How figures read in words, wherever they appear: the rules' messages, the terminal, the report.

Plain string functions with no terminal or HTML dependency, so the core (the rules' messages are
part of results.json) and every view write a figure the same way.
"""

from __future__ import annotations

from datetime import date

from advisor.economics import day_to_date


def money(value: float) -> str:
    """Dollars: cents for everyday sums, more digits for per-call prices."""
    if value != 0 and abs(value) < 0.01:
        return f"{'-' if value < 0 else ''}${abs(value):.6f}"
    return f"{'-' if value < 0 else ''}${abs(value):,.2f}"


def number(value: float, digits: int = 0) -> str:
    return f"{value:,.{digits}f}"


def days(value: float | None) -> str:
    return "never" if value is None else f"{value:,.1f} days"


def day_count(value: float) -> str:
    """A length in days without a misleading rounding: 730, 730.5."""
    return number(value, 0 if float(value).is_integer() else 1)


def horizon(value: float) -> str:
    """The one way the horizon is written: 'the 730-day horizon', 'the 730.5-day horizon'."""
    return f"the {day_count(value)}-day horizon"


def day_and_date(value: float | None, as_of: date) -> str:
    """'333.3 days (2027-10-25)', or 'never'."""
    if value is None:
        return "never"
    return f"{value:,.1f} days ({day_to_date(as_of, value).isoformat()})"


def on_day(value: float, as_of: date) -> str:
    """'day 182.6 (2027-05-29)': a point in time rather than a duration."""
    return f"day {value:,.1f} ({day_to_date(as_of, value).isoformat()})"


def volume(calls_per_day: float) -> str:
    """A daily volume: whole calls from 100 up, two decimals below (0.18 calls/day)."""
    return f"{number(calls_per_day, 0 if calls_per_day >= 100 else 2)} calls/day"


def share(value: float) -> str:
    """A probability as people read it: 94%, < 1%, > 99%."""
    if 0 < value < 0.01:
        return "< 1%"
    if 0.99 < value < 1:
        return "> 99%"
    return f"{value:.0%}"
