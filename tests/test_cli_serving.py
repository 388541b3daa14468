"""`advisor breakeven --serving ...` through the command line."""

import json

import pytest

from advisor.cli import main

BASE = ["breakeven", "--calls-per-day", "10000", "--prompt-cost", "0.002", "--ft-cost", "0.0005"]


def test_dedicated_endpoint_payback_includes_its_hourly_fee(capsys):
    args = [*BASE, "--training-cost", "900", "--horizon-days", "365"]
    assert main([*args, "--serving", "dedicated", "--endpoint-per-hour", "0.25", "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["serving"]["payback_days"] == pytest.approx(100)
    assert answer["serving"]["net_saving_at_horizon"] == pytest.approx(2385)
    assert answer["payback_days"] == pytest.approx(60)  # before hosting: 900 / 15


def test_self_hosted_text_names_the_days_gpus_are_added(capsys):
    args = [
        "breakeven",
        "--calls-per-day",
        "34560",
        "--prompt-cost",
        "0.003",
        "--ft-cost",
        "0.0002",
    ]
    args += ["--growth", "0.25", "--horizon-months", "5", "--as-of", "2026-12-06"]
    args += ["--serving", "self-hosted", "--gpu-per-hour", "2", "--capacity-per-gpu", "1"]
    assert main([*args, "--peak-factor", "2"]) == 0
    out = capsys.readouterr().out
    assert "GPUs: 1 at first, then 2 on day 30.4 (2027-01-05), 3 on day 125.0" in out


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--serving", "dedicated", "--gpu-per-hour", "3"], "--gpu-per-hour does not apply"),
        (["--serving", "dedicated"], "needs --endpoint-per-hour"),
        (["--serving", "self-hosted", "--gpu-per-hour", "2"], "needs --gpu-per-hour"),
        (["--serving", "cloud"], "--serving must be"),
        (["--serving", "self-hosted", "--gpu-per-hour", "2", "--capacity-per-gpu", "0"], "> 0"),
        (
            ["--serving", "dedicated", "--endpoint-per-hour", "1", "--hosting-per-hour", "1"],
            "give the hosting once",
        ),
    ],
)
def test_bad_serving_options_are_one_line_and_exit_2(capsys, extra, message):
    assert main([*BASE, *extra]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_self_hosted_training_is_priced_in_gpu_hours(capsys):
    args = [*BASE, "--serving", "self-hosted", "--gpu-per-hour", "2.5", "--capacity-per-gpu", "5"]
    assert main([*args, "--training-gpu-hours", "6", "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["scenario"]["training_cost"] == 15.0  # 6 GPU-hours x $2.50
    assert main([*args, "--training-gpu-hours", "6", "--training-cost", "9"]) == 2
    assert "give the training cost once" in capsys.readouterr().err
    assert main([*BASE, "--training-gpu-hours", "6"]) == 2
    assert "needs --serving self-hosted" in capsys.readouterr().err
