"""CI conditions: which outcomes of a run make `advisor evaluate` exit 1."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the command line imports this module at start-up: keep it light
    from advisor.results import Results


class FailOn(StrEnum):
    """Conditions for `--fail-on`."""

    regression = "regression"
    """A challenger's quality is worse than the incumbent's by more than the margin."""
    errors = "errors"
    """Any example ended in an error."""
    partial = "partial"
    """The run stopped before every example was answered."""


def failures(results: Results, fail_on: list[FailOn], expect_verdict: str | None) -> list[str]:
    """The conditions that hold, each as a sentence; empty when the gate passes."""
    found = []
    a = results.analysis
    if FailOn.regression in fail_on and a is not None:
        for c in a.challengers:
            rule = next((r for r in c.rules if r.name == "quality.margin"), None)
            if rule is not None and rule.outcome == "fail":
                found.append(f"quality regression: {c.name}: {rule.message}")
    if FailOn.errors in fail_on and results.run.errors:
        found.append(f"{results.run.errors} example(s) ended in an error")
    if FailOn.partial in fail_on and results.status == "partial":
        found.append("the run is partial")
    if expect_verdict is not None:
        verdict = a.verdict if a is not None else "none"
        if verdict != expect_verdict:
            found.append(f"verdict {verdict}, expected {expect_verdict}")
    return found
