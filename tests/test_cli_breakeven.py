"""`advisor breakeven` through the command line, as a user types it."""

import json
import subprocess
import sys
import time

import pytest

from advisor.cli import main

WORKED = [
    "--calls-per-day",
    "10000",
    "--prompt-cost",
    "0.002",
    "--ft-cost",
    "0.0005",
    "--training-cost",
    "5000",
]


def test_json_answer(capsys):
    assert main(["breakeven", *WORKED, "--json", "--as-of", "2026-11-28"]) == 0
    answer = json.loads(capsys.readouterr().out)
    # The seed's arithmetic, $5,000 / $15 a day, is both paybacks when nothing ends the life.
    assert round(answer["payback_days"], 1) == round(answer["simple_payback_days"], 1) == 333.3
    assert answer["payback_date"] == answer["simple_payback_date"] == "2027-10-27"
    assert answer["daily_net_saving"] == pytest.approx(15.0)
    assert answer["net_saving_at_horizon"] == pytest.approx(5_950.0)


def test_text_answer_says_beyond_the_horizon(capsys):
    argv = [
        "breakeven",
        "--calls-per-day",
        "500",
        "--prompt-cost",
        "0.003",
        "--ft-cost",
        "0.001",
        "--training-cost",
        "3000",
    ]
    assert main(argv) == 0
    text = capsys.readouterr().out
    first = text.splitlines()[0]
    assert first.startswith("Payback: none within the 730-day horizon; simple payback 3,000.0 days")
    assert first.endswith("beyond the 730-day horizon")


SHUTDOWN = [
    "--as-of",
    "2026-11-28",
    "--shutdown-date",
    "2027-06-16",
    "--training-cutoff",
    "2027-01-06",
]


def test_a_shutdown_before_the_simple_payback_shows_no_payback(capsys):
    # Shutdown on day 200 with no training after day 39: $15 x 200 - $5,000 = -$2,000 at the
    # horizon; the seed's 333.3 days is never reached by the fine-tune that exists.
    assert main(["breakeven", *WORKED, *SHUTDOWN]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == (
        "Payback: none within the 730-day horizon; simple payback 333.3 days (2027-10-27), but "
        "the fine-tune serves only until day 200.0 (2027-06-16), when its base model shuts down "
        "and no retraining is possible"
    )
    assert lines[1] == "Net saving at the horizon: -$2,000.00"
    assert main(["breakeven", *WORKED, *SHUTDOWN, "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["payback_days"] is None and answer["payback_date"] is None
    assert answer["simple_payback_days"] == pytest.approx(1_000 / 3)
    assert answer["net_saving_at_horizon"] == pytest.approx(-2_000.0)
    # Every cost within the horizon: $5,000 / ($0.0015 x 200 days) = 16,666.7 calls a day.
    assert answer["min_calls_per_day"] == pytest.approx(16_666.67, abs=0.01)


def test_update_cadence_says_redo(capsys):
    assert main(["breakeven", *WORKED, "--update-months", "6", "--as-of", "2026-11-28"]) == 0
    text = capsys.readouterr().out
    assert "Must be redone before it pays" in text
    assert "182.6" in text


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--calls-per-day", "-5"], "--calls-per-day: Input should be greater than or equal to 0"),
        (["--training-cost", "abc"], "Invalid value for '--training-cost'"),
        (["--as-of", "yesterday"], "--as-of must be a date"),
        (["--horizon-days", "10", "--horizon-months", "2"], "give the horizon once"),
        (["--no-such-option"], "No such option"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(capsys, extra, message):
    assert main(["breakeven", *WORKED, *extra]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert message in captured.err
    assert captured.err.count("\n") == 1
    assert "Traceback" not in captured.err


def test_console_script_exit_code_and_no_traceback():
    proc = subprocess.run(
        [sys.executable, "-m", "advisor", "breakeven", *WORKED, "--calls-per-day", "-1"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: ") and "Traceback" not in proc.stderr


def test_help_does_not_import_heavy_libraries():
    code = (
        "import sys; from advisor.cli import main; main(['--help']); "
        "heavy = [m for m in ('openai', 'datasets', 'sklearn', 'numpy', 'httpx2') "
        "if m in sys.modules]; print('HEAVY', heavy)"
    )
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "HEAVY []" in proc.stdout, proc.stdout[-300:]
    assert time.perf_counter() - start < 5
