"""The cost model: two arms (keep prompting, or fine-tune) over a horizon, in continuous time.

Everything here is a pure function of a `Scenario`, as the design's Definitions fix it: time in
days from `as_of`, a month of 365.25/12 days, traffic compounding its monthly growth continuously,
and a fine-tune that lives until the next base-model update or shutdown, then is retrained (if the
provider still trains) or replaced by the incumbent's cost per call.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import math
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from advisor.errors import InputError

MONTH_DAYS = 365.25 / 12
NEVER_AFTER_DAYS = 1_000_000.0
"""Payback later than this (about 2,700 years) is reported as never."""
_BISECT_STEPS = 100


def months_to_days(months: float) -> float:
    return months * MONTH_DAYS


def day_to_date(as_of: date, days: float) -> date:
    """A day count becomes a date as `as_of` plus whole days."""
    return as_of + timedelta(days=math.floor(days + 1e-9))  # 124.99999999999997 is day 125


@dataclass(frozen=True)
class HostingPieces:
    """Hosting as a piecewise linear function of the day: piece i holds from days[i - 1]."""

    days: tuple[float, ...]
    slopes: tuple[float, ...]
    """USD a day on each piece: one more than the step days."""
    intercepts: tuple[float, ...]


@functools.lru_cache(maxsize=64)
def _hosting_pieces(per_hour: float, steps: tuple[tuple[float, float], ...]) -> HostingPieces:
    """Hosting paid by day t as slope x t + intercept, one piece per stretch between steps;
    cached, as the payback search asks for it on every evaluation."""
    days, slopes, intercepts = [], [per_hour * 24], [0.0]
    for day, rate in steps:
        slope = rate * 24
        intercepts.append(intercepts[-1] + (slopes[-1] - slope) * day)  # continuous at day
        slopes.append(slope)
        days.append(day)
    return HostingPieces(tuple(days), tuple(slopes), tuple(intercepts))


@dataclass(frozen=True)
class Scenario:
    """Every assumption of one challenger against the incumbent, in dollars and days."""

    calls_per_day: float
    prompt_cost_per_call: float
    """The incumbent's cost per call (the prompted arm)."""
    ft_cost_per_call: float
    """The challenger's cost per call."""
    training_cost: float = 0.0
    one_time_cost: float = 0.0
    """Labelling, engineering, eval runs: paid once, with the first training."""
    retrain_cost: float | None = None
    """Charged at each end of the fine-tune's life; None means the training cost."""
    hosting_per_hour: float = 0.0
    hosting_steps: tuple[tuple[float, float], ...] = ()
    """(day, hosting per hour from that day on): hosting that steps up as traffic grows (GPUs
    added, see `serving`); `hosting_per_hour` holds until the first step."""
    monthly_growth: float = 0.0
    """Monthly growth rate of traffic, compounded continuously (0.05 is 5% a month)."""
    horizon_days: float = 730.0
    update_every_days: float | None = None
    """Expected days between base-model updates; None means no update is expected."""
    shutdown_day: float | None = None
    """Day on which the base model (and fine-tunes on it) shut down, if announced."""
    training_cutoff_day: float | None = None
    """Last day on which the provider accepts training jobs, if announced."""
    error_cost: float = 0.0
    """Cost of one wrong answer; 0 leaves quality out of the money."""
    prompt_error_rate: float = 0.0
    ft_error_rate: float = 0.0
    as_of: date = field(default_factory=date.today)

    def __post_init__(self) -> None:
        for name in (
            "calls_per_day",
            "prompt_cost_per_call",
            "ft_cost_per_call",
            "training_cost",
            "one_time_cost",
            "retrain_cost",
            "hosting_per_hour",
            "error_cost",
        ):
            value = getattr(self, name)
            if value is not None and not (value >= 0 and math.isfinite(value)):
                raise InputError(f"{name} must be a finite number >= 0 (got {value})")
        for name in ("prompt_error_rate", "ft_error_rate"):
            if not 0 <= getattr(self, name) <= 1:
                raise InputError(f"{name} must be between 0 and 1 (got {getattr(self, name)})")
        if not (self.monthly_growth > -1 and math.isfinite(self.monthly_growth)):
            raise InputError(f"monthly_growth must be above -1 (got {self.monthly_growth})")
        if not self.horizon_days > 0:
            raise InputError(f"the horizon must be longer than 0 days (got {self.horizon_days})")
        if self.update_every_days is not None and not self.update_every_days > 0:
            raise InputError(
                f"months between base-model updates must be > 0 (got {self.update_every_days})"
            )

    @property
    def upfront_cost(self) -> float:
        return self.training_cost + self.one_time_cost

    @property
    def retrain_charge(self) -> float:
        return self.training_cost if self.retrain_cost is None else self.retrain_cost

    @property
    def saving_per_call(self) -> float:
        """What one call saves on the fine-tuned arm, errors priced in."""
        error_saving = (self.prompt_error_rate - self.ft_error_rate) * self.error_cost
        return self.prompt_cost_per_call - self.ft_cost_per_call + error_saving

    @property
    def hosting_pieces(self) -> HostingPieces:
        return _hosting_pieces(self.hosting_per_hour, self.hosting_steps)

    @property
    def hosting_per_day(self) -> float:
        return self.hosting_per_hour * 24


# --- traffic and savings ---------------------------------------------------------------------


def calls_at(s: Scenario, t: float) -> float:
    """Calls per day at day t."""
    return s.calls_per_day * (1 + s.monthly_growth) ** (t / MONTH_DAYS)


def growth_integral(growth: float, a: float, b: float) -> float:
    """Integral of (1 + growth)^(t / month) from day a to day b: calls per unit of day-0 volume."""
    if growth == 0:
        return b - a
    k = math.log1p(growth) / MONTH_DAYS
    if k == 0:  # a growth so small that its rate underflows: no growth
        return b - a
    # expm1 keeps a tiny growth's integral close to b - a, where exp(kb) - exp(ka) would be 0
    return math.exp(k * a) * math.expm1(k * (b - a)) / k


def calls_between(s: Scenario, a: float, b: float) -> float:
    """Calls made from day a to day b: the integral of `calls_at`."""
    return s.calls_per_day * growth_integral(s.monthly_growth, a, b)


def hosting_per_hour_at(s: Scenario, t: float) -> float:
    pieces = s.hosting_pieces
    return pieces.slopes[bisect.bisect_right(pieces.days, t)] / 24


def daily_net_saving(s: Scenario, t: float = 0.0) -> float:
    """The design's daily net saving at day t: calls x saving per call - hosting per day."""
    return calls_at(s, t) * s.saving_per_call - hosting_per_hour_at(s, t) * 24


def hosting_until(s: Scenario, t: float) -> float:
    """Hosting paid from day 0 to day t, steps included; t may be a numpy array (the draws).

    Piecewise linear: a bisection finds the piece, so thousands of GPU steps (a huge volume
    that grows) cost a lookup, not a pass over every step.
    """
    pieces = s.hosting_pieces
    if not pieces.days:
        return s.hosting_per_day * t
    if isinstance(t, int | float):
        i = bisect.bisect_right(pieces.days, t)
        return pieces.slopes[i] * t + pieces.intercepts[i]
    import numpy as np  # t is an array of draws: numpy is already loaded

    i = np.searchsorted(np.asarray(pieces.days), t, side="right")
    return np.asarray(pieces.slopes)[i] * t + np.asarray(pieces.intercepts)[i]


def hosting_between(s: Scenario, a: float, b: float) -> float:
    """Hosting paid from day a to day b while the fine-tune serves, steps included.

    The one place hosting enters the cumulative costs; days a and b may be numpy arrays (the
    bootstrap's draws). Between two steps the fee is constant, so `breakeven` adds the step days
    (`hosting_segments`) to the segments `lasting_payback` walks.
    """
    if not s.hosting_steps:
        return s.hosting_per_day * (b - a)
    return hosting_until(s, b) - hosting_until(s, a)


def hosting_segments(s: Scenario, a: float, b: float) -> list[tuple[float, float, float]]:
    """(start, end, hosting per day) of each stretch of constant hosting within [a, b]."""
    bounds = [a, *(day for day, _ in s.hosting_steps if a < day < b), b]
    return [(lo, hi, hosting_per_hour_at(s, lo) * 24) for lo, hi in itertools.pairwise(bounds)]


def saving_between(s: Scenario, a: float, b: float) -> float:
    """Net saving accumulated from day a to day b while the fine-tune serves."""
    return calls_between(s, a, b) * s.saving_per_call - hosting_between(s, a, b)


def _rising_part(s: Scenario, a: float, b: float) -> tuple[float, float] | None:
    """The part of [a, b] where the accumulated saving rises (the daily saving is positive).

    The daily saving is monotone in t, so the accumulated saving is convex or concave and rises
    on a single interval; a first crossing can only happen there.
    """
    rate = s.calls_per_day * s.saving_per_call  # day-0 saving before hosting
    if rate <= 0:
        return None
    if s.hosting_per_day == 0:
        return a, b
    if s.monthly_growth == 0:
        return (a, b) if rate > s.hosting_per_day else None
    # The daily saving changes sign once, on day t0.
    t0 = math.log(s.hosting_per_day / rate) * MONTH_DAYS / math.log1p(s.monthly_growth)
    lo, hi = (max(a, t0), b) if s.monthly_growth > 0 else (a, min(b, t0))
    return (lo, hi) if lo < hi else None


def _out_of_reach(s: Scenario, level: float, a: float, b: float) -> bool:
    """Whether a saving that rises all through [a, b] (a daily saving positive at both ends,
    and monotone) stays below `level`: a cheap test that skips most of thousands of GPU steps."""
    if s.monthly_growth > 0 and b * math.log1p(s.monthly_growth) / MONTH_DAYS > 700:
        return False  # exp() would overflow: let the search clip the stretch
    rising = daily_net_saving(s, a) > 0 and daily_net_saving(s, b) > 0
    return rising and saving_between(s, a, b) < level


def first_reach(s: Scenario, level: float, a: float, b: float) -> float | None:
    """First day in [a, b] by which the saving accumulated since day a reaches `level`."""
    if s.hosting_steps:  # constant hosting between steps: search each stretch in turn
        for lo, hi, per_day in hosting_segments(s, a, b):
            flat = replace(s, hosting_per_hour=per_day / 24, hosting_steps=())
            if not _out_of_reach(flat, level, lo, hi):
                reached = first_reach(flat, level, lo, hi)
                if reached is not None:
                    return reached
            level -= saving_between(flat, lo, hi)
        return None
    if level <= 0 and daily_net_saving(s, a) > 0:
        return a  # nothing left to repay, and it is saving already
    if s.monthly_growth > 0:  # keep exp() finite: growth reaches any level long before this
        b = min(b, a + 700 * MONTH_DAYS / math.log1p(s.monthly_growth))
    rising = _rising_part(s, a, b)
    if rising is None:
        return None
    lo, hi = rising
    if saving_between(s, a, hi) < level:
        return None
    if s.monthly_growth == 0:  # constant daily saving: exact, no iteration
        return a + level / daily_net_saving(s, a)
    for _ in range(_BISECT_STEPS):
        mid = (lo + hi) / 2
        if saving_between(s, a, mid) >= level:
            hi = mid
        else:
            lo = mid
    return hi


# --- lifecycle ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Lifecycle:
    """What happens to the fine-tune within the horizon."""

    life_days: float | None
    """Day the first fine-tune's life ends (update or shutdown); None: it outlives the horizon."""
    retrain_days: tuple[float, ...]
    """Days on which the fine-tune is retrained (and charged again)."""
    fallback_day: float | None
    """Day from which the provider trains no more and the incumbent's cost applies."""


def lifecycle(s: Scenario) -> Lifecycle:
    """Ends of the fine-tune's life within the horizon, each a retrain or the fallback."""
    ends: set[float] = set()
    if s.update_every_days is not None:
        k = 1
        while k * s.update_every_days < s.horizon_days:
            ends.add(k * s.update_every_days)
            k += 1
    if s.shutdown_day is not None and 0 < s.shutdown_day < s.horizon_days:
        ends.add(s.shutdown_day)
    retrains: list[float] = []
    fallback = None
    for day in sorted(ends):
        if s.training_cutoff_day is not None and day > s.training_cutoff_day:
            fallback = day
            break
        retrains.append(day)
    return Lifecycle(min(ends) if ends else None, tuple(retrains), fallback)


# --- cumulative cost curves -------------------------------------------------------------------


@dataclass(frozen=True)
class CostCurves:
    """Cumulative cost of each arm, sampled over the horizon, steps included."""

    days: tuple[float, ...]
    prompted: tuple[float, ...]
    fine_tuned: tuple[float, ...]


def prompted_cost(s: Scenario, t: float) -> float:
    """Cumulative cost of the prompted arm by day t, wrong answers priced in."""
    per_call = s.prompt_cost_per_call + s.prompt_error_rate * s.error_cost
    return calls_between(s, 0, t) * per_call


def fine_tuned_cost(s: Scenario, t: float, life: Lifecycle | None = None) -> float:
    """Cumulative cost of the fine-tuned arm by day t: upfront, retrains, hosting and calls."""
    life = life or lifecycle(s)
    active_until = t if life.fallback_day is None else min(t, life.fallback_day)
    retrains = bisect.bisect_right(life.retrain_days, t) * s.retrain_charge  # sorted days
    return s.upfront_cost + retrains + prompted_cost(s, t) - saving_between(s, 0, active_until)


def cost_curves(s: Scenario, points: int = 200) -> CostCurves:
    """Both curves at evenly spaced days, plus each side of every step so charts stay exact."""
    life = lifecycle(s)
    days = {s.horizon_days * i / (points - 1) for i in range(points)}
    for day in (*life.retrain_days, *((life.fallback_day,) if life.fallback_day else ())):
        days.update((math.nextafter(day, 0), day))
    ordered = tuple(sorted(days))
    return CostCurves(
        ordered,
        tuple(prompted_cost(s, t) for t in ordered),
        tuple(fine_tuned_cost(s, t, life) for t in ordered),
    )
