"""Sensitivity: payback and net saving as each assumption of the cost model moves.

Stored in results.json as the data of the report's tornado chart.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from pydantic import BaseModel, ConfigDict

from advisor import analysis as an
from advisor import breakeven as bk
from advisor import economics as eco
from advisor.quality_delta import QualityDelta
from advisor.wording import money, number

_Closed = ConfigDict(extra="forbid")


class SensitivityRow(BaseModel):
    model_config = _Closed
    factor: str
    low_label: str
    high_label: str
    payback_low: float | None
    payback_high: float | None
    net_saving_low: float
    net_saving_high: float


def vary(s: eco.Scenario, **changes: Any) -> eco.Scenario:
    return dataclasses.replace(s, **changes)


def sensitivity(s: eco.Scenario, q: QualityDelta | None) -> list[SensitivityRow]:
    """Payback and net saving as each assumption moves (data for a tornado chart)."""
    factors: list[tuple[str, str, str, eco.Scenario, eco.Scenario]] = []

    def scaled(factor: str, field: str) -> None:
        value = getattr(s, field)
        if value:
            factors.append(
                (
                    f"{factor} ±25%",
                    f"{money_or_number(value * 0.75)}",
                    f"{money_or_number(value * 1.25)}",
                    vary(s, **{field: value * 0.75}),
                    vary(s, **{field: value * 1.25}),
                )
            )

    scaled("calls per day", "calls_per_day")
    g = s.monthly_growth
    step = abs(g) * 0.25 if g else 0.01
    factors.append(
        (
            f"monthly growth ±{'25%' if g else '1 point'}",
            f"{g - step:+.2%}",
            f"{g + step:+.2%}",
            vary(s, monthly_growth=max(g - step, -0.99)),
            vary(s, monthly_growth=g + step),
        )
    )
    scaled("incumbent cost per call", "prompt_cost_per_call")
    scaled("challenger cost per call", "ft_cost_per_call")
    scaled("training cost", "training_cost")
    scaled("hosting per hour", "hosting_per_hour")
    if s.update_every_days is not None:
        three = eco.months_to_days(3)
        shorter = max(s.update_every_days - three, eco.months_to_days(1))
        factors.append(
            (
                "base-model update cadence ±3 months",
                f"{shorter / eco.MONTH_DAYS:.0f} months",
                f"{(s.update_every_days + three) / eco.MONTH_DAYS:.0f} months",
                vary(s, update_every_days=shorter),
                vary(s, update_every_days=s.update_every_days + three),
            )
        )
    if q is not None and s.error_cost:
        factors.append(
            (
                "quality delta at its interval ends",
                f"{q.low:+.3f}",
                f"{q.high:+.3f}",
                an.with_quality(s, q, q.low),
                an.with_quality(s, q, q.high),
            )
        )
    # Every end at once: most share the lifecycle and go through the payback together.
    figures = bk.lasting_figures([end for *_, low, high in factors for end in (low, high)])
    return [
        SensitivityRow(
            factor=factor,
            low_label=low_label,
            high_label=high_label,
            payback_low=lo_payback,
            payback_high=hi_payback,
            net_saving_low=lo_net,
            net_saving_high=hi_net,
        )
        for (factor, low_label, high_label, _, _), (lo_payback, lo_net), (
            hi_payback,
            hi_net,
        ) in zip(factors, figures[::2], figures[1::2], strict=True)
    ]


def money_or_number(value: float) -> str:
    return money(value) if value < 10 else number(value)
