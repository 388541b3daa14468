"""The verdict: each challenger judged on its own by the design's rules, in order, then ranked.

Feasibility (can the fine-tune be made at all), quality on the examples its training data does
not contain (non-inferior, worse, or undecided against the margin), economics (never pays, must
be redone before it pays, volume too low). Every rule that fired is kept with its numbers.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict

from advisor import analysis as an
from advisor import economics as eco
from advisor.breakeven_view import to_dict
from advisor.formatting import day_and_date, money, number, on_day
from advisor.pricing import model_terms
from advisor.sensitivity import SensitivityRow, sensitivity, vary
from advisor.study import Candidate

if TYPE_CHECKING:
    from advisor.results import Results

_Closed = ConfigDict(extra="forbid")
Verdict = Literal["fine_tune", "switch_model", "keep_prompting", "not_enough_evidence"]
Status = Literal["eligible", "undecided", "vetoed", "uneconomic", "infeasible"]
REVIEW_DAYS = 90
_STATUS_ORDER = ("eligible", "undecided", "uneconomic", "vetoed", "infeasible")


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


class ChallengerVerdict(BaseModel):
    model_config = _Closed
    name: str
    kind: Literal["fine_tune", "prompted"]
    model: str
    status: Status
    quality: an.QualityDelta | None
    cost: an.CallCost
    training_cost: float | None
    training_cost_source: str | None
    break_even: dict[str, Any]
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
    incumbent_cost: an.CallCost | None
    challengers: list[ChallengerVerdict]
    ranking: list[str]
    """Challengers best first: survivors by net saving at the horizon, then the rest."""
    assumptions: dict[str, Any]


# --- rules -------------------------------------------------------------------------------------


def _feasibility(c: Candidate, a: an.Assumptions) -> list[Rule]:
    if not c.is_fine_tune:
        return []
    rules = []
    terms = model_terms(c.provider, an.base_model(c))
    cutoff, shutdown = terms.training_cutoff, an.shutdown_of(c, a)
    if cutoff is not None and a.as_of > cutoff:
        rules.append(
            Rule(
                name="feasibility.training_open",
                outcome="fail",
                message=(
                    f"{c.provider} takes no new fine-tuning jobs after {cutoff}: as of "
                    f"{a.as_of} this fine-tune cannot be made"
                ),
            )
        )
    elif cutoff is not None:
        rules.append(
            Rule(
                name="feasibility.training_open",
                outcome="pass",
                message=(f"{c.provider} takes fine-tuning jobs until {cutoff}"),
            )
        )
    if shutdown is not None and a.as_of >= shutdown:
        rules.append(
            Rule(
                name="feasibility.base_alive",
                outcome="fail",
                message=(f"{an.base_model(c)} shut down on {shutdown}"),
            )
        )
    if not a.study.lifecycle.task_stable:
        rules.append(
            Rule(
                name="feasibility.task_stable",
                outcome="fail",
                message=(
                    "the study declares the task unstable (instructions or output format "
                    "change often): fine-tuning is ruled out"
                ),
            )
        )
    return rules


def _quality(q: an.QualityDelta | None, margin: float) -> Rule:
    if q is None:
        return Rule(
            name="quality.margin",
            outcome="undecided",
            message="no example answered by both the incumbent and this challenger",
        )
    figure = (
        f"{q.metric} {q.delta:+.3f} [{q.low:+.3f}, {q.high:+.3f}] at "
        f"{q.confidence:.0%} on {q.n:,} examples ({_test(q)} p = {q.p_value:.3g})"
    )
    if q.high < -margin:
        return Rule(
            name="quality.margin",
            outcome="fail",
            message=(
                f"worse by more than the margin: {figure}, the whole interval below -{margin:g}"
            ),
        )
    if q.low >= -margin:
        return Rule(
            name="quality.margin",
            outcome="pass",
            message=(f"non-inferior: {figure}, lower end at or above -{margin:g}"),
        )
    settle = (
        f"; about {q.examples_to_settle:,} examples would settle it"
        if q.examples_to_settle
        else "; more examples would only confirm the loss"
    )
    return Rule(
        name="quality.margin",
        outcome="undecided",
        message=(f"undecided: {figure} straddles -{margin:g}{settle}"),
    )


def _test(q: an.QualityDelta) -> str:
    return "McNemar" if q.test == "mcnemar_exact" else "sign-flip"


def _life_reason(s: eco.Scenario, life_day: float) -> str:
    if s.shutdown_day is not None and abs(life_day - s.shutdown_day) < 1e-9:
        return "the base model's shutdown"
    return "the expected base-model update"


def _economics(s: eco.Scenario, be: eco.BreakEven, fine_tune: bool) -> list[Rule]:
    horizon = f"{number(s.horizon_days, 0 if float(s.horizon_days).is_integer() else 1)}-day"
    # With nothing upfront (a prompted challenger) the payback is day 0 whatever the saving, so
    # the saving itself decides: never positive (no growth to lift it) is "never pays".
    never_positive = be.saving_per_call <= 0 or (be.daily_net_saving <= 0 and s.monthly_growth <= 0)
    if be.payback_days is None or never_positive:
        return [
            Rule(
                name="economics.daily_saving",
                outcome="fail",
                message=(
                    f"never pays: daily net saving {money(be.daily_net_saving)} at "
                    f"{number(s.calls_per_day)} calls/day ({money(be.saving_per_call)} a call)"
                ),
            )
        ]
    rules = [
        Rule(
            name="economics.daily_saving",
            outcome="pass",
            message=(
                f"saves {money(be.daily_net_saving)} a day at {number(s.calls_per_day)} calls/day "
                f"({money(be.saving_per_call)} a call)"
            ),
        )
    ]
    life = be.life
    if fine_tune and life.life_days is not None:
        text = f"the fine-tune lives until {on_day(life.life_days, s.as_of)}, " + (
            f"{_life_reason(s, life.life_days)}"
        )
        if life.retrain_days:
            text += f"; retrained {len(life.retrain_days)} time(s) within the horizon"
        if life.fallback_day is not None:
            text += (
                f"; no retraining possible from {on_day(life.fallback_day, s.as_of)}: the "
                "incumbent's cost per call applies from then on"
            )
        rules.append(Rule(name="economics.lifecycle", outcome="info", message=text))
    if fine_tune and be.redo_before_payback and be.life.life_days is not None:
        rules.append(
            Rule(
                name="economics.training_payback",
                outcome="fail",
                message=(
                    f"training payback on day {be.training_payback_days:,.1f}, after "
                    f"{_life_reason(s, be.life.life_days)} on "
                    f"{on_day(be.life.life_days, s.as_of)}: the fine-tune must be redone "
                    "before it pays"
                ),
            )
        )
    if not be.payback_within_horizon:
        rules.append(
            Rule(
                name="economics.horizon",
                outcome="fail",
                message=(
                    f"volume too low: payback {day_and_date(be.payback_days, s.as_of)}, beyond the "
                    f"{horizon} horizon"
                ),
            )
        )
    elif life.fallback_day is not None and be.payback_days > life.fallback_day:
        rules.append(
            Rule(
                name="economics.horizon",
                outcome="fail",
                message=(
                    f"stops before it pays: its upfront cost pays back on day "
                    f"{be.payback_days:,.1f}, but it serves only until "
                    f"{on_day(life.fallback_day, s.as_of)} and cannot be retrained; net saving "
                    f"at the {horizon} horizon {money(be.net_saving_at_horizon)}"
                ),
            )
        )
    elif be.net_saving_at_horizon <= 0:
        rules.append(
            Rule(
                name="economics.horizon",
                outcome="fail",
                message=(
                    f"volume too low: net saving at the {horizon} horizon is "
                    f"{money(be.net_saving_at_horizon)} with every training and one-time cost "
                    "paid"
                ),
            )
        )
    else:
        rules.append(
            Rule(
                name="economics.horizon",
                outcome="pass",
                message=(
                    f"pays back in {day_and_date(be.payback_days, s.as_of)}; net saving "
                    f"{money(be.net_saving_at_horizon)} over the {horizon} horizon"
                ),
            )
        )
    return rules


def _status(rules: list[Rule]) -> Status:
    def failed(prefix: str) -> bool:
        return any(r.name.startswith(prefix) and r.outcome == "fail" for r in rules)

    if failed("feasibility"):
        return "infeasible"
    if failed("quality"):
        return "vetoed"
    if failed("economics"):
        return "uneconomic"
    if any(r.outcome == "undecided" for r in rules):
        return "undecided"
    return "eligible"


# --- intervals and sensitivity -------------------------------------------------------------------


def _ranges(
    s: eco.Scenario, inc: an.CallCost, ch: an.CallCost, q: an.QualityDelta | None
) -> tuple[Range, Range, Range]:
    good = an.with_quality(
        vary(s, prompt_cost_per_call=inc.high, ft_cost_per_call=ch.low), q, q.high if q else 0.0
    )
    bad = an.with_quality(
        vary(s, prompt_cost_per_call=inc.low, ft_cost_per_call=ch.high), q, q.low if q else 0.0
    )
    g, b = eco.break_even(good), eco.break_even(bad)
    return (
        Range(optimistic=g.payback_days, pessimistic=b.payback_days),
        Range(optimistic=g.first_crossing_days, pessimistic=b.first_crossing_days),
        Range(optimistic=g.net_saving_at_horizon, pessimistic=b.net_saving_at_horizon),
    )


# --- the verdict -----------------------------------------------------------------------------


def _judge(
    c: Candidate,
    results: Results,
    incumbent: Candidate,
    inc_cost: an.CallCost,
    a: an.Assumptions,
) -> ChallengerVerdict:
    estimated = results.training.get(c.name)
    set_aside = set(estimated.contaminated_ids) if estimated else set()
    quality = an.quality_delta(results, incumbent.name, c.name, a.study, set_aside)
    cost = an.call_cost_of(results, c, a)
    training = an.training_cost(c, a, estimated) if c.is_fine_tune else None
    s = an.scenario(c, inc_cost.cost_per_call, cost.cost_per_call, quality, a, training)
    be = eco.break_even(s)
    rules = [
        *_feasibility(c, a),
        _quality(quality, a.study.decision.margin),
        *_economics(s, be, c.is_fine_tune),
    ]
    payback, crossing, net = _ranges(s, inc_cost, cost, quality)
    return ChallengerVerdict(
        name=c.name,
        kind="fine_tune" if c.is_fine_tune else "prompted",
        model=c.model,
        status=_status(rules),
        quality=quality,
        cost=cost,
        training_cost=training.amount if training else None,
        training_cost_source=training.source if training else None,
        break_even=to_dict(s, be),
        payback_range=payback,
        first_crossing_range=crossing,
        net_saving_range=net,
        rules=rules,
        sensitivity=sensitivity(s, quality),
    )


def _review_by(a: an.Assumptions, models: list[Candidate]) -> tuple[date, str]:
    options = [(a.as_of + timedelta(days=REVIEW_DAYS), f"{REVIEW_DAYS} days after {a.as_of}")]
    update = a.study.lifecycle.months_between_updates
    if update is not None:
        options.append(
            (
                eco.day_to_date(a.as_of, eco.months_to_days(update)),
                "the next expected base-model update",
            )
        )
    for c in models:
        shutdown = an.shutdown_of(c, a)
        if shutdown is not None and shutdown > a.as_of:
            options.append((shutdown, f"the shutdown of {an.base_model(c)}"))
    return min(options, key=lambda o: o[0])


def _summary(
    verdict: Verdict,
    best: ChallengerVerdict | None,
    incumbent: str | None,
    ranked: list[ChallengerVerdict],
) -> str:
    if verdict in ("fine_tune", "switch_model") and best is not None:
        q = best.quality
        quality = f"{q.metric} {q.delta:+.3f} [{q.low:+.3f}, {q.high:+.3f}]" if q else ""
        act = "Fine-tune" if verdict == "fine_tune" else "Switch to"
        net = best.break_even["net_saving_at_horizon"]
        return (
            f"{act} {best.name}: as good as {incumbent} within the margin ({quality}), "
            f"pays back in {days_text(best.break_even['payback_days'])} and saves "
            f"{money(net)} over {best.break_even['horizon_days']:,.0f} days."
        )
    if incumbent is None:
        return "Not enough evidence: no incumbent was scored on the same examples."
    if verdict == "not_enough_evidence" and best is not None:
        rule = next(r for r in best.rules if r.outcome == "undecided")
        return f"Not enough evidence on {best.name}: {rule.message}."
    if not ranked:
        return f"Keep prompting {incumbent}: there is no challenger."
    first = ranked[0]
    failing = next((r for r in first.rules if r.outcome == "fail"), first.rules[-1])
    return f"Keep prompting {incumbent}: the best challenger, {first.name}, {failing.message}."


def days_text(value: float | None) -> str:
    return "never" if value is None else f"{value:,.1f} days"


def _answered(results: Results, name: str) -> bool:
    """Whether the candidate answered at least one example (what its cost per call needs)."""
    return any(c.error is None for e in results.examples for c in e.calls.get(name, []))


def analyze(results: Results, a: an.Assumptions) -> Analysis:
    """Judge every challenger against the incumbent and give the verdict."""
    study = a.study
    incumbent = study.incumbent
    by_name = {c.name: c for c in study.candidates}
    assumptions = {
        "traffic": study.traffic.model_dump(mode="json"),
        "lifecycle": study.lifecycle.model_dump(mode="json"),
        "decision": study.decision.model_dump(mode="json"),
        "horizon_days": an.horizon_days(study),
    }
    if incumbent is None or not _answered(results, incumbent.name):
        # No incumbent scored on the same examples: nothing to compare a challenger with.
        review, why = _review_by(a, [incumbent] if incumbent else [])
        return Analysis(
            verdict="not_enough_evidence",
            recommended=None,
            recommended_kind=None,
            summary=_summary("not_enough_evidence", None, None, [])
            if incumbent is None
            else f"Not enough evidence: the incumbent, {incumbent.name}, answered no example.",
            review_by=review,
            review_reason=why,
            as_of=a.as_of,
            incumbent=incumbent.name if incumbent else None,
            incumbent_cost=None,
            challengers=[],
            ranking=[],
            assumptions=assumptions,
        )
    inc_cost = an.call_cost_of(results, incumbent, a)
    # A challenger that answered nothing has no cost to judge and no quality: undecided.
    silent = [c.name for c in study.challengers if not _answered(results, c.name)]
    judged = [
        _judge(c, results, incumbent, inc_cost, a)
        for c in study.challengers
        if c.name not in silent
    ]
    ranked = sorted(
        judged,
        key=lambda v: (_STATUS_ORDER.index(v.status), -v.break_even["net_saving_at_horizon"]),
    )
    best = ranked[0] if ranked and ranked[0].status in ("eligible", "undecided") else None
    if best is not None and best.status == "eligible":
        verdict: Verdict = "fine_tune" if best.kind == "fine_tune" else "switch_model"
    elif best is not None or silent:
        verdict = "not_enough_evidence"
    else:
        verdict = "keep_prompting"
    recommended = best.name if best is not None and verdict != "not_enough_evidence" else None
    models = [incumbent] + ([by_name[recommended]] if recommended else [])
    review, why = _review_by(a, models)
    return Analysis(
        verdict=verdict,
        recommended=recommended or (incumbent.name if verdict == "keep_prompting" else None),
        recommended_kind=(
            best.kind
            if recommended and best
            else "prompted"
            if verdict == "keep_prompting"
            else None
        ),
        summary=_summary(verdict, best, incumbent.name, ranked)
        if best is not None or not silent
        else f"Not enough evidence: {', '.join(silent)} answered no example.",
        review_by=review,
        review_reason=why,
        as_of=a.as_of,
        incumbent=incumbent.name,
        incumbent_cost=inc_cost,
        challengers=judged,
        ranking=[v.name for v in ranked],
        assumptions=assumptions,
    )
