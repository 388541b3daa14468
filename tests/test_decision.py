"""The verdict rules, one test each, against figures worked out by hand in the comments.

Every test builds a `Results` of 400 examples by hand, so the quality delta, McNemar's test and
the costs per call are known exactly, then calls `decision.analyze` directly.

Unless a test says otherwise (as_of 2026-11-28, 10,000 calls a day, 730-day horizon):
- the incumbent `big` (provider `acme`, in no catalog: no lifecycle dates) passes examples
  0-359 and fails 360-399 (accuracy 0.9); each call is 1,900 prompt + 50 completion tokens at
  $1 / $2 per 1M: 1,900 x 1 / 1e6 + 50 x 2 / 1e6 = $0.0019 + $0.0001 = $0.002 a call;
- the fine-tune `ft:small:acme::ft` (same prices) sends 400 prompt + 50 completion tokens:
  $0.0004 + $0.0001 = $0.0005 a call, and costs $5,000 to train;
  so it saves $0.002 - $0.0005 = $0.0015 a call, x 10,000 = $15 a day.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest

from advisor import stats
from advisor.analysis import Assumptions
from advisor.cost_per_call import known_batch_discount
from advisor.decision import Analysis, ChallengerVerdict, Rule, analyze
from advisor.economics import day_to_date
from advisor.pricing import PriceOverride
from advisor.results import Call, ExampleResult, Results, RunInfo
from advisor.study import Study
from advisor.wording import day_count, money, number, share

AS_OF = date(2026, 11, 28)
N = 400
INCUMBENT_FAILS = range(360, 400)


def passes(fails: Iterable[int] = INCUMBENT_FAILS, flip: Iterable[int] = ()) -> list[int]:
    """1 (pass) or 0 (fail) per example: fails on `fails`, then each example in `flip` toggled."""
    out = [0 if i in set(fails) else 1 for i in range(N)]
    for i in flip:
        out[i] = 1 - out[i]
    return out


@dataclass(frozen=True)
class Arm:
    """One candidate's answers: pass/fail per example and its tokens per call."""

    passes: list[int]
    prompt: int | list[int]
    completion: int = 50


INC = Arm(passes(), 1_900)  # $0.002 a call, accuracy 0.9


def ft_arm(flip: Iterable[int] = (), prompt: int | list[int] = 400) -> Arm:
    """The fine-tune: the incumbent's pass/fail pattern with `flip` toggled; $0.0005 a call."""
    return Arm(passes(flip=flip), prompt)


def make_results(study: Study, arms: dict[str, Arm], as_of: date = AS_OF) -> Results:
    examples = []
    for i in range(N):
        calls = {}
        for name, arm in arms.items():
            prompt = arm.prompt[i] if isinstance(arm.prompt, list) else arm.prompt
            calls[name] = [
                Call(
                    repeat=0,
                    score=float(arm.passes[i]),
                    prompt_tokens=prompt,
                    cached_tokens=0,
                    completion_tokens=arm.completion,
                    finish_reason="stop",
                    error=None,
                    latency_ms=10.0,
                )
            ]
        examples.append(ExampleResult(id=f"e{i:03d}", metadata={}, expected="x", calls=calls))
    run = RunInfo(
        mode="replay",
        requests=N * len(arms),
        from_cache=0,
        retries=0,
        rate_limited=0,
        errors=0,
        spend=0.0,
        max_spend=None,
        stopped_at_spend_cap=False,
    )
    return Results(
        status="complete",
        name=study.name,
        as_of=as_of,
        note="built by hand",
        study=study.model_dump(mode="json"),
        study_path="study.toml",
        evalset={"name": "hand", "examples": N},
        scorer={"type": "exact", "primary_metric": "accuracy", "pass_fail": True},
        run=run,
        candidates=[],
        examples=examples,
    )


def candidate(name: str, model: str, *, input: float = 1.0, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "model": model,
        "provider": "acme",
        "template": "t.jinja",
        "prices": {"input": input, "output": 2.0},
        **extra,
    }


INCUMBENT = candidate("incumbent", "big", role="incumbent")


def fine_tune(name: str = "ft", training_cost: float = 5_000, **extra: Any) -> dict[str, Any]:
    return candidate(name, f"ft:small:acme::{name}", training_cost=training_cost, **extra)


def make_study(
    *challengers: dict[str, Any],
    calls: float = 10_000,
    incumbent: dict[str, Any] = INCUMBENT,
    **sections: dict[str, Any],
) -> Study:
    return Study.model_validate(
        {
            "name": "hand",
            "evalset": {"path": "ev.jsonl", "inputs": ["text"]},
            "scorer": {"type": "exact"},
            "candidates": [incumbent, *challengers],
            "traffic": {"calls_per_day": calls, **sections.pop("traffic", {})},
            **sections,
        }
    )


def run(
    study: Study,
    arms: dict[str, Arm],
    as_of: date = AS_OF,
    overrides: dict[str, PriceOverride] | None = None,
) -> Analysis:
    return analyze(make_results(study, arms, as_of), Assumptions(study, as_of, overrides or {}))


def judged(a: Analysis, name: str = "ft") -> ChallengerVerdict:
    return next(c for c in a.challengers if c.name == name)


def rule(c: ChallengerVerdict, name: str) -> Rule:
    found = [r for r in c.rules if r.name == name]
    assert len(found) == 1, [r.name for r in c.rules]
    return found[0]


# --- one test per rule --------------------------------------------------------------------------


def test_clear_fine_tune():
    # The fine-tune also passes 4 examples the incumbent fails (360-363): delta = 4 / 400 = +0.01.
    # McNemar: b01 = 4, b10 = 0, p = 2 x P(X <= 0 | Bin(4, 1/2)) = 2 / 16 = 0.125.
    # $15 a day (module docstring); payback 5,000 / 15 = 333.33 days, day 333 = 2027-10-27;
    # net saving at 730 days = 730 x 15 - 5,000 = $5,950; first crossing = payback (no retrain).
    # Smallest volume paying back training within the horizon: 5,000 / (0.0015 x 730) = 4,566.2.
    a = run(make_study(fine_tune()), {"incumbent": INC, "ft": ft_arm(range(360, 364))})
    ft = judged(a)
    assert (a.verdict, a.recommended, a.recommended_kind) == ("fine_tune", "ft", "fine_tune")
    assert ft.status == "eligible" and ft.kind == "fine_tune"
    q = ft.quality
    assert (q.n, q.incumbent_mean, q.challenger_mean) == (400, 0.9, pytest.approx(0.91))
    assert q.delta == pytest.approx(0.01) and q.p_value == pytest.approx(0.125)
    assert q.test == "mcnemar_exact" and -0.02 <= q.low <= 0.01 <= q.high
    be = ft.break_even
    assert ft.cost.cost_per_call == pytest.approx(0.0005)
    assert a.incumbent_cost.cost_per_call == pytest.approx(0.002)
    assert be.saving_per_call == pytest.approx(0.0015)
    assert be.daily_net_saving == pytest.approx(15.0)
    assert be.payback_days == pytest.approx(5_000 / 15)
    assert be.training_payback_days == pytest.approx(5_000 / 15)
    assert be.first_crossing_days == pytest.approx(5_000 / 15)
    assert be.simple_payback_days == pytest.approx(5_000 / 15)
    assert be.payback_date == date(2027, 10, 27)
    assert be.net_saving_at_horizon == pytest.approx(5_950.0)
    assert be.min_calls_per_day == pytest.approx(5_000 / (0.0015 * 730))
    assert be.life.life_days is None and be.life.retrain_days == ()
    assert [r.name for r in ft.rules] == [
        "quality.margin",
        "economics.daily_saving",
        "economics.horizon",
    ]
    quality = rule(ft, "quality.margin")
    assert quality.outcome == "pass"
    # The interval's lower end is above 0: "better by", not "as good as".
    assert q.low > 0
    assert quality.message == (
        f"better by 0.010: accuracy +0.010 [{q.low:+.3f}, {q.high:+.3f}] at 95% on 400 "
        "examples (McNemar p = 0.125), the whole interval above 0"
    )
    assert rule(ft, "economics.daily_saving").message == (
        "saves $15.00 a day at 10,000 calls/day ($0.001500 a call)"
    )
    assert rule(ft, "economics.horizon").message == (
        "pays back in 333.3 days (2027-10-27); net saving $5,950.00 over the 730-day horizon"
    )
    assert a.summary.startswith("Fine-tune ft: better than incumbent (accuracy +0.010")
    assert a.summary.endswith(
        "pays back in 333.3 days (2027-10-27), saves $5,950.00 over the 730-day horizon; "
        f"pays back within the horizon in {share(ft.probability.payback_within_horizon)} of draws."
    )


def test_cheaper_prompted_model_switch():
    # `mini` is prompted (no ft: prefix, no base_model): same 1,900 + 50 tokens at $0.20 / $2:
    # 1,900 x 0.2 / 1e6 + 50 x 2 / 1e6 = $0.00038 + $0.0001 = $0.00048 a call; saves
    # $0.002 - $0.00048 = $0.00152 a call, $15.20 a day, nothing to train: net saving at 730
    # days = 730 x 15.20 = $11,096, above the fine-tune's $5,950, so `mini` ranks first.
    study = make_study(fine_tune(), candidate("mini", "mini", input=0.2))
    a = run(study, {"incumbent": INC, "ft": ft_arm(), "mini": Arm(passes(), 1_900)})
    mini = judged(a, "mini")
    assert (a.verdict, a.recommended, a.recommended_kind) == ("switch_model", "mini", "prompted")
    assert a.ranking == ["mini", "ft"]
    assert mini.status == "eligible" and mini.kind == "prompted"
    assert mini.training_cost is None and mini.break_even.scenario.training_cost == 0
    assert mini.cost.cost_per_call == pytest.approx(0.00048)
    assert mini.break_even.daily_net_saving == pytest.approx(15.2)
    assert mini.break_even.payback_days == 0
    assert mini.break_even.net_saving_at_horizon == pytest.approx(11_096.0)
    assert judged(a).break_even.net_saving_at_horizon == pytest.approx(5_950.0)
    assert rule(mini, "economics.daily_saving").message == (
        "saves $15.20 a day at 10,000 calls/day ($0.001520 a call)"
    )
    assert rule(mini, "economics.horizon").message == (
        "pays back in 0.0 days (2026-11-28); net saving $11,096.00 over the 730-day horizon"
    )
    assert not any(r.name.startswith("feasibility") for r in mini.rules)
    assert a.summary == (
        "Switch to mini: no worse than incumbent (accuracy +0.000 [+0.000, +0.000]), pays back "
        "in 0.0 days (2026-11-28), saves $11,096.00 over the 730-day horizon; pays back within "
        "the horizon in 100% of draws."
    )


def test_volume_too_low():
    # 500 calls a day x $0.0015 = $0.75 a day; payback 5,000 / 0.75 = 6,666.67 days, day 6,666
    # = 2045-02-27, beyond the 730-day horizon. Net saving at the horizon 730 x 0.75 - 5,000 =
    # -$4,452.50. The volume that would pay back within the horizon: 5,000 / (0.0015 x 730)
    # = 4,566.2 calls a day.
    a = run(make_study(fine_tune(), calls=500), {"incumbent": INC, "ft": ft_arm()})
    ft = judged(a)
    assert (a.verdict, a.recommended, a.recommended_kind) == (
        "keep_prompting",
        "incumbent",
        "prompted",
    )
    assert ft.status == "uneconomic"
    be = ft.break_even
    assert be.daily_net_saving == pytest.approx(0.75)
    assert be.simple_payback_days == pytest.approx(20_000 / 3)
    assert be.simple_payback_date == date(2045, 2, 27)
    assert be.payback_days is None and not be.payback_within_horizon
    assert be.net_saving_at_horizon == pytest.approx(-4_452.5)
    assert be.first_crossing_days is None
    assert be.min_calls_per_day == pytest.approx(4_566.21, abs=0.01)
    horizon = rule(ft, "economics.horizon")
    assert horizon.outcome == "fail"
    assert horizon.message == (
        "volume too low: no payback within the 730-day horizon; simple payback 6,666.7 days, "
        "beyond the 730-day horizon; net saving -$4,452.50 over the 730-day horizon"
    )
    assert rule(ft, "economics.daily_saving").message == (
        "saves $0.75 a day at 500 calls/day ($0.001500 a call)"
    )
    assert a.summary == (
        f"Keep prompting incumbent: the best challenger, ft, {horizon.message}; it pays back "
        f"within the horizon in {share(ft.probability.payback_within_horizon)} of draws."
    )
    assert ft.probability.payback_within_horizon < 0.01


def test_training_payback_after_the_next_update_must_be_redone():
    # The design's worked example: $15 a day, $5,000 training, payback 333.33 days. A base-model
    # update every 6 months = 6 x 365.25 / 12 = 182.625 days (day 182 = 2027-05-29): the
    # fine-tune dies before it has paid. Retrains at 182.625, 365.25 and 547.875 (the 4th,
    # 730.5, is past the horizon): net saving 730 x 15 - 5,000 - 3 x 5,000 = -$9,050.
    # Volume for training to pay back within one life: 5,000 / (0.0015 x 182.625) = 18,252.3.
    study = make_study(fine_tune(), lifecycle={"months_between_updates": 6})
    a = run(study, {"incumbent": INC, "ft": ft_arm()})
    ft = judged(a)
    assert a.verdict == "keep_prompting" and ft.status == "uneconomic"
    be = ft.break_even
    assert be.training_payback_days == pytest.approx(1_000 / 3)
    assert be.life.life_days == pytest.approx(182.625)
    assert be.life.retrain_days == pytest.approx((182.625, 365.25, 547.875))
    assert be.redo_before_payback is True
    assert be.payback_days is None
    assert be.net_saving_at_horizon == pytest.approx(-9_050.0)
    assert be.training_min_calls_per_day == pytest.approx(5_000 / (0.0015 * 182.625))
    # Every cost within the horizon: 4 x 5,000 / (0.0015 x 730) = 18,264.8 calls a day.
    assert be.min_calls_per_day == pytest.approx(20_000 / (0.0015 * 730))
    redo = rule(ft, "economics.training_payback")
    assert redo.outcome == "fail"
    assert redo.message == (
        "training payback on day 333.3, after the expected base-model update on day 182.6 "
        "(2027-05-29): the fine-tune must be redone before it pays"
    )
    assert "must be redone before it pays" in a.summary
    assert rule(ft, "economics.lifecycle").message == (
        "the fine-tune lives until day 182.6 (2027-05-29), the expected base-model update; "
        "retrained 3 time(s) within the horizon"
    )
    horizon = rule(ft, "economics.horizon")
    assert horizon.outcome == "fail"
    assert horizon.message == (
        "volume too low: no payback within the 730-day horizon; simple payback 333.3 days, but "
        "the fine-tune's life ends on day 182.6 (2027-05-29) at the expected base-model update, "
        "before it has paid, and each retrain costs $5,000.00 again; net saving -$9,050.00 over "
        "the 730-day horizon"
    )


def test_worse_than_the_margin_is_vetoed_whatever_it_saves():
    # The fine-tune fails 80 examples the incumbent passes (0-79): delta = -80 / 400 = -0.2.
    # Per-example differences are -1 (80 times) or 0, sd of the mean = sqrt(0.2 x 0.8 / 400)
    # = 0.02, so the 95% interval is about -0.2 +- 1.96 x 0.02 = [-0.239, -0.161]: wholly
    # below -0.02. McNemar: b10 = 80, b01 = 0, p = 2 x 0.5^80 = 2^-79 = 1.65e-24.
    # It still saves $15 a day and pays back in 333.3 days: the veto wins.
    a = run(make_study(fine_tune()), {"incumbent": INC, "ft": ft_arm(range(80))})
    ft = judged(a)
    assert a.verdict == "keep_prompting" and ft.status == "vetoed"
    q = ft.quality
    assert q.delta == pytest.approx(-0.2) and q.challenger_mean == pytest.approx(0.7)
    assert q.p_value == pytest.approx(2.0**-79)
    assert q.low == pytest.approx(-0.239, abs=0.006) and q.high == pytest.approx(-0.161, abs=0.006)
    assert q.examples_to_settle is None  # delta <= -margin: more data only confirms the loss
    veto = rule(ft, "quality.margin")
    assert veto.outcome == "fail"
    assert veto.message == (
        f"worse by more than the margin: accuracy -0.200 [{q.low:+.3f}, {q.high:+.3f}] at 95% "
        "on 400 examples (McNemar p = 1.65e-24), the whole interval below -0.02"
    )
    assert rule(ft, "economics.horizon").outcome == "pass"  # it would pay; quality vetoes it
    assert a.summary.startswith("Keep prompting incumbent: the best challenger, ft, worse by")


def test_interval_straddling_the_margin_is_not_enough_evidence():
    # The fine-tune loses 10 examples (0-9) and wins 6 (360-365): delta = (6 - 10) / 400 = -0.01.
    # Differences: -1 x 10, +1 x 6, 0 x 384; variance = 16 / 400 - 0.01^2 = 0.0399, sd of the
    # mean = sqrt(0.0399 / 400) = 0.00999, 95% interval about -0.01 +- 0.0196 = [-0.0296,
    # +0.0096]: it straddles -0.02. McNemar: b01 = 6, b10 = 10, p = 2 x P(X <= 6 | Bin(16, 1/2))
    # = 2 x (1 + 16 + 120 + 560 + 1,820 + 4,368 + 8,008) / 65,536 = 29,786 / 65,536 = 0.4545.
    # Examples to settle it: the lower arm (delta - low) must shrink to the distance to the
    # margin (delta + 0.02 = 0.01). Normal approximation: 400 x (0.0196 / 0.01)^2 = 1,537; the
    # seeded percentile bootstrap's lower end is -0.030 (12 net losses in a resample), so
    # 400 x ((-0.01 + 0.03) / 0.01)^2 = 400 x 4 = 1,600.
    a = run(
        make_study(fine_tune()), {"incumbent": INC, "ft": ft_arm([*range(10), *range(360, 366)])}
    )
    ft = judged(a)
    assert (a.verdict, a.recommended, a.recommended_kind) == ("not_enough_evidence", None, None)
    assert ft.status == "undecided"
    q = ft.quality
    assert q.delta == pytest.approx(-0.01)
    assert q.p_value == pytest.approx(29_786 / 65_536)
    assert q.low == pytest.approx(-0.0296, abs=0.003) and q.high == pytest.approx(0.0096, abs=0.003)
    assert q.low < -0.02 < q.high
    by_formula = math.ceil(400 * ((q.delta - q.low) / (q.delta + 0.02)) ** 2)
    assert q.low == pytest.approx(-0.03)
    assert q.examples_to_settle == by_formula == 1_600
    interval = stats.Interval(q.delta, q.low, q.high, q.seed, q.n_boot)
    assert stats.examples_to_settle(interval, 0.02, 400) == by_formula
    undecided = rule(ft, "quality.margin")
    assert undecided.outcome == "undecided"
    assert undecided.message == (
        f"undecided: accuracy -0.010 [{q.low:+.3f}, {q.high:+.3f}] at 95% on 400 examples "
        f"(McNemar p = 0.454) straddles -0.02; about {by_formula:,} examples would settle it"
    )
    assert a.summary == f"Not enough evidence on ft: {undecided.message}."


def test_an_undecided_challenger_past_the_margin_is_likely_worse_not_a_reason_to_wait():
    # The fine-tune loses 16 examples (0-15) and wins 6 (360-365): delta = -10 / 400 = -0.025.
    # Differences: -1 x 16, +1 x 6; variance = 22 / 400 - 0.025^2 = 0.054375, sd of the mean
    # sqrt(0.054375 / 400) = 0.01166: 95% interval about -0.025 +- 0.0229 = [-0.048, -0.002],
    # straddling -0.02 with the point estimate already below it: likely worse. It is the only
    # challenger, so the verdict is keep prompting, not "not enough evidence".
    arms = {"incumbent": INC, "ft": ft_arm([*range(16), *range(360, 366)])}
    a = run(make_study(fine_tune()), arms)
    ft = judged(a)
    q = ft.quality
    assert q.delta == pytest.approx(-0.025) and q.low < -0.02 < q.high
    assert ft.status == "undecided"
    likely = rule(ft, "quality.margin")
    assert likely.outcome == "undecided"
    assert likely.message.startswith("likely worse: accuracy -0.025 [")
    assert likely.message.endswith(
        "straddles -0.02 with its point estimate below it; more examples would only confirm "
        "the loss"
    )
    assert (a.verdict, a.recommended) == ("keep_prompting", "incumbent")
    assert a.summary == (f"Keep prompting incumbent: the best challenger, ft, {likely.message}.")
    assert ft.probability.non_inferior < 0.5


def test_a_volume_range_makes_the_chance_triangular():
    # Every call costs the same, so only the volume varies: $0.0015 saved a call, $5,000 to
    # repay within 730 days needs more than 5,000 / (0.0015 x 730) = 4,566.2 calls a day. With
    # the volume triangular on [0, 20,000] around 10,000: P = 1 - 4,566.2^2 / (20,000 x 10,000)
    # = 1 - 0.10425 = 0.8957.
    study = make_study(fine_tune(), traffic={"calls_per_day_range": [0, 20_000]})
    ft = judged(run(study, {"incumbent": INC, "ft": ft_arm()}))
    p = ft.probability
    assert p.calls_per_day_range == (0, 20_000) and p.n == 400 and p.draws == 10_000
    assert p.payback_within_horizon == pytest.approx(1 - 4_566.21**2 / 2e8, abs=0.02)
    assert p.net_saving_positive == pytest.approx(p.payback_within_horizon, abs=1e-3)
    assert p.payback_p50 == pytest.approx(5_000 / 15, rel=0.1)


@pytest.mark.parametrize(
    ("span", "message"),
    [
        ([20_000, 30_000], "calls_per_day_range must be [low, high] with low <= calls_per_day"),
        ([-5, 20_000], "low >= 0"),
        ([0, float("inf")], "finite"),
    ],
)
def test_a_volume_range_must_hold_the_stated_volume(span, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        make_study(fine_tune(), traffic={"calls_per_day_range": span})


def test_unstable_task_rules_fine_tuning_out():
    # Everything else is the clear fine-tune of the first test ($15 a day, 333.3 days).
    study = make_study(fine_tune(), lifecycle={"task_stable": False})
    a = run(study, {"incumbent": INC, "ft": ft_arm()})
    ft = judged(a)
    assert a.verdict == "keep_prompting" and ft.status == "infeasible"
    unstable = rule(ft, "feasibility.task_stable")
    assert unstable.outcome == "fail"
    assert unstable.message == (
        "the study declares the task unstable (instructions or output format change often): "
        "fine-tuning is ruled out"
    )
    assert a.summary == f"Keep prompting incumbent: the best challenger, ft, {unstable.message}."
    # A prompted challenger is not trained, so an unstable task does not rule it out.
    study = make_study(
        fine_tune(), candidate("mini", "mini", input=0.2), lifecycle={"task_stable": False}
    )
    a = run(study, {"incumbent": INC, "ft": ft_arm(), "mini": Arm(passes(), 1_900)})
    assert (a.verdict, a.recommended) == ("switch_model", "mini")
    assert a.ranking == ["mini", "ft"] and judged(a).status == "infeasible"


CATALOG_FT = "ft:gpt-4o-mini-2024-07-18:acme::late"


def _catalog_fine_tune() -> dict[str, Any]:
    """A fine-tune of gpt-4o-mini at OpenAI: training cutoff 2027-01-06, shutdown 2027-01-14."""
    return {
        "name": "ft",
        "model": CATALOG_FT,
        "template": "t.jinja",
        "training_cost": 5_000,
    }


def test_provider_past_its_training_cutoff_is_infeasible():
    # The catalog: OpenAI takes no fine-tuning job after 2027-01-06; as of 2027-01-10 none can
    # be made. The snapshot itself still answers until 2027-01-14, so only that rule fails.
    as_of = date(2027, 1, 10)
    a = run(make_study(_catalog_fine_tune()), {"incumbent": INC, "ft": ft_arm()}, as_of=as_of)
    ft = judged(a)
    assert a.verdict == "keep_prompting" and ft.status == "infeasible"
    closed = rule(ft, "feasibility.training_open")
    assert closed.outcome == "fail"
    assert closed.message == (
        "openai takes no new fine-tuning jobs after 2027-01-06: as of 2027-01-10 this fine-tune "
        "cannot be made"
    )
    assert not any(r.name == "feasibility.base_alive" for r in ft.rules)
    assert a.summary == f"Keep prompting incumbent: the best challenger, ft, {closed.message}."
    # After the shutdown, the base model is gone too.
    a = run(
        make_study(_catalog_fine_tune()),
        {"incumbent": INC, "ft": ft_arm()},
        as_of=date(2027, 1, 20),
    )
    ft = judged(a)
    assert ft.status == "infeasible"
    assert rule(ft, "feasibility.training_open").outcome == "fail"
    assert rule(ft, "feasibility.base_alive").message == (
        "gpt-4o-mini-2024-07-18 shut down on 2027-01-14"
    )


def test_before_the_cutoff_the_shutdown_ends_the_fine_tune():
    # As of 2026-11-28 OpenAI still trains (until 2027-01-06, day 39) and the snapshot shuts down
    # on 2027-01-14 (day 47), after the cutoff: no retrain, the incumbent's cost from day 47.
    # Catalog fine-tuned prices of gpt-4o-mini: $0.30 input, $1.20 output per 1M:
    # 400 x 0.30 / 1e6 + 50 x 1.20 / 1e6 = $0.00012 + $0.00006 = $0.00018 a call; saving
    # $0.002 - $0.00018 = $0.00182 a call, $18.20 a day; training payback 5,000 / 18.2 = 274.7
    # days, after day 47; net saving 47 x 18.20 - 5,000 = -$4,144.60.
    a = run(make_study(_catalog_fine_tune()), {"incumbent": INC, "ft": ft_arm()})
    ft = judged(a)
    assert a.verdict == "keep_prompting" and ft.status == "uneconomic"
    assert rule(ft, "feasibility.training_open").message == (
        "openai takes fine-tuning jobs until 2027-01-06"
    )
    assert rule(ft, "feasibility.training_open").outcome == "pass"
    be = ft.break_even
    assert ft.cost.cost_per_call == pytest.approx(0.00018)
    assert be.scenario.shutdown_day == 47 and be.scenario.training_cutoff_day == 39
    assert be.life.life_days == 47 and be.life.fallback_day == 47
    assert be.life.retrain_days == ()
    # The seed's arithmetic (5,000 / 18.2) is never reached by a fine-tune that dies on day 47.
    assert be.payback_days is None and be.payback_date is None
    assert be.simple_payback_days == pytest.approx(5_000 / 18.2)
    assert be.training_payback_days == pytest.approx(5_000 / 18.2)
    assert be.net_saving_at_horizon == pytest.approx(47 * 18.2 - 5_000)
    assert rule(ft, "economics.training_payback").message == (
        "training payback on day 274.7, after the base model's shutdown on day 47.0 "
        "(2027-01-14): the fine-tune must be redone before it pays"
    )
    assert rule(ft, "economics.lifecycle").message == (
        "the fine-tune lives until day 47.0 (2027-01-14), the base model's shutdown; no "
        "retraining possible from day 47.0 (2027-01-14): the incumbent's cost per call applies "
        "from then on"
    )
    # It serves 47 days, saving 47 x 18.20 = $855.40 of its $5,000: -$4,144.60 at the horizon.
    horizon = rule(ft, "economics.horizon")
    assert horizon.outcome == "fail"
    for figure in ("274.7", "day 47.0 (2027-01-14)", "-$4,144.60"):
        assert figure in horizon.message


def _error_study(error_cost: float) -> tuple[Study, dict[str, Arm]]:
    """Incumbent accuracy 0.8 (fails 320-399); the fine-tune passes 320-359 too: 0.9.

    The fine-tune sends 2,900 prompt tokens: 2,900 x 1 / 1e6 + 50 x 2 / 1e6 = $0.003 a call,
    $0.001 dearer than the incumbent's $0.002.
    """
    study = make_study(fine_tune(), lifecycle={"error_cost": error_cost})
    inc = Arm(passes(range(320, 400)), 1_900)
    ft = Arm(passes(range(320, 400), flip=range(320, 360)), 2_900)
    return study, {"incumbent": inc, "ft": ft}


def test_dearer_fine_tune_that_wins_on_the_cost_of_errors():
    # Error rates: incumbent 1 - 0.8 = 0.2, fine-tune 0.2 - 0.1 = 0.1. At $0.05 an error the
    # fine-tune saves 0.1 x 0.05 = $0.005 a call on errors, minus $0.001 dearer calls = $0.004 a
    # call, $40 a day; payback 5,000 / 40 = 125 days (2027-04-02); net saving 730 x 40 - 5,000 =
    # $24,200. McNemar: b01 = 40, b10 = 0, p = 2 x 0.5^40 = 2^-39 = 1.82e-12.
    study, arms = _error_study(0.05)
    a = run(study, arms)
    ft = judged(a)
    assert (a.verdict, a.recommended) == ("fine_tune", "ft") and ft.status == "eligible"
    assert ft.cost.cost_per_call == pytest.approx(0.003)
    assert ft.quality.delta == pytest.approx(0.1) and ft.quality.p_value == pytest.approx(2.0**-39)
    be = ft.break_even
    assert be.scenario.prompt_error_rate == pytest.approx(0.2)
    assert be.scenario.ft_error_rate == pytest.approx(0.1)
    assert be.saving_per_call == pytest.approx(0.004)
    assert be.daily_net_saving == pytest.approx(40.0)
    assert be.payback_days == pytest.approx(125.0)
    assert be.net_saving_at_horizon == pytest.approx(24_200.0)
    assert rule(ft, "economics.daily_saving").message == (
        "saves $40.00 a day at 10,000 calls/day ($0.004000 a call)"
    )
    # 125 days by hand, 124.99999999999997 in floating point: the date is checked apart below.
    assert rule(ft, "economics.horizon").message == (
        f"pays back in 125.0 days ({be.payback_date}); net saving $24,200.00 over the "
        "730-day horizon"
    )
    assert "(McNemar p = 1.82e-12)" in rule(ft, "quality.margin").message


def test_a_whole_day_payback_is_dated_that_day():
    # The same $40 a day and $5,000 as above: 5,000 / 40 = 125 days exactly, by hand.
    study, arms = _error_study(0.05)
    assert judged(run(study, arms)).break_even.payback_date == date(2027, 4, 2)


def test_dearer_fine_tune_that_errors_do_not_pay_for():
    # At $0.005 an error: 0.1 x 0.005 = $0.0005 saved on errors < $0.001 dearer calls: -$0.0005
    # a call, -$5 a day: it never pays, however long the horizon.
    study, arms = _error_study(0.005)
    a = run(study, arms)
    ft = judged(a)
    assert a.verdict == "keep_prompting" and ft.status == "uneconomic"
    be = ft.break_even
    assert be.saving_per_call == pytest.approx(-0.0005)
    assert be.payback_days is None and be.min_calls_per_day is None
    assert be.net_saving_at_horizon == pytest.approx(-5 * 730 - 5_000)
    never = rule(ft, "economics.daily_saving")
    assert never.outcome == "fail"
    assert never.message == (
        "never pays: daily net saving -$5.00 at 10,000 calls/day (-$0.000500 a call)"
    )
    assert rule(ft, "quality.margin").outcome == "pass"  # better quality, still not worth it


def test_dearer_prompted_model_never_pays():
    # `dear` answers like the incumbent at $2 input: 1,900 x 2 / 1e6 + 50 x 2 / 1e6 = $0.0039 a
    # call, $0.0019 dearer: -$19 a day. Nothing to train, so there is no upfront cost to repay;
    # the daily net saving <= 0 is what says "never pays" (not "volume too low").
    study = make_study(candidate("dear", "dear", input=2.0))
    a = run(study, {"incumbent": INC, "dear": Arm(passes(), 1_900)})
    dear = judged(a, "dear")
    assert a.verdict == "keep_prompting" and dear.status == "uneconomic"
    assert dear.break_even.daily_net_saving == pytest.approx(-19.0)
    assert dear.break_even.net_saving_at_horizon == pytest.approx(-19.0 * 730)
    never = rule(dear, "economics.daily_saving")
    assert never.outcome == "fail"
    assert never.message == (
        "never pays: daily net saving -$19.00 at 10,000 calls/day (-$0.001900 a call)"
    )
    assert [r.name for r in dear.rules] == ["quality.margin", "economics.daily_saving"]


def _errors_only(results: Results, name: str) -> Results:
    """Every call of `name` ended in an error (a wrong model id: HTTP 404 on each request)."""
    failed = Call(
        repeat=0,
        score=None,
        prompt_tokens=0,
        cached_tokens=0,
        completion_tokens=0,
        finish_reason=None,
        error="HTTP 404: model not found",
        latency_ms=None,
    )
    for example in results.examples:
        example.calls[name] = [failed]
    return results


def test_an_incumbent_that_answered_nothing_is_not_enough_evidence():
    # The design: no incumbent scored on the same examples -> not_enough_evidence (it used to
    # raise "no answered call to cost", and `advisor evaluate` then wrote no results at all).
    study = make_study(fine_tune())
    results = _errors_only(make_results(study, {"incumbent": INC, "ft": ft_arm()}), "incumbent")
    a = analyze(results, Assumptions(study, AS_OF, {}))
    assert (a.verdict, a.recommended, a.incumbent, a.incumbent_cost) == (
        "not_enough_evidence",
        None,
        "incumbent",
        None,
    )
    assert a.summary == "Not enough evidence: the incumbent, incumbent, answered no example."
    assert a.challengers == [] and a.review_by == date(2027, 2, 26)


def test_a_challenger_that_answered_nothing_is_not_enough_evidence():
    # `ft` answered nothing: no cost and no quality, so it is undecided, not a reason to keep
    # prompting. Next to the cheaper prompted `mini` ($15.20 a day), `mini` still wins.
    study = make_study(fine_tune())
    results = _errors_only(make_results(study, {"incumbent": INC, "ft": ft_arm()}), "ft")
    a = analyze(results, Assumptions(study, AS_OF, {}))
    assert (a.verdict, a.recommended, a.challengers) == ("not_enough_evidence", None, [])
    assert a.summary == "Not enough evidence: ft answered no example."
    study = make_study(fine_tune(), candidate("mini", "mini", input=0.2))
    arms = {"incumbent": INC, "ft": ft_arm(), "mini": Arm(passes(), 1_900)}
    results = _errors_only(make_results(study, arms), "ft")
    a = analyze(results, Assumptions(study, AS_OF, {}))
    assert (a.verdict, a.recommended, a.ranking) == ("switch_model", "mini", ["mini"])


# --- review-by, ranking, ranges, reproducible figures ---------------------------------------------

GPT41_MINI = {**INCUMBENT, "model": "gpt-4.1-mini-2025-04-14", "provider": "openai"}


@pytest.mark.parametrize(
    ("incumbent", "months", "expected", "reason"),
    [
        # nothing sooner: 2026-11-28 + 90 days
        (INCUMBENT, None, date(2027, 2, 26), "90 days after 2026-11-28"),
        # 2 months = 60.875 days, whole days: 2026-11-28 + 60 = 2027-01-27
        (INCUMBENT, 2, date(2027, 1, 27), "the next expected base-model update"),
        # 6 months (day 182) is later than 90 days
        (INCUMBENT, 6, date(2027, 2, 26), "90 days after 2026-11-28"),
        # the incumbent's snapshot shuts down on 2027-01-14, day 47 < 90
        (GPT41_MINI, None, date(2027, 1, 14), "the shutdown of gpt-4.1-mini-2025-04-14"),
        # 1 month = 30.44 days: 2026-12-28, before the shutdown
        (GPT41_MINI, 1, date(2026, 12, 28), "the next expected base-model update"),
    ],
)
def test_review_by_is_90_days_or_sooner(incumbent, months, expected, reason):
    study = make_study(
        fine_tune(), incumbent=incumbent, lifecycle={"months_between_updates": months}
    )
    a = run(study, {"incumbent": INC, "ft": ft_arm()})
    assert (a.review_by, a.review_reason) == (expected, reason)


def test_ranking_survivors_by_net_saving_then_the_rest_by_status():
    # As of 2027-01-10 (OpenAI's training cutoff passed); net savings at 730 days:
    # mini (prompted, $15.20 a day): 730 x 15.20 = $11,096          eligible
    # ft ($15 a day, $5,000): 730 x 15 - 5,000 = $5,950             eligible
    # close (as ft, loses 10 / wins 6: straddles the margin)        undecided
    # costly ($15 a day, $20,000): payback 1,333.3 days > 730       uneconomic
    # bad (prompted at $0.20 like mini, loses 80 examples)          vetoed
    # late (fine-tune of gpt-4o-mini, no training after 2027-01-06) infeasible
    study = make_study(
        _catalog_fine_tune() | {"name": "late"},
        candidate("bad", "bad", input=0.2),
        fine_tune("costly", training_cost=20_000),
        fine_tune("close"),
        fine_tune(),
        candidate("mini", "mini", input=0.2),
    )
    arms = {
        "incumbent": INC,
        "late": ft_arm(),
        "bad": Arm(passes(flip=range(80)), 1_900),
        "costly": ft_arm(),
        "close": ft_arm([*range(10), *range(360, 366)]),
        "ft": ft_arm(),
        "mini": Arm(passes(), 1_900),
    }
    a = run(study, arms, as_of=date(2027, 1, 10))
    status = {c.name: c.status for c in a.challengers}
    assert status == {
        "late": "infeasible",
        "bad": "vetoed",
        "costly": "uneconomic",
        "close": "undecided",
        "ft": "eligible",
        "mini": "eligible",
    }
    assert a.ranking == ["mini", "ft", "close", "costly", "bad", "late"]
    assert (a.verdict, a.recommended) == ("switch_model", "mini")
    costly = judged(a, "costly").break_even
    assert costly.payback_days is None
    assert costly.simple_payback_days == pytest.approx(20_000 / 15)


def test_break_even_ranges_bracket_the_central_figures():
    # Calls vary in length so the cost intervals have width: the incumbent alternates 1,800 and
    # 2,000 prompt tokens ($0.0019 / $0.0021, mean $0.002), the fine-tune 300 and 500 ($0.0004 /
    # $0.0006, mean $0.0005); it wins 4 examples, and errors cost $0.01 (incumbent error rate
    # 0.1). Central: 0.0015 + 0.01 x 0.01 = $0.0016 a call, $16 a day, 5,000 / 16 = 312.5 days.
    # Optimistic: dearest incumbent, cheapest fine-tune, best delta; pessimistic the reverse:
    # saving = (inc.high - ft.low) + q.high x 0.01 and (inc.low - ft.high) + q.low x 0.01.
    study = make_study(fine_tune(), lifecycle={"error_cost": 0.01})
    arms = {
        "incumbent": Arm(passes(), [1_800, 2_000] * (N // 2)),
        "ft": Arm(passes(flip=range(360, 364)), [300, 500] * (N // 2)),
    }
    a = run(study, arms)
    ft, inc = judged(a), a.incumbent_cost
    q, cost, be = ft.quality, ft.cost, ft.break_even
    assert inc.low < 0.002 < inc.high and cost.low < 0.0005 < cost.high
    assert be.saving_per_call == pytest.approx(0.0016)
    assert be.payback_days == pytest.approx(312.5)
    good = (inc.high - cost.low) + q.high * 0.01
    bad = (inc.low - cost.high) + q.low * 0.01
    assert ft.payback_range.optimistic == pytest.approx(5_000 / (10_000 * good))
    assert ft.payback_range.pessimistic == pytest.approx(5_000 / (10_000 * bad))
    assert ft.net_saving_range.optimistic == pytest.approx(730 * 10_000 * good - 5_000)
    assert ft.net_saving_range.pessimistic == pytest.approx(730 * 10_000 * bad - 5_000)
    assert ft.payback_range.optimistic < be.payback_days < ft.payback_range.pessimistic
    crossing = ft.first_crossing_range
    assert crossing.optimistic < be.first_crossing_days < crossing.pessimistic
    net = ft.net_saving_range
    assert net.optimistic > be.net_saving_at_horizon > net.pessimistic


_FIGURE = re.compile(r"\d{4}-\d{2}-\d{2}|[-+]?\$?\d[\d,]*(?:\.\d+)?(?:e[-+]\d+)?%?")


def _stored_figures(a: Analysis, c: ChallengerVerdict) -> set[str]:
    """Every figure a rule may quote, formatted from what `results.json` stores."""
    be, q = c.break_even, c.quality
    as_of = be.as_of
    out = {
        money(be.daily_net_saving),
        money(be.saving_per_call),
        money(be.net_saving_at_horizon),
        number(be.scenario.calls_per_day),
        day_count(be.horizon_days),
        str(len(be.life.retrain_days)),
        money(be.scenario.retrain_charge),
    }
    days = (
        be.payback_days,
        be.simple_payback_days,
        be.training_payback_days,
        be.life.life_days,
        be.life.fallback_day,
    )
    for day in days:
        if day is not None:
            out |= {f"{day:,.1f}", day_to_date(as_of, day).isoformat()}
    if q is not None:
        out |= {f"{v:+.3f}" for v in (q.delta, q.low, q.high)} | {f"{q.delta:.3f}"}
        out |= {f"{q.confidence:.0%}", f"{q.n:,}", f"{q.p_value:.3g}"}
        out.add(f"-{a.assumptions['decision']['margin']:g}")
        if q.examples_to_settle:
            out.add(f"{q.examples_to_settle:,}")
    return out


@pytest.mark.parametrize(
    "case",
    ["fine_tune", "switch", "low_volume", "redo", "vetoed", "undecided", "shutdown", "errors"],
)
def test_every_figure_in_a_rule_is_stored(case):
    studies = {
        "fine_tune": (make_study(fine_tune()), {"ft": ft_arm(range(360, 364))}),
        "switch": (
            make_study(fine_tune(), candidate("mini", "mini", input=0.2)),
            {"ft": ft_arm(), "mini": Arm(passes(), 1_900)},
        ),
        "low_volume": (make_study(fine_tune(), calls=500), {"ft": ft_arm()}),
        "redo": (
            make_study(fine_tune(), lifecycle={"months_between_updates": 6}),
            {"ft": ft_arm()},
        ),
        "vetoed": (make_study(fine_tune()), {"ft": ft_arm(range(80))}),
        "undecided": (
            make_study(fine_tune()),
            {"ft": ft_arm([*range(10), *range(360, 366)])},
        ),
        "shutdown": (make_study(_catalog_fine_tune()), {"ft": ft_arm()}),
    }
    if case == "errors":
        study, arms = _error_study(0.005)
    else:
        study, arms = studies[case]
        arms = {"incumbent": INC, **arms}
    a = run(study, arms)
    for c in a.challengers:
        allowed = _stored_figures(a, c)
        for r in c.rules:
            if r.name.startswith("feasibility"):
                continue  # catalog dates, checked in their own tests
            quoted = _FIGURE.findall(r.message)
            assert quoted, r.message
            assert set(quoted) <= allowed, (r.message, set(quoted) - allowed)


def test_a_price_override_keeps_the_study_training_price_and_hosting():
    # The study prices the fine-tune's training at $3 per 1M tokens x 1,000,000 tokens x 2
    # epochs = $6, and hosting at $0.25 an hour = $6 a day. A re-cost with new call prices
    # (`--price`: $0.50 input, $2 output) gives 400 x 0.5 / 1e6 + 50 x 2 / 1e6 = $0.0003 a call,
    # saving $0.0017 x 10,000 = $17 a day, minus $6 hosting = $11 a day; training and hosting,
    # which --price cannot express, stay the study's.
    prices = {"input": 1.0, "output": 2.0, "training": 3.0, "hosting_per_hour": 0.25}
    ft = fine_tune(training_cost=None, training_tokens=1_000_000, epochs=2, prices=prices)
    study = make_study(ft)
    arms = {"incumbent": INC, "ft": ft_arm()}
    before = judged(run(study, arms))
    assert before.training_cost == pytest.approx(6.0)
    assert before.break_even.daily_net_saving == pytest.approx(15 - 6)
    override = {ft["model"]: PriceOverride(input=0.5, output=2.0)}
    after = judged(run(study, arms, overrides=override))
    assert after.cost.cost_per_call == pytest.approx(0.0003)
    assert after.training_cost == pytest.approx(6.0)
    assert after.break_even.scenario.hosting_per_hour == 0.25
    assert after.break_even.daily_net_saving == pytest.approx(17 - 6)


def test_a_batch_discount_comes_from_the_override_else_the_base_models_catalog_entry():
    named = candidate(
        "ft", "acme/tickets-ft", provider="openai", base_model="gpt-4.1-mini-2025-04-14"
    )
    priced = {
        **named,
        "name": "ft2",
        "prices": {"input": 1.0, "output": 2.0, "batch_discount": 0.3},
    }
    study = make_study(
        {**named, "training_cost": 100},
        {**priced, "training_cost": 100},
        traffic={"batch_share": 1},
    )
    by_name = {c.name: c for c in study.candidates}
    assumptions = Assumptions(study, AS_OF, {})
    assert known_batch_discount(by_name["ft"], assumptions) == 0.5  # gpt-4.1-mini's, catalog
    assert known_batch_discount(by_name["ft2"], assumptions) == 0.3
    # --price gives call prices only: the study's discount survives it
    repriced = Assumptions(study, AS_OF, {"acme/tickets-ft": PriceOverride(input=3, output=4)})
    assert known_batch_discount(by_name["ft2"], repriced) == 0.3
    assert known_batch_discount(by_name["incumbent"], assumptions) is None  # "big" at acme
