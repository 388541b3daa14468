"""Canonical JSON: the one text of a JSON value (keys sorted, no spaces, non-ASCII as is).

Fixtures key a request by the canonical text of its body, and the runner sends its bodies as
canonical text, so a replay keys a request by hashing the bytes as they were sent.
"""

from __future__ import annotations

import json
from typing import Any

_ENCODER = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def canonical(value: Any) -> str:
    """`json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))`, without
    building an encoder at each call (a replay writes thousands of small bodies)."""
    return _ENCODER.encode(value)


def same_canonical(a: Any, b: Any) -> bool:
    """Whether `canonical(a) == canonical(b)`, mostly found without writing either.

    Checking a replay's requests against their recordings compares thousands of long prompts:
    Python's `==` does that in C, and only numbers can be equal in Python yet written apart
    (1, 1.0 and true; 0.0 and -0.0). Values `==` finds unequal (NaN, a tuple for a list) are
    written and compared as text.
    """
    if a == b:
        return _numbers_alike(a, b)
    return canonical(a) == canonical(b)


def _numbers_alike(a: Any, b: Any) -> bool:
    """For `a == b`: whether every number of `a` is written as its counterpart in `b` is."""
    if type(a) is str:
        return True
    if isinstance(a, dict):
        return all(_numbers_alike(value, b[key]) for key, value in a.items())
    if isinstance(a, list | tuple):
        return all(map(_numbers_alike, a, b))
    if type(a) is not type(b):
        return False
    return type(a) is not float or repr(a) == repr(b)
