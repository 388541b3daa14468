"""How figures read in the terminal, the reasons and the report: one place, so they agree."""

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


def day_and_date(value: float | None, as_of: date) -> str:
    """'333.3 days (2027-10-25)', or 'never'."""
    if value is None:
        return "never"
    return f"{value:,.1f} days ({day_to_date(as_of, value).isoformat()})"


def on_day(value: float, as_of: date) -> str:
    """'day 182.6 (2027-05-29)': a point in time rather than a duration."""
    return f"day {value:,.1f} ({day_to_date(as_of, value).isoformat()})"
