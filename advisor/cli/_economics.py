"""The cost commands (breakeven, prices, families, report): none of them calls a model.

Kept apart from running a study (advisor.cli._evaluation) and preparing its data
(advisor.cli._data): they take the cost model's assumptions as options, and work before an eval
(breakeven, prices, families) or from a finished run's results.json (report).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Annotated

import typer

from advisor.cli._shared import as_of_day, out, price_overrides


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
    day0 = as_of_day(as_of)
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
        as_of=None if as_of is None else as_of_day(as_of),
    )
    result = screen(profile)
    if as_json:
        out.print_json(json.dumps(families_view.to_dict(result)))
    else:
        for line in families_view.lines(result):
            out.print(line, markup=False, highlight=False)


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
        as_of=as_of_day(as_of) if as_of else None,
        price_overrides=price_overrides(price),
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
