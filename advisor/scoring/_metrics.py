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

    `expected` and `predicted` index into `labels`; a predicted -1 is an invalid output, which
    scikit-learn counts as a miss for the expected label and as no label's prediction.
    """
    from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

    indices = list(range(len(labels)))
    precision, recall, f1, support = precision_recall_fscore_support(
        expected, predicted, labels=indices, average=None, zero_division=0
    )
    matrix = confusion_matrix(expected, predicted, labels=indices)
    return LabelMetrics(
        labels=tuple(labels),
        per_class=tuple(
            ClassMetrics(label, float(p), float(r), float(f), int(s))
            for label, p, r, f, s in zip(labels, precision, recall, f1, support, strict=True)
        ),
        confusion=tuple(tuple(int(count) for count in row) for row in matrix),
    )
