"""What a simulated model replies: right or wrong answers from an answer key, or a judge's grade."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import JsonValue

from advisor.simulator._config import ModelSim, SimConfig
from advisor.simulator._draw import draw

UNKNOWN_REPLY = "I don't know."
WRONG_REPLY = "I am not sure; it could be anything."


def answers_correctly(model: str, key: str, accuracy: float) -> bool:
    """Whether `model` answers the question `key` right at this accuracy.

    The sha256 of `model + "\\n" + key` read as a uniform number in [0, 1) is below `accuracy`.
    Fixed per (model, key), so a test can compute the exact score a run must get, and raising the
    accuracy only turns wrong answers right.
    """
    return draw(model, key).uniform < accuracy


def message_text(content: object) -> str:
    """The text of a message's content, whether a string or a list of content parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            part["text"]
            for part in content
            if isinstance(part, dict) and isinstance(part.get("text"), str)
        )
    return ""


def _compact(value: JsonValue) -> str:
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


def _normalize(text: str) -> str:
    return " ".join(text.split()).casefold()


def _corrupted(value: JsonValue) -> JsonValue:
    """A value of a JSON field that differs from `value`, as a sloppy extraction would."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return value + 1
    if isinstance(value, str):
        return f"not {value}"
    return None if value is not None else "unknown"


class Answerer:
    """Turns the messages of a request into the reply text of one model."""

    def __init__(self, config: SimConfig) -> None:
        self._config = config
        self._key = config.answer_table()

    def reply(self, model: str, sim: ModelSim, messages: Sequence[Mapping[str, Any]]) -> str:
        question = next(
            (message_text(m.get("content")) for m in reversed(messages) if m.get("role") == "user"),
            None,
        )
        if question is None:
            return UNKNOWN_REPLY
        if sim.mode == "judge":
            return self._judge(question)
        key = self._lookup_key(question)
        if key is None or key not in self._key:
            return UNKNOWN_REPLY
        right = self._key[key]
        if answers_correctly(model, key, sim.accuracy):
            return _compact(right)
        return self._wrong(right, draw(model, key).index)

    def _lookup_key(self, question: str) -> str | None:
        pattern = self._config.key_pattern
        if pattern is None:
            return question.strip()
        match = pattern.search(question)
        return match.group(1).strip() if match and match.group(1) is not None else None

    def _judge(self, question: str) -> str:
        match = self._config.judge_pattern.search(question)
        if match is None:
            return UNKNOWN_REPLY
        same = _normalize(match["reference"] or "") == _normalize(match["answer"] or "")
        return "CORRECT" if same else "INCORRECT"

    def _wrong(self, right: JsonValue, index: int) -> str:
        """A wrong answer, fixed by `index`.

        A JSON object comes back with one field corrupted, as a sloppy extraction would; anything
        else becomes another label, or a fixed text when there are no labels.
        """
        if isinstance(right, dict) and right:
            field = sorted(right)[index % len(right)]
            return _compact({**right, field: _corrupted(right[field])})
        others = [label for label in self._config.labels if label != _compact(right)]
        return others[index % len(others)] if others else WRONG_REPLY
