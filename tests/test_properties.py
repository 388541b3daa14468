"""Arbitrary floats into the money: every answer finite and quick, or one line and exit 2.

`advisor breakeven`, `advisor report` re-costing and the cost model are driven with 0, tiny,
huge, infinite and NaN values; `--json` must always parse as strict JSON (no NaN, no Infinity).
"""

from __future__ import annotations

import json
import math
import shutil
import time
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from advisor import bounds
from advisor.breakeven import break_even
from advisor.cli import main
from advisor.economics import Scenario
from advisor.errors import InputError

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "reports" / "support-tickets" / "results.json"

# Every float a user could type, with the edges weighted in.
edges = st.sampled_from([0.0, 5e-324, 1e-300, 1e-9, 0.5, 1.0, 1e9, 1e300, 1e308, math.inf, -1.0])
floats = st.one_of(edges, st.floats(allow_nan=True, allow_infinity=True))
positive = st.one_of(edges, st.just(math.nan), st.floats(min_value=0, allow_infinity=True))


def _strict(text: str) -> object:
    def refuse(constant: str) -> None:
        raise ValueError(f"{constant} is not JSON")

    return json.loads(text, parse_constant=refuse)


def _finite(value: object) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(_finite(v) for v in value.values())
    if isinstance(value, list):
        return all(_finite(v) for v in value)
    return True


def _one_clean_line(err: str) -> None:
    assert err.count("\n") == 1 and err.startswith("error: ") and "Traceback" not in err, err


def _ends(started: float) -> None:
    assert time.perf_counter() - started < 2.0


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    calls=positive,
    prompt=positive,
    ft=positive,
    training=floats,
    growth=floats,
    horizon=floats,
    update=st.one_of(st.none(), floats),
    hosting=floats,
    error_cost=floats,
)
def test_breakeven_is_finite_json_or_one_line(
    capsys, calls, prompt, ft, training, growth, horizon, update, hosting, error_cost
):
    argv = ["breakeven", "--json", "--as-of", "2026-11-28"]
    for option, value in (
        ("--calls-per-day", calls),
        ("--prompt-cost", prompt),
        ("--ft-cost", ft),
        ("--training-cost", training),
        ("--growth", growth),
        ("--horizon-days", horizon),
        ("--update-months", update),
        ("--hosting-per-hour", hosting),
        ("--error-cost", error_cost),
    ):
        if value is not None:
            argv += [f"{option}={value!r}"]
    started = time.perf_counter()
    code = main(argv)
    _ends(started)
    out, err = capsys.readouterr()
    assert code in (0, 2)
    if code == 0:
        answer = _strict(out)
        assert _finite(answer) and not err
    else:
        _one_clean_line(err)
        assert not out


@settings(max_examples=120, deadline=None)
@given(
    calls=positive,
    prompt=positive,
    ft=positive,
    training=floats,
    growth=floats,
    horizon=floats,
    update=st.one_of(st.none(), floats),
)
def test_the_cost_model_is_finite_within_the_bounds(
    calls, prompt, ft, training, growth, horizon, update
):
    """What the bounds let through, the cost model answers with finite figures, quickly."""
    try:
        for value, kind in (
            (calls, bounds.CallsPerDay),
            (prompt, bounds.Usd),
            (ft, bounds.Usd),
            (training, bounds.Usd),
            (growth, bounds.Growth),
            (horizon, bounds.HorizonDays),
            (update, bounds.UpdateMonths),
        ):
            bounds.check_option("--x", value, kind)
    except InputError:
        return
    started = time.perf_counter()
    result = break_even(
        Scenario(
            calls_per_day=calls,
            prompt_cost_per_call=prompt,
            ft_cost_per_call=ft,
            training_cost=training,
            monthly_growth=growth,
            horizon_days=horizon,
            update_every_days=None if update is None else update * bounds.MONTH_DAYS,
            as_of=date(2026, 11, 28),
        )
    )
    _ends(started)
    figures = [
        result.daily_net_saving,
        result.net_saving_at_horizon,
        result.payback_days,
        result.training_payback_days,
        result.first_crossing_days,
        result.min_calls_per_day,
    ]
    assert all(f is None or math.isfinite(f) for f in figures)


@pytest.fixture(scope="module")
def example_run(tmp_path_factory) -> Path:
    """A folder for the re-costs; one re-cost first, so imports are not counted as its time."""
    folder = tmp_path_factory.mktemp("recost")
    assert main(["report", str(EXAMPLE), "--out", str(folder / "warm")]) == 0
    return folder


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    option=st.sampled_from(
        [
            "--calls-per-day",
            "--growth",
            "--horizon-days",
            "--horizon-months",
            "--error-cost",
            "--update-months",
            "--batch-share",
        ]
    ),
    value=floats,
)
def test_report_recosting_is_finite_or_one_line(capsys, example_run, option, value):
    out_dir = example_run / "out"
    shutil.rmtree(out_dir, ignore_errors=True)
    started = time.perf_counter()
    code = main(["report", str(EXAMPLE), f"{option}={value!r}", "--out", str(out_dir)])
    _ends(started)
    err = capsys.readouterr().err
    assert code in (0, 2), err
    if code == 0:
        results = _strict((out_dir / "results.json").read_text(encoding="utf-8"))
        assert _finite(results["analysis"])
    else:
        _one_clean_line(err)
        assert not out_dir.exists()
