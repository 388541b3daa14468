"""`advisor families`: every fine-tunable family priced from the catalog, before any eval."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from advisor.cli import main

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "reports" / "support-tickets" / "results.json"

# gpt-4.1-mini ($0.40 in, $1.60 out per 1M) with a 2,000-token prompt and 10-token answers:
# 2,000 x 0.40 + 10 x 1.60 = $816 per 1M calls. The fine-tunes get 100 prompt tokens.
OPTIONS = [
    "families",
    "--incumbent", "gpt-4.1-mini-2025-04-14",
    "--prompt-tokens", "2000",
    "--output-tokens", "10",
    "--ft-prompt-tokens", "100",
    "--training-tokens", "100000",
    "--calls-per-day", "10000",
    "--one-time-cost", "1000",
    "--horizon-days", "365",
    "--as-of", "2026-12-06",
    "--json",
]  # fmt: skip


def _screen(capsys, args):
    assert main(args) == 0
    return json.loads(capsys.readouterr().out)


def _option(screen, model):
    return next(o for o in screen["options"] if o["model"] == model)


def test_a_per_token_option_recomputed_by_hand_with_its_minimum_charge_and_storage(capsys):
    # Mistral NeMo: trained at $1.00 per 1M (300,000 tokens: $0.30, so the $4 minimum applies),
    # served at $0.15 in and out, and kept for $2 a month, which runs from day 0 like hosting.
    screen = _screen(capsys, OPTIONS)
    option = _option(screen, "open-mistral-nemo")
    per_call = (100 + 10) * 0.15 / 1e6
    storage_per_day = 2.00 / (365.25 / 12)
    daily = 10_000 * (816e-6 - per_call) - storage_per_day
    assert screen["profile"]["incumbent_cost_per_call"] == pytest.approx(816e-6)
    assert option["training_cost"] == pytest.approx(4.00)
    assert option["cost_per_call"] == pytest.approx(per_call)
    assert option["payback_days"] == pytest.approx((1000 + 4.00) / daily)
    assert option["net_saving_at_horizon"] == pytest.approx(daily * 365 - 1000 - 4.00)
    assert option["life_days"] is None


@pytest.mark.parametrize(
    ("provider", "model", "train", "min_charge", "per_hour"),
    [
        ("fireworks", "accounts/fireworks/models/llama-v3p1-8b-instruct", 0.50, 0.0, 8.00),
        ("together", "meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo", 0.48, 4.00, 5.49),
    ],
)
def test_a_lora_served_on_a_dedicated_endpoint_pays_its_hours_not_tokens(
    capsys, provider, model, train, min_charge, per_hour
):
    # Neither serves a LoRA serverless any more: one H100 by the hour, nothing per token.
    screen = _screen(capsys, OPTIONS)
    option = next(o for o in screen["options"] if (o["provider"], o["model"]) == (provider, model))
    training = max(100_000 * 3 * train / 1e6, min_charge)
    daily = 10_000 * 816e-6 - per_hour * 24  # $8.16 saved, $192 or $131.76 paid a day
    assert option["training_cost"] == pytest.approx(training)
    assert option["cost_per_call"] == 0
    assert option["payback_days"] is None
    assert option["net_saving_at_horizon"] == pytest.approx(daily * 365 - 1000 - training)


def test_options_whose_serving_price_is_unpublished_are_listed_not_priced(capsys):
    reasons = {u["model"]: u["reason"] for u in _screen(capsys, OPTIONS)["unpriced"]}
    for model in ("accounts/fireworks/models/qwen2p5-72b-instruct", "gemini-2.5-flash"):
        assert "no price for serving its fine-tune" in reasons[model]


def test_openai_options_die_at_their_shutdown_and_fall_back(capsys):
    option = _option(_screen(capsys, OPTIONS), "gpt-4o-mini-2024-07-18")
    assert option["life_days"] == 39  # 2026-12-06 to the shutdown on 2027-01-14
    assert option["payback_days"] is None  # no retraining after 2027-01-06: back to the incumbent


def test_the_example_run_ranks_at_least_six_options_and_marks_what_it_evaluated(capsys):
    screen = _screen(capsys, ["families", "--from", str(RESULTS), "--json"])
    nets = [o["net_saving_at_horizon"] for o in screen["options"]]
    assert len(nets) >= 6 and nets == sorted(nets, reverse=True)
    assert _option(screen, "gpt-4o-mini-2024-07-18")["evaluated"]
    assert 2 <= len(screen["worth_an_eval"]) <= 3
    assert "Quality is unknown until an option is evaluated" in screen["note"]
    reasons = {u["model"]: u["reason"] for u in screen["unpriced"]}
    assert "shut down" in reasons["gpt-3.5-turbo-0125"]


def test_text_names_the_options_worth_an_eval_and_says_quality_is_unknown(capsys):
    assert main(["families", "--from", str(RESULTS)]) == 0
    out = capsys.readouterr().out
    assert "Quality is unknown until an option is evaluated" in out
    assert "Worth an eval: " in out and "[evaluated]" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["families"], "give --from RESULTS.json, or --incumbent"),
        (["families", "--from", "nope.json"], "no such results file"),
        ([*OPTIONS[:-1], "--calls-per-day", "-5"], "calls-per-day must be"),
        ([*OPTIONS[:-1], "--incumbent-error-rate", "1.5"], "between 0 and 1"),
        ([*OPTIONS[:-1], "--growth", "nan"], "monthly_growth must be"),
        ([*OPTIONS[:-1], "--horizon-months", "3"], "not both"),
        ([*OPTIONS[:-1], "--cached-share", "2"], "--cached-share must be"),
        (["families", "--from", str(RESULTS), "--incumbent", "gpt-4o"], "drop --incumbent"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(capsys, args, message):
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_families_imports_nothing_heavy():
    # numpy is allowed: the one payback definition (`breakeven.lasting_payback`) is vectorised.
    code = (
        "import sys; from advisor.cli import main; "
        f"rc = main(['families', '--from', {str(RESULTS)!r}, '--json']); "
        "heavy = {'openai', 'datasets', 'sklearn', 'jinja2'} & set(sys.modules); "
        "sys.exit(f'{rc} {sorted(heavy)}' if rc or heavy else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr


def test_the_quality_needed_is_the_error_gap_that_zeroes_the_net_saving(capsys):
    screen = _screen(capsys, [*OPTIONS, "--error-cost", "0.01", "--incumbent-error-rate", "0.1"])
    option = _option(screen, "open-mistral-nemo")  # the $4 minimum, $2 a month of storage
    net = (10_000 * (816e-6 - 110 * 0.15 / 1e6) - 2.00 / (365.25 / 12)) * 365 - 1000 - 4.00
    # the option may make net / ($0.01 x 3,650,000 calls) more errors and still break even
    assert option["break_even_error_gap"] == pytest.approx(-net / (0.01 * 3_650_000))
    assert main([*OPTIONS[:-1], "--error-cost", "0.01", "--incumbent-error-rate", "0.1"]) == 0
    out = " ".join(capsys.readouterr().out.split())  # $1,890.19 / $36,500: 5.2 points
    assert "breaks even with up to 5.2 points more errors (accuracy down to 84.8%)" in out
