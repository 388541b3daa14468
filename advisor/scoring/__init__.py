"""Scoring: how good each answer is, and what that adds up to over an eval set.

Every score is a float in [0, 1]. The study's `[scorer]` table picks one scorer by `type`:

    type        score of one answer                                     primary metric   pass/fail
    exact       stripped output == stripped expected                    accuracy         yes
    normalized  normalize(output) == normalize(expected)                accuracy         yes
    contains    normalize(expected) is a substring of normalize(output) accuracy         yes
    regex       re.search(pattern, stripped output)                     accuracy         yes
    numeric     first number in the output close to the expected one    accuracy         yes
    label       normalized output is the expected label                 accuracy         yes
    json        share of the expected object's fields matched           mean_field_score no
    judge       a judge model's CORRECT / INCORRECT                     judge_accuracy   yes
    custom      your `fn(output, expected, example) -> float | bool`    `metric` key     `pass_fail`

`normalize` casefolds, collapses whitespace runs to one space, then strips from both ends any
run of spaces, the ASCII characters .,;:!?'"`*_()[]{} and curly or angle quotation marks.
Numbers may carry a sign, comma thousands separators, decimals and an exponent: in "$1,234.5
total" the number is 1234.5. The expected value is text as given, or JSON text for anything else.

Conventions for `Scorer.aggregate`: an example whose output is None (the call failed) or whose
score is None (the scorer could not decide, e.g. an unreadable judge reply) is excluded from every
metric and counted in `Metrics.errors`. An output the scorer cannot read (no label, no number, no
JSON object) scores 0, stays in the metrics and is counted in `Metrics.invalid`.

The judge's scores need a model call, so `JudgeScorer` has no `score`: the runner sends
`judge_messages(...)` like any request and passes the reply's text to `parse_reply`.
"""

from advisor.scoring._build import build_scorer
from advisor.scoring._config import (
    ContainsConfig,
    CustomConfig,
    ExactConfig,
    JsonConfig,
    JudgeConfig,
    LabelConfig,
    NormalizedConfig,
    NumericConfig,
    RegexConfig,
    ScorerConfig,
)
from advisor.scoring._judge import DEFAULT_TEMPLATE, JudgeScorer
from advisor.scoring._metrics import ClassMetrics, LabelMetrics, Metric, Metrics
from advisor.scoring._scorers import LocalScorer, Scorer
from advisor.scoring._text import normalize

__all__ = [
    "DEFAULT_TEMPLATE",
    "ClassMetrics",
    "ContainsConfig",
    "CustomConfig",
    "ExactConfig",
    "JsonConfig",
    "JudgeConfig",
    "JudgeScorer",
    "LabelConfig",
    "LabelMetrics",
    "LocalScorer",
    "Metric",
    "Metrics",
    "NormalizedConfig",
    "NumericConfig",
    "RegexConfig",
    "Scorer",
    "ScorerConfig",
    "build_scorer",
    "normalize",
]
