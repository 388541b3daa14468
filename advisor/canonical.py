"""Canonical JSON: the one text of a JSON value (keys sorted, no spaces, non-ASCII as is).

Fixtures key a request by the canonical text of its body; a replay finds a request's recording
by comparing bodies as canonical text would, without writing it.
"""

from __future__ import annotations

import json
from typing import Any

_ENCODER = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))
_STR_ONLY = frozenset({str})


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
    """For `a == b`: whether every number of `a` is written as its counterpart in `b` is.

    A container of strings only (a chat message), most of a request, is passed in C."""
    if isinstance(a, dict):
        if _STR_ONLY.issuperset(map(type, a.values())):
            return True
        return all(_numbers_alike(value, b[key]) for key, value in a.items())
    if isinstance(a, list | tuple):
        return _STR_ONLY.issuperset(map(type, a)) or all(map(_numbers_alike, a, b))
    if isinstance(a, bool) or isinstance(b, bool):  # True == 1, but true is not 1
        return isinstance(a, bool) and isinstance(b, bool)
    if isinstance(a, float) or isinstance(b, float):  # 1.0 == 1 and -0.0 == 0.0
        both = isinstance(a, float) and isinstance(b, float)
        return both and float.__repr__(a) == float.__repr__(b)
    return True  # strings, ints and None that are == are written alike
