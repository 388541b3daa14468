"""The cost model's inputs for each challenger: the assumptions, the training cost, the scenario.

Everything is computed from `results.json` and the study's assumptions, so `advisor report` can
re-cost a finished run with other prices or volumes without calling a model again. The measured
parts come from `advisor.quality_delta` and `advisor.cost_per_call`; this module owns what turns
them into an `economics.Scenario` (prices and lifecycle terms under the run's assumptions).
It loads no statistics (numpy): the checks before the first request build every scenario.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import TYPE_CHECKING

from advisor import economics as eco
from advisor.errors import InputError
from advisor.pricing import PriceOverride, model_terms, resolve_model
from advisor.serving import with_hosting
from advisor.study import Candidate, Study

if TYPE_CHECKING:
    from advisor.quality_delta import QualityDelta
    from advisor.results import TrainingInfo

TARGET_EPOCHS = 3
"""Epochs when the study gives training_tokens and "auto" (OpenAI's default for most files)."""


@dataclass(frozen=True)
class Assumptions:
    """What `advisor report` may change without calling a model."""

    study: Study
    as_of: date
    price_overrides: dict[str, PriceOverride]
    listed_shutdowns: dict[str, date] = field(default_factory=dict)
    """Shutdown dates the endpoints listed (GET /models) by model id: newer than the catalog."""


@dataclass(frozen=True)
class TrainingCost:
    amount: float
    source: str


def training_cost(
    candidate: Candidate, assumptions: Assumptions, estimated: TrainingInfo | None = None
) -> TrainingCost:
    """A fine-tune's training cost: fixed in the study, else billed tokens x training price.

    Billed tokens come from the training file's estimate (made before the run and stored in
    results.json), else from the study's training_tokens x epochs.
    """
    if candidate.training_cost is not None:
        return TrainingCost(candidate.training_cost, "fixed in the study")
    own = candidate.serving
    if own is not None and own.training_gpu_hours is not None and own.gpu_per_hour is not None:
        return TrainingCost(
            own.training_gpu_hours * own.gpu_per_hour,
            f"{own.training_gpu_hours:g} GPU-hours x ${own.gpu_per_hour:g} per GPU-hour",
        )
    if estimated is None and candidate.training_tokens is None:
        raise InputError(
            f"candidate {candidate.name!r} is a fine-tune: give training_cost (USD), "
            "training_file or training_tokens (per epoch) in the study"
        )
    overrides = terms_overrides(candidate, assumptions)
    terms = model_terms(candidate.provider, base_model(candidate), overrides=overrides)
    price = (
        terms.training
        if terms.training is not None
        else (estimated.price_per_million if estimated else None)
    )
    if overrides is not None and overrides.training is not None:
        origin = "training price from the study"
    elif terms.training is not None:
        origin = "catalog training price"
    else:
        origin = f"training price: {estimated.price_source}" if estimated else ""
    if price is None:
        raise InputError(
            f"candidate {candidate.name!r}: no training price for {base_model(candidate)!r} at "
            f"{candidate.provider}; give training_cost or [candidates.prices] training"
        )
    if estimated is not None:
        cost = TrainingCost(
            estimated.billed_tokens * price / 1_000_000,
            f"{estimated.file}: {estimated.billed_tokens:,} billed tokens ({estimated.examples} "
            f"examples x {estimated.epochs} epochs) x ${price:g} per 1M tokens ({origin})",
        )
    else:
        epochs = TARGET_EPOCHS if candidate.epochs == "auto" else candidate.epochs
        cost = TrainingCost(
            candidate.training_tokens * epochs * price / 1_000_000,
            f"{candidate.training_tokens:,} tokens x {epochs} epochs x ${price:g} per 1M tokens "
            f"({origin})",
        )
    least = terms.min_training_charge
    if least is not None and cost.amount < least:
        return TrainingCost(least, f"{cost.source}, raised to the minimum charge of ${least:g}")
    return cost


def terms_overrides(candidate: Candidate, assumptions: Assumptions) -> PriceOverride | None:
    """The study's price overrides with those given for the run (`--price`) on top.

    `--price` gives call prices only; the study's training and hosting prices must survive it.
    """
    given = assumptions.price_overrides.get(candidate.model)
    if given is None or candidate.prices is None:
        return given or candidate.prices
    return PriceOverride(
        **{**candidate.prices.model_dump(exclude_none=True), **given.model_dump(exclude_none=True)}
    )


def shutdown_of(candidate: Candidate, assumptions: Assumptions) -> date | None:
    """When the candidate's model stops serving: the endpoint's listing first, then the catalog."""
    listed = assumptions.listed_shutdowns
    for model in (candidate.model, base_model(candidate)):
        if model in listed:
            return listed[model]
    return model_terms(candidate.provider, base_model(candidate)).shutdown


def base_model(candidate: Candidate) -> str:
    return candidate.base_model or resolve_model(candidate.model, candidate.provider)[0]


def _day(as_of: date, when: date | None) -> float | None:
    return None if when is None else float((when - as_of).days)


def horizon_days(study: Study) -> float:
    t = study.traffic
    if t.horizon_days is not None:
        return t.horizon_days
    return eco.months_to_days(t.horizon_months) if t.horizon_months is not None else 730.0


def scenario(
    challenger: Candidate,
    incumbent_cost: float,
    challenger_cost: float,
    quality: QualityDelta | None,
    assumptions: Assumptions,
    training: TrainingCost | None,
) -> eco.Scenario:
    """The cost model's inputs for one challenger against the incumbent."""
    study = assumptions.study
    life, traffic = study.lifecycle, study.traffic
    prompt_error = ft_error = 0.0
    if life.error_cost and quality is not None:
        prompt_error = 1 - quality.incumbent_mean
        ft_error = min(1.0, max(0.0, prompt_error - quality.delta))
    common = dict(
        calls_per_day=traffic.calls_per_day,
        prompt_cost_per_call=incumbent_cost,
        ft_cost_per_call=challenger_cost,
        monthly_growth=traffic.monthly_growth,
        horizon_days=horizon_days(study),
        error_cost=life.error_cost,
        prompt_error_rate=prompt_error,
        ft_error_rate=ft_error,
        as_of=assumptions.as_of,
    )
    if training is None:  # a prompted model: nothing to train, host or redo
        return eco.Scenario(**common)
    terms = model_terms(
        challenger.provider,
        base_model(challenger),
        overrides=terms_overrides(challenger, assumptions),
    )
    hosting = challenger.hosting_per_hour
    if hosting is None:
        hosting = terms.hosting_per_hour or 0.0
    update = life.months_between_updates
    served = eco.Scenario(
        **common,
        training_cost=training.amount,
        one_time_cost=life.one_time_cost,
        retrain_cost=life.retrain_cost,
        hosting_per_hour=hosting,
        update_every_days=None if update is None else eco.months_to_days(update),
        shutdown_day=_day(assumptions.as_of, shutdown_of(challenger, assumptions)),
        training_cutoff_day=_day(assumptions.as_of, terms.training_cutoff),
    )
    if challenger.serving is None or challenger.serving.kind == "serverless":
        return served
    return with_hosting(served, challenger.serving.serving())


def with_quality(s: eco.Scenario, quality: QualityDelta | None, delta: float) -> eco.Scenario:
    """The same scenario with the challenger's error rate moved to another quality delta."""
    if quality is None or not s.error_cost:
        return s
    error = min(1.0, max(0.0, s.prompt_error_rate - delta))
    return replace(s, ft_error_rate=error)
