"""The `advisor` command line: parse, call the core, print, return an exit code.

Heavy libraries (openai, datasets, scikit-learn) are imported inside the commands that use them,
so `advisor --help` starts fast; typer builds the invoked command alone, and rich loads at the
first output (advisor.cli_startup).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from typer._click.exceptions import NoArgsIsHelpError

from advisor.cli_startup import click_group, console
from advisor.errors import AdvisorError
from advisor.gate import FailOn

if TYPE_CHECKING:  # imported inside the commands that use them, for a fast start-up
    from advisor.plan import EvaluateOptions
    from advisor.results import Results

app = typer.Typer(
    help="Measure whether fine-tuning a model pays off against prompting a base model.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,  # locals hold API keys
)
# Piped output is not cut to 80 columns: tables keep their model ids whole.
out = console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 200)
err = console(stderr=True, highlight=False)

DEBUG_VAR = "ADVISOR_DEBUG"
_invocation: list[str] = []
"""The arguments `advisor` was run with, for the resume command an interrupted run prints."""


@app.callback()
def _root() -> None:
    """Measure whether fine-tuning a model pays off against prompting a base model."""


def _as_of(value: str | None) -> date:
    from advisor.bounds import FIRST_AS_OF, LAST_AS_OF
    from advisor.errors import InputError

    if value is None:
        return date.today()
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise InputError(f"--as-of must be a date like 2026-11-28 (got {value!r})") from None
    if not FIRST_AS_OF <= day <= LAST_AS_OF:
        raise InputError(f"--as-of must be between {FIRST_AS_OF} and {LAST_AS_OF} (got {value})")
    return day


@app.command()
def breakeven(
    calls_per_day: Annotated[float, typer.Option(help="Calls a day at the start.")],
    prompt_cost: Annotated[float, typer.Option(help="Prompted (incumbent) cost per call, USD.")],
    ft_cost: Annotated[float, typer.Option(help="Fine-tuned cost per call, USD.")],
    training_cost: Annotated[float, typer.Option(help="One training run, USD.")] = 0.0,
    one_time_cost: Annotated[
        float, typer.Option(help="Labelling, engineering, eval runs: paid once, USD.")
    ] = 0.0,
    growth: Annotated[float, typer.Option(help="Monthly traffic growth (0.05 = 5%).")] = 0.0,
    horizon_months: Annotated[
        float | None, typer.Option(help="Horizon in months (default 730 days).")
    ] = None,
    horizon_days: Annotated[float | None, typer.Option(help="Horizon in days.")] = None,
    update_months: Annotated[
        float | None, typer.Option(help="Expected months between base-model updates.")
    ] = None,
    retrain_cost: Annotated[
        float | None, typer.Option(help="Cost of each retrain, USD (default: training cost).")
    ] = None,
    hosting_per_hour: Annotated[
        float, typer.Option(help="Hosting fee of the fine-tuned deployment, USD/hour.")
    ] = 0.0,
    shutdown_date: Annotated[
        str | None, typer.Option(help="Date the base model shuts down (ISO).")
    ] = None,
    training_cutoff: Annotated[
        str | None, typer.Option(help="Last date the provider accepts training jobs (ISO).")
    ] = None,
    error_cost: Annotated[float, typer.Option(help="Cost of one wrong answer, USD.")] = 0.0,
    prompt_error_rate: Annotated[float, typer.Option(help="Incumbent's error rate (0-1).")] = 0.0,
    ft_error_rate: Annotated[float, typer.Option(help="Fine-tune's error rate (0-1).")] = 0.0,
    as_of: Annotated[str | None, typer.Option(help="Day 0 of the horizon (default today).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer as JSON.")] = False,
    serving: Annotated[
        str, typer.Option(help="serverless, dedicated (an endpoint per hour) or self-hosted.")
    ] = "serverless",
    endpoint_per_hour: Annotated[
        float | None, typer.Option(help="Dedicated endpoint, USD an hour.")
    ] = None,
    capacity: Annotated[
        float | None, typer.Option(help="Calls per second the dedicated endpoint serves.")
    ] = None,
    gpu_per_hour: Annotated[float | None, typer.Option(help="Self-hosted: USD a GPU-hour.")] = None,
    capacity_per_gpu: Annotated[
        float | None, typer.Option(help="Self-hosted: calls per second one GPU serves.")
    ] = None,
    peak_factor: Annotated[float, typer.Option(help="Peak / average calls per second.")] = 1.0,
    training_gpu_hours: Annotated[
        float | None, typer.Option(help="Self-hosted: GPU-hours of one training run.")
    ] = None,
) -> None:
    """After how many days does a fine-tune pay for itself? No eval needed."""
    from advisor import bounds as b
    from advisor import breakeven_view, serving_view
    from advisor.breakeven import break_even
    from advisor.economics import Scenario, months_to_days
    from advisor.serving import Serverless, served_break_even

    for option, value, kind in (
        ("--calls-per-day", calls_per_day, b.CallsPerDay),
        ("--prompt-cost", prompt_cost, b.Usd),
        ("--ft-cost", ft_cost, b.Usd),
        ("--training-cost", training_cost, b.Usd),
        ("--one-time-cost", one_time_cost, b.Usd),
        ("--growth", growth, b.Growth),
        ("--horizon-months", horizon_months, b.HorizonMonths),
        ("--horizon-days", horizon_days, b.HorizonDays),
        ("--update-months", update_months, b.UpdateMonths),
        ("--retrain-cost", retrain_cost, b.Usd),
        ("--hosting-per-hour", hosting_per_hour, b.Usd),
        ("--error-cost", error_cost, b.Usd),
        ("--prompt-error-rate", prompt_error_rate, b.Share),
        ("--ft-error-rate", ft_error_rate, b.Share),
        ("--endpoint-per-hour", endpoint_per_hour, b.Usd),
        ("--gpu-per-hour", gpu_per_hour, b.Usd),
        ("--training-gpu-hours", training_gpu_hours, b.Usd),
    ):
        b.check_option(option, value, kind)
    way = serving_view.from_options(
        serving,
        endpoint_per_hour=endpoint_per_hour,
        capacity=capacity,
        gpu_per_hour=gpu_per_hour,
        capacity_per_gpu=capacity_per_gpu,
        peak_factor=peak_factor,
    )
    serving_view.check_hosting_once(way, hosting_per_hour)
    training_cost = serving_view.training_cost(way, training_cost, training_gpu_hours)
    day0 = _as_of(as_of)
    scenario = Scenario(
        calls_per_day=calls_per_day,
        prompt_cost_per_call=prompt_cost,
        ft_cost_per_call=ft_cost,
        training_cost=training_cost,
        one_time_cost=one_time_cost,
        retrain_cost=retrain_cost,
        hosting_per_hour=hosting_per_hour,
        monthly_growth=growth,
        horizon_days=breakeven_view.horizon_days_of(horizon_days, horizon_months),
        update_every_days=None if update_months is None else months_to_days(update_months),
        shutdown_day=breakeven_view.day_of(shutdown_date, day0, "--shutdown-date"),
        training_cutoff_day=breakeven_view.day_of(training_cutoff, day0, "--training-cutoff"),
        error_cost=error_cost,
        prompt_error_rate=prompt_error_rate,
        ft_error_rate=ft_error_rate,
        as_of=day0,
    )
    result = break_even(scenario)
    served = None if isinstance(way, Serverless) else served_break_even(scenario, way)
    if as_json:
        block = None if served is None else serving_view.to_dict(scenario, way, served)
        out.print_json(breakeven_view.to_json(result, block))
        return
    if served is not None:
        for line in [*serving_view.lines(scenario, way, served), "Before hosting:"]:
            out.print(line, markup=False)
    for line in breakeven_view.lines(result):
        out.print(line, markup=False)


@app.command()
def prices(
    model: Annotated[
        str | None, typer.Argument(help="Show one model (fine-tuned ids too).")
    ] = None,
    provider: Annotated[str, typer.Option(help="Provider of MODEL.")] = "openai",
) -> None:
    """List the dated, sourced price catalog, or one model's prices and their sources."""
    from advisor.prices_view import entry_detail, prices_table
    from advisor.pricing import load_catalog, lookup

    out.print(entry_detail(lookup(provider, model)) if model else prices_table(load_catalog()))


@app.command()
def families(
    from_results: Annotated[
        Path | None, typer.Option("--from", help="A run's results.json: its measured tokens.")
    ] = None,
    incumbent: Annotated[str | None, typer.Option(help="Incumbent model (catalog).")] = None,
    incumbent_provider: Annotated[str, typer.Option(help="Incumbent's provider.")] = "openai",
    prompt_tokens: Annotated[float | None, typer.Option(help="Incumbent's prompt tokens.")] = None,
    cached_share: Annotated[float, typer.Option(help="Share of them cached (0-1).")] = 0.0,
    output_tokens: Annotated[float | None, typer.Option(help="Output tokens a call.")] = None,
    ft_prompt_tokens: Annotated[
        float | None, typer.Option(help="Prompt tokens of a call to the fine-tune.")
    ] = None,
    training_tokens: Annotated[
        float | None, typer.Option(help="Tokens in the training file (one epoch).")
    ] = None,
    epochs: Annotated[float | None, typer.Option(help="Training epochs (default 3).")] = None,
    calls_per_day: Annotated[float | None, typer.Option(help="Calls a day at the start.")] = None,
    growth: Annotated[float | None, typer.Option(help="Monthly traffic growth.")] = None,
    horizon_months: Annotated[float | None, typer.Option(help="Horizon in months.")] = None,
    horizon_days: Annotated[float | None, typer.Option(help="Horizon in days.")] = None,
    update_months: Annotated[
        float | None, typer.Option(help="Expected months between base-model updates.")
    ] = None,
    one_time_cost: Annotated[float | None, typer.Option(help="Paid once, USD.")] = None,
    error_cost: Annotated[float | None, typer.Option(help="Cost of one wrong answer.")] = None,
    incumbent_error_rate: Annotated[
        float | None, typer.Option(help="Incumbent's error rate (0-1).")
    ] = None,
    as_of: Annotated[str | None, typer.Option(help="Day 0 (default: the run's, or today).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the screen as JSON.")] = False,
) -> None:
    """Price fine-tuning every family at every provider in the catalog, before any eval."""
    from advisor import families_view
    from advisor.families import screen

    profile = families_view.profile(
        from_results,
        incumbent=incumbent,
        incumbent_provider=incumbent_provider,
        prompt_tokens=prompt_tokens,
        cached_share=cached_share,
        output_tokens=output_tokens,
        ft_prompt_tokens=ft_prompt_tokens,
        training_tokens=training_tokens,
        epochs=epochs,
        calls_per_day=calls_per_day,
        monthly_growth=growth,
        horizon_days=horizon_days,
        horizon_months=horizon_months,
        months_between_updates=update_months,
        one_time_cost=one_time_cost,
        error_cost=error_cost,
        incumbent_error_rate=incumbent_error_rate,
        as_of=None if as_of is None else _as_of(as_of),
    )
    result = screen(profile)
    if as_json:
        out.print_json(json.dumps(families_view.to_dict(result)))
    else:
        for line in families_view.lines(result):
            out.print(line, markup=False, highlight=False)


def _price_overrides(values: list[str] | None) -> dict:
    if not values:  # the parser's module draws tables: rich is not loaded for nothing
        return {}
    from advisor.prices_view import parse_price_override

    return dict(parse_price_override(v) for v in values)


@app.command()
def evaluate(
    study: Annotated[Path, typer.Argument(help="The study file (TOML).")],
    base_url: Annotated[
        str | None, typer.Option(help="Send every candidate's requests to this endpoint.")
    ] = None,
    max_spend: Annotated[
        float | None, typer.Option(help="Refuse or stop the run before it spends this, USD.")
    ] = None,
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Run folder (default reports/<study name>).")
    ] = None,
    concurrency: Annotated[int | None, typer.Option(help="Requests in flight.", min=1)] = None,
    price: Annotated[
        list[str] | None,
        typer.Option(help="MODEL=INPUT,CACHED,OUTPUT in USD per 1M tokens; repeatable."),
    ] = None,
    as_of: Annotated[str | None, typer.Option(help="Day 0 of the cost model (ISO date).")] = None,
    record: Annotated[
        bool, typer.Option("--record", help="Call the endpoints and record every exchange.")
    ] = False,
    replay: Annotated[
        bool, typer.Option("--replay", help="Serve every request from the fixtures, offline.")
    ] = False,
    re_record: Annotated[
        bool,
        typer.Option(
            "--re-record",
            help="Record everything again (--record re-uses what is recorded); the new fixtures "
            "replace the old only when the run completes.",
        ),
    ] = False,
    fixtures: Annotated[
        Path | None, typer.Option(help="Fixtures folder (default fixtures/<study name>).")
    ] = None,
    batch: Annotated[
        bool,
        typer.Option(
            "--batch",
            help="Send through the providers' Batch API: the batch price, answers within 24 h; "
            "rerun the same command to pick up batches in flight or retry what has no answer.",
        ),
    ] = False,
    fail_on: Annotated[
        list[FailOn] | None, typer.Option(help="Exit 1 when this holds (CI); repeatable.")
    ] = None,
    expect_verdict: Annotated[
        str | None, typer.Option(help="Exit 1 unless the verdict is this (CI).")
    ] = None,
    quiet: Annotated[
        bool, typer.Option("--quiet", help="No live progress line (it shows on a terminal only).")
    ] = False,
    baseline: Annotated[
        Path | None,
        typer.Option(
            help="results.json that --fail-on regression compares against (default: the run "
            "folder's results.json as it was before this run, if any)."
        ),
    ] = None,
) -> int:
    """Run the eval set through every candidate, score it and write results.json."""
    from advisor.errors import InputError
    from advisor.evaluate import EvaluateOptions, run_study
    from advisor.progress import progress_bar

    record = record or re_record
    if record and replay:
        raise InputError("choose --record (or --re-record) or --replay, not both")
    options = EvaluateOptions(
        study_path=study,
        mode="record" if record else "replay" if replay else "live",
        base_url=base_url,
        max_spend=max_spend,
        out=out_dir,
        concurrency=concurrency,
        price_overrides=_price_overrides(price),
        as_of=_as_of(as_of) if as_of else None,
        fixtures=fixtures,
        batch=batch,
        fresh=re_record,
    )
    before = _baseline(options, baseline) if FailOn.regression in (fail_on or []) else None
    try:
        outcome = run_study(options, lambda total: progress_bar(err, total, quiet))
    except KeyboardInterrupt:
        from advisor.interrupted import kept_line

        err.print(kept_line(options, _invocation), markup=False, soft_wrap=True)
        return 130
    from advisor.summary import run_lines

    for line in run_lines(outcome):
        out.print(line, markup=False)
    for line in outcome.stopped:
        err.print(f"stopped: {line}", markup=False, soft_wrap=True)
    from advisor.gate import failures

    failed = failures(outcome.results, fail_on or [], expect_verdict, before)
    for line in failed:
        err.print(f"fail: {line}", markup=False, soft_wrap=True)
    return 1 if failed else outcome.exit_code


def _baseline(options: EvaluateOptions, given: Path | None) -> Results | None:
    """The results --fail-on regression compares against, read before the run replaces them."""
    from advisor import results as res
    from advisor.plan import run_folder
    from advisor.study import load_study

    if given is not None:
        return res.load(given)
    path = run_folder(options, load_study(options.study_path)) / res.RESULTS_FILE
    return res.load(path) if path.exists() else None


@app.command()
def simulate(
    config: Annotated[Path, typer.Argument(help="Simulator config (TOML).")],
    host: Annotated[str, typer.Option(help="Address to bind (loopback by default).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port (0 picks a free one).")] = 0,
) -> None:
    """Serve a local OpenAI-compatible simulated endpoint (for tests, demos and fixtures).

    CONFIG keys (TOML, closed to unknown keys): models.<id>: accuracy, mode (answer or judge),
    latency_ms, jitter_ms, prompt_cache, served_model, shutdown_date, owned_by, rpm, tpm;
    answer_key (key = answer, inline); answer_file: path, key_field, answer_field; labels;
    key_pattern; judge_pattern; require_api_key; rpm; tpm; burst_seconds; faults: rate, kinds
    (429, 500, 503, drop, malformed), max_per_request, retry_after_s; batch: validating_polls,
    in_progress_polls, finalizing_polls, failure_rate, expire_after_polls, expiring_batches,
    max_requests. The README describes each one.
    """
    from advisor.errors import InputError
    from advisor.simulator import SimConfig, serve

    try:
        serve(
            SimConfig.from_toml(config),
            host,
            port,
            on_listening=lambda url: out.print(url, markup=False),
        )
    except OSError as exc:
        raise InputError(f"cannot serve on {host}:{port}: {exc.strerror}") from None


@app.command()
def report(
    results_file: Annotated[Path, typer.Argument(help="A run's results.json.")],
    calls_per_day: Annotated[float | None, typer.Option(help="Calls a day at the start.")] = None,
    growth: Annotated[
        float | None, typer.Option(help="Monthly traffic growth (0.05 = 5%).")
    ] = None,
    calls_per_day_range: Annotated[
        tuple[float, float] | None,
        typer.Option(help="LOW HIGH around the calls a day: the chance it pays draws from it."),
    ] = None,
    growth_range: Annotated[
        tuple[float, float] | None,
        typer.Option(help="LOW HIGH around the monthly growth, drawn the same way."),
    ] = None,
    horizon_days: Annotated[float | None, typer.Option(help="Horizon in days.")] = None,
    horizon_months: Annotated[float | None, typer.Option(help="Horizon in months.")] = None,
    error_cost: Annotated[float | None, typer.Option(help="Cost of one wrong answer, USD.")] = None,
    update_months: Annotated[
        float | None, typer.Option(help="Expected months between base-model updates.")
    ] = None,
    batch_share: Annotated[
        float | None,
        typer.Option(help="Share of production calls sent through the Batch API (0 to 1)."),
    ] = None,
    price: Annotated[
        list[str] | None,
        typer.Option(help="MODEL=INPUT,CACHED,OUTPUT in USD per 1M tokens; repeatable."),
    ] = None,
    batch_discount: Annotated[
        list[str] | None,
        typer.Option(
            help="MODEL=FRACTION: the Batch API's discount for a model the catalog has none "
            "for (0.5 = half price), for --batch-share; repeatable."
        ),
    ] = None,
    as_of: Annotated[str | None, typer.Option(help="Day 0 of the cost model (ISO date).")] = None,
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Folder to write (default: beside the run).")
    ] = None,
) -> int:
    """Re-cost and re-decide a finished run under other assumptions; no model is called."""
    from advisor import recost as rc
    from advisor import results as res

    measured = res.load(results_file)
    changes = rc.Changes(
        calls_per_day=calls_per_day,
        monthly_growth=growth,
        calls_per_day_range=calls_per_day_range,
        monthly_growth_range=growth_range,
        horizon_days=horizon_days,
        horizon_months=horizon_months,
        error_cost=error_cost,
        months_between_updates=update_months,
        batch_share=batch_share,
        as_of=_as_of(as_of) if as_of else None,
        price_overrides=_price_overrides(price),
        batch_discounts=dict(_batch_discount(v) for v in batch_discount or []),
    )
    run_dir = results_file.parent
    target = out_dir or rc.default_out(run_dir)
    rc.check_out(target, run_dir)
    updated = rc.recost(measured, changes, results_file)
    res.prepare_out_dir(target)
    examples = run_dir / res.EXAMPLES_FILE
    if examples.exists():
        shutil.copyfile(examples, target / res.EXAMPLES_FILE)
    from advisor.publish import publish

    path = publish(updated, target)
    a = updated.analysis
    out.print(f"Verdict: {a.verdict} (review by {a.review_by}): {a.summary}", markup=False)
    out.print(f"Wrote {path}", markup=False)
    return 0


def _batch_discount(text: str) -> tuple[str, float]:
    """`--batch-discount MODEL=FRACTION`."""
    from advisor.errors import InputError

    model, equals, value = text.rpartition("=")
    try:
        fraction = float(value)
    except ValueError:
        fraction = None
    if not equals or not model.strip() or fraction is None:
        raise InputError(f"--batch-discount {text!r}: expected MODEL=FRACTION, e.g. m=0.5")
    return model.strip(), fraction


@app.command("estimate-training")
def estimate_training(
    training_file: Annotated[Path, typer.Argument(help="Chat-format JSONL training file.")],
    model: Annotated[str, typer.Option(help="Model to fine-tune (its snapshot id).")],
    provider: Annotated[str, typer.Option(help="Provider of MODEL.")] = "openai",
    epochs: Annotated[str, typer.Option(help="Epochs, or auto (OpenAI's default).")] = "auto",
    training_price: Annotated[
        float | None, typer.Option(help="Training price, USD per 1M tokens (default: catalog).")
    ] = None,
    eval_set: Annotated[
        Path | None,
        typer.Option(help="Eval set to check for overlap: a study (TOML) or a JSONL/CSV file."),
    ] = None,
    input_field: Annotated[
        list[str] | None, typer.Option(help="Input field of --eval-set (a data file); repeatable.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the estimate as JSON.")] = False,
) -> None:
    """Check a training file and estimate its training cost, offline; find eval overlap."""
    from advisor.errors import InputError
    from advisor.training import estimate

    if epochs != "auto" and not epochs.isdigit():
        raise InputError(f"--epochs must be a whole number or auto (got {epochs!r})")
    evalset = _eval_set_for_overlap(eval_set, input_field) if eval_set else None
    found = estimate(
        training_file,
        model,
        provider=provider,
        epochs="auto" if epochs == "auto" else int(epochs),
        training_price=training_price,
        evalset=evalset,
        near_cache=Path(".advisor-cache") / "near",
    )
    if as_json:
        out.print_json(json.dumps(found.to_dict()))
    else:
        for line in found.lines():
            out.print(line, markup=False)


def _eval_set_for_overlap(path: Path, input_fields: list[str] | None):
    """An eval set from a study's [evalset], or from a data file and its input fields."""
    from advisor.errors import InputError
    from advisor.evalset import EvalFields, load_evalset
    from advisor.folders import datasets_cache
    from advisor.study import load_study

    cache = datasets_cache(path)
    if path.suffix == ".toml":
        return load_evalset(load_study(path).evalset, path.parent, cache_dir=cache)
    if not input_fields:
        raise InputError("--eval-set with a data file needs --input-field (the text inputs)")
    fields = EvalFields(path=path.name, inputs=input_fields, expected=input_fields[0])
    return load_evalset(fields, path.parent, cache_dir=cache)


@app.command()
def split(
    data: Annotated[str, typer.Argument(help="Labelled data: JSONL, CSV, Parquet or a Hub name.")],
    label: Annotated[str, typer.Option(help="The field holding each example's label.")],
    input_field: Annotated[
        list[str], typer.Option("--input", help="An input field (repeatable, in prompt order).")
    ],
    out_dir: Annotated[Path | None, typer.Option("--out", help="Folder to write.")] = None,
    template: Annotated[
        Path | None, typer.Option(help="The fine-tune candidate's prompt template (jinja2).")
    ] = None,
    id_field: Annotated[str, typer.Option("--id", help="The field naming each example.")] = "id",
    metadata: Annotated[
        list[str] | None, typer.Option(help="A field to keep for slicing (repeatable).")
    ] = None,
    eval_size: Annotated[int | None, typer.Option(help="Examples on the eval side.")] = None,
    eval_share: Annotated[
        float | None, typer.Option(help="Share on the eval side (default 0.2).")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the split.")] = 20261128,
    threshold: Annotated[
        float, typer.Option(help="Cosine similarity from which two inputs are near-duplicates.")
    ] = 0.9,
    near: Annotated[
        str, typer.Option(help="drop (from training) or move (to the eval side).")
    ] = "drop",
    suggest: Annotated[
        bool, typer.Option("--suggest", help="Print the eval size the margin needs; no split.")
    ] = False,
    baseline_accuracy: Annotated[
        float | None, typer.Option(help="Expected accuracy of the incumbent (for --suggest).")
    ] = None,
    study: Annotated[
        Path | None, typer.Option(help="Study whose decision margin, alpha and power to use.")
    ] = None,
) -> None:
    """Split labelled data into DIR/eval.jsonl and DIR/train.jsonl, stratified, with no
    near-duplicates across them; or --suggest the eval size a study's margin needs."""
    from advisor.errors import InputError
    from advisor.prepare import DataFields, SplitOptions, size_needed, split_data

    fields = DataFields(data, label, tuple(input_field), id_field, tuple(metadata or ()))
    if suggest:
        from advisor.prepare._prepare import load_data
        from advisor.study import Decision, load_study

        if baseline_accuracy is None:
            raise InputError("--suggest needs --baseline-accuracy (the incumbent's, 0 to 1)")
        decision = load_study(study).decision if study else Decision()
        needed = size_needed(baseline_accuracy, decision.margin, decision.alpha, decision.power)
        for line in needed.lines():
            out.print(line, markup=False)
        have = len(load_data(fields).examples)
        out.print(
            f"{data} holds {have:,} labelled examples: all of them as eval examples would "
            f"detect a loss of {needed.detectable_at(have):.4f}",
            markup=False,
        )
        return
    if out_dir is None or template is None:
        raise InputError("split needs --out DIR and --template (the fine-tune's prompt)")
    if near not in ("drop", "move"):
        raise InputError(f"--near must be drop or move (got {near!r})")
    if not 0 < threshold <= 1:
        raise InputError(f"--threshold must be in (0, 1] (got {threshold})")
    options = SplitOptions(
        fields,
        out_dir,
        template,
        eval_size,
        eval_share,
        seed,
        threshold,
        "move" if near == "move" else "drop",
    )
    for line in split_data(options).lines():
        (err if line.startswith("warning") else out).print(line, markup=False)


@app.command()
def label(
    data: Annotated[str, typer.Argument(help="Unlabelled inputs with the study's input fields.")],
    study: Annotated[Path, typer.Option(help="The study file (TOML).")],
    candidate: Annotated[str, typer.Option(help="The candidate that answers (the teacher).")],
    out_file: Annotated[Path, typer.Option("--out", help="Chat-format training file to write.")],
    template: Annotated[
        Path | None,
        typer.Option(help="Training prompt template (default: the study's fine-tune's)."),
    ] = None,
    max_spend: Annotated[
        float | None, typer.Option(help="Refuse or stop before spending this, USD.")
    ] = None,
    base_url: Annotated[str | None, typer.Option(help="Send the requests here.")] = None,
    record: Annotated[bool, typer.Option("--record", help="Record every exchange.")] = False,
    replay: Annotated[bool, typer.Option("--replay", help="Serve from the fixtures.")] = False,
    fixtures: Annotated[
        Path | None, typer.Option(help="Fixtures folder (default fixtures/<study>.labels).")
    ] = None,
    concurrency: Annotated[int | None, typer.Option(help="Requests in flight.", min=1)] = None,
) -> int:
    """Label inputs with a candidate's answers and write them as a training file, with what
    labelling cost (a one-time cost of the fine-tune)."""
    from advisor.errors import InputError
    from advisor.prepare._label import LabelOptions
    from advisor.prepare._label import label as run_label

    if record and replay:
        raise InputError("choose --record or --replay, not both")
    options = LabelOptions(
        data=data,
        study_path=study,
        candidate=candidate,
        out=out_file,
        mode="record" if record else "replay" if replay else "live",
        fixtures=fixtures,
        max_spend=max_spend,
        base_url=base_url,
        template=template,
        concurrency=concurrency,
    )
    labelled = run_label(options)
    for line in labelled.lines():
        out.print(line, markup=False)
    return labelled.exit_code


fixtures_app = typer.Typer(help="Recorded HTTP exchanges.", no_args_is_help=True)
app.add_typer(fixtures_app, name="fixtures")


@fixtures_app.command("check")
def fixtures_check(
    study: Annotated[Path, typer.Argument(help="The study file (TOML).")],
    fixtures: Annotated[
        Path | None, typer.Option(help="Fixtures folder (default fixtures/<study name>).")
    ] = None,
    batch: Annotated[
        bool, typer.Option("--batch", help="Check a recording made with --batch (by input file).")
    ] = False,
) -> int:
    """List the study's requests with no recording and the recordings no request uses."""
    from advisor import fixtures as fx
    from advisor.evaluate import EvaluateOptions, plan_run
    from advisor.folders import fixtures_folder
    from advisor.study import load_study

    loaded = load_study(study)
    folder = fixtures_folder(study, loaded.name, fixtures)
    plan = plan_run(EvaluateOptions(study_path=study, mode="replay"), loaded, writes=False)
    store = fx.FixtureStore(folder)
    redactor = fx.Redactor(loaded.fixtures.redact)
    if batch:  # recorded by batch input file: one changed request misses its whole file
        from advisor.batch import find_batch_misses

        files = find_batch_misses(store, plan.requests)
        missing = [m.describe() for m in files]
        missed = sum(len(m.file.custom_ids) for m in files)
        unused = None  # an input file no request makes cannot be told from its sha256
    else:
        missing = [m.describe() for m in fx.find_misses(store, plan.requests, redactor)]
        unused = fx.unused_recordings(store, plan.requests, redactor)
        missed = len(missing)
    for line in missing:
        out.print(f"missing: {line}", markup=False)
    for exchange in unused or []:
        out.print(f"unused: {exchange.tag} ({exchange.method} {exchange.path})", markup=False)
    counted = f"{len(unused)} unused recordings" if unused is not None else "unused not checked"
    out.print(
        f"{len(plan.requests)} requests, {len(plan.requests) - missed} recorded, "
        f"{missed} missing, {counted} in {folder}"
    )
    return 1 if missing else 0


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; an `AdvisorError` or a usage error becomes one line on stderr."""
    command = click_group(app)
    _invocation[:] = sys.argv[1:] if argv is None else argv
    try:
        result = _warned(command.main, args=argv, prog_name="advisor", standalone_mode=False)
    except AdvisorError as exc:
        if os.environ.get(DEBUG_VAR):
            raise
        err.print(f"error: {exc}", markup=False, soft_wrap=True)
        return exc.exit_code
    except typer.Exit as exc:
        return exc.exit_code
    except NoArgsIsHelpError as exc:
        exc.show()
        return 0
    except typer.TyperException as exc:  # usage: unknown option, bad value, missing option
        err.print(f"error: {exc.format_message()}", markup=False, soft_wrap=True)
        return 2
    except typer.Abort:
        err.print("aborted")
        return 130
    return result if isinstance(result, int) else 0


def _warned(call: Callable[..., object], **kwargs: object) -> object:
    """Run `call`, then print the warnings the core gathered (torn lines it repaired)."""
    from advisor.jsonlines import drain

    try:
        return call(**kwargs)
    finally:
        for warning in drain():
            err.print(f"warning: {warning}", markup=False, soft_wrap=True)


def run() -> None:
    """Console-script entry point."""
    # This process runs asyncio only; httpcore2 imports trio whenever it is installed (about a
    # tenth of a second of start-up), and finds it missing this way.
    sys.modules.setdefault("trio", None)  # type: ignore[arg-type]
    code = main()
    if sys.gettrace() is not None or sys.getprofile() is not None:
        sys.exit(code)  # a coverage tool or a profiler writes its data at exit
    # Every file the command writes is written atomically and closed by now. Tearing down the
    # interpreter (the modules and objects of a run: pydantic, numpy, jinja2...) took longer
    # than the run's own end, so the process leaves without it once its output is flushed.
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe or stream
            stream.flush()
    os._exit(code)
