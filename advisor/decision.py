"""The verdict: each challenger judged on its own by the design's rules, in order, then ranked.

The rules themselves are in `rules`; here they run in order for each challenger, with the chance
it pays and the sensitivity beside them, and the survivors are ranked into a verdict. Every rule
that fired is kept with its numbers.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

from advisor import analysis as an
from advisor import breakeven as bk
from advisor import economics as eco
from advisor import resample
from advisor import rules as rl
from advisor.chance import PairedExamples, TrafficRanges, chance
from advisor.cost_per_call import CallCost, call_cost_of, costs_by_example
from advisor.quality_delta import QualityDelta, quality_delta, scores_by_example
from advisor.sensitivity import sensitivity, vary
from advisor.study import Candidate
from advisor.verdict import (
    Analysis,
    ChallengerVerdict,
    Probability,
    Range,
    Rule,
    Status,
    Verdict,
)
from advisor.wording import horizon, money, share

if TYPE_CHECKING:
    from advisor.results import Results

REVIEW_DAYS = 90
_STATUS_ORDER = ("eligible", "undecided", "uneconomic", "vetoed", "infeasible")


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
    s: eco.Scenario, inc: CallCost, ch: CallCost, q: QualityDelta | None
) -> tuple[Range, Range, Range]:
    good = an.with_quality(
        vary(s, prompt_cost_per_call=inc.high, ft_cost_per_call=ch.low), q, q.high if q else 0.0
    )
    bad = an.with_quality(
        vary(s, prompt_cost_per_call=inc.low, ft_cost_per_call=ch.high), q, q.low if q else 0.0
    )
    (g_payback, g_net), (b_payback, b_net) = bk.lasting_figures([good, bad])
    g_first, b_first = (bk.first_crossing(x, eco.lifecycle(x)) for x in (good, bad))
    return (
        Range(optimistic=g_payback, pessimistic=b_payback),
        Range(optimistic=g_first, pessimistic=b_first),
        Range(optimistic=g_net, pessimistic=b_net),
    )


def _probability(
    s: eco.Scenario,
    results: Results,
    incumbent: Candidate,
    c: Candidate,
    a: an.Assumptions,
    set_aside: set[str],
) -> Probability | None:
    """The chance it pays, from the examples both answered (as the quality delta uses)."""
    scores = [scores_by_example(results, x.name) for x in (incumbent, c)]
    costs = [costs_by_example(results, x, a) for x in (incumbent, c)]
    ids = [
        e.id
        for e in results.examples
        if e.id not in set_aside and all(e.id in m for m in (*scores, *costs))
    ]
    if not ids:
        return None
    mean = [{i: sum(v) / len(v) for i, v in m.items()} for m in scores]
    paired = PairedExamples(
        [mean[0][i] for i in ids],
        [mean[1][i] for i in ids],
        [costs[0][i] for i in ids],
        [costs[1][i] for i in ids],
    )
    t, d = a.study.traffic, a.study.decision
    ranges = TrafficRanges(t.calls_per_day_range, t.monthly_growth_range)
    return chance(s, paired, margin=d.margin, seed=d.seed, ranges=ranges)


# --- the verdict -----------------------------------------------------------------------------


def _judge(
    c: Candidate,
    results: Results,
    incumbent: Candidate,
    inc_cost: CallCost,
    a: an.Assumptions,
) -> ChallengerVerdict:
    estimated = results.training.get(c.name)
    set_aside = set(estimated.contaminated_ids) if estimated else set()
    quality = quality_delta(results, incumbent.name, c.name, a.study, set_aside)
    cost = call_cost_of(results, c, a)
    training = an.training_cost(c, a, estimated) if c.is_fine_tune else None
    s = an.scenario(c, inc_cost.cost_per_call, cost.cost_per_call, quality, a, training)
    be = bk.break_even(s)
    rules = [
        *rl.feasibility(c, a),
        rl.quality(quality, a.study.decision.margin),
        *rl.economics(s, be, c.is_fine_tune),
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
        break_even=be,
        probability=_probability(s, results, incumbent, c, a, set_aside),
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


def chance_text(p: Probability | None) -> str:
    """The verdict line's chance: the share of bootstrap draws in which it pays back."""
    if p is None:
        return ""
    return f"pays back within the horizon in {share(p.payback_within_horizon)} of draws"


def _summary(
    verdict: Verdict,
    best: ChallengerVerdict | None,
    incumbent: str | None,
    ranked: list[ChallengerVerdict],
) -> str:
    if verdict in ("fine_tune", "switch_model") and best is not None:
        q, be = best.quality, best.break_even
        quality = f"{q.metric} {q.delta:+.3f} [{q.low:+.3f}, {q.high:+.3f}]" if q else ""
        better = q is not None and q.low > 0
        act = "Fine-tune" if verdict == "fine_tune" else "Switch to"
        odds = chance_text(best.probability)
        return (
            f"{act} {best.name}: "
            + (f"better than {incumbent}" if better else f"no worse than {incumbent}")
            + f" ({quality}), {rl.payback_text(be)}, saves {money(be.net_saving_at_horizon)} "
            f"over {horizon(be.horizon_days)}" + (f"; {odds}." if odds else ".")
        )
    if incumbent is None:
        return "Not enough evidence: no incumbent was scored on the same examples."
    if verdict == "not_enough_evidence" and best is not None:
        rule = next(r for r in best.rules if r.outcome == "undecided")
        return f"Not enough evidence on {best.name}: {rule.message}."
    if not ranked:
        return f"Keep prompting {incumbent}: there is no challenger."
    first = ranked[0]
    failing = next(
        (r for r in first.rules if r.outcome == "fail"),
        next((r for r in first.rules if r.outcome == "undecided"), first.rules[-1]),
    )
    odds = chance_text(first.probability) if first.status == "uneconomic" else ""
    return f"Keep prompting {incumbent}: the best challenger, {first.name}, {failing.message}" + (
        f"; it {odds}." if odds else "."
    )


def _answered(results: Results, name: str) -> bool:
    """Whether the candidate answered at least one example (what its cost per call needs)."""
    return any(c.error is None for e in results.examples for c in e.calls.get(name, []))


def analyze(results: Results, a: an.Assumptions) -> Analysis:
    """Judge every challenger against the incumbent and give the verdict."""
    with resample.shared():  # every bootstrap below resamples the same examples: draw once
        return _analyze(results, a)


def _analyze(results: Results, a: an.Assumptions) -> Analysis:
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
    inc_cost = call_cost_of(results, incumbent, a)
    # A challenger that answered nothing has no cost to judge and no quality: undecided.
    silent = [c.name for c in study.challengers if not _answered(results, c.name)]
    judged = [
        _judge(c, results, incumbent, inc_cost, a)
        for c in study.challengers
        if c.name not in silent
    ]
    ranked = sorted(
        judged,
        key=lambda v: (_STATUS_ORDER.index(v.status), -v.break_even.net_saving_at_horizon),
    )
    margin = study.decision.margin
    # An undecided challenger already past the margin (likely worse) is no reason to wait.
    best = next(
        (
            v
            for v in ranked
            if v.status == "eligible"
            or (v.status == "undecided" and not rl.likely_worse(v.quality, margin))
        ),
        None,
    )
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
