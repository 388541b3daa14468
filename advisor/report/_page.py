"""What the page shows, gathered from a `Results`: figures, tables and charts for the template.

Every figure is read from results.json or recomputed from it with the functions that made it;
nothing here calls a model. Text from the study, the eval set and the models stays plain `str`
until the template escapes it; only the page's own stylesheet, script and charts (whose text
`charts` escapes) are marked safe.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from markupsafe import Markup

from advisor.breakeven import payback_reason
from advisor.decision import Analysis, ChallengerVerdict
from advisor.report import _confusion, _costs, _examples, _families, charts
from advisor.report._filters import plain
from advisor.report._rows import rows_html
from advisor.report._templates import asset, environment
from advisor.results import CandidateResult, Results
from advisor.wording import days, horizon, money, number, on_day, share, volume

VERDICTS = {
    "fine_tune": ("Fine-tune", "go"),
    "switch_model": ("Switch model", "go"),
    "keep_prompting": ("Keep prompting", "stay"),
    "not_enough_evidence": ("Not enough evidence", "wait"),
}
MODES = {
    "live": "live: every model was called during this run",
    "record": "live, recorded: every model was called and the exchanges saved as fixtures",
    "replay": "replayed from recorded fixtures: no model was called for this run",
}
LATENCY = {
    "live": "measured in this run",
    "record": "measured in this run, and recorded with the fixtures",
    "replay": "as recorded with the fixtures, not the time this replay took",
}
KINDS = {"fine_tune": "fine-tuned model", "prompted": "prompted model"}


@dataclass(frozen=True)
class Figure:
    label: str
    value: str
    details: list[str] = field(default_factory=list)
    tone: str = ""


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


def _challenger_views(a: Analysis, cv_focus: ChallengerVerdict | None) -> list[ChallengerView]:
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


def _delta_chart(a: Analysis) -> str | None:
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


@dataclass
class Tokens:
    """What one candidate used in this run, summed over its calls."""

    calls: int = 0
    prompt: int = 0
    cached: int = 0
    completion: int = 0


def _totals(r: Results) -> dict[str, Tokens]:
    out = {c.name: Tokens() for c in r.candidates}
    for e in r.examples:
        for name, calls in e.calls.items():
            t = out.setdefault(name, Tokens())
            for c in calls:
                t.calls += 1
                t.prompt += c.prompt_tokens
                t.cached += c.cached_tokens
                t.completion += c.completion_tokens
    return out


def _scenario_rows(a: Analysis | None) -> list[tuple[str, list[str]]]:
    """Every input of each challenger's cost model, one row per input."""
    if a is None or not a.challengers:
        return []
    as_of = a.as_of

    def day(v: float | None, none: str) -> str:
        return none if v is None else on_day(v, as_of)

    spec: list[tuple[str, str, Any]] = [
        ("calls_per_day", "calls per day (day 0)", lambda v: number(v)),
        ("monthly_growth", "monthly growth", lambda v: f"{v:+.2%}"),
        ("horizon_days", "horizon", days),
        ("prompt_cost_per_call", "incumbent cost per call", money),
        ("ft_cost_per_call", "challenger cost per call", money),
        ("training_cost", "training cost", money),
        ("one_time_cost", "one-time costs", money),
        ("retrain_cost", "retrain cost", lambda v: "the training cost" if v is None else money(v)),
        ("hosting_per_hour", "hosting per hour", money),
        (
            "update_every_days",
            "base-model update every",
            lambda v: "none expected" if v is None else days(v),
        ),
        ("shutdown_day", "base-model shutdown", lambda v: day(v, "none announced")),
        ("training_cutoff_day", "last training job", lambda v: day(v, "none announced")),
        ("error_cost", "cost of a wrong answer", money),
        ("prompt_error_rate", "incumbent error rate", lambda v: f"{v:.1%}"),
        ("ft_error_rate", "challenger error rate", lambda v: f"{v:.1%}"),
    ]
    inputs = [
        {k: v for k, v in dataclasses.asdict(c.break_even.scenario).items() if k != "as_of"}
        for c in a.challengers
    ]
    known = {k for k, *_ in spec}
    extra = sorted({k for i in inputs for k in i} - known)
    rows = [(label, [fmt(i[key]) if key in i else "—" for i in inputs]) for key, label, fmt in spec]
    rows += [(key.replace("_", " "), [plain(i.get(key)) for i in inputs]) for key in extra]
    return rows


def _csp(script: str) -> str:
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode()
    # Nothing may load, connect or submit; only the page's own script runs, even if some text
    # ever escaped escaping.
    return (
        "default-src 'none'; style-src 'unsafe-inline'; "
        f"script-src 'sha256-{digest}'; base-uri 'none'; form-action 'none'"
    )


def _call_costs(a: Analysis | None) -> dict[str, Any]:
    """The analysed cost per call of each candidate that has one, by name."""
    if a is None:
        return {}
    costs = {c.name: c.cost for c in a.challengers}
    if a.incumbent_cost is not None:
        costs[a.incumbent_cost.candidate] = a.incumbent_cost
    return costs


def render(
    results: Results, run_dir: Path | None = None, texts: dict[str, dict[str, Any]] | None = None
) -> str:
    """The report page for `results`, with example text from `texts` (examples.jsonl's rows by
    id) or else from run_dir/examples.jsonl, if any."""
    r, a = results, results.analysis
    cv = focus(a)
    incumbent = next((c for c in r.candidates if c.role == "incumbent"), None)
    examples = _examples.build(
        r, run_dir, incumbent.name if incumbent else None, cv.name if cv else None, texts
    )
    script = asset("report.js")
    by_name: dict[str, CandidateResult] = {c.name: c for c in r.candidates}
    title, tone = VERDICTS[a.verdict] if a else ("No verdict", "wait")
    context = {
        "r": r,
        "a": a,
        "focus": cv,
        "by_name": by_name,
        "call_costs": _call_costs(a),
        "incumbent": incumbent,
        "verdict_title": title,
        "tone": tone,
        "kinds": KINDS,
        "mode_text": MODES[r.run.mode],
        "figures": key_figures(r, cv),
        "challengers": _challenger_views(a, cv) if a else [],
        "delta_chart": Markup(svg) if a and (svg := _delta_chart(a)) else None,
        "label_candidates": [c for c in r.candidates if c.metrics.labels is not None],
        "confusions": _confusion.confusion_views(r.candidates),
        "matrix_max": _confusion.MATRIX_MAX_LABELS,
        "latency_text": LATENCY[r.run.mode],
        "totals": _totals(r),
        "scenario_rows": _scenario_rows(a),
        "examples": examples,
        "example_rows": rows_html(examples),
        "families": _families.build(r),
        "problem_finish": _examples.PROBLEM_FINISH,
        "shade": lambda count, row_total: (
            f"{0.08 + 0.72 * count / row_total:.2f}" if row_total and count else "0"
        ),
        "css": Markup(asset("report.css")),
        "script": Markup(script),
        "csp": _csp(script),
    }
    return environment().get_template("report.html.j2").render(context)
