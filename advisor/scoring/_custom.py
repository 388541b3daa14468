"""A user's own scoring function, imported from `package.module:function`."""

from __future__ import annotations

import importlib
import inspect
import reprlib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from advisor.errors import InputError
from advisor.scoring._config import CustomConfig
from advisor.scoring._scorers import LocalScorer

if TYPE_CHECKING:
    from advisor.evalset import Example

ScoreFunction = Callable[[str, Any, Any], object]


def load_function(reference: str, base_dir: Path) -> ScoreFunction:
    """Import `module:function`, with the study's folder first on `sys.path` for local modules."""
    module_name, _, name = reference.partition(":")
    folder = str(base_dir.resolve())
    if folder not in sys.path:
        sys.path.insert(0, folder)
    try:
        module = importlib.import_module(module_name)
    except (ImportError, SyntaxError) as exc:
        raise InputError(f"custom scorer {reference}: cannot import {module_name}: {exc}") from exc
    function = getattr(module, name, None)
    if function is None:
        raise InputError(f"custom scorer {reference}: {module_name} has no attribute {name}")
    if not callable(function):
        raise InputError(f"custom scorer {reference}: {name} is not callable")
    try:
        inspect.signature(function).bind("", None, None)
    except TypeError:
        raise InputError(
            f"custom scorer {reference}: must accept (output, expected, example)"
        ) from None
    return function


class CustomScorer(LocalScorer):
    """Calls the user's function; a failure or a score outside [0, 1] stops the run.

    A broken scorer usually breaks on every example, so stopping early (the answers are cached,
    nothing is paid twice) beats a results file full of errors.
    """

    def __init__(self, config: CustomConfig, function: ScoreFunction) -> None:
        self.primary_metric = config.metric
        self.pass_fail = config.pass_fail
        self._name = config.function
        self._function = function

    def score(self, output: str, expected: Any, example: Example | None = None) -> float:
        subject = f"example {example.id}" if example else f"expected {reprlib.repr(expected)}"
        where = f"custom scorer {self._name} on {subject}"
        try:
            value = self._function(output, expected, example)
        except Exception as exc:  # the user's code: whatever it raises is theirs to fix
            raise InputError(f"{where} raised {exc!r}") from exc
        if not isinstance(value, int | float) or not 0 <= value <= 1:
            raise InputError(f"{where} returned {reprlib.repr(value)}, not a bool or [0, 1] number")
        if self.pass_fail and value not in (0, 1):
            raise InputError(f"{where} returned {value}, but pass_fail is set: return 0 or 1")
        return float(value)
