"""Reading answers: one definition of "the same text" and "the number in it" for every scorer."""

from __future__ import annotations

import json
import re
from typing import Any

# Stripped from both ends once whitespace is collapsed: sentence punctuation, quotes, brackets and
# the markdown emphasis models wrap answers in, so `**"Paris."**` reads as `paris`.
_SURROUNDING = " .,;:!?'\"`*_()[]{}\u2018\u2019\u201a\u201c\u201d\u201e\u00ab\u00bb\u2039\u203a"

# The first number: an optional sign, digits with optional comma thousands separators, an optional
# decimal part and exponent. "1,234" is 1234; in "12,34" the number is 12.
_NUMBER = re.compile(
    r"""
    [-+]?
    (?: (?: \d{1,3} (?:,\d{3})+ (?!\d) | \d+ ) (?:\.\d+)?
      | \.\d+
    )
    (?: [eE][-+]?\d+ )?
    """,
    re.VERBOSE,
)
_FENCE = re.compile(r"```(?:json)?[ \t]*\n(.*?)```", re.DOTALL | re.IGNORECASE)


def normalize(text: str) -> str:
    """Casefold, collapse whitespace runs to one space, strip surrounding punctuation and quotes."""
    return " ".join(text.casefold().split()).strip(_SURROUNDING)


def as_text(value: Any) -> str:
    """An expected value as text: a string as it is, anything else as JSON (`42`, `true`)."""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def first_number(text: str) -> float | None:
    """The first number written in `text`, or None when there is none."""
    match = _NUMBER.search(text)
    return float(match.group().replace(",", "")) if match else None


def parse_json_object(text: str) -> dict[str, Any] | None:
    """The JSON object an answer is, whole or in its first fenced block; None if there is none."""
    fence = _FENCE.search(text)
    try:
        value = json.loads(fence.group(1) if fence else text)
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None
