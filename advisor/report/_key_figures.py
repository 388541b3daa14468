"""The "Key numbers" section, apart from the page's assembly: each figure's wording is its own."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from advisor.breakeven import payback_reason
from advisor.decision import ChallengerVerdict
from advisor.report import _costs
from advisor.results import Results
from advisor.wording import days, horizon, money, number, on_day, share


@dataclass(frozen=True)
class Figure:
    label: str
    value: str
    details: list[str] = field(default_factory=list)
    tone: str = ""


def _ends(low: float | None, high: float | None, fmt: Any) -> str:
    if low is None and high is None:
        return "the same at either end of the intervals"
    return f"optimistic {fmt(low)}, pessimistic {fmt(high)}"


def _outcome(cv: ChallengerVerdict, name: str) -> str:
    return next((r.outcome for r in cv.rules if r.name == name), "")


TONES = {"pass": "good", "fail": "bad", "undecided": "warn"}


def key_figures(r: Results, cv: ChallengerVerdict | None) -> list[Figure]:
    """The handful of numbers a decision rests on, for one challenger."""
    run = r.run
    spend = Figure(
        "Eval spend of this run",
        money(run.spend),
        [
            f"{number(run.requests)} requests, {number(run.from_cache)} from the cache",
            f"spend cap {money(run.max_spend)}" if run.max_spend is not None else "no spend cap",
        ],
    )
    if cv is None:
        return [spend]
    be = cv.break_even
    s = be.scenario
    payback = be.payback_days
    crossing = be.first_crossing_days
    pay_details = []
    why = payback_reason(be)
    if be.simple_payback_days is None:
        pay_details.append("the challenger saves nothing a day")
    elif payback is None:
        pay_details.append(f"none within {horizon(be.horizon_days)}")
    else:
        pay_details.append(f"on {be.payback_date}, within {horizon(be.horizon_days)}")
    if why is not None:
        pay_details.append(f"simple payback {days(be.simple_payback_days)}, {why}")
    pay_details.append(
        _ends(
            cv.payback_range.optimistic,
            cv.payback_range.pessimistic,
            lambda v: _costs.NO_PAYBACK if v is None else days(v),
        )
    )
    if be.redo_before_payback:
        pay_details.append(
            f"training alone pays back in {days(be.training_payback_days)}, after the "
            f"fine-tune's life ends on {on_day(be.life.life_days, be.as_of)}: "
            "it must be redone first"
        )
    elif be.training_payback_days != payback and cv.kind == "fine_tune":
        pay_details.append(f"training alone: {days(be.training_payback_days)}")
    figures = [
        Figure(
            "Payback",
            "none" if payback is None and why else days(payback),
            pay_details,
            "bad" if payback is None else "warn" if be.redo_before_payback else "good",
        ),
        *_chance_figures(cv),
        Figure(
            "First crossing of the cost curves",
            "none" if crossing is None else f"day {number(crossing, 1)}",
            [
                f"not within {horizon(be.horizon_days)}"
                if crossing is None
                else "retrains and fallbacks included"
                + ("" if be.first_crossing_lasts else "; the curves part again later"),
                _ends(
                    cv.first_crossing_range.optimistic,
                    cv.first_crossing_range.pessimistic,
                    lambda v: "none" if v is None else f"day {number(v, 1)}",
                ),
            ],
            "bad" if crossing is None else "good",
        ),
        Figure(
            "Daily net saving",
            money(be.daily_net_saving),
            [
                f"at {number(s.calls_per_day)} calls/day, {money(be.saving_per_call)} a call",
                f"costs per call over n = {number(cv.cost.calls)} answered calls of the "
                "challenger"
                + (
                    f" and {number(incumbent_cost.calls)} of the incumbent"
                    if (incumbent_cost := r.analysis.incumbent_cost) is not None
                    else ""
                ),
                f"after hosting of {money(s.hosting_per_day)}/day"
                if s.hosting_per_hour
                else "no hosting fee",
            ],
            TONES[_outcome(cv, "economics.daily_saving") or "undecided"],
        ),
        Figure(
            f"Net saving at {horizon(be.horizon_days)}",
            money(be.net_saving_at_horizon),
            [
                _ends(cv.net_saving_range.optimistic, cv.net_saving_range.pessimistic, money),
                "after training, retrains and hosting",
            ],
            "good" if be.net_saving_at_horizon > 0 else "bad",
        ),
    ]
    q = cv.quality
    if q is not None:
        test = "McNemar exact" if q.test == "mcnemar_exact" else "sign-flip"
        figures.append(
            Figure(
                f"Quality delta ({q.metric})",
                f"{q.delta:+.3f}",
                [
                    f"{q.confidence:.0%} interval [{q.low:+.3f}, {q.high:+.3f}]",
                    f"p = {q.p_value:.3g} ({test}), n = {number(q.n)} paired examples"
                    + (
                        f" ({number(q.set_aside)} set aside: its training data contains them)"
                        if q.set_aside
                        else ""
                    ),
                    f"{q.challenger_mean:.3f} against {q.incumbent_mean:.3f}",
                ],
                TONES.get(_outcome(cv, "quality.margin"), ""),
            )
        )
    figures.append(spend)
    return figures


def _chance_figures(cv: ChallengerVerdict) -> list[Figure]:
    """The chance it pays, as the bootstrap and the stated traffic ranges give it."""
    p = cv.probability
    if p is None:
        return []
    ranges = [
        f"day-0 volume drawn from {number(p.calls_per_day_range[0])} to "
        f"{number(p.calls_per_day_range[1])} calls/day"
        if p.calls_per_day_range
        else "",
        f"growth drawn from {p.monthly_growth_range[0]:+.1%} to "
        f"{p.monthly_growth_range[1]:+.1%} a month"
        if p.monthly_growth_range
        else "",
    ]
    pays = p.payback_within_horizon
    return [
        Figure(
            "Chance it pays back within the horizon",
            share(pays),
            [
                f"net saving above zero in {share(p.net_saving_positive)} of draws; "
                f"no worse than the margin in {share(p.non_inferior)}",
                f"net saving 5th-95th percentile {money(p.net_saving_p05)} to "
                f"{money(p.net_saving_p95)} (median {money(p.net_saving_p50)})",
                f"payback median {days(p.payback_p50)}",
                f"probabilities under the paired bootstrap ({number(p.draws)} draws over "
                f"n = {number(p.n)} examples) and the stated traffic ranges",
                *[r for r in ranges if r],
            ],
            "good" if pays >= 0.9 else "bad" if pays < 0.5 else "warn",
        )
    ]
