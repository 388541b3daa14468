"""The ranges every number a user gives must fall in, so no input reaches the money as inf or NaN.

The cost model compounds traffic growth over the horizon and charges a retrain at every base-model
update, so an unbounded input becomes an overflow, an infinite figure or an unbounded list of
retrain days. These bounds are far beyond any real workload (a trillion calls a day, a billion
dollars per 1M tokens, traffic doubling every month for fifty years) and keep every figure the
cost model can reach finite: 1e12 calls x 2^600 growth x 1e6 USD a call is about 1e198.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from pydantic import Field, TypeAdapter, ValidationError

from advisor.errors import InputError

MONTH_DAYS = 365.25 / 12
MAX_HORIZON_DAYS = 50 * 365.25
"""Fifty years: the longest horizon (DESIGN.md, Exit codes)."""
MAX_HORIZON_MONTHS = MAX_HORIZON_DAYS / MONTH_DAYS
MAX_CALLS_PER_DAY = 1e12
MAX_USD = 1e12
"""Any amount of money: a training run, a one-time cost, a cost per call, a spend cap."""
MAX_PRICE = 1e9
"""USD per 1M tokens, or per hour of hosting."""
MAX_GROWTH = 1.0
"""100% a month: traffic doubling every month for fifty years stays finite."""
MIN_UPDATE_MONTHS = 1 / MONTH_DAYS
"""A base-model update at most once a day: the retrain list stays bounded by the horizon."""
MAX_SECONDS = 7 * 86400.0
"""Timeouts, retry deadlines and poll intervals: a week at most."""

FIRST_AS_OF = date(1970, 1, 1)
LAST_AS_OF = date(9000, 12, 31)
"""Day 0 of the cost model: a horizon, a review date and a shutdown after it must still be dates."""

CallsPerDay = Annotated[float, Field(ge=0, le=MAX_CALLS_PER_DAY, allow_inf_nan=False)]
Usd = Annotated[float, Field(ge=0, le=MAX_USD, allow_inf_nan=False)]
Growth = Annotated[float, Field(gt=-1, le=MAX_GROWTH, allow_inf_nan=False)]
"""Monthly growth: 0.05 is 5% a month; above -1 (traffic cannot fall below nothing)."""
HorizonDays = Annotated[float, Field(gt=0, le=MAX_HORIZON_DAYS, allow_inf_nan=False)]
HorizonMonths = Annotated[float, Field(gt=0, le=MAX_HORIZON_MONTHS, allow_inf_nan=False)]
UpdateMonths = Annotated[
    float, Field(ge=MIN_UPDATE_MONTHS, le=MAX_HORIZON_MONTHS, allow_inf_nan=False)
]
Share = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
Seconds = Annotated[float, Field(gt=0, le=MAX_SECONDS, allow_inf_nan=False)]
AsOf = Annotated[date, Field(ge=FIRST_AS_OF, le=LAST_AS_OF)]

_ADAPTERS: dict[Any, TypeAdapter] = {}


def check_option(option: str, value: float | None, kind: Any) -> None:
    """Raise one line naming the command-line option when `value` is outside `kind`'s range."""
    if value is None:
        return
    adapter = _ADAPTERS.get(kind)
    if adapter is None:
        adapter = _ADAPTERS[kind] = TypeAdapter(kind)
    try:
        adapter.validate_python(value)
    except ValidationError as exc:
        message = exc.errors(include_url=False)[0]["msg"]
        raise InputError(f"{option}: {message} (got {value:g})") from None
