"""The page's number formats, as the template's filters and for the rows written in Python."""

from __future__ import annotations

from typing import Any

from advisor.wording import number


def num(value: float | None, digits: int = 0) -> str:
    return "—" if value is None else number(value, digits)


def score(value: float | None) -> str:
    """A score with at most three decimals and no trailing zeros: 1, 0.5, 0.667."""
    return "—" if value is None else f"{value:.3f}".rstrip("0").rstrip(".") or "0"


def ms(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f} ms"


def plain(value: Any) -> str:
    """An assumption's value as a person reads it."""
    if value is None:
        return "not set"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return number(value) if value.is_integer() else f"{value:,.6g}"
    if isinstance(value, int):
        return number(value)
    if isinstance(value, list):
        return ", ".join(plain(v) for v in value) or "none"
    return str(value)
