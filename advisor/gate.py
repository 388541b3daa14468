"""CI conditions: which outcomes of a run make `advisor evaluate` exit 1."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the command line imports this module at start-up: keep it light
    from advisor.results import Results


class FailOn(StrEnum):
    """Conditions for `--fail-on`."""

    regression = "regression"
    """Against a baseline results file: a candidate's primary metric dropped by more than the
    margin, or a challenger is now vetoed that was not. Without a baseline: a challenger is
    vetoed (worse than the incumbent by more than the margin)."""
    errors = "errors"
    """Any example ended in an error."""
    partial = "partial"
    """The run stopped before every example was answered."""


def _vetoed(results: Results) -> dict[str, str]:
    """Challengers worse than the incumbent by more than the margin, with the rule's message."""
    vetoed = {}
    for c in results.analysis.challengers if results.analysis else []:
        rule = next((r for r in c.rules if r.name == "quality.margin"), None)
        if rule is not None and rule.outcome == "fail":
            vetoed[c.name] = rule.message
    return vetoed


def _regressions(results: Results, baseline: Results | None) -> list[str]:
    """What got worse: against `baseline` when there is one, else against the incumbent.

    A challenger the baseline already vetoed is no regression (the study keeps it to show why
    it loses); a metric that fell by more than the study's margin is.
    """
    vetoed = _vetoed(results)
    if baseline is None:
        return [f"quality regression: {name}: {message}" for name, message in vetoed.items()]
    margin = float(results.study.get("decision", {}).get("margin", 0.02))
    before = {c.name: c.metrics for c in baseline.candidates}
    was_vetoed = _vetoed(baseline)
    found = []
    for c in results.candidates:
        old = before.get(c.name)
        if old is None or old.value is None or c.metrics.value is None:
            continue
        if old.value - c.metrics.value > margin:
            found.append(
                f"quality regression: {c.name}: {c.metrics.primary} {c.metrics.value:.4f}, "
                f"down from {old.value:.4f} in the baseline, by more than the margin {margin:g}"
            )
    for name, message in vetoed.items():
        if name in before and name not in was_vetoed:
            found.append(f"quality regression: {name} is now vetoed: {message}")
    return found


def failures(
    results: Results,
    fail_on: list[FailOn],
    expect_verdict: str | None,
    baseline: Results | None = None,
) -> list[str]:
    """The conditions that hold, each as a sentence; empty when the gate passes."""
    found = []
    a = results.analysis
    if FailOn.regression in fail_on:
        found += _regressions(results, baseline)
    if FailOn.errors in fail_on and results.run.errors:
        found.append(f"{results.run.errors} example(s) ended in an error")
    if FailOn.partial in fail_on and results.status == "partial":
        found.append("the run is partial")
    if expect_verdict is not None:
        verdict = a.verdict if a is not None else "none"
        if verdict != expect_verdict:
            found.append(f"verdict {verdict}, expected {expect_verdict}")
    return found
