"""From measurements to the cost model's inputs: quality deltas, costs per call, scenarios.

Everything is computed from `results.json` (per-example scores and token counts) and the study's
assumptions, so `advisor report` can re-cost a finished run with other prices or volumes without
calling a model again.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from advisor import economics as eco
from advisor.errors import InputError
from advisor.pricing import (
    COMMAND_LINE,
    CallPrices,
    PriceOverride,
    call_prices,
    model_terms,
    resolve_model,
)
from advisor.serving import with_hosting
from advisor.study import Candidate, Study
from advisor.usage import call_cost

if TYPE_CHECKING:
    from advisor.results import Call, Results, TrainingInfo

TARGET_EPOCHS = 3
"""Epochs when the study gives training_tokens and "auto" (OpenAI's default for most files)."""

_Closed = ConfigDict(extra="forbid")
GROUP_BOOTSTRAP = 2_000


class GroupDelta(BaseModel):
    model_config = _Closed
    group: str
    n: int
    delta: float
    low: float
    high: float


class QualityDelta(BaseModel):
    """Challenger minus incumbent on the same examples, primary metric."""

    model_config = _Closed
    metric: str
    n: int
    """Examples both answered (repeats averaged first), contaminated ones set aside."""
    set_aside: int
    """Eval examples left out because the challenger's training data contains them."""
    incumbent_mean: float
    challenger_mean: float
    delta: float
    low: float
    high: float
    confidence: float
    p_value: float
    test: str
    seed: int
    n_boot: int
    mde: float | None
    """Smallest true delta this many examples detect at the study's alpha and power."""
    examples_to_settle: int | None
    per_class: list[GroupDelta] = []
    slices: dict[str, list[GroupDelta]] = {}


class CallCost(BaseModel):
    """A candidate's measured cost per call in production."""

    model_config = _Closed
    candidate: str
    calls: int
    prompt_tokens: float
    cached_tokens: float
    completion_tokens: float
    cached_share: float
    """Share of prompt tokens costed as cached: the study's production share, or the eval's."""
    cached_share_source: str
    batch_share: float = 0.0
    """Share of production calls priced as batch traffic (`[traffic] batch_share`)."""
    batch_discount: float = 0.0
    """What the Batch API takes off this candidate's prices; cost_per_call includes
    batch_share x batch_discount off."""
    input_price: float
    cached_input_price: float
    output_price: float
    price_source: str
    cost_per_call: float
    low: float
    high: float


@dataclass(frozen=True)
class Assumptions:
    """What `advisor report` may change without calling a model."""

    study: Study
    as_of: date
    price_overrides: dict[str, PriceOverride]
    listed_shutdowns: dict[str, date] = field(default_factory=dict)
    """Shutdown dates the endpoints listed (GET /models) by model id: newer than the catalog."""


def scores_by_example(results: Results, name: str) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {}
    for example in results.examples:
        scores = [c.score for c in example.calls.get(name, []) if c.score is not None]
        if scores:
            out[example.id] = scores
    return out


def quality_delta(
    results: Results, incumbent: str, challenger: str, study: Study, set_aside: set[str]
) -> QualityDelta | None:
    """Paired comparison on the examples both answered; None when they share none."""
    a_all = scores_by_example(results, incumbent)
    b_all = scores_by_example(results, challenger)
    ids = [
        e.id for e in results.examples if e.id in a_all and e.id in b_all and e.id not in set_aside
    ]
    if not ids:
        return None
    a = [a_all[i] for i in ids]
    b = [b_all[i] for i in ids]
    from advisor import stats  # numpy: the checks before the first request build no interval

    d = study.decision
    comparison = stats.compare(
        a, b, pass_fail=results.scorer["pass_fail"], alpha=d.alpha, power=d.power, seed=d.seed
    )
    interval = comparison.interval
    a_mean = [sum(s) / len(s) for s in a]
    b_mean = [sum(s) / len(s) for s in b]
    examples = {e.id: e for e in results.examples}

    def groups(labels: list[str]) -> list[GroupDelta]:
        found = stats.delta_by_group(
            a_mean, b_mean, labels, alpha=d.alpha, n_boot=GROUP_BOOTSTRAP, seed=d.seed
        )
        return [
            GroupDelta(group=str(g), n=labels.count(g), delta=i.mean_delta, low=i.low, high=i.high)
            for g, i in found.items()
        ]

    per_class = []
    if results.scorer["type"] == "label":
        per_class = groups([str(examples[i].expected) for i in ids])
    slices = {
        field: groups([examples[i].metadata.get(field, "") for i in ids])
        for field in study.evalset.metadata
    }
    return QualityDelta(
        metric=results.scorer["primary_metric"],
        n=len(ids),
        set_aside=len(set_aside),
        incumbent_mean=sum(a_mean) / len(ids),
        challenger_mean=sum(b_mean) / len(ids),
        delta=comparison.delta,
        low=interval.low,
        high=interval.high,
        confidence=1 - d.alpha,
        p_value=comparison.p_value,
        test=comparison.test,
        seed=comparison.seed,
        n_boot=interval.n_boot,
        mde=comparison.mde,
        examples_to_settle=stats.examples_to_settle(interval, d.margin, len(ids)),
        per_class=per_class,
        slices=slices,
    )


@dataclass(frozen=True)
class _Pricing:
    """How one candidate's calls are costed in production."""

    prices: CallPrices
    share: float | None
    """Production share of cached prompt tokens; None: as measured in the eval."""
    batch_share: float
    batch_discount: float

    def cost(self, c: Call) -> float:
        if self.share is None:
            uncached, cached = c.prompt_tokens - c.cached_tokens, c.cached_tokens
        else:
            uncached, cached = c.prompt_tokens * (1 - self.share), c.prompt_tokens * self.share
        p = self.prices
        return (1 - self.batch_share * self.batch_discount) * call_cost(
            uncached, cached, c.completion_tokens, p.input, p.cached_input, p.output
        )


def _pricing(candidate: Candidate, assumptions: Assumptions) -> _Pricing:
    given = assumptions.price_overrides.get(candidate.model)
    prices = call_prices(
        candidate.provider,
        candidate.base_model or candidate.model,  # an open-weight fine-tune: its base's prices
        fine_tuned=candidate.is_fine_tune,
        overrides=given or candidate.prices,
        overrides_from=COMMAND_LINE if given else "the study",
    )
    share = candidate.cached_share
    if share is None and candidate.role == "incumbent":
        share = assumptions.study.traffic.cached_share
    batch_share = assumptions.study.traffic.batch_share
    discount = batch_discount(candidate, assumptions) if batch_share else 0.0
    return _Pricing(prices, share, batch_share, discount)


def costs_by_example(
    results: Results, candidate: Candidate, assumptions: Assumptions
) -> dict[str, float]:
    """Each example's production cost per call (its answered repeats averaged), by example id:
    what the bootstrap resamples to carry the cost's uncertainty to the money."""
    pricing = _pricing(candidate, assumptions)
    out = {}
    for e in results.examples:
        answered = [c for c in e.calls.get(candidate.name, []) if c.error is None]
        if answered:
            out[e.id] = sum(pricing.cost(c) for c in answered) / len(answered)
    return out


def call_cost_of(results: Results, candidate: Candidate, assumptions: Assumptions) -> CallCost:
    """Mean cost per call from every answer's measured tokens and the candidate's prices."""
    pricing = _pricing(candidate, assumptions)
    prices = pricing.prices
    calls = [
        c for e in results.examples for c in e.calls.get(candidate.name, []) if c.error is None
    ]
    if not calls:
        raise InputError(f"candidate {candidate.name!r} has no answered call to cost")
    prompt = sum(c.prompt_tokens for c in calls) / len(calls)
    cached = sum(c.cached_tokens for c in calls) / len(calls)
    costs = [pricing.cost(c) for c in calls]
    share = pricing.share
    if share is None:
        source = "measured in the eval"
        share = cached / prompt if prompt else 0.0
    else:
        source = "the study's production share"
    from advisor import stats

    d = assumptions.study.decision
    interval = stats.mean_interval(costs, alpha=d.alpha, seed=d.seed)
    return CallCost(
        candidate=candidate.name,
        calls=len(calls),
        prompt_tokens=prompt,
        cached_tokens=cached,
        completion_tokens=sum(c.completion_tokens for c in calls) / len(calls),
        cached_share=share,
        cached_share_source=source,
        batch_share=pricing.batch_share,
        batch_discount=pricing.batch_discount,
        input_price=prices.input,
        cached_input_price=prices.cached_input,
        output_price=prices.output,
        price_source=prices.source,
        cost_per_call=interval.mean_delta,
        low=interval.low,
        high=interval.high,
    )


def known_batch_discount(candidate: Candidate, assumptions: Assumptions) -> float | None:
    """What the provider's Batch API takes off the candidate's prices: the study's or `--price`'s
    override, else the catalog's for its base model; None where no source gives one."""
    overrides = _terms_overrides(candidate, assumptions)
    terms = model_terms(candidate.provider, base_model(candidate), overrides=overrides)
    return terms.batch_discount


def batch_discount(candidate: Candidate, assumptions: Assumptions) -> float:
    """The candidate's batch discount, for a study whose production traffic is partly batch."""
    discount = known_batch_discount(candidate, assumptions)
    if discount is None:
        raise InputError(
            f"candidate {candidate.name!r}: [traffic] batch_share prices production calls as "
            f"batch traffic, but no batch discount is known for {candidate.model!r} at "
            f"{candidate.provider}; give [candidates.prices] batch_discount (0.5 = half price)"
        )
    return discount


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
    overrides = _terms_overrides(candidate, assumptions)
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


def _terms_overrides(candidate: Candidate, assumptions: Assumptions) -> PriceOverride | None:
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
        overrides=_terms_overrides(challenger, assumptions),
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
