"""`advisor report`: a finished run re-costed offline, into a new folder, the run untouched.

One small study is evaluated against the local simulator through the command line, then
re-decided with the network blocked. The test study (tests/conftest.py) as of 2026-11-28:
the incumbent gpt-4.1-mini-2025-04-14 with a long few-shot prompt, the fine-tune of
gpt-4o-mini-2024-07-18 with a short one and a $500 training cost. Both simulated models answer
every example right, so the quality delta is exactly 0 and the verdict turns on the money alone.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pytest_socket import disable_socket, enable_socket

from advisor.cli import main
from advisor.pricing import call_prices, model_terms
from advisor.simulator import running
from advisor.wording import money
from tests.conftest import FINE_TUNE, INCUMBENT, sim_config, study_text

RUN = Path("reports/tickets")
# gpt-4o-mini's snapshot (and its fine-tunes) shut down on 2027-01-14, day 47 from 2026-11-28,
# after OpenAI's last training day 2027-01-06 (day 39): the fine-tune lives 47 days, with no
# retrain, and the incumbent's cost applies from then on.
LIFE_DAYS = 47


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _mean(results: dict, name: str, field: str) -> float:
    calls = [c for e in results["examples"] for c in e["calls"][name]]
    return sum(c[field] for c in calls) / len(calls)


def _cost(results: dict, name: str, input: float, cached: float, output: float) -> float:
    """Mean tokens x prices per 1M: the design's cost per call, by hand."""
    prompt = _mean(results, name, "prompt_tokens")
    hit = _mean(results, name, "cached_tokens")
    out = _mean(results, name, "completion_tokens")
    return ((prompt - hit) * input + hit * cached + out * output) / 1e6


@pytest.fixture
def measured(study_dir: Path) -> dict:
    """The study evaluated at 100,000 calls a day: a fine-tune verdict."""
    (study_dir / "study.toml").write_text(
        study_text(traffic="[traffic]\ncalls_per_day = 100000\n"), encoding="utf-8"
    )
    models = {INCUMBENT: {"accuracy": 1.0, "prompt_cache": True}, FINE_TUNE: {"accuracy": 1.0}}
    with running(sim_config(study_dir, models=models)) as server:
        assert main(["evaluate", "study.toml", "--base-url", server.base_url]) == 0
    return _load(RUN / "results.json")


def test_report_recosts_offline_into_a_new_folder(measured, capsys):
    # Catalog prices per 1M (checked 2026-11-28): gpt-4.1-mini $0.40 input, $0.10 cached,
    # $1.60 output; fine-tuned gpt-4o-mini $0.30 input, $0.15 cached, $1.20 output.
    for model, prices in ((INCUMBENT, (0.40, 0.10, 1.60)), (FINE_TUNE, (0.30, 0.15, 1.20))):
        catalog = call_prices("openai", model)
        assert (catalog.input, catalog.cached_input, catalog.output) == prices
    inc = _cost(measured, "incumbent", 0.40, 0.10, 1.60)
    ft = _cost(measured, "ft", 0.30, 0.15, 1.20)
    saving = inc - ft  # about $0.000196 a call
    a = measured["analysis"]
    challenger = a["challengers"][0]
    assert a["incumbent_cost"]["cost_per_call"] == pytest.approx(inc, rel=1e-12)
    assert challenger["cost"]["cost_per_call"] == pytest.approx(ft, rel=1e-12)
    # At 100,000 calls a day: $19.6 a day repays $500 in 500 / (100,000 x saving) = 25.5 days,
    # within the fine-tune's 47-day life; the net saving is that life's saving less training.
    be = challenger["break_even"]
    assert be["training_payback_days"] == pytest.approx(500 / (100_000 * saving))
    assert be["training_payback_days"] < LIFE_DAYS
    assert be["net_saving_at_horizon"] == pytest.approx(LIFE_DAYS * 100_000 * saving - 500)
    assert (a["verdict"], a["recommended"], challenger["status"]) == ("fine_tune", "ft", "eligible")
    assert challenger["quality"]["delta"] == 0 and challenger["quality"]["low"] == 0
    original = (RUN / "results.json").read_bytes()
    capsys.readouterr()

    disable_socket(allow_unix_socket=True)  # no model is called: loopback is blocked too
    try:
        code = main(["report", str(RUN / "results.json"), "--calls-per-day", "10"])
        refused = main(["report", str(RUN / "results.json"), "--out", str(RUN)])
        refused_slash = main(["report", str(RUN / "results.json"), "--out", "reports/tickets/"])
    finally:
        enable_socket()
    assert code == 0
    assert refused == refused_slash == 2
    captured = capsys.readouterr()
    assert "that is the measured run's folder" in captured.err
    assert (RUN / "results.json").read_bytes() == original
    assert sorted(p.name for p in Path("reports").iterdir()) == ["tickets", "tickets-report"]

    # At 10 calls a day: 10 x saving, about $0.00196 a day; training pays back on day
    # 500 / (10 x saving), about 254,749, long after the shutdown on day 47 (2027-01-14), and
    # the payback is beyond the 730-day horizon: keep prompting. The measurements are the same.
    report = _load(Path("reports/tickets-report/results.json"))
    r = report["analysis"]
    c = r["challengers"][0]
    be = c["break_even"]
    assert (r["verdict"], r["recommended"], c["status"]) == (
        "keep_prompting",
        "incumbent",
        "uneconomic",
    )
    assert report["study"]["traffic"]["calls_per_day"] == 10
    assert report["examples"] == measured["examples"]
    assert be["daily_net_saving"] == pytest.approx(10 * saving)
    assert be["training_payback_days"] == pytest.approx(500 / (10 * saving))
    assert be["net_saving_at_horizon"] == pytest.approx(LIFE_DAYS * 10 * saving - 500)
    assert be["redo_before_payback"] and be["payback_days"] is None
    # Every draw of the bootstrap is as far from paying: the chance is zero.
    chance = c["probability"]
    assert chance["payback_within_horizon"] == chance["net_saving_positive"] == 0
    assert chance["payback_p50"] is None and chance["net_saving_p95"] < 0
    rules = {rule["name"]: rule for rule in c["rules"]}
    redo = rules["economics.training_payback"]
    assert redo["outcome"] == "fail"
    assert redo["message"] == (
        f"training payback on day {be['training_payback_days']:,.1f}, after the base model's "
        "shutdown on day 47.0 (2027-01-14): the fine-tune must be redone before it pays"
    )
    assert rules["economics.horizon"]["message"] == (
        "stops before it pays: no payback within the 730-day horizon; simple payback "
        f"{be['simple_payback_days']:,.1f} days, but the fine-tune serves only until day 47.0 "
        "(2027-01-14), when its base model shuts down and no retraining is possible; net saving "
        f"{money(be['net_saving_at_horizon'])} over the 730-day horizon"
    )
    assert r["summary"] == (
        f"Keep prompting incumbent: the best challenger, ft, {redo['message']}; it pays back "
        "within the horizon in 0% of draws."
    )
    assert f"Verdict: keep_prompting (review by 2027-01-14): {r['summary']}" in captured.out


def test_a_price_override_recosts_calls_as_tokens_times_prices(measured):
    # --price gpt-4.1-mini-2025-04-14=1,0.5,2: each incumbent call costs (uncached x $1 +
    # cached x $0.50 + completion x $2) / 1M; the mean of those is the mean tokens x prices.
    calls = [c for e in measured["examples"] for c in e["calls"]["incumbent"]]
    by_call = [
        ((c["prompt_tokens"] - c["cached_tokens"]) * 1 + c["cached_tokens"] * 0.5)
        + c["completion_tokens"] * 2
        for c in calls
    ]
    expected = sum(by_call) / len(by_call) / 1e6
    assert expected == pytest.approx(_cost(measured, "incumbent", 1, 0.5, 2), rel=1e-12)
    disable_socket(allow_unix_socket=True)
    try:
        code = main(["report", str(RUN / "results.json"), "--price", f"{INCUMBENT}=1,0.5,2"])
    finally:
        enable_socket()
    assert code == 0
    report = _load(Path("reports/tickets-report/results.json"))
    cost = report["analysis"]["incumbent_cost"]
    assert cost["cost_per_call"] == pytest.approx(expected, rel=1e-12)
    assert (cost["input_price"], cost["cached_input_price"], cost["output_price"]) == (1, 0.5, 2)
    assert cost["price_source"] == "input, cached input, output: the command line (--price)"
    # The fine-tune keeps its catalog prices; the saving moves by the incumbent's cost alone.
    ft = report["analysis"]["challengers"][0]
    assert ft["cost"] == measured["analysis"]["challengers"][0]["cost"]
    assert ft["break_even"]["saving_per_call"] == pytest.approx(
        expected - ft["cost"]["cost_per_call"], rel=1e-12
    )
    # A second report goes to a folder of its own.
    assert main(["report", str(RUN / "results.json"), "--calls-per-day", "10"]) == 0
    assert Path("reports/tickets-report-2/results.json").exists()


def test_batch_traffic_takes_each_models_batch_discount_off_its_calls(measured):
    # Both models' catalog batch discount is 50%: with every production call batched a call
    # costs half; with half of them batched, three quarters. Training stays as it was.
    for model in (INCUMBENT, FINE_TUNE):
        assert model_terms("openai", model).batch_discount == 0.5
    a = measured["analysis"]
    inc, ft = a["incumbent_cost"]["cost_per_call"], a["challengers"][0]["cost"]["cost_per_call"]
    for share, factor, folder in ((1, 0.5, "tickets-report"), (0.5, 0.75, "tickets-report-2")):
        disable_socket(allow_unix_socket=True)
        try:
            code = main(["report", str(RUN / "results.json"), "--batch-share", str(share)])
        finally:
            enable_socket()
        assert code == 0
        report = _load(Path("reports") / folder / "results.json")
        b = report["analysis"]
        cost = b["incumbent_cost"]
        assert (cost["batch_share"], cost["batch_discount"]) == (share, 0.5)
        assert cost["cost_per_call"] == pytest.approx(inc * factor, rel=1e-12)
        challenger = b["challengers"][0]
        assert challenger["cost"]["cost_per_call"] == pytest.approx(ft * factor, rel=1e-12)
        assert challenger["break_even"]["saving_per_call"] == pytest.approx(
            (inc - ft) * factor, rel=1e-12
        )
        assert challenger["training_cost"] == a["challengers"][0]["training_cost"]
        assert report["study"]["traffic"]["batch_share"] == share
        assert "of calls as batch at 50.0% off" in (
            Path("reports") / folder / "report.html"
        ).read_text(encoding="utf-8")


def test_a_challenger_that_answered_nothing_still_gives_a_run_and_a_report(study_dir):
    # The simulator knows only the incumbent: every fine-tune request fails. The run finishes
    # with examples in error (exit 1), writes its results with a verdict of not enough
    # evidence, and `advisor report` re-decides it offline like any other run.
    models = {INCUMBENT: {"accuracy": 1.0, "prompt_cache": True}}
    with running(sim_config(study_dir, models=models)) as server:
        assert main(["evaluate", "study.toml", "--base-url", server.base_url]) == 1
    a = _load(RUN / "results.json")["analysis"]
    assert (a["verdict"], a["challengers"]) == ("not_enough_evidence", [])
    assert a["summary"] == "Not enough evidence: ft answered no example."
    disable_socket(allow_unix_socket=True)
    try:
        assert main(["report", str(RUN / "results.json"), "--calls-per-day", "10"]) == 0
    finally:
        enable_socket()
    assert _load(Path("reports/tickets-report/results.json"))["analysis"]["verdict"] == (
        "not_enough_evidence"
    )


def test_an_older_results_file_is_refused_in_one_line(tmp_path, capsys):
    old = tmp_path / "results.json"
    old.write_text('{\n "version": 1,\n "status": "complete"\n}', encoding="utf-8")
    assert main(["report", str(old)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "results version 1, but this advisor reads version 2" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.json"]


def test_report_draws_the_volume_and_growth_from_the_ranges_given(measured, capsys):
    argv = ["report", str(RUN / "results.json"), "--calls-per-day", "50000"]
    ranges = ["--calls-per-day-range", "20000", "80000", "--growth-range", "-0.01", "0.02"]
    assert main([*argv, *ranges, "--out", "reports/ranged"]) == 0
    study = _load(Path("reports/ranged/results.json"))
    traffic = study["study"]["traffic"]
    assert traffic["calls_per_day_range"] == [20_000, 80_000]
    assert traffic["monthly_growth_range"] == [-0.01, 0.02]
    chance = study["analysis"]["challengers"][0]["probability"]
    assert chance["calls_per_day_range"] == [20_000, 80_000]
    assert chance["monthly_growth_range"] == [-0.01, 0.02]
    # A range that leaves out the stated volume is bad input: one line, exit 2.
    capsys.readouterr()
    bad = ["--calls-per-day-range", "60000", "80000", "--out", "reports/bad"]
    assert main([*argv, *bad]) == 2
    assert "calls_per_day_range must be [low, high]" in capsys.readouterr().err
    assert not Path("reports/bad").exists()


def test_a_new_volume_keeps_a_recorded_range_relative_to_it():
    from advisor.recost import Changes

    study = {
        "traffic": {
            "calls_per_day": 40_000,
            "calls_per_day_range": [20_000, 80_000],
            "monthly_growth": 0.02,
            "monthly_growth_range": [0.0, 0.05],
        },
        "lifecycle": {},
    }
    traffic = Changes(calls_per_day=10, monthly_growth=0.0).apply(study)["traffic"]
    # 10 / 40,000 of [20,000, 80,000] is [5, 20]; the growth range moves by -0.02.
    assert traffic["calls_per_day_range"] == [5, 20]
    assert traffic["monthly_growth_range"] == pytest.approx([-0.02, 0.03])
    assert study["traffic"]["calls_per_day_range"] == [20_000, 80_000]
