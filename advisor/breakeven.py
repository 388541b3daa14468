"""Break-even figures as the design's Definitions fix them, for one scenario or for many draws.

The headline *payback* is lifecycle-aware: the first day from which the fine-tuned arm's
cumulative cost (upfront, every retrain, hosting, its calls, the incumbent's price after a
fallback) stays at or below the prompted arm's for the rest of the horizon. The *simple payback*
is the seed's arithmetic, which ignores the fine-tune's life and may fall beyond the horizon.

The payback is computed on numpy arrays of draws (traffic and saving per call vary, the lifecycle
does not), so the bootstrap's 10,000 replicates and a single scenario share one implementation:
a scenario is an array of one.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from itertools import pairwise

import numpy as np
from pydantic import BaseModel, ConfigDict

from advisor import economics as eco
from advisor.wording import horizon, money, on_day

_BISECT = 64
"""Halvings of a segment: at most 50 years / 2^64 of error."""
_BLOCK = 500_000
"""Segments x draws evaluated at once by `lasting_payback`: a few MB a temporary array, and a
fine-tune retrained every day for fifty years is still a handful of numpy calls."""
_FEW_RETRAINS = 8
"""Up to this many retrain days, `_retrains_by` compares rather than searches."""
_MAX_EXPONENT = 700.0
"""exp() of more overflows a float; traffic that grows that far has long paid anything back."""


@dataclass(frozen=True)
class Draws:
    """Per-draw day-0 traffic, growth and saving per call; the rest of the scenario is shared."""

    calls_per_day: np.ndarray
    monthly_growth: np.ndarray
    saving_per_call: np.ndarray

    @classmethod
    def of(cls, s: eco.Scenario) -> Draws:
        return cls(
            np.array([s.calls_per_day], dtype=float),
            np.array([s.monthly_growth], dtype=float),
            np.array([s.saving_per_call], dtype=float),
        )

    def take(self, idx: np.ndarray) -> Draws:
        return Draws(self.calls_per_day[idx], self.monthly_growth[idx], self.saving_per_call[idx])

    @functools.cached_property
    def growth(self) -> _Growth:
        return _Growth.of(self.monthly_growth)


@dataclass(frozen=True)
class _Growth:
    """Each draw's continuous daily growth rate, worked out once: the payback's search takes the
    volume some seventy times over the same draws."""

    rate: np.ndarray
    """log(1 + growth) / month, 1.0 where it is flat."""
    flat: np.ndarray
    """No growth (or one too small for its rate to show): the volume is the days themselves."""
    any_flat: bool
    all_flat: bool

    @classmethod
    def of(cls, growth: np.ndarray) -> _Growth:
        k = np.log1p(growth) / eco.MONTH_DAYS
        flat = np.abs(k) < 1e-15
        return cls(np.where(flat, 1.0, k), flat, bool(flat.any()), bool(flat.all()))


def _volume(d: Draws, b: np.ndarray | float) -> np.ndarray:
    """Integral of (1 + growth)^(t / month) from day 0 to day b, per draw."""
    g = d.growth
    days = np.asarray(b, dtype=float)
    if g.all_flat:
        return days
    with np.errstate(over="ignore", invalid="ignore"):
        grown = np.expm1(np.minimum(g.rate * b, _MAX_EXPONENT)) / g.rate
    return np.where(g.flat, days, grown) if g.any_flat else grown


def _saving(d: Draws, s: eco.Scenario, b: np.ndarray | float) -> np.ndarray:
    """Net saving accumulated from day 0 to day b while the fine-tune serves, per draw."""
    return d.calls_per_day * d.saving_per_call * _volume(d, b) - eco.hosting_between(s, 0.0, b)


def _retrains_by(days: tuple[float, ...], t: np.ndarray | float) -> np.ndarray:
    """How many of the sorted retrain days fall on or before day t: `np.searchsorted(days, t,
    side="right")`, by comparison for the few days a horizon usually holds (measured: a fifth of
    searchsorted's time on 10,000 draws). A NaN day counts them all, as it sorts last."""
    if len(days) > _FEW_RETRAINS:
        return np.searchsorted(np.asarray(days, dtype=float), t, side="right")
    t = np.asarray(t)
    count = np.zeros(t.shape, dtype=np.intp)
    for day in days:
        count += ~np.less(t, day)
    return count


def _daily(d: Draws, t: float, hosting_per_day: float) -> np.ndarray:
    """The daily net saving on day t under a hosting fee of `hosting_per_day`, per draw.

    Monotone in t while the fee holds: between two hosting steps.
    """
    with np.errstate(over="ignore"):
        grown = np.exp(np.minimum(np.log1p(d.monthly_growth) * t / eco.MONTH_DAYS, _MAX_EXPONENT))
    return d.calls_per_day * d.saving_per_call * grown - hosting_per_day


def _gap(d: Draws, s: eco.Scenario, life: eco.Lifecycle, t: np.ndarray | float) -> np.ndarray:
    """Fine-tuned minus prompted cumulative cost on day t (retrains on day t included)."""
    served = t if life.fallback_day is None else np.minimum(t, life.fallback_day)
    retrains = _retrains_by(life.retrain_days, t)
    return s.upfront_cost + s.retrain_charge * retrains - _saving(d, s, served)


def _turn(d: Draws, hosting_per_day: float) -> np.ndarray:
    """Day on which the daily net saving under this hosting fee changes sign (NaN: never).

    The daily saving, calls x saving per call - hosting, is monotone in t while the fee holds,
    so the gap between the arms is convex or concave between two steps: its extreme is here or
    at an end.
    """
    rate = d.calls_per_day * d.saving_per_call
    k = np.log1p(d.monthly_growth)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        t0 = np.log(hosting_per_day / rate) * eco.MONTH_DAYS / k
    ok = (rate > 0) & (hosting_per_day > 0) & (k != 0) & np.isfinite(t0)
    return np.where(ok, t0, np.nan)


def lasting_payback(d: Draws, s: eco.Scenario, life: eco.Lifecycle) -> np.ndarray:
    """The headline payback per draw: NaN where the fine-tuned arm ends the horizon dearer.

    Walks the horizon's segments (split at each retrain and each hosting step) from the end
    back, a block of segments at a time: the payback is the last day the gap is above zero, or
    day 0 when it never is. Within a segment the hosting fee is constant and the gap has one
    extreme (`_turn`), so from a point above zero to the segment's end, which is at or below
    zero, it crosses once and bisection finds the crossing.
    """
    n = d.calls_per_day.size
    result = np.full(n, np.nan)
    served = s.horizon_days if life.fallback_day is None else life.fallback_day
    stretches = eco.hosting_segments(s, 0.0, s.horizon_days)
    # No positive daily saving within the horizon is "never", even with nothing to repay.
    saves = np.zeros(n, dtype=bool)
    ends = np.array(stretches)  # start, end, fee: one row a stretch
    for i in range(0, len(stretches), max(1, _BLOCK // n)):
        lo, hi, fee = (ends[i : i + max(1, _BLOCK // n), j, None] for j in range(3))
        saves |= ((_daily(d, lo, fee) > 0) | (_daily(d, hi, fee) > 0)).any(axis=0)
    pending = saves & (_gap(d, s, life, s.horizon_days) <= 0)
    bounds = sorted({0.0, *life.retrain_days, *(lo for lo, _, _ in stretches if lo < served)})
    segments = list(pairwise([*(day for day in bounds if day < served), served]))
    end = len(segments)
    while end > 0 and pending.any():
        idx = np.flatnonzero(pending)
        start = max(0, end - max(1, _BLOCK // idx.size))
        block, end = segments[start:end], start
        sub = d.take(idx)
        a = np.array([lo for lo, _ in block])[:, None]  # one row a segment, one column a draw
        b = np.array([hi for _, hi in block])[:, None]
        t0 = _turn(sub, np.array([eco.hosting_per_hour_at(s, lo) * 24 for lo, _ in block])[:, None])
        inside = (t0 > a) & (t0 < b)
        at_start = _gap(sub, s, life, a)
        at_turn = np.full_like(at_start, -np.inf)
        if inside.any():  # never without hosting or growth: the gap is then monotone
            at_turn = np.where(inside, _gap(sub, s, life, np.where(inside, t0, a)), -np.inf)
        found = (at_turn > 0) | (at_start > 0)
        cols = np.flatnonzero(found.any(axis=0))
        if cols.size == 0:  # most segments of a fine-tune that pays: nothing to bisect
            continue
        rows = len(block) - 1 - np.argmax(found[::-1, cols], axis=0)  # the latest segment
        lo = np.where(at_turn[rows, cols] > 0, t0[rows, cols], a[rows, 0])
        hi = b[rows, 0]
        sub = sub.take(cols)
        for _ in range(_BISECT):
            mid = (lo + hi) / 2
            above = _gap(sub, s, life, mid) > 0
            lo, hi = np.where(above, mid, lo), np.where(above, hi, mid)
        result[idx[cols]] = hi
        pending[idx[cols]] = False
    result[pending] = 0.0
    return result


def net_saving(d: Draws, s: eco.Scenario, life: eco.Lifecycle) -> np.ndarray:
    """Prompted minus fine-tuned cumulative cost at the horizon, per draw."""
    return -_gap(d, s, life, s.horizon_days)


# --- one scenario -------------------------------------------------------------------------------


class BreakEven(BaseModel):
    """The break-even figures of one challenger's scenario, as results.json stores them."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    as_of: date
    scenario: eco.Scenario
    """Every input of the cost model, so the curves can be redrawn exactly."""
    saving_per_call: float
    daily_net_saving: float
    """At `as_of` (day 0), hosting included; grows with traffic."""
    payback_days: float | None
    """First day from which the fine-tuned arm's cumulative cost stays at or below the prompted
    arm's for the rest of the horizon; None: no such day within the horizon."""
    payback_date: date | None
    simple_payback_days: float | None
    """When the accumulated daily net saving repays training plus one-time costs, ignoring the
    fine-tune's life; may lie beyond the horizon; None: never."""
    simple_payback_date: date | None
    training_payback_days: float | None
    """The simple payback of the training cost alone; it must fall within the fine-tune's life."""
    first_crossing_days: float | None
    """First day the cost curves meet (retrains included), lasting or not; None: not within
    the horizon."""
    net_saving_at_horizon: float
    horizon_days: float
    life: eco.Lifecycle
    redo_before_payback: bool
    """The fine-tune's life ends before its training has paid for itself."""
    min_calls_per_day: float | None
    """Smallest day-0 volume with a payback within the horizon, every cost counted; None: none."""
    training_min_calls_per_day: float | None
    """Smallest day-0 volume whose training alone pays back within one life of the fine-tune (or
    the horizon, if it outlives it); None: none."""

    @property
    def payback_within_horizon(self) -> bool:
        return self.payback_days is not None

    @property
    def first_crossing_lasts(self) -> bool:
        """The curves' first meeting is the payback: they do not part again."""
        first, lasting = self.first_crossing_days, self.payback_days
        return first is not None and lasting is not None and abs(first - lasting) < 1e-6


def _date(as_of: date, day: float | None) -> date | None:
    return None if day is None else eco.day_to_date(as_of, day)


def _min_calls(s: eco.Scenario, life: eco.Lifecycle) -> float | None:
    """The volume at which the net saving at the horizon is zero: it is linear in the volume."""
    if s.saving_per_call <= 0:
        return None
    served = s.horizon_days if life.fallback_day is None else life.fallback_day
    owed = s.upfront_cost + s.retrain_charge * len(life.retrain_days)
    owed += eco.hosting_between(s, 0.0, served)
    return _volume_for(owed, s.saving_per_call * eco.growth_integral(s.monthly_growth, 0, served))


def _training_min_calls(s: eco.Scenario, life_days: float) -> float | None:
    """Smallest day-0 volume whose accumulated saving repays training within `life_days`."""
    if s.saving_per_call <= 0:
        return None
    volume = eco.growth_integral(s.monthly_growth, 0, life_days)
    return _volume_for(
        s.training_cost + eco.hosting_between(s, 0.0, life_days), s.saving_per_call * volume
    )


def _volume_for(owed: float, saved_per_unit: float) -> float | None:
    """The day-0 volume at which `owed` is saved, or None when a saving so small that it
    underflows (or a horizon of no length) makes every volume too small."""
    if not saved_per_unit > 0:
        return None
    needed = owed / saved_per_unit
    return needed if math.isfinite(needed) else None


def simple_payback(s: eco.Scenario, cost: float) -> float | None:
    """First day by which the accumulated daily net saving (growth included) repays `cost`."""
    return eco.first_reach(s, cost, 0.0, eco.NEVER_AFTER_DAYS)


def first_crossing(s: eco.Scenario, life: eco.Lifecycle) -> float | None:
    """First day within the horizon on which the fine-tuned arm has cost no more than prompting."""
    steps = sorted({*life.retrain_days, s.horizon_days})
    active_until = s.horizon_days if life.fallback_day is None else life.fallback_day
    gap, start = s.upfront_cost, 0.0
    for step in steps:
        end = min(step, active_until)
        if start < end:
            reached = eco.first_reach(s, gap, start, end)
            if reached is not None:
                return reached
            gap -= eco.saving_between(s, start, end)
        elif gap <= 0:
            return start
        start = step
        if step in life.retrain_days:
            gap += s.retrain_charge
    return None


def _lifecycle_part(s: eco.Scenario) -> eco.Scenario:
    """The scenario without its traffic and saving per call: what scenarios must share to be
    walked as draws of one (`lasting_payback` takes the rest per draw)."""
    return replace(
        s,
        calls_per_day=0.0,
        monthly_growth=0.0,
        prompt_cost_per_call=0.0,
        ft_cost_per_call=0.0,
        error_cost=0.0,
        prompt_error_rate=0.0,
        ft_error_rate=0.0,
    )


def lasting_figures(scenarios: Sequence[eco.Scenario]) -> list[tuple[float | None, float]]:
    """(payback, net saving at the horizon) of each scenario, as `break_even` gives them.

    Scenarios that differ only in traffic and saving per call (the sensitivity's volume, growth,
    cost and quality rows) share the lifecycle and the costs the payback walks, so they go through
    it together as the draws of one scenario: one pass instead of one each, the same figures.
    """
    groups: dict[eco.Scenario, list[int]] = {}
    for i, s in enumerate(scenarios):
        groups.setdefault(_lifecycle_part(s), []).append(i)
    out: list[tuple[float | None, float]] = [(None, 0.0)] * len(scenarios)
    for members in groups.values():
        first = scenarios[members[0]]
        life = eco.lifecycle(first)
        draws = Draws(
            *(
                np.array([getattr(scenarios[i], name) for i in members], dtype=float)
                for name in ("calls_per_day", "monthly_growth", "saving_per_call")
            )
        )
        paybacks = lasting_payback(draws, first, life)
        nets = net_saving(draws, first, life)
        for j, i in enumerate(members):
            out[i] = (None if np.isnan(paybacks[j]) else float(paybacks[j]), float(nets[j]))
    return out


def break_even(s: eco.Scenario) -> BreakEven:
    life = eco.lifecycle(s)
    payback, net = lasting_figures([s])[0]
    simple = simple_payback(s, s.upfront_cost)
    training = simple_payback(s, s.training_cost)
    life_end = life.life_days if life.life_days is not None else s.horizon_days
    return BreakEven(
        as_of=s.as_of,
        scenario=s,
        saving_per_call=s.saving_per_call,
        daily_net_saving=eco.daily_net_saving(s),
        payback_days=payback,
        payback_date=_date(s.as_of, payback),
        simple_payback_days=simple,
        simple_payback_date=_date(s.as_of, simple),
        training_payback_days=training,
        first_crossing_days=first_crossing(s, life),
        net_saving_at_horizon=net,
        horizon_days=s.horizon_days,
        life=life,
        redo_before_payback=life.life_days is not None
        and training is not None
        and training > life.life_days,
        min_calls_per_day=_min_calls(s, life),
        training_min_calls_per_day=_training_min_calls(s, life_end),
    )


def life_reason(s: eco.Scenario, day: float) -> str:
    if s.shutdown_day is not None and abs(day - s.shutdown_day) < 1e-9:
        return "the base model's shutdown"
    return "the expected base-model update"


def payback_reason(be: BreakEven) -> str | None:
    """Why the lifecycle-aware payback differs from the simple one; None when they agree."""
    simple, payback = be.simple_payback_days, be.payback_days
    if simple is None or (payback is not None and abs(payback - simple) < 1e-6):
        return None
    s, life = be.scenario, be.life
    if life.fallback_day is not None and simple > life.fallback_day:
        return (
            f"but the fine-tune serves only until {on_day(life.fallback_day, be.as_of)}, when "
            "its base model shuts down and no retraining is possible"
        )
    if be.redo_before_payback and life.life_days is not None:
        return (
            f"but the fine-tune's life ends on {on_day(life.life_days, be.as_of)} at "
            f"{life_reason(s, life.life_days)}, before it has paid, and each retrain costs "
            f"{money(s.retrain_charge)} again"
        )
    if payback is None and simple > be.horizon_days:
        return f"beyond {horizon(be.horizon_days)}"
    retrains = len(life.retrain_days)
    return (
        f"but {retrains} retrain(s) within {horizon(be.horizon_days)} cost "
        f"{money(s.retrain_charge)} each"
        if retrains
        else "but the daily net saving turns negative before the horizon ends"
    )
