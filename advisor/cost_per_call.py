"""Cost per call, apart from the scenario: the one cost measured in the eval, with its interval.

Measured tokens per answer at the production prices (catalog, study, `--price`, batch share).
The statistics (numpy) load where an interval is made, not at import.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from advisor.analysis import Assumptions, base_model, terms_overrides
from advisor.errors import InputError
from advisor.pricing import COMMAND_LINE, CallPrices, call_prices, model_terms
from advisor.study import Candidate
from advisor.usage import call_cost

if TYPE_CHECKING:
    from advisor.results import Call, Results

_Closed = ConfigDict(extra="forbid")


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
    overrides = terms_overrides(candidate, assumptions)
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
