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
    assert round(answer["payback_days"], 1) == 333.3
    assert answer["payback_date"] == "2027-10-27"
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
    assert "Payback: 3,000.0 days" in text
    assert "beyond the 730-day horizon" in text


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
