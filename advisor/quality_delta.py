"""The quality delta, apart from the costs: it reads only scores, so no price or volume moves it.

The statistics (numpy) load where an interval is made, not at import.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from advisor.results import Results
    from advisor.study import Study

_Closed = ConfigDict(extra="forbid")
GROUP_BOOTSTRAP = 2_000


class GroupDelta(BaseModel):
    model_config = _Closed
    group: str
    n: int
    delta: float
    low: float
    high: float


class QualityDelta(BaseModel):
    """Challenger minus incumbent on the same examples, primary metric."""

    model_config = _Closed
    metric: str
    n: int
    """Examples both answered (repeats averaged first), contaminated ones set aside."""
    set_aside: int
    """Eval examples left out because the challenger's training data contains them."""
    incumbent_mean: float
    challenger_mean: float
    delta: float
    low: float
    high: float
    confidence: float
    p_value: float
    test: str
    seed: int
    n_boot: int
    mde: float | None
    """Smallest true delta this many examples detect at the study's alpha and power."""
    examples_to_settle: int | None
    per_class: list[GroupDelta] = []
    slices: dict[str, list[GroupDelta]] = {}


def scores_by_example(results: Results, name: str) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {}
    for example in results.examples:
        scores = [c.score for c in example.calls.get(name, []) if c.score is not None]
        if scores:
            out[example.id] = scores
    return out


def quality_delta(
    results: Results, incumbent: str, challenger: str, study: Study, set_aside: set[str]
) -> QualityDelta | None:
    """Paired comparison on the examples both answered; None when they share none."""
    a_all = scores_by_example(results, incumbent)
    b_all = scores_by_example(results, challenger)
    ids = [
        e.id for e in results.examples if e.id in a_all and e.id in b_all and e.id not in set_aside
    ]
    if not ids:
        return None
    a = [a_all[i] for i in ids]
    b = [b_all[i] for i in ids]
    from advisor import stats  # numpy: the checks before the first request build no interval

    d = study.decision
    comparison = stats.compare(
        a, b, pass_fail=results.scorer["pass_fail"], alpha=d.alpha, power=d.power, seed=d.seed
    )
    interval = comparison.interval
    a_mean = [sum(s) / len(s) for s in a]
    b_mean = [sum(s) / len(s) for s in b]
    examples = {e.id: e for e in results.examples}

    def groups(labels: list[str]) -> list[GroupDelta]:
        found = stats.delta_by_group(
            a_mean, b_mean, labels, alpha=d.alpha, n_boot=GROUP_BOOTSTRAP, seed=d.seed
        )
        return [
            GroupDelta(group=str(g), n=labels.count(g), delta=i.mean_delta, low=i.low, high=i.high)
            for g, i in found.items()
        ]

    per_class = []
    if results.scorer["type"] == "label":
        per_class = groups([str(examples[i].expected) for i in ids])
    slices = {
        field: groups([examples[i].metadata.get(field, "") for i in ids])
        for field in study.evalset.metadata
    }
    return QualityDelta(
        metric=results.scorer["primary_metric"],
        n=len(ids),
        set_aside=len(set_aside),
        incumbent_mean=sum(a_mean) / len(ids),
        challenger_mean=sum(b_mean) / len(ids),
        delta=comparison.delta,
        low=interval.low,
        high=interval.high,
        confidence=1 - d.alpha,
        p_value=comparison.p_value,
        test=comparison.test,
        seed=comparison.seed,
        n_boot=interval.n_boot,
        mde=comparison.mde,
        examples_to_settle=stats.examples_to_settle(interval, d.margin, len(ids)),
        per_class=per_class,
        slices=slices,
    )
