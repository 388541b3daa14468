"""A study candidate served dedicated or self-hosted: its keys, and the cost model it gives."""

import json
import math
from datetime import date
from pathlib import Path

import pytest

from advisor import analysis
from advisor import economics as eco
from advisor.breakeven import break_even
from advisor.errors import InputError
from advisor.serving import SelfHosted, served_break_even
from advisor.study import load_study
from tests.conftest import study_text

OPEN_WEIGHT = (
    '[[candidates]]\nname = "incumbent"\nrole = "incumbent"\nmodel = "gpt-4.1-mini-2025-04-14"\n'
    'template = "few.jinja"\n'
    '[[candidates]]\nname = "qwen own GPUs"\nprovider = "self-hosted"\nmodel = "qwen-tickets"\n'
    'base_model = "Qwen/Qwen2.5-7B-Instruct"\ntemplate = "short.jinja"\n'
    "prices = {input = 0, output = 0}\n"
)


def _study(tmp_path, serving: str, traffic: str = "[traffic]\ncalls_per_day = 34560\n"):
    path = tmp_path / "study.toml"
    text = study_text(candidates=OPEN_WEIGHT + serving, traffic=traffic)
    path.write_text(text, encoding="utf-8")
    return load_study(path)


def test_self_hosted_training_is_gpu_hours_and_hosting_steps_with_traffic(tmp_path):
    serving = (
        '[candidates.serving]\nkind = "self_hosted"\ngpu_per_hour = 2.0\ncapacity_per_gpu = 1.0\n'
        "peak_factor = 2.0\ntraining_gpu_hours = 6\n"
    )
    traffic = "[traffic]\ncalls_per_day = 34560\nmonthly_growth = 0.25\nhorizon_months = 5\n"
    study = _study(tmp_path, serving, traffic)
    challenger = study.challengers[0]
    assumptions = analysis.Assumptions(study, date(2026, 11, 28), {})
    training = analysis.training_cost(challenger, assumptions)
    assert training.amount == 12.0 and "6 GPU-hours" in training.source
    s = analysis.scenario(challenger, 0.003, 0.0002, None, assumptions, training)
    assert s.hosting_per_hour == 2.0  # one GPU at first
    t1, t2 = eco.MONTH_DAYS, eco.MONTH_DAYS * math.log(2.5) / math.log(1.25)
    assert [d for d, _ in s.hosting_steps] == pytest.approx([t1, t2])
    assert [r for _, r in s.hosting_steps] == [4.0, 6.0]
    # The cost model with the steps agrees with the serving module's own hand-checked figures.
    served = served_break_even(s, SelfHosted(2.0, 1.0, 2.0))
    result = break_even(s)
    assert result.payback_days == pytest.approx(served.payback_days)
    assert result.net_saving_at_horizon == pytest.approx(served.net_saving_at_horizon)
    hosting = 48 * (t1 + 2 * (t2 - t1) + 3 * (s.horizon_days - t2))
    assert eco.hosting_between(s, 0, s.horizon_days) == pytest.approx(hosting)


def test_a_dedicated_endpoint_is_the_hourly_fee(tmp_path):
    study = _study(tmp_path, '[candidates.serving]\nkind = "dedicated"\nper_hour = 3.89\n')
    assumptions = analysis.Assumptions(study, date(2026, 11, 28), {})
    training = analysis.TrainingCost(10.0, "fixed")
    s = analysis.scenario(study.challengers[0], 0.003, 0.0002, None, assumptions, training)
    assert (s.hosting_per_hour, s.hosting_steps) == (3.89, ())


@pytest.mark.parametrize(
    ("serving", "message"),
    [
        ('kind = "dedicated"\ngpu_per_hour = 2\nper_hour = 1\n', "gpu_per_hour does not apply"),
        ('kind = "self_hosted"\ngpu_per_hour = 2\n', "needs capacity_per_gpu"),
        ('kind = "dedicated"\nper_hour = -1\n', "greater than or equal to 0"),
        ('kind = "self_hosted"\ngpu_per_hour = 2\ncapacity_per_gpu = 0\n', "greater than 0"),
    ],
)
def test_serving_keys_are_checked_with_the_key_named(tmp_path, serving, message):
    with pytest.raises(InputError, match=message) as caught:
        _study(tmp_path, "[candidates.serving]\n" + serving)
    assert "candidates[1].serving" in str(caught.value)


def test_a_self_hosted_training_file_is_counted_and_its_gpu_hours_priced(tmp_path):
    from advisor.plan_training import estimate_training

    line = (
        '{"messages": [{"role": "user", "content": "ticket %d"}, '
        '{"role": "assistant", "content": "bug"}]}\n'
    )
    (tmp_path / "train.jsonl").write_text("".join(line % i for i in range(12)), encoding="utf-8")
    serving = (
        '[candidates.serving]\nkind = "self_hosted"\ngpu_per_hour = 2.5\ncapacity_per_gpu = 4\n'
        "training_gpu_hours = 3\n"
    )
    study = _study(tmp_path, 'training_file = "train.jsonl"\n' + serving)
    assumptions = analysis.Assumptions(study, date(2026, 11, 28), {})
    info = estimate_training(study.challengers[0], tmp_path, frozenset(), assumptions)
    assert (info.cost, info.price_source) == (7.5, "self-hosted: 3 GPU-hours x $2.5")
    assert info.examples == 12 and info.billed_tokens > 0


def test_the_serving_table_survives_results_json_and_a_recost(tmp_path, capsys):
    from advisor.cli import main

    run = Path(__file__).resolve().parent.parent / "reports" / "support-tickets"
    out = tmp_path / "recosted"
    assert (
        main(["report", str(run / "results.json"), "--calls-per-day", "500000", "--out", str(out)])
        == 0
    )
    capsys.readouterr()
    results = json.loads((out / "results.json").read_text())
    qwen = next(c for c in results["analysis"]["challengers"] if c["name"].startswith("Qwen"))
    inputs = qwen["break_even"]["scenario"]
    # 500,000 calls a day x 3 (peak) / 86,400 s = 17.4 calls/s: 4 GPUs serving 5 calls/s each
    assert inputs["hosting_per_hour"] == pytest.approx(4 * 0.80)
    assert inputs["hosting_steps"]  # 3% a month for 24 months: more GPUs within the horizon
