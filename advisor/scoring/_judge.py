"""Model-graded scoring: this module writes the judge's prompt and reads its verdict; the runner
makes the call, so a judge's calls are cached, recorded and priced like any other."""

from __future__ import annotations

import reprlib
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import meta

from advisor.errors import InputError
from advisor.scoring._config import JudgeConfig
from advisor.scoring._scorers import Scorer
from advisor.scoring._text import as_text, normalize

VARIABLES = frozenset({"inputs", "expected", "output"})

# Reference and answer come first, each on a line of its own, so that a task input containing
# "Answer:" cannot be mistaken for them; inputs are indented for the same reason.
DEFAULT_TEMPLATE = """\
You are grading an answer against a reference answer.

Reference: {{ expected }}
Answer: {{ output }}
{% if inputs %}

The task that was answered:
{% for name, value in inputs.items() %}
{{ name }}:
{{ value | indent(4, first=True) }}
{% endfor %}
{% endif %}

Does the answer agree with the reference? Reply with one word: CORRECT or INCORRECT.
"""

_VERDICTS = {
    **dict.fromkeys(("correct", "pass", "yes", "1"), 1.0),
    **dict.fromkeys(("incorrect", "fail", "no", "0"), 0.0),
}
_ENVIRONMENT = jinja2.Environment(
    undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True, autoescape=False
)


class JudgeScorer(Scorer):
    """Pass/fail scores from a judge model's one-word verdicts."""

    primary_metric = "judge_accuracy"

    def __init__(self, config: JudgeConfig, source: str, name: str) -> None:
        """Compile the judge prompt `source`; `name` (its path) prefixes every error."""
        self.config = config
        self._name = name
        try:
            tree = _ENVIRONMENT.parse(source)
        except jinja2.TemplateSyntaxError as exc:
            raise InputError(f"{name}, line {exc.lineno}: {exc.message}") from None
        unknown = sorted(meta.find_undeclared_variables(tree) - VARIABLES)
        if unknown:
            raise InputError(
                f"{name}: unknown variable {', '.join(unknown)}; "
                "a judge template gets inputs, expected and output"
            )
        self._template = _ENVIRONMENT.from_string(tree)

    def judge_messages(
        self, example_inputs: dict[str, str], expected: Any, output: str
    ) -> list[dict[str, str]]:
        """The chat messages asking the judge for its verdict on one answer."""
        try:
            prompt = self._template.render(
                inputs=example_inputs, expected=as_text(expected), output=output
            )
        except jinja2.UndefinedError as exc:  # e.g. `inputs.question` for an example without it
            raise InputError(f"{self._name}: {exc.message}") from None
        return [{"role": "user", "content": prompt}]

    def parse_reply(self, text: str) -> float:
        """1.0 or 0.0 from the reply's first word; `ValueError` if it is not a verdict.

        Accepted, in any case and wrapped in punctuation or markdown: CORRECT/INCORRECT,
        PASS/FAIL, YES/NO, 1/0.
        """
        words = text.split()
        verdict = _VERDICTS.get(normalize(words[0])) if words else None
        if verdict is None:
            raise ValueError(f"judge reply is not CORRECT or INCORRECT: {reprlib.repr(text)}")
        return verdict


def load_judge(config: JudgeConfig, base_dir: Path) -> JudgeScorer:
    """The judge with its template read from the study's folder, or the built-in one."""
    if config.template is None:
        return JudgeScorer(config, DEFAULT_TEMPLATE, "built-in judge template")
    path = base_dir / config.template
    try:
        source = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"judge template {path}: {exc.strerror}") from None
    return JudgeScorer(config, source, str(path))
