"""The `advisor` command line: parse, call the core, print, return an exit code.

Heavy libraries (openai, datasets, scikit-learn) are imported inside the commands that use them,
so `advisor --help` starts fast.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from typer._click.exceptions import NoArgsIsHelpError

from advisor.errors import AdvisorError
from advisor.gate import FailOn

app = typer.Typer(
    help="Measure whether fine-tuning a model pays off against prompting a base model.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,  # locals hold API keys
)
# Piped output is not cut to 80 columns: tables keep their model ids whole.
out = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 200)
err = Console(stderr=True, highlight=False)

DEBUG_VAR = "ADVISOR_DEBUG"


@app.callback()
def _root() -> None:
    """Measure whether fine-tuning a model pays off against prompting a base model."""


def _as_of(value: str | None) -> date:
    from advisor.errors import InputError

    if value is None:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InputError(f"--as-of must be a date like 2026-11-28 (got {value!r})") from None


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
) -> None:
    """After how many days does a fine-tune pay for itself? No eval needed."""
    from advisor import breakeven_view
    from advisor.economics import Scenario, break_even, months_to_days

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
        horizon_days=breakeven_view.horizon(horizon_days, horizon_months),
        update_every_days=None if update_months is None else months_to_days(update_months),
        shutdown_day=breakeven_view.day_of(shutdown_date, day0, "--shutdown-date"),
        training_cutoff_day=breakeven_view.day_of(training_cutoff, day0, "--training-cutoff"),
        error_cost=error_cost,
        prompt_error_rate=prompt_error_rate,
        ft_error_rate=ft_error_rate,
        as_of=day0,
    )
    result = break_even(scenario)
    if as_json:
        out.print_json(json.dumps(breakeven_view.to_dict(scenario, result)))
    else:
        for line in breakeven_view.lines(scenario, result):
            out.print(line)


@app.command()
def prices(
    model: Annotated[
        str | None, typer.Argument(help="Show one model (fine-tuned ids too).")
    ] = None,
    provider: Annotated[str, typer.Option(help="Provider of MODEL.")] = "openai",
) -> None:
    """List the dated, sourced price catalog, or one model's prices and their sources."""
    from advisor.pricing import entry_detail, load_catalog, lookup, prices_table

    out.print(entry_detail(lookup(provider, model)) if model else prices_table(load_catalog()))


def _price_overrides(values: list[str] | None) -> dict:
    from advisor.pricing import parse_price_override

    return dict(parse_price_override(v) for v in values or [])


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
) -> int:
    """Run the eval set through every candidate, score it and write results.json."""
    from advisor.errors import InputError
    from advisor.evaluate import EvaluateOptions, run_study
    from advisor.progress import progress_bar

    if record and replay:
        raise InputError("choose --record or --replay, not both")
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
    )
    outcome = run_study(options, lambda total: progress_bar(err, total))
    from advisor.summary import run_lines

    for line in run_lines(outcome):
        out.print(line, markup=False)
    from advisor.gate import failures

    failed = failures(outcome.results, fail_on or [], expect_verdict)
    for line in failed:
        err.print(f"fail: {line}", markup=False, soft_wrap=True)
    return 1 if failed else outcome.exit_code


@app.command()
def simulate(
    config: Annotated[Path, typer.Argument(help="Simulator config (TOML).")],
    host: Annotated[str, typer.Option(help="Address to bind (loopback by default).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port (0 picks a free one).")] = 0,
) -> None:
    """Serve a local OpenAI-compatible simulated endpoint (for tests, demos and fixtures)."""
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
        horizon_days=horizon_days,
        horizon_months=horizon_months,
        error_cost=error_cost,
        months_between_updates=update_months,
        batch_share=batch_share,
        as_of=_as_of(as_of) if as_of else None,
        price_overrides=_price_overrides(price),
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
    from advisor.study import load_study

    cache = Path(".advisor-cache") / "datasets"
    if path.suffix == ".toml":
        return load_evalset(load_study(path).evalset, path.parent, cache_dir=cache)
    if not input_fields:
        raise InputError("--eval-set with a data file needs --input-field (the text inputs)")
    fields = EvalFields(path=path.name, inputs=input_fields, expected=input_fields[0])
    return load_evalset(fields, path.parent, cache_dir=cache)


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
    from advisor.evaluate import EvaluateOptions, fixtures_folder, plan_run
    from advisor.study import load_study

    loaded = load_study(study)
    folder = fixtures_folder(loaded, fixtures)
    plan = plan_run(EvaluateOptions(study_path=study, mode="replay"), loaded)
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
    command = typer.main.get_command(app)
    try:
        result = command.main(args=argv, prog_name="advisor", standalone_mode=False)
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
