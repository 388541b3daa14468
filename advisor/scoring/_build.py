"""From the study's `[scorer]` table to a ready scorer: functions imported, templates compiled."""

from __future__ import annotations

from pathlib import Path

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
from advisor.scoring._custom import CustomScorer, load_function
from advisor.scoring._judge import JudgeScorer, load_judge
from advisor.scoring._scorers import (
    ContainsScorer,
    ExactScorer,
    JsonScorer,
    LabelScorer,
    LocalScorer,
    NormalizedScorer,
    NumericScorer,
    RegexScorer,
)


def build_scorer(config: ScorerConfig, *, base_dir: Path) -> LocalScorer | JudgeScorer:
    """The scorer `config` describes; `base_dir` (the study's folder) anchors relative paths.

    Raises `InputError` for a custom function that cannot be imported or called, and for a judge
    template that is missing, malformed or uses an unknown variable.
    """
    match config:
        case ExactConfig():
            return ExactScorer()
        case NormalizedConfig():
            return NormalizedScorer()
        case ContainsConfig():
            return ContainsScorer()
        case RegexConfig():
            return RegexScorer(config)
        case NumericConfig():
            return NumericScorer(config)
        case LabelConfig():
            return LabelScorer(config)
        case JsonConfig():
            return JsonScorer(config)
        case JudgeConfig():
            return load_judge(config, base_dir)
        case CustomConfig():
            return CustomScorer(config, load_function(config.function, base_dir))
