"""Answers that came from `advisor simulate`, and the notice every output gives when some did.

The simulator answers right when a hash falls below an accuracy set by hand, so the quality of a
simulated candidate is an input of the run, not a finding. It marks every chat completion it
serves (its own `system_fingerprint` and a `MARK_FIELD` object naming the configured accuracy);
the mark travels in the response body, so the response cache and the fixtures keep it, and a
replay knows what a recording knew. The notice is made from the marks alone, never from the
study's note, so a study that forgets to say so is still disclosed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict

FINGERPRINT = "fp_advisor_simulator"
"""The `system_fingerprint` of every completion the simulator serves."""
MARK_FIELD = "advisor_simulator"
"""Top-level field of a simulated completion: `{"accuracy": <configured share right>}`."""


def mark(accuracy: float | None) -> dict[str, Any]:
    """The mark the simulator puts in a completion; `accuracy` None for a judge model."""
    return {"accuracy": accuracy}


def accuracy_of(body: dict[str, Any]) -> float | None:
    """The configured accuracy a completion declares; None when it carries no simulator mark."""
    found = body.get(MARK_FIELD)
    if not isinstance(found, dict) or body.get("system_fingerprint") != FINGERPRINT:
        return None
    value = found.get("accuracy")
    return float(value) if isinstance(value, int | float) and 0 <= value <= 1 else None


class Simulated(BaseModel):
    """How many of a candidate's answers came from the simulator, and at what accuracy."""

    model_config = ConfigDict(extra="forbid")
    answers: int
    """Answers that carried the simulator's mark."""
    accuracy: float
    """The accuracy the simulator was configured to answer this model at (the most common
    declared value, should the answers disagree)."""


def simulated(accuracies: Iterable[float | None]) -> Simulated | None:
    """A candidate's answers' marks summed up; None when none came from the simulator."""
    counts = Counter(a for a in accuracies if a is not None)
    if not counts:
        return None
    return Simulated(answers=counts.total(), accuracy=counts.most_common(1)[0][0])


def notice(candidates: Sequence[Any]) -> str | None:
    """What every output says when any candidate was simulated; None otherwise.

    `candidates` are `advisor.results.CandidateResult`s (their name, model and `simulated`).
    """
    marked = [c for c in candidates if c.simulated is not None]
    if not marked:
        return None
    settings = "; ".join(f"{c.name} ({c.model}) {c.simulated.accuracy:g}" for c in marked)
    return (
        "Simulated answers: the quality figures are the accuracies advisor's simulator was "
        f"configured to answer at, not measurements of the models: {settings}. The costs, "
        "intervals and verdict apply the rules to those inputs: a demonstration of the rules, "
        "not a finding. Latencies are the simulator's too."
    )
