"""The `advisor` command line: parse, call the core, print, return an exit code.

    _startup     typer building only the invoked command, a console made at its first use
    _shared      the two consoles, the invocation, the --as-of and --price parsers
    _economics   breakeven, prices, families, report: what a fine-tune costs, no model called
    _evaluation  evaluate, simulate, fixtures check: running a study and its recordings
    _data        estimate-training, split, label: a study's training file and eval set

The commands are registered here, in the order `advisor --help` lists them. Heavy libraries
(openai, datasets, scikit-learn) are imported inside the commands that use them, so `advisor
--help` starts fast; typer builds the invoked command alone, and rich loads at the first output.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable

import typer
from typer._click.exceptions import NoArgsIsHelpError

from advisor.cli import _data, _economics, _evaluation
from advisor.cli._shared import err, invocation
from advisor.cli._startup import click_group
from advisor.errors import AdvisorError

__all__ = ["app", "main", "run"]

app = typer.Typer(
    help="Measure whether fine-tuning a model pays off against prompting a base model.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,  # locals hold API keys
)

DEBUG_VAR = "ADVISOR_DEBUG"


@app.callback()
def _root() -> None:
    """Measure whether fine-tuning a model pays off against prompting a base model."""


app.command()(_economics.breakeven)
app.command()(_economics.prices)
app.command()(_economics.families)
app.command()(_evaluation.evaluate)
app.command()(_evaluation.simulate)
app.command()(_economics.report)
app.command("estimate-training")(_data.estimate_training)
app.command()(_data.split)
app.command()(_data.label)

fixtures_app = typer.Typer(help="Recorded HTTP exchanges.", no_args_is_help=True)
app.add_typer(fixtures_app, name="fixtures")
fixtures_app.command("check")(_evaluation.fixtures_check)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; an `AdvisorError` or a usage error becomes one line on stderr."""
    command = click_group(app)
    invocation[:] = sys.argv[1:] if argv is None else argv
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
