"""`advisor report`: re-cost and re-decide a finished run under other assumptions.

Only assumptions change (volume, growth, horizon, batch share, prices, error cost, update
cadence, as_of); the measurements stay as recorded, and the original run folder is never written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from advisor.analysis import Assumptions
from advisor.decision import analyze
from advisor.errors import InputError
from advisor.pricing import PriceOverride
from advisor.results import RESULTS_FILE, Results
from advisor.study import Study, validation_message


@dataclass(frozen=True)
class Changes:
    """New values for the study's assumptions; None keeps the recorded one."""

    calls_per_day: float | None = None
    monthly_growth: float | None = None
    calls_per_day_range: tuple[float, float] | None = None
    monthly_growth_range: tuple[float, float] | None = None
    horizon_days: float | None = None
    horizon_months: float | None = None
    error_cost: float | None = None
    months_between_updates: float | None = None
    batch_share: float | None = None
    as_of: date | None = None
    price_overrides: dict[str, PriceOverride] = field(default_factory=dict)
    batch_discounts: dict[str, float] = field(default_factory=dict)
    """By model id: the Batch API's discount where the catalog has none (0.5 = half price)."""

    def apply(self, study: dict[str, Any]) -> dict[str, Any]:
        study = {**study, "traffic": dict(study["traffic"]), "lifecycle": dict(study["lifecycle"])}
        traffic, lifecycle = study["traffic"], study["lifecycle"]
        if self.calls_per_day is not None:
            # A recorded range keeps its width relative to the volume it was stated around.
            span, stated = traffic.get("calls_per_day_range"), traffic["calls_per_day"]
            if span is not None and self.calls_per_day_range is None:
                scale = self.calls_per_day / stated if stated else 0.0
                traffic["calls_per_day_range"] = [span[0] * scale, span[1] * scale]
            traffic["calls_per_day"] = self.calls_per_day
        if self.monthly_growth is not None:
            span, stated = traffic.get("monthly_growth_range"), traffic["monthly_growth"]
            if span is not None and self.monthly_growth_range is None:
                shift = self.monthly_growth - stated
                traffic["monthly_growth_range"] = [span[0] + shift, span[1] + shift]
            traffic["monthly_growth"] = self.monthly_growth
        if self.calls_per_day_range is not None:
            traffic["calls_per_day_range"] = list(self.calls_per_day_range)
        if self.monthly_growth_range is not None:
            traffic["monthly_growth_range"] = list(self.monthly_growth_range)
        if self.horizon_days is not None or self.horizon_months is not None:
            traffic["horizon_days"] = self.horizon_days
            traffic["horizon_months"] = self.horizon_months
        if self.batch_share is not None:
            traffic["batch_share"] = self.batch_share
        if self.error_cost is not None:
            lifecycle["error_cost"] = self.error_cost
        if self.months_between_updates is not None:
            lifecycle["months_between_updates"] = self.months_between_updates
        return study


def recost(results: Results, changes: Changes, source: Path) -> Results:
    """The same measurements with the analysis redone under `changes`."""
    try:
        study = Study.model_validate(changes.apply(results.study))
    except ValidationError as exc:
        raise InputError(validation_message(source, exc)) from None
    as_of = changes.as_of or results.as_of
    overrides = _with_batch_discounts(study, changes)
    assumptions = Assumptions(study, as_of, overrides, results.listed_models)
    analysis = analyze(results, assumptions)
    return results.model_copy(
        update={
            "study": study.model_dump(mode="json"),
            "as_of": as_of,
            "analysis": analysis,
        }
    )


def _with_batch_discounts(study: Study, changes: Changes) -> dict[str, PriceOverride]:
    """The price overrides, each --batch-discount added to the model's other prices (from
    --price, else the study's), so that giving a discount changes nothing else."""
    overrides = dict(changes.price_overrides)
    for model, discount in changes.batch_discounts.items():
        study_prices = next((c.prices for c in study.candidates if c.model == model), None)
        if not any(c.model == model for c in study.candidates):
            raise InputError(f"--batch-discount {model}: no candidate of this run has that model")
        base = overrides.get(model) or study_prices or PriceOverride()
        try:
            overrides[model] = PriceOverride.model_validate(
                {**base.model_dump(exclude_none=True), "batch_discount": discount}
            )
        except ValidationError as exc:
            message = exc.errors(include_url=False)[0]["msg"]
            raise InputError(f"--batch-discount {model}={discount:g}: {message}") from None
    return overrides


def default_out(run_dir: Path) -> Path:
    """A new folder beside the run: <run>-report, then -report-2, -report-3..."""
    candidate = run_dir.with_name(f"{run_dir.name}-report")
    n = 2
    while candidate.exists():
        candidate = run_dir.with_name(f"{run_dir.name}-report-{n}")
        n += 1
    return candidate


def check_out(out: Path, run_dir: Path) -> None:
    if (
        out.resolve() == run_dir.resolve()
        or (out / RESULTS_FILE).resolve() == (run_dir / RESULTS_FILE).resolve()
    ):
        raise InputError(f"{out}: that is the measured run's folder; give another --out")
