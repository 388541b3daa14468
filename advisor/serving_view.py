"""How `advisor breakeven` reads a way of serving from its options, and says what it costs."""

from __future__ import annotations

import math

from advisor.economics import Scenario
from advisor.errors import InputError
from advisor.serving import (
    Dedicated,
    SelfHosted,
    ServedBreakEven,
    Serverless,
    Serving,
    gpu_training_cost,
    hosting_per_day,
)
from advisor.wording import day_and_date, money, on_day


def from_options(
    kind: str,
    *,
    endpoint_per_hour: float | None,
    capacity: float | None,
    gpu_per_hour: float | None,
    capacity_per_gpu: float | None,
    peak_factor: float,
) -> Serving:
    """The way of serving the options name; each way takes only its own options."""
    if kind not in ("serverless", "dedicated", "self-hosted"):
        raise InputError(f"--serving must be serverless, dedicated or self-hosted (got {kind!r})")
    given = {
        "--endpoint-per-hour": endpoint_per_hour,
        "--capacity": capacity,
        "--gpu-per-hour": gpu_per_hour,
        "--capacity-per-gpu": capacity_per_gpu,
    }
    own = {
        "serverless": (),
        "dedicated": ("--endpoint-per-hour", "--capacity"),
        "self-hosted": ("--gpu-per-hour", "--capacity-per-gpu"),
    }[kind]
    stray = [name for name, value in given.items() if value is not None and name not in own]
    if stray:
        raise InputError(f"{', '.join(stray)} does not apply to --serving {kind}")
    if kind == "dedicated":
        if endpoint_per_hour is None:
            raise InputError("--serving dedicated needs --endpoint-per-hour (USD an hour)")
        return Dedicated(endpoint_per_hour, capacity, peak_factor)
    if kind == "self-hosted":
        if gpu_per_hour is None or capacity_per_gpu is None:
            raise InputError(
                "--serving self-hosted needs --gpu-per-hour (USD) and --capacity-per-gpu "
                "(calls per second one GPU serves)"
            )
        return SelfHosted(gpu_per_hour, capacity_per_gpu, peak_factor)
    return Serverless()


def check_hosting_once(serving: Serving, hosting_per_hour: float) -> None:
    if not isinstance(serving, Serverless) and hosting_per_hour:
        raise InputError(f"--hosting-per-hour and --serving {serving.kind}: give the hosting once")


def training_cost(serving: Serving, given: float, gpu_hours: float | None) -> float:
    """The training cost: as given, or GPU-hours x the GPU price when self-hosted."""
    if gpu_hours is None:
        return given
    if not isinstance(serving, SelfHosted):
        raise InputError("--training-gpu-hours needs --serving self-hosted (and --gpu-per-hour)")
    if given:
        raise InputError("--training-cost and --training-gpu-hours: give the training cost once")
    if not (math.isfinite(gpu_hours) and gpu_hours >= 0):
        raise InputError(f"--training-gpu-hours must be a finite number >= 0 (got {gpu_hours})")
    return gpu_training_cost(gpu_hours, serving.gpu_per_hour)


def lines(s: Scenario, serving: Serving, result: ServedBreakEven) -> list[str]:
    """The serving block of the answer, read after the per-call figures."""
    out = [
        f"Serving: {serving.kind.replace('_', '-')}, hosting {money(hosting_per_day(s, serving))}"
        f"/day at day 0, {money(result.hosting_at_horizon)} over the horizon",
        f"Payback with hosting: {day_and_date(result.payback_days, s.as_of)}"
        if result.payback_days is not None
        else "Payback with hosting: not within the horizon",
        f"Net saving at the horizon, hosting included: {money(result.net_saving_at_horizon)}",
    ]
    if len(result.gpu_steps) > 1:
        steps = ", ".join(f"{n} on {on_day(day, s.as_of)}" for day, n in result.gpu_steps[1:])
        out.append(f"GPUs: {result.gpu_steps[0][1]} at first, then {steps}")
    if result.over_capacity_day is not None:
        out.append(
            "Over capacity: the endpoint no longer keeps up from "
            + on_day(result.over_capacity_day, s.as_of)
        )
    return out


def to_dict(s: Scenario, serving: Serving, result: ServedBreakEven) -> dict:
    return {
        "kind": serving.kind,
        "hosting_per_day_at_start": hosting_per_day(s, serving),
        "hosting_over_horizon": result.hosting_at_horizon,
        "payback_days": result.payback_days,
        "net_saving_at_horizon": result.net_saving_at_horizon,
        "gpu_steps": [{"day": day, "gpus": n} for day, n in result.gpu_steps],
        "over_capacity_day": result.over_capacity_day,
        "break_even_error_gap": result.break_even_error_gap,
    }
