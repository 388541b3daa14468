"""The design's rules for one challenger, each with the numbers behind its outcome.

Feasibility (can the fine-tune be made at all), quality on the examples its training data does
not contain (better, no worse than the margin, worse, undecided or likely worse), economics
(never pays, must be redone before it pays, no payback within the horizon). `decision` runs them
in order and turns their outcomes into a verdict.
"""

from __future__ import annotations

from advisor import analysis as an
from advisor import breakeven as bk
from advisor import economics as eco
from advisor.pricing import model_terms
from advisor.quality_delta import QualityDelta
from advisor.study import Candidate
from advisor.verdict import Rule
from advisor.wording import day_and_date, days, horizon, money, number, on_day


def feasibility(c: Candidate, a: an.Assumptions) -> list[Rule]:
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


def _examples(q: QualityDelta) -> str:
    """The n a quality figure rests on, and what was left out of it."""
    if not q.set_aside:
        return f"{q.n:,} examples"
    return f"{q.n:,} examples ({q.set_aside:,} set aside: its training data contains them)"


def likely_worse(q: QualityDelta | None, margin: float) -> bool:
    """Undecided, but the point estimate is already past the margin."""
    return q is not None and q.low < -margin <= q.high and q.delta < -margin


def quality(q: QualityDelta | None, margin: float) -> Rule:
    if q is None:
        return Rule(
            name="quality.margin",
            outcome="undecided",
            message="no example answered by both the incumbent and this challenger",
        )
    figure = (
        f"{q.metric} {q.delta:+.3f} [{q.low:+.3f}, {q.high:+.3f}] at "
        f"{q.confidence:.0%} on {_examples(q)} ({_test(q)} p = {q.p_value:.3g})"
    )
    if q.high < -margin:
        return Rule(
            name="quality.margin",
            outcome="fail",
            message=(
                f"worse by more than the margin: {figure}, the whole interval below -{margin:g}"
            ),
        )
    if q.low > 0:
        return Rule(
            name="quality.margin",
            outcome="pass",
            message=f"better by {q.delta:.3f}: {figure}, the whole interval above 0",
        )
    if q.low >= -margin:
        return Rule(
            name="quality.margin",
            outcome="pass",
            message=f"no worse than the margin: {figure}, lower end at or above -{margin:g}",
        )
    if likely_worse(q, margin):
        return Rule(
            name="quality.margin",
            outcome="undecided",
            message=(
                f"likely worse: {figure} straddles -{margin:g} with its point estimate below "
                "it; more examples would only confirm the loss"
            ),
        )
    settle = (
        f"; about {q.examples_to_settle:,} examples would settle it" if q.examples_to_settle else ""
    )
    return Rule(
        name="quality.margin",
        outcome="undecided",
        message=f"undecided: {figure} straddles -{margin:g}{settle}",
    )


def _test(q: QualityDelta) -> str:
    return "McNemar" if q.test == "mcnemar_exact" else "sign-flip"


def payback_text(be: bk.BreakEven) -> str:
    """The payback with the simple payback beside it, and why they differ."""
    why = bk.payback_reason(be)
    if be.payback_days is None:
        text = f"no payback within {horizon(be.horizon_days)}"
    else:
        text = f"pays back in {day_and_date(be.payback_days, be.as_of)}"
    if why is None:
        return text
    return f"{text}; simple payback {days(be.simple_payback_days)}, {why}"


def economics(s: eco.Scenario, be: bk.BreakEven, fine_tune: bool) -> list[Rule]:
    within = horizon(s.horizon_days)
    # With nothing upfront (a prompted challenger) the payback is day 0 whatever the saving, so
    # the saving itself decides: never positive (no growth to lift it) is "never pays".
    never_positive = be.saving_per_call <= 0 or (be.daily_net_saving <= 0 and s.monthly_growth <= 0)
    if be.simple_payback_days is None or never_positive:
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
        text = (
            f"the fine-tune lives until {on_day(life.life_days, s.as_of)}, "
            f"{bk.life_reason(s, life.life_days)}"
        )
        if life.retrain_days:
            text += f"; retrained {len(life.retrain_days)} time(s) within the horizon"
        if life.fallback_day is not None:
            text += (
                f"; no retraining possible from {on_day(life.fallback_day, s.as_of)}: the "
                "incumbent's cost per call applies from then on"
            )
        rules.append(Rule(name="economics.lifecycle", outcome="info", message=text))
    if fine_tune and be.redo_before_payback and life.life_days is not None:
        rules.append(
            Rule(
                name="economics.training_payback",
                outcome="fail",
                message=(
                    f"training payback on day {be.training_payback_days:,.1f}, after "
                    f"{bk.life_reason(s, life.life_days)} on "
                    f"{on_day(life.life_days, s.as_of)}: the fine-tune must be redone "
                    "before it pays"
                ),
            )
        )
    net = f"net saving {money(be.net_saving_at_horizon)} over {within}"
    if be.payback_days is None or be.net_saving_at_horizon <= 0:
        stops = life.fallback_day is not None and (be.simple_payback_days or 0) > life.fallback_day
        rules.append(
            Rule(
                name="economics.horizon",
                outcome="fail",
                message=f"{'stops before it pays' if stops else 'volume too low'}: "
                f"{payback_text(be)}; {net}",
            )
        )
    else:
        rules.append(
            Rule(name="economics.horizon", outcome="pass", message=f"{payback_text(be)}; {net}")
        )
    return rules
