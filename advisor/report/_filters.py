"""The page's number formats, as the template's filters and for the rows written in Python."""

from __future__ import annotations

from advisor.wording import number


def num(value: float | None, digits: int = 0) -> str:
    return "—" if value is None else number(value, digits)


def score(value: float | None) -> str:
    """A score with at most three decimals and no trailing zeros: 1, 0.5, 0.667."""
    return "—" if value is None else f"{value:.3f}".rstrip("0").rstrip(".") or "0"


def ms(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f} ms"
