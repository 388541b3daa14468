"""`advisor` builds only what the invoked command uses (advisor.cli._startup), and still shows
every command in its help, suggests the command meant and checks every value given."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from advisor.cli import main

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = (
    "breakeven",
    "prices",
    "families",
    "evaluate",
    "simulate",
    "report",
    "estimate-training",
    "split",
    "label",
    "fixtures",
)
"""Every command, in the order advisor.cli registers them (the help keeps it)."""


def test_the_help_lists_every_command_in_order_with_its_summary(capsys):
    assert main(["--help"]) == 0
    text = capsys.readouterr().out
    at = [text.index(f" {name} ") for name in COMMANDS]
    assert at == sorted(at)
    assert "Run the eval set through every candidate" in text
    assert "Recorded HTTP exchanges." in text


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["evaluat"], "No such command 'evaluat'. Did you mean 'evaluate'?"),
        (["fixtures", "chek"], "No such command 'chek'. Did you mean 'check'?"),
        (
            ["evaluate", "s.toml", "--concurrency", "0"],
            "Invalid value for '--concurrency': Input should be greater than or equal to 1",
        ),
        (
            ["evaluate", "s.toml", "--fail-on", "bogus"],
            "Invalid value for '--fail-on': Value error, 'bogus' is not one of 'regression', "
            "'errors', 'partial'.",
        ),
        (
            ["report", "r.json", "--growth-range", "0", "x"],
            "Invalid value for '--growth-range': Input should be a valid number",
        ),
    ],
)
def test_a_wrong_command_or_value_is_one_line_and_exit_2(capsys, argv, message):
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("error: ") and message in captured.err
    assert captured.err.count("\n") == 1


PROBE = """
import functools, sys
import typer.main

built = []
build = typer.main.get_command_from_info


def counted(command_info, **style):
    built.append(command_info.callback.__name__)
    return build(command_info, **style)


typer.main.get_command_from_info = counted
from advisor import cli

info = next(i for i in cli.app.registered_commands if i.callback.__name__ == "evaluate")


@functools.wraps(info.callback)
def probe(**values):
    print(built, sorted(m for m in ("rich", "advisor.prices_view") if m in sys.modules))
    print(values["concurrency"], values["fail_on"], values["price"], values["replay"])
    return 0


info.callback = probe
sys.exit(cli.main(["evaluate", "studies/support-tickets.toml", "--replay"]))
"""


def test_a_command_starts_with_itself_built_and_no_rich_loaded():
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["['evaluate'] []", "None None None True"]
