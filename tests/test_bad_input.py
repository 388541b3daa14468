"""Bad input, however absurd: exit 2, one line on stderr, no traceback, nothing sent or left behind.

Every `advisor evaluate` case runs against a counting test server, which must receive nothing;
the folder the command runs in must hold exactly what it held before.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FINE_TUNE, INCUMBENT, study_text
from endpoint import ok, serving

from advisor.cli import main

EXAMPLE = Path(__file__).resolve().parent.parent / "reports/support-tickets/results.json"
LLAMA = "tallyboard/Meta-Llama-3.1-8B-Instruct-tickets"

INC = (
    f'[[candidates]]\nname = "incumbent"\nrole = "incumbent"\nmodel = "{INCUMBENT}"\n'
    'template = "few.jinja"\nparams = {temperature = 0, max_tokens = 5}\n'
)
FT = (
    f'[[candidates]]\nname = "ft"\nmodel = "{FINE_TUNE}"\ntemplate = "short.jinja"\n'
    "training_cost = 500\nparams = {temperature = 0, max_tokens = 5}\n"
)


def traffic(extra: str) -> dict[str, str]:
    return {"traffic": f"[traffic]\ncalls_per_day = 10000\n{extra}\n"}


def section(name: str, body: str) -> dict[str, str]:
    return {"run": f"[run]\nconcurrency = 8\n[{name}]\n{body}\n"}


def ft(extra: str) -> dict[str, str]:
    return {"candidates": INC + FT + extra + "\n"}


STUDIES = {
    "calls_per_day inf": {"traffic": "[traffic]\ncalls_per_day = inf\n"},
    "calls_per_day nan": {"traffic": "[traffic]\ncalls_per_day = nan\n"},
    "calls_per_day negative": {"traffic": "[traffic]\ncalls_per_day = -1\n"},
    "calls_per_day 1e13": {"traffic": "[traffic]\ncalls_per_day = 1e13\n"},
    "horizon_days 1e7": traffic("horizon_days = 1e7"),
    "horizon_days 1e308": traffic("horizon_days = 1e308"),
    "horizon_days 0": traffic("horizon_days = 0"),
    "horizon_months 601": traffic("horizon_months = 601"),
    "both horizons": traffic("horizon_days = 30\nhorizon_months = 1"),
    "growth 5": traffic("monthly_growth = 5"),
    "growth -1": traffic("monthly_growth = -1"),
    "growth inf": traffic("monthly_growth = inf"),
    "cached_share 1.5": traffic("cached_share = 1.5"),
    "batch_share 2": traffic("batch_share = 2"),
    "no incumbent": {"candidates": FT},
    "two incumbents": {"candidates": INC + INC.replace('"incumbent"\nrole', '"inc2"\nrole')},
    "updates every 0 months": section("lifecycle", "months_between_updates = 0"),
    "updates every 1e-9 months": section("lifecycle", "months_between_updates = 1e-9"),
    "error_cost negative": section("lifecycle", "error_cost = -1"),
    "error_cost inf": section("lifecycle", "error_cost = inf"),
    "one_time_cost nan": section("lifecycle", "one_time_cost = nan"),
    "retrain_cost 1e300": section("lifecycle", "retrain_cost = 1e300"),
    "margin 2": section("decision", "margin = 2"),
    "alpha 0": section("decision", "alpha = 0"),
    "seed negative": section("decision", "seed = -1"),
    "concurrency 0": {"run": "[run]\nconcurrency = 0\n"},
    "timeout inf": {"run": "[run]\ntimeout = inf\n"},
    "retry_deadline 0": {"run": "[run]\nretry_deadline = 0\n"},
    "max_spend negative": {"run": "[run]\nmax_spend = -5\n"},
    "training_cost inf": {
        "candidates": INC + FT.replace("training_cost = 500", "training_cost = inf")
    },
    "hosting negative": ft("hosting_per_hour = -3"),
    "epochs 0": ft("epochs = 0"),
    "fine-tune not costed": {"candidates": INC + FT.replace("training_cost = 500\n", "")},
    "unknown model unpriced": {"candidates": INC + FT.replace(FINE_TUNE, "mystery-model")},
    "price override inf": ft("prices = {input = inf, output = 1}"),
    "as_of past the last date": {"head": 'name = "tickets"\nas_of = 9999-12-31\n'},
    "unknown key": {"head": 'name = "tickets"\nas_of = 2026-11-28\ncolour = "red"\n'},
    "bad TOML": {"head": 'name = "tickets\n'},
    "template variable missing": {
        "candidates": INC + FT.replace("short.jinja", "missing.jinja"),
    },
    "malformed base_url in study": ft('base_url = "not a url"'),
    "batch share without a discount": {
        "traffic": "[traffic]\ncalls_per_day = 10000\nbatch_share = 0.5\n",
        "candidates": INC + FT.replace(FINE_TUNE, "ft:mystery:x") + "base_model = 'mystery'\n"
        "prices = {input = 1, cached_input = 0.5, output = 2, training = 3}\n",
    },
}

OPTIONS = {
    "--max-spend -5": ["--max-spend", "-5"],
    "--max-spend nan": ["--max-spend", "nan"],
    "--max-spend below the estimate": ["--max-spend", "0.0000001"],
    "--price inf": ["--price", f"{INCUMBENT}=inf,1,1"],
    "--price negative": ["--price", f"{INCUMBENT}=-1,1,1"],
    "--base-url not a url": ["--base-url", "not a url"],
    "--base-url no host": ["--base-url", "http:///v1"],
    "--base-url bad port": ["--base-url", "http://127.0.0.1:99999999/v1"],
    "--concurrency 0": ["--concurrency", "0"],
    "--as-of not a date": ["--as-of", "yesterday"],
    "--as-of 9999-12-31": ["--as-of", "9999-12-31"],
    "--record and --replay": ["--record", "--replay"],
    "--replay without fixtures": ["--replay"],
    "--fixtures missing folder": ["--replay", "--fixtures", "nowhere"],
    "unknown option": ["--no-such-option"],
}

REPORT = ["report", str(EXAMPLE), "--out", "recost"]
BREAKEVEN = ["breakeven", "--calls-per-day", "1e4", "--prompt-cost", "0.002", "--ft-cost", "0.0005"]

OTHER_COMMANDS = {
    "breakeven growth 1e308": [*BREAKEVEN, "--growth", "1e308"],
    "breakeven horizon 1e308": [*BREAKEVEN, "--horizon-days", "1e308"],
    "breakeven calls inf": [*BREAKEVEN, "--calls-per-day", "inf", "--json"],
    "breakeven cost nan": [*BREAKEVEN, "--prompt-cost", "nan", "--json"],
    "breakeven error rate 2": [*BREAKEVEN, "--ft-error-rate", "2"],
    "breakeven as-of 9999-12-31": [*BREAKEVEN, "--as-of", "9999-12-31"],
    "report missing file": ["report", "nowhere/results.json"],
    "report horizon 1e308": [*REPORT, "--horizon-days", "1e308"],
    "report growth inf": [*REPORT, "--growth", "inf"],
    "report batch discount 1": [*REPORT, "--batch-share", "0.5", "--batch-discount", f"{LLAMA}=1"],
    "fixtures check missing study": ["fixtures", "check", "nowhere.toml"],
    "evaluate missing study": ["evaluate", "nowhere.toml"],
}


def _tree(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def _refused(argv: list[str], folder: Path, capsys) -> None:
    # a cache folder left by an earlier run: nothing new may appear in it either
    (folder / ".advisor-cache" / "tokens").mkdir(parents=True, exist_ok=True)
    before = _tree(folder)
    with serving(lambda tag: ok()) as endpoint:
        argv = [a.replace("{url}", endpoint.base_url) for a in argv]
        code = main(argv)
    captured = capsys.readouterr()
    assert code == 2, captured
    assert captured.err.count("\n") == 1 and captured.err.startswith("error: "), captured.err
    assert "Traceback" not in captured.err + captured.out
    assert endpoint.requests == 0
    assert _tree(folder) == before


@pytest.mark.parametrize("case", list(STUDIES))
def test_a_bad_study_sends_nothing_and_leaves_nothing(study_dir, capsys, case):
    (study_dir / "study.toml").write_text(study_text(**STUDIES[case]), encoding="utf-8")
    own_url = "base_url" in case  # --base-url would replace the study's
    _refused(
        ["evaluate", "study.toml", *([] if own_url else ["--base-url", "{url}"])], study_dir, capsys
    )


@pytest.mark.parametrize("case", list(OPTIONS))
def test_a_bad_option_sends_nothing_and_leaves_nothing(study_dir, capsys, case):
    argv = ["evaluate", "study.toml", *OPTIONS[case]]
    if "--base-url" not in argv:
        argv += ["--base-url", "{url}"]
    _refused(argv, study_dir, capsys)


@pytest.mark.parametrize("case", list(OTHER_COMMANDS))
def test_other_commands_refuse_in_one_line(study_dir, capsys, case):
    _refused(OTHER_COMMANDS[case], study_dir, capsys)
