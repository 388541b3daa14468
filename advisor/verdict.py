"""The shape of a verdict as results.json stores it: rules, figures, chances, the ranking.

Kept apart from the rules that produce it (`decision`), so that the file format depends on no
decision logic and a report can read a verdict without importing how it was reached.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from advisor.breakeven import BreakEven
from advisor.cost_per_call import CallCost
from advisor.quality_delta import QualityDelta
from advisor.sensitivity import SensitivityRow

_Closed = ConfigDict(extra="forbid")
Verdict = Literal["fine_tune", "switch_model", "keep_prompting", "not_enough_evidence"]
Status = Literal["eligible", "undecided", "vetoed", "uneconomic", "infeasible"]


class Rule(BaseModel):
    model_config = _Closed
    name: str
    outcome: Literal["pass", "fail", "undecided", "info"]
    message: str


class Range(BaseModel):
    """A figure at the favourable and the unfavourable ends of the intervals; None is never."""

    model_config = _Closed
    optimistic: float | None
    pessimistic: float | None


class Probability(BaseModel):
    """The chance it pays, over the paired bootstrap replicates and the stated traffic ranges.

    Each replicate resamples the eval examples (both arms' scores and costs per call together)
    and, where the study gives ranges, draws the day-0 volume and the growth; it then has its own
    daily saving, payback and net saving at the horizon.
    """

    model_config = _Closed
    draws: int
    n: int
    """Examples resampled: those both arms answered, contaminated ones set aside."""
    seed: int
    net_saving_positive: float
    """Share of draws whose net saving at the horizon is above zero."""
    payback_within_horizon: float
    """Share of draws with a (lifecycle-aware) payback within the horizon."""
    non_inferior: float
    """Share of draws whose quality delta is at or above -margin."""
    net_saving_p05: float
    net_saving_p50: float
    net_saving_p95: float
    payback_p05: float | None
    """Percentiles of the payback in days; None where that share of draws has no payback."""
    payback_p50: float | None
    payback_p95: float | None
    calls_per_day_range: tuple[float, float] | None = None
    """[low, high] of the triangular draw of the day-0 volume; None: the stated value."""
    monthly_growth_range: tuple[float, float] | None = None


class ChallengerVerdict(BaseModel):
    model_config = _Closed
    name: str
    kind: Literal["fine_tune", "prompted"]
    model: str
    status: Status
    quality: QualityDelta | None
    cost: CallCost
    training_cost: float | None
    training_cost_source: str | None
    break_even: BreakEven
    probability: Probability | None
    """None when no example was answered by both arms."""
    payback_range: Range
    first_crossing_range: Range
    net_saving_range: Range
    rules: list[Rule]
    sensitivity: list[SensitivityRow]


class Analysis(BaseModel):
    """What a run means: the verdict, why, and every number behind it."""

    model_config = _Closed
    verdict: Verdict
    recommended: str | None
    recommended_kind: Literal["fine_tune", "prompted"] | None
    summary: str
    review_by: date
    review_reason: str
    as_of: date
    incumbent: str | None
    incumbent_cost: CallCost | None
    challengers: list[ChallengerVerdict]
    ranking: list[str]
    """Challengers best first: survivors by net saving at the horizon, then the rest."""
    assumptions: dict[str, Any]
