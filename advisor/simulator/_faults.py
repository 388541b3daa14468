"""Injected failures that are deterministic and never repeat forever for the same request."""

from __future__ import annotations

import hashlib

from advisor.simulator._config import FaultKind, Faults
from advisor.simulator._draw import draw


class FaultInjector:
    """Decides each attempt's fault from the request body and how often that body was sent.

    A retry resends the same body, so counting attempts per body makes a run's faults the same
    whatever the request order, and `max_per_request` guarantees that a retrying client gets
    through.
    """

    def __init__(self, faults: Faults) -> None:
        self._faults = faults
        self._attempts: dict[bytes, int] = {}

    def decide(self, body: bytes) -> FaultKind | None:
        """The fault for this attempt at `body`, or None; each call counts as one attempt."""
        digest = hashlib.blake2b(body, digest_size=16).digest()
        attempt = self._attempts.get(digest, 0)
        self._attempts[digest] = attempt + 1
        if attempt >= self._faults.max_per_request or not self._faults.rate:
            return None
        chance = draw(digest, str(attempt))
        if chance.uniform >= self._faults.rate:
            return None
        return self._faults.kinds[chance.index % len(self._faults.kinds)]
