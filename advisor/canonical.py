"""Canonical JSON: the one text of a JSON value (keys sorted, no spaces, non-ASCII as is).

Fixtures key a request by the canonical text of its body; a replay finds a request's recording
by comparing bodies as canonical text would, without writing it.
"""

from __future__ import annotations

import json
from itertools import chain
from typing import Any

_ENCODER = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))
_STR_ONLY = frozenset({str})
_DICT_ONLY = frozenset({dict})


def canonical(value: Any) -> str:
    """`json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))`, without
    building an encoder at each call (a replay writes thousands of small bodies)."""
    return _ENCODER.encode(value)


def same_canonical(a: Any, b: Any) -> bool:
    """Whether `canonical(a) == canonical(b)`, mostly found without writing either.

    Checking a replay's requests against their recordings compares thousands of long prompts:
    Python's `==` does that in C, and only numbers can be equal in Python yet written apart
    (1, 1.0 and true; 0.0 and -0.0). Values `==` finds unequal (NaN, a tuple for a list), or
    equal with numbers that may be written apart, are written and compared as text.
    """
    if a == b and _numbers_alike(a, b):
        return True
    return canonical(a) == canonical(b)


def _numbers_alike(a: Any, b: Any) -> bool:
    """For `a == b`: whether every number of `a` is surely written as its counterpart in `b` is
    (False when unsure, for values JSON does not make: the caller compares the texts).

    Types are compared with `is`, which is quicker than isinstance: a request has thousands of
    values. A container of strings only (a chat message), or a list of such dicts (a request's
    messages), most of a request, is passed in C.
    """
    kind = type(a)
    if kind is str or a is None:
        return True  # equal to a string or None, b is written alike
    if kind is dict:
        values = a.values()
        return _STR_ONLY.issuperset(map(type, values)) or all(
            map(_numbers_alike, values, map(b.__getitem__, a))
        )
    if kind is list:
        if _STR_ONLY.issuperset(map(type, a)):
            return True
        if _DICT_ONLY.issuperset(map(type, a)) and _STR_ONLY.issuperset(
            map(type, chain.from_iterable(map(dict.values, a)))
        ):
            return True
        return all(map(_numbers_alike, a, b))
    if kind is int or kind is bool:  # 1 == 1.0 == True, written 1, 1.0 and true
        return type(b) is kind
    if kind is float:  # and 0.0 == -0.0
        return type(b) is float and float.__repr__(a) == float.__repr__(b)
    return False
