"""The `advisor` command line: parse, call the core, print, return an exit code.

Heavy libraries (openai, datasets, scikit-learn) are imported inside the commands that use them,
so `advisor --help` starts fast.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import date
from typing import Annotated

import typer
from rich.console import Console
from typer._click.exceptions import NoArgsIsHelpError

from advisor.errors import AdvisorError

app = typer.Typer(
    help="Measure whether fine-tuning a model pays off against prompting a base model.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,  # locals hold API keys
)
out = Console(highlight=False, soft_wrap=True)
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
    sys.exit(main())
