"""Each candidate's confusions, in a form that reads on any screen.

A matrix of up to `MATRIX_MAX_LABELS` labels fits a phone; a larger one (the example's 12 x 12,
four times over) does not, and its cells say less than the few confusions that matter: those
become a list of the most frequent confusions, largest first. Either view is titled with its
candidate, so a reader never has to guess whose errors they are looking at.
"""

from __future__ import annotations

from dataclasses import dataclass

from advisor.results import CandidateResult

MATRIX_MAX_LABELS = 8
TOP_CONFUSIONS = 10


@dataclass(frozen=True)
class Confusion:
    expected: str
    answered: str
    count: int
    share: float
    """Of the examples expecting `expected`."""


@dataclass(frozen=True)
class ConfusionView:
    candidate: str
    labels: list[str]
    matrix: list[list[int]] | None
    """The whole matrix when it is small enough to show; else None and `top` is shown."""
    top: list[Confusion]
    wrong: int
    """Answers off the diagonal, all of them (the list shows the largest few)."""


def confusion_views(candidates: list[CandidateResult]) -> list[ConfusionView]:
    views = []
    for c in candidates:
        table = c.metrics.labels
        if table is None:
            continue
        labels, matrix = table.labels, table.confusion
        cells = [
            Confusion(labels[i], labels[j], count, count / sum(row))
            for i, row in enumerate(matrix)
            for j, count in enumerate(row)
            if i != j and count
        ]
        cells.sort(key=lambda cell: (-cell.count, cell.expected, cell.answered))
        small = len(labels) <= MATRIX_MAX_LABELS
        views.append(
            ConfusionView(
                candidate=c.name,
                labels=labels,
                matrix=matrix if small else None,
                top=cells[:TOP_CONFUSIONS],
                wrong=sum(cell.count for cell in cells),
            )
        )
    return views
