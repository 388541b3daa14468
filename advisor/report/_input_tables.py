"""The tables of what went in (cost inputs, costs per call, tokens), apart from the assembly."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from advisor.decision import Analysis
from advisor.report._filters import plain
from advisor.results import Results
from advisor.wording import days, money, number, on_day


@dataclass
class Tokens:
    """What one candidate used in this run, summed over its calls."""

    calls: int = 0
    prompt: int = 0
    cached: int = 0
    completion: int = 0


def totals(r: Results) -> dict[str, Tokens]:
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


def scenario_rows(a: Analysis | None) -> list[tuple[str, list[str]]]:
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


def call_costs(a: Analysis | None) -> dict[str, Any]:
    """The analysed cost per call of each candidate that has one, by name."""
    if a is None:
        return {}
    costs = {c.name: c.cost for c in a.challengers}
    if a.incumbent_cost is not None:
        costs[a.incumbent_cost.candidate] = a.incumbent_cost
    return costs
