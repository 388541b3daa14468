"""The per-challenger sections (reasons, costs, sensitivity, quality chart), apart from assembly."""

from __future__ import annotations

from dataclasses import dataclass

from advisor.decision import Analysis, ChallengerVerdict
from advisor.report import _costs, charts
from advisor.wording import horizon, volume


@dataclass(frozen=True)
class ChallengerView:
    verdict: ChallengerVerdict
    rank: int
    is_focus: bool
    cost_chart: _costs.Chart | None
    tornados: list[_costs.Chart]
    min_calls: list[tuple[str, str]]


def focus(analysis: Analysis | None) -> ChallengerVerdict | None:
    """The recommended challenger, else the best-ranked one."""
    if analysis is None or not analysis.challengers:
        return None
    by_name = {c.name: c for c in analysis.challengers}
    if analysis.recommended in by_name:
        return by_name[analysis.recommended]
    return by_name.get(analysis.ranking[0]) if analysis.ranking else analysis.challengers[0]


def _min_calls(cv: ChallengerVerdict) -> list[tuple[str, str]]:
    """The smallest daily volumes that pay, as (what it is, how much): every cost counted, then
    the training cost alone (fine-tunes only)."""
    be = cv.break_even

    def amount(low: float | None) -> str:
        return "none would" if low is None else volume(low)

    rows = [
        (
            f"Minimum daily volume for a payback within {horizon(be.horizon_days)}, every cost "
            "counted",
            amount(be.min_calls_per_day),
        )
    ]
    if cv.kind == "fine_tune":
        rows.append(
            (
                "Minimum daily volume for the training cost alone to pay back within one life "
                "of the fine-tune (training only)",
                amount(be.training_min_calls_per_day),
            )
        )
    return rows


def challenger_views(a: Analysis, cv_focus: ChallengerVerdict | None) -> list[ChallengerView]:
    order = {name: i for i, name in enumerate(a.ranking)}
    ordered = sorted(a.challengers, key=lambda c: order.get(c.name, len(order)))
    views = []
    for i, cv in enumerate(ordered, 1):
        chart = (
            _costs.cost_chart(cv, a.incumbent_cost, a.incumbent or "incumbent")
            if a.incumbent_cost is not None
            else None
        )
        views.append(
            ChallengerView(
                verdict=cv,
                rank=i,
                is_focus=cv_focus is not None and cv.name == cv_focus.name,
                cost_chart=chart,
                tornados=_costs.tornados(cv),
                min_calls=_min_calls(cv),
            )
        )
    views.sort(key=lambda v: not v.is_focus)
    return views


def delta_chart(a: Analysis) -> str | None:
    rows = [
        charts.IntervalRow(
            c.name,
            c.quality.delta,
            c.quality.low,
            c.quality.high,
            next((x.outcome for x in c.rules if x.name == "quality.margin"), "neutral"),
        )
        for c in a.challengers
        if c.quality is not None
    ]
    if not rows:
        return None
    margin = a.assumptions.get("decision", {}).get("margin", 0.0)
    metric = next(c.quality.metric for c in a.challengers if c.quality is not None)
    return charts.interval_chart(
        rows,
        title=f"Quality delta against the incumbent ({metric})",
        axis_label=f"challenger minus incumbent, {metric} (interval at 1 - alpha)",
        value_format=lambda v: f"{v:+.2f}",
        references=[
            charts.Reference("zero", 0.0, "no difference"),
            charts.Reference("margin", -margin, f"-margin ({-margin:g})"),
        ],
    )
