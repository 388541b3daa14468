"""What a scorer reports over an eval set: typed values the statistics and the report read."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Metric:
    """A named value; None when no example could be scored."""

    name: str
    value: float | None


@dataclass(frozen=True)
class ClassMetrics:
    """One label's row of the classification report."""

    label: str
    precision: float
    """Share of the outputs naming this label that were right; 0 when none named it."""
    recall: float
    """Share of the examples expecting this label that got it; 0 when none expected it."""
    f1: float
    support: int
    """Examples expecting this label, invalid outputs included."""


@dataclass(frozen=True)
class LabelMetrics:
    """The per-class table and confusion matrix of a label scorer."""

    labels: tuple[str, ...]
    per_class: tuple[ClassMetrics, ...]
    confusion: tuple[tuple[int, ...], ...]
    """`confusion[i][j]`: examples expecting `labels[i]` answered `labels[j]`. Invalid outputs
    are in no column, so row i sums to `per_class[i].support` minus its invalid outputs."""

    @property
    def macro_f1(self) -> float:
        """Mean F1 over the labels expected or predicted at least once, as scikit-learn does
        without a label list: a configured label absent from the data does not count."""
        predicted = [sum(column) for column in zip(*self.confusion, strict=True)]
        scores = [c.f1 for c, p in zip(self.per_class, predicted, strict=True) if c.support or p]
        return sum(scores) / len(scores)


@dataclass(frozen=True)
class Metrics:
    """A scorer's summary of one candidate's answers.

    Only examples with both an output and a score count in `n` and in every value; the others
    (the call failed, or the scorer could not decide, e.g. a judge error) are counted in `errors`.
    """

    primary: Metric
    """The mean score under the scorer's primary metric name."""
    n: int = 0
    errors: int = 0
    invalid: int = 0
    """Scored outputs the scorer could not read (no label, no number, no JSON object); they
    score 0 and count in `n`."""
    others: dict[str, float] = field(default_factory=dict)
    """Secondary metrics by name (`macro_f1`, `all_fields_correct`)."""
    labels: LabelMetrics | None = None


def label_metrics(
    expected: Sequence[int], predicted: Sequence[int], labels: Sequence[str]
) -> LabelMetrics:
    """Per-class precision, recall, F1 and the confusion matrix from label indices.

    `expected` and `predicted` index into `labels`; a predicted -1 is an invalid output, a miss
    for the expected label and no label's prediction. The arithmetic is scikit-learn's
    `precision_recall_fscore_support(..., zero_division=0)` (F1 as 2·tp / (support + predicted)),
    written out because importing `sklearn.metrics` costs ~2 s of every run's start; a test holds
    the two equal.
    """
    size = len(labels)
    matrix = [[0] * size for _ in range(size)]
    support = [0] * size
    for truth, guess in zip(expected, predicted, strict=True):
        support[truth] += 1
        if guess >= 0:
            matrix[truth][guess] += 1
    named = [sum(column) for column in zip(*matrix, strict=True)] if size else []
    rows = []
    for i, label in enumerate(labels):
        hits = matrix[i][i]
        rows.append(
            ClassMetrics(
                label,
                precision=_ratio(hits, named[i]),
                recall=_ratio(hits, support[i]),
                f1=_ratio(2 * hits, support[i] + named[i]),
                support=support[i],
            )
        )
    return LabelMetrics(
        labels=tuple(labels),
        per_class=tuple(rows),
        confusion=tuple(tuple(row) for row in matrix),
    )


def _ratio(numerator: int, denominator: int) -> float:
    """A share, 0 when nothing was counted (scikit-learn's `zero_division=0`)."""
    return numerator / denominator if denominator else 0.0
