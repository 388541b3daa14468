"""What `advisor` makes at launch: only what the invoked command uses.

Left to itself, typer builds the click command of every subcommand from its signature before it
reads the first argument, then a pydantic TypeAdapter for every parameter of the invoked command,
given or not; and a rich console made at import loads rich. That was most of what the command
line cost at each launch, before `advisor evaluate` could send its first request. Here a
subcommand is built when it is looked up, a parameter's coercion when a value comes to it, and a
console at its first use. What each command accepts, prints and exits with is typer's own: this
changes when things are built, never what is built.

This leans on typer 0.29's internals (`typer.main`'s builders, `typer._coercion`), hence the pin in
pyproject.toml; the command-line tests fail if they change.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from copy import copy
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, cast

from typer._click import Command, Context
from typer._coercion import RuntimeParam, TypeDescriptor, build_runtime_param
from typer.core import TyperGroup, _TyperParameter
from typer.main import get_command, get_command_from_info, get_command_name, get_group_from_info

if TYPE_CHECKING:
    import typer
    from rich.console import Console


def click_group(app: typer.Typer) -> TyperGroup:
    """`typer.main.get_command(app)`, with each subcommand built the first time it is looked up
    (`advisor --help` looks up all of them). Groups under `app` are added with a name."""
    shell = copy(app)
    shell.registered_commands, shell.registered_groups = [], []
    group = get_command(shell)  # the root alone: its callback, help and options
    assert isinstance(group, TyperGroup)
    style = {
        "pretty_exceptions_short": app.pretty_exceptions_short,
        "rich_markup_mode": app.rich_markup_mode,
    }
    builders: dict[str, Callable[[], Command]] = {}
    for command in app.registered_commands:
        assert command.callback is not None
        name = command.name or get_command_name(command.callback.__name__)
        builders[name] = partial(get_command_from_info, command, **style)
    for sub in app.registered_groups:
        assert isinstance(sub.name, str), "add_typer(..., name=...)"
        builders[sub.name] = partial(
            get_group_from_info, sub, suggest_commands=app.suggest_commands, **style
        )
    group.commands = cast(MutableMapping[str, Command], _OnLookup(builders))
    return group


class _OnLookup(Mapping[str, Command]):
    """A group's subcommands by name, in the order they were defined, each built on lookup."""

    def __init__(self, builders: dict[str, Callable[[], Command]]) -> None:
        self._builders = builders
        self._built: dict[str, Command] = {}

    def __getitem__(self, name: str) -> Command:
        if name not in self._built:
            self._built[name] = _coerce_when_given(self._builders[name]())
        return self._built[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._builders)

    def __len__(self) -> int:
        return len(self._builders)


def _coerce_when_given(command: Command) -> Command:
    """`command`, each of its parameters building its coercion at its first value."""
    for param in command.params:
        if isinstance(param, _TyperParameter):
            param._runtime_param = _WhenGiven(
                annotation=param.type_descriptor.annotation,
                parameter_info=param.type_descriptor.parameter_info,
                descriptor=param.type_descriptor,
            )
    if isinstance(command, TyperGroup):
        for sub in command.commands.values():
            _coerce_when_given(sub)
    return command


@dataclass(frozen=True)
class _WhenGiven(RuntimeParam):
    """typer's coercion of one parameter, built from its descriptor as typer would, when a value
    comes: an option left at None needs none (`RuntimeParam.coerce` returns before asking)."""

    descriptor: TypeDescriptor

    def _coerce_value(self, value: Any, param: _TyperParameter, ctx: Context) -> Any:
        built = build_runtime_param(self.descriptor)
        param._runtime_param = built
        return built._coerce_value(value, param=param, ctx=ctx)


def console(**options: Any) -> Console:
    """A rich `Console(**options)`, made (and rich imported) at its first use."""
    return cast("Console", _OnFirstUse(options))


_MAKING = threading.Lock()
"""Held while a console is made: the progress bar makes its own in a background thread."""


class _OnFirstUse:
    """Turns into the Console itself at the first attribute it is asked for, so that from then on
    it is one, to rich too (its live display enters the console with `with`, which a proxy's
    `__getattr__` would not serve). Every use of a console starts with an attribute: `print`,
    `print_json`, `is_terminal`."""

    def __init__(self, options: dict[str, Any]) -> None:
        self._options = options

    def __getattr__(self, name: str) -> Any:
        from rich.console import Console

        with _MAKING:
            if not isinstance(self, Console):  # not made by another thread meanwhile
                # Made whole first, then taken on: another thread never sees half a Console
                # (until the class changes, whatever is not yet here asks this, and waits).
                made = Console(**self.__dict__["_options"])
                self.__dict__.update(made.__dict__)
                self.__class__ = Console  # type: ignore[assignment]
                del self.__dict__["_options"]
        return getattr(self, name)
