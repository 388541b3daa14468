"""Three ways to serve a fine-tune, and what serving and training cost as traffic grows.

The design's Definitions ("Cost structures across model families") fix them:

- *serverless*: per token only, priced like any call (a LoRA at its base model's price where the
  provider says so); nothing to pay while idle;
- *dedicated endpoint*: a fixed price per hour whatever the volume, up to a stated capacity: past
  it the endpoint no longer keeps up, which is reported, not priced;
- *self-hosted*: GPUs x price per GPU-hour, with the GPU count = peak calls per second / calls per
  second one GPU serves, rounded up, and peak = average calls per second x a peak factor. Traffic
  grows, so the cost steps up on the days the peak crosses a whole number of GPUs.

Hosting is therefore a function of time, not a constant: a way of serving becomes the cost
model's hosting per hour and its steps (`with_hosting`), and the one payback definition
(`breakeven.lasting_payback`) walks those steps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Literal

from advisor import economics
from advisor.economics import MONTH_DAYS, Lifecycle, Scenario, calls_at, calls_between, lifecycle
from advisor.errors import InputError

SECONDS_PER_DAY = 86_400
_MAX_GPU_STEPS = 1_000
"""GPUs added within the horizon: each is a segment of the payback search, so a fleet that
grows by thousands is refused in one line rather than priced for seconds."""


@dataclass(frozen=True)
class Serverless:
    """Per token only: the call prices carry the whole serving cost."""

    kind: Literal["serverless"] = "serverless"


@dataclass(frozen=True)
class Dedicated:
    """One deployment billed by the hour, whatever the volume."""

    per_hour: float
    capacity_per_second: float | None = None
    """Calls per second the endpoint serves; None: not stated, never checked."""
    peak_factor: float = 1.0
    kind: Literal["dedicated"] = "dedicated"

    def __post_init__(self) -> None:
        _check_positive("per_hour", self.per_hour, zero_ok=True)
        if self.capacity_per_second is not None:
            _check_positive("capacity_per_second", self.capacity_per_second)
        _check_positive("peak_factor", self.peak_factor)


@dataclass(frozen=True)
class SelfHosted:
    """The team's own GPUs: as many as the peak load needs, each billed by the hour."""

    gpu_per_hour: float
    capacity_per_gpu: float
    """Calls per second one GPU serves."""
    peak_factor: float = 1.0
    """Peak calls per second / average calls per second."""
    kind: Literal["self_hosted"] = "self_hosted"

    def __post_init__(self) -> None:
        _check_positive("gpu_per_hour", self.gpu_per_hour, zero_ok=True)
        _check_positive("capacity_per_gpu", self.capacity_per_gpu)
        _check_positive("peak_factor", self.peak_factor)


Serving = Serverless | Dedicated | SelfHosted


def _check_positive(name: str, value: float, *, zero_ok: bool = False) -> None:
    if not (math.isfinite(value) and (value >= 0 if zero_ok else value > 0)):
        bound = ">= 0" if zero_ok else "> 0"
        raise InputError(f"{name} must be a finite number {bound} (got {value})")


# --- load and GPUs ------------------------------------------------------------------------------


def peak_per_second(calls_per_day: float, peak_factor: float) -> float:
    """Peak calls per second: the day's average rate times the peak factor."""
    return calls_per_day / SECONDS_PER_DAY * peak_factor


def gpus_for(calls_per_day: float, serving: SelfHosted) -> int:
    """GPUs the peak load needs: at least one, and a load of exactly n GPUs needs n."""
    load = peak_per_second(calls_per_day, serving.peak_factor) / serving.capacity_per_gpu
    return max(1, math.ceil(load - 1e-9))


def day_of_load(s: Scenario, calls_per_day: float) -> float | None:
    """The first day after which growing traffic exceeds `calls_per_day`; None if it never does."""
    if s.calls_per_day == 0 or s.monthly_growth <= 0:
        return None
    if calls_per_day <= s.calls_per_day:
        return 0.0
    return MONTH_DAYS * math.log(calls_per_day / s.calls_per_day) / math.log1p(s.monthly_growth)


def gpu_steps(s: Scenario, serving: SelfHosted) -> tuple[tuple[float, int], ...]:
    """(day, GPU count from that day) within the horizon, starting with day 0.

    Shrinking traffic keeps the GPUs of day 0: a team rarely hands GPUs back mid-contract, and
    the cost is then an upper bound.
    """
    count = gpus_for(s.calls_per_day, serving)
    steps = [(0.0, count)]
    per_gpu_calls = serving.capacity_per_gpu * SECONDS_PER_DAY / serving.peak_factor
    while True:
        day = day_of_load(s, count * per_gpu_calls)  # past it, one more GPU is needed
        if day is None or day >= s.horizon_days:
            return tuple(steps)
        if len(steps) > _MAX_GPU_STEPS:
            raise InputError(
                f"self-hosting this traffic adds more than {_MAX_GPU_STEPS:,} GPUs within the "
                "horizon: check calls per day, growth and capacity per GPU"
            )
        count += 1
        steps.append((day, count))


def over_capacity_day(s: Scenario, serving: Dedicated) -> float | None:
    """The first day the peak load exceeds a dedicated endpoint's stated capacity."""
    if serving.capacity_per_second is None:
        return None
    limit = serving.capacity_per_second * SECONDS_PER_DAY / serving.peak_factor
    day = 0.0 if s.calls_per_day > limit else day_of_load(s, limit)
    return day if day is not None and day < s.horizon_days else None


def with_hosting(s: Scenario, serving: Serving) -> Scenario:
    """The scenario with the way of serving's hosting: per hour at first, then its GPU steps."""
    if isinstance(serving, Dedicated):
        return replace(s, hosting_per_hour=serving.per_hour, hosting_steps=())
    if isinstance(serving, SelfHosted):
        steps = gpu_steps(s, serving)
        per_gpu = serving.gpu_per_hour
        return replace(
            s,
            hosting_per_hour=steps[0][1] * per_gpu,
            hosting_steps=tuple((day, n * per_gpu) for day, n in steps[1:]),
        )
    return replace(s, hosting_per_hour=0.0, hosting_steps=())


def hosting_between(s: Scenario, serving: Serving, a: float, b: float) -> float:
    """Hosting paid from day a to day b, USD."""
    return 0.0 if b <= a else economics.hosting_between(with_hosting(s, serving), a, b)


def hosting_per_day(s: Scenario, serving: Serving, t: float = 0.0) -> float:
    """The hosting bill of day t, USD a day."""
    if isinstance(serving, Serverless):
        return 0.0
    if isinstance(serving, Dedicated):
        return serving.per_hour * 24
    return gpus_for(calls_at(s, t), serving) * serving.gpu_per_hour * 24


# --- training -----------------------------------------------------------------------------------


def token_training_cost(
    tokens: float, epochs: float, price_per_million: float, min_charge: float = 0.0
) -> float:
    """Training billed per token: tokens x epochs x price, but never below the minimum charge."""
    return max(tokens * epochs * price_per_million / 1e6, min_charge)


def gpu_training_cost(gpu_hours: float, gpu_per_hour: float) -> float:
    """Training on one's own GPUs: GPU-hours x the price of a GPU-hour."""
    return gpu_hours * gpu_per_hour


# --- break-even with hosting that varies ----------------------------------------------------------


@dataclass(frozen=True)
class ServedBreakEven:
    """The break-even figures of a candidate served one of the three ways."""

    payback_days: float | None
    """First day from which the fine-tuned arm's cumulative cost (training, one-time costs,
    retrains, hosting, calls) stays at or below the prompted arm's to the horizon; None: none."""
    net_saving_at_horizon: float
    hosting_at_horizon: float
    """Hosting paid over the horizon (to the fallback, if the fine-tune ends before)."""
    life: Lifecycle
    gpu_steps: tuple[tuple[float, int], ...]
    """Self-hosted only: (day, GPU count from then on)."""
    over_capacity_day: float | None
    """Dedicated only: the day the peak load passes the endpoint's stated capacity."""
    break_even_error_gap: float | None
    """Error-rate difference (incumbent's minus the fine-tune's) at which the net saving at the
    horizon is zero; negative: the fine-tune may be that much worse. None without an error cost."""


def _active_until(life: Lifecycle, t: float) -> float:
    return t if life.fallback_day is None else min(t, life.fallback_day)


def cost_gap(s: Scenario, serving: Serving, t: float, life: Lifecycle | None = None) -> float:
    """Fine-tuned arm's cumulative cost minus the prompted arm's by day t."""
    hosted = with_hosting(s, serving)
    life = life or lifecycle(hosted)
    return economics.fine_tuned_cost(hosted, t, life) - economics.prompted_cost(hosted, t)


def served_break_even(s: Scenario, serving: Serving) -> ServedBreakEven:
    """Payback, net saving at the horizon and the quality needed to break even.

    The payback is `breakeven.lasting_payback`'s, the one definition, on the scenario with this
    way's hosting (its GPU steps are segments that payback walks).
    """
    from advisor.breakeven import Draws, lasting_payback  # numpy: only once a payback is asked

    hosted = with_hosting(s, serving)
    life = lifecycle(hosted)
    payback = float(lasting_payback(Draws.of(hosted), hosted, life)[0])
    net = -cost_gap(hosted, serving, s.horizon_days, life)
    gap = None
    active_calls = calls_between(s, 0.0, _active_until(life, s.horizon_days))
    priced_errors = s.error_cost * active_calls  # 0 also when it underflows
    if priced_errors > 0:
        same_quality = replace(hosted, ft_error_rate=s.prompt_error_rate)
        net_same = -cost_gap(same_quality, serving, s.horizon_days, life)
        gap = -net_same / priced_errors
    return ServedBreakEven(
        payback_days=None if math.isnan(payback) else payback,
        net_saving_at_horizon=net,
        hosting_at_horizon=economics.hosting_between(
            hosted, 0.0, _active_until(life, s.horizon_days)
        ),
        life=life,
        gpu_steps=gpu_steps(s, serving) if isinstance(serving, SelfHosted) else (),
        over_capacity_day=over_capacity_day(s, serving) if isinstance(serving, Dedicated) else None,
        break_even_error_gap=gap,
    )
