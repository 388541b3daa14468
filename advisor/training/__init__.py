"""Training files: the chat-format check, the training-cost estimate and the contamination check.

`estimate` does all that `advisor estimate-training` needs and returns a `TrainingEstimate`, whose
`lines()` and `to_dict()` are the text and `--json` views. A file that breaks the format raises
`TrainingFileError` (an `InputError`, exit 2) listing every problem with its line.

    _file      read and check the JSONL, line by line (errors, warnings, duplicates)
    _estimate  token counts, OpenAI's default epochs, billed tokens and cost
    _overlap   training examples that hold eval examples (exact, contained, near)
"""

from advisor.training._estimate import (
    MAX_DEFAULT_EPOCHS,
    MAX_TARGET_EXAMPLES,
    MIN_DEFAULT_EPOCHS,
    MIN_TARGET_EXAMPLES,
    TARGET_EPOCHS,
    TokenStats,
    TrainingEstimate,
    check_contamination,
    count_example,
    default_epochs,
    estimate,
)
from advisor.training._file import (
    TrainingExample,
    TrainingFile,
    TrainingFileError,
    read_training_file,
)
from advisor.training._overlap import Contamination, Overlap, find_overlaps, normalize

__all__ = [
    "MAX_DEFAULT_EPOCHS",
    "MAX_TARGET_EXAMPLES",
    "MIN_DEFAULT_EPOCHS",
    "MIN_TARGET_EXAMPLES",
    "TARGET_EPOCHS",
    "Contamination",
    "Overlap",
    "TokenStats",
    "TrainingEstimate",
    "TrainingExample",
    "TrainingFile",
    "TrainingFileError",
    "check_contamination",
    "count_example",
    "default_epochs",
    "estimate",
    "find_overlaps",
    "normalize",
    "read_training_file",
]
