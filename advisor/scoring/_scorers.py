"""The scorers that read an answer themselves, and the base every scorer shares."""

from __future__ import annotations

import math
import re
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from advisor.errors import InputError
from advisor.scoring._config import JsonConfig, LabelConfig, NumericConfig, RegexConfig
from advisor.scoring._metrics import Metric, Metrics, label_metrics
from advisor.scoring._text import as_text, first_number, normalize, parse_json_object

if TYPE_CHECKING:
    from advisor.evalset import Example

R = TypeVar("R")


class Scorer:
    """What every scorer tells the statistics, and how it sums up an eval set."""

    primary_metric: str = "accuracy"
    pass_fail: bool = True
    """True when every score is 0 or 1, so the statistics can use McNemar's exact test."""

    def check_expected(self, expected: Any) -> None:
        """Raise `InputError` when `expected` cannot be scored, before the run spends anything."""

    def aggregate(
        self,
        outputs: Sequence[str | None],
        expected: Sequence[Any],
        scores: Sequence[float | None],
    ) -> Metrics:
        """Summarize aligned outputs, expected values and scores.

        An example whose output is None (the call failed) or whose score is None (the scorer
        failed, e.g. the judge's reply was unreadable) is left out and counted in `errors`.
        """
        kept = [
            (output, want, score)
            for output, want, score in zip(outputs, expected, scores, strict=True)
            if output is not None and score is not None
        ]
        metrics = Metrics(Metric(self.primary_metric, None), errors=len(outputs) - len(kept))
        if not kept:
            return metrics
        columns = zip(*kept, strict=True)
        kept_outputs, kept_expected, kept_scores = (list(column) for column in columns)
        mean = math.fsum(kept_scores) / len(kept_scores)
        metrics = replace(metrics, primary=Metric(self.primary_metric, mean), n=len(kept))
        return self._summarize(kept_outputs, kept_expected, kept_scores, metrics)

    def _summarize(
        self, outputs: list[str], expected: list[Any], scores: list[float], metrics: Metrics
    ) -> Metrics:
        """Add what this scorer measures beyond the mean score; the lists hold scored examples."""
        return metrics


class LocalScorer(Scorer, ABC):
    """A scorer that needs nothing but the answer: no model call."""

    @abstractmethod
    def score(self, output: str, expected: Any, example: Example | None = None) -> float:
        """The answer's score in [0, 1]; `example` is the eval example, for custom functions."""


class _ReferenceScorer(LocalScorer, Generic[R]):
    """A built-in scorer: the expected value is checked and read into a reference, then compared."""

    def check_expected(self, expected: Any) -> None:
        self._reference(expected)

    def score(self, output: str, expected: Any, example: Example | None = None) -> float:
        return self._match(output, self._reference(expected))

    @abstractmethod
    def _reference(self, expected: Any) -> R:
        """The expected value in the form `_match` compares; `InputError` if it has none."""

    @abstractmethod
    def _match(self, output: str, reference: R) -> float: ...


class ExactScorer(_ReferenceScorer[str]):
    """For answers with one spelling (codes, ids): only surrounding whitespace is forgiven."""

    def _reference(self, expected: Any) -> str:
        return as_text(expected).strip()

    def _match(self, output: str, reference: str) -> float:
        return float(output.strip() == reference)


class NormalizedScorer(_ReferenceScorer[str]):
    """For short answers whose case, spacing and surrounding punctuation do not matter."""

    def _reference(self, expected: Any) -> str:
        return normalize(as_text(expected))

    def _match(self, output: str, reference: str) -> float:
        return float(normalize(output) == reference)


class ContainsScorer(_ReferenceScorer[str]):
    """For answers wrapped in prose; a plain substring test, so "no" is found in "not"."""

    def _reference(self, expected: Any) -> str:
        reference = normalize(as_text(expected))
        if not reference:
            raise InputError(f"contains scorer: expected value {expected!r} is empty")
        return reference

    def _match(self, output: str, reference: str) -> float:
        return float(reference in normalize(output))


class RegexScorer(_ReferenceScorer[re.Pattern[str]]):
    """For answers with a shape rather than a value; `re.search` in the stripped output."""

    def __init__(self, config: RegexConfig) -> None:
        self._pattern = None if config.pattern is None else re.compile(config.pattern)

    def _reference(self, expected: Any) -> re.Pattern[str]:
        if self._pattern is not None:
            return self._pattern
        try:
            return re.compile(as_text(expected))
        except re.error as exc:
            raise InputError(f"regex scorer: pattern {expected!r} is invalid: {exc}") from None

    def _match(self, output: str, reference: re.Pattern[str]) -> float:
        return float(reference.search(output.strip()) is not None)


class NumericScorer(_ReferenceScorer[float]):
    """For numeric answers in prose: the first number in the output counts, within tolerance."""

    def __init__(self, config: NumericConfig) -> None:
        self._config = config

    def _reference(self, expected: Any) -> float:
        value = first_number(as_text(expected))
        if value is None:
            raise InputError(f"numeric scorer: expected value {expected!r} is not a number")
        return value

    def _match(self, output: str, reference: float) -> float:
        value = first_number(output)
        return float(
            value is not None
            and math.isclose(
                value, reference, abs_tol=self._config.abs_tol, rel_tol=self._config.rel_tol
            )
        )

    def _summarize(
        self, outputs: list[str], expected: list[Any], scores: list[float], metrics: Metrics
    ) -> Metrics:
        return replace(metrics, invalid=sum(first_number(output) is None for output in outputs))


class LabelScorer(_ReferenceScorer[str]):
    """Classification, with per-class metrics; the reference is the label's normalized key."""

    def __init__(self, config: LabelConfig) -> None:
        self._names = {normalize(label): label for label in config.labels or ()}

    def _reference(self, expected: Any) -> str:
        key = normalize(as_text(expected))
        if not key:
            raise InputError(f"label scorer: expected value {expected!r} is empty")
        if self._names and key not in self._names:
            labels = ", ".join(self._names.values())
            raise InputError(f"label scorer: expected value {expected!r} is not one of {labels}")
        return key

    def _match(self, output: str, reference: str) -> float:
        return float(normalize(output) == reference)

    def _summarize(
        self, outputs: list[str], expected: list[Any], scores: list[float], metrics: Metrics
    ) -> Metrics:
        keys = [self._reference(want) for want in expected]
        # Without configured labels the eval set's own values are the labels, first spelling kept.
        pairs = list(zip(keys, expected, strict=True))
        names = self._names or {key: as_text(want).strip() for key, want in reversed(pairs)}
        order = list(names) if self._names else sorted(names)
        index = {key: i for i, key in enumerate(order)}
        predicted = [index.get(normalize(output), -1) for output in outputs]
        table = label_metrics([index[key] for key in keys], predicted, [names[k] for k in order])
        return replace(
            metrics,
            invalid=predicted.count(-1),
            others={"macro_f1": table.macro_f1},
            labels=table,
        )


class JsonScorer(_ReferenceScorer[dict[str, Any]]):
    """Structured extraction with partial credit: the share of the fields the output gets right.

    Strings match when normalized, numbers within `abs_tol`, lists and objects item by item under
    the same rules, anything else when equal; a missing field or an unparseable output scores 0.
    """

    primary_metric = "mean_field_score"
    pass_fail = False

    def __init__(self, config: JsonConfig) -> None:
        self._config = config

    def _reference(self, expected: Any) -> dict[str, Any]:
        value = parse_json_object(expected) if isinstance(expected, str) else expected
        if not isinstance(value, dict) or not value:
            raise InputError(f"json scorer: expected value {expected!r} is not a JSON object")
        fields = self._config.fields or list(value)
        missing = [name for name in fields if name not in value]
        if missing:
            raise InputError(f"json scorer: expected value {expected!r} lacks fields {missing}")
        return {name: value[name] for name in fields}

    def _match(self, output: str, reference: dict[str, Any]) -> float:
        answer = parse_json_object(output)
        if answer is None:
            return 0.0
        right = sum(
            name in answer and self._same(answer[name], want) for name, want in reference.items()
        )
        return right / len(reference)

    def _same(self, got: Any, want: Any) -> bool:
        match want:
            case bool() | None:
                return got is want
            case int() | float():
                number = isinstance(got, int | float) and not isinstance(got, bool)
                return number and abs(got - want) <= self._config.abs_tol
            case str():
                return isinstance(got, str) and normalize(got) == normalize(want)
            case list():
                return (
                    isinstance(got, list)
                    and len(got) == len(want)
                    and all(self._same(g, w) for g, w in zip(got, want, strict=True))
                )
            case dict():
                return (
                    isinstance(got, dict)
                    and got.keys() == want.keys()
                    and all(self._same(got[k], w) for k, w in want.items())
                )
        return bool(got == want)

    def _summarize(
        self, outputs: list[str], expected: list[Any], scores: list[float], metrics: Metrics
    ) -> Metrics:
        return replace(
            metrics,
            invalid=sum(parse_json_object(output) is None for output in outputs),
            others={"all_fields_correct": sum(score == 1.0 for score in scores) / len(scores)},
        )
