"""Deterministic draws: every "random" choice of the simulator is a hash of what it is about.

Hashing instead of a seeded generator makes each choice independent of request order, so a
concurrent run, a rerun and a test all see the same answers, faults and latencies.
"""

from __future__ import annotations

import hashlib
from typing import NamedTuple

_SCALE = 2.0**-64


class Draw(NamedTuple):
    uniform: float
    """In [0, 1): compare with a probability."""
    index: int
    """A large non-negative integer, independent of `uniform`: reduce it modulo a choice count."""


def draw(*parts: str | bytes) -> Draw:
    """The draw for `parts`, from the sha256 of the parts (text as UTF-8) joined by newlines."""
    data = b"\n".join(part.encode() if isinstance(part, str) else part for part in parts)
    digest = hashlib.sha256(data).digest()
    return Draw(int.from_bytes(digest[:8], "big") * _SCALE, int.from_bytes(digest[8:16], "big"))
