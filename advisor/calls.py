"""What a run is made of: the requests to obtain, how each ended, and the running totals.

Plain values that the planner, the runner, the Batch API path, the scorers and the writers pass
between them (`advisor.runner` obtains them).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any

from advisor.cache import request_key
from advisor.pricing import CallPrices
from advisor.simulated import accuracy_of
from advisor.usage import Usage


@dataclass(frozen=True, slots=True)
class CallRequest:
    """One chat completion to obtain: a candidate's answer to one example, one repeat."""

    candidate: str
    example_id: str
    repeat: int
    base_url: str
    body: dict[str, Any]
    """The JSON body: model, messages and sampling parameters."""
    prices: CallPrices
    estimate: float
    """Upper estimate of its cost in USD, for the spend cap."""
    _key: str | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def key(self) -> str:
        """Cache key (`advisor.cache.request_key`), made the first time a cache asks: hashing
        every canonical body took a tenth of a second of a replay's start, which uses none."""
        key = self._key
        if key is None:
            key = request_key(self.base_url, self.body, self.repeat)
            object.__setattr__(self, "_key", key)  # frozen: set once, as if at construction
        return key

    @property
    def tag(self) -> str:
        """candidate/example/repeat, percent-encoded to fit an HTTP header."""
        from urllib.parse import quote

        return quote(f"{self.candidate}/{self.example_id}/{self.repeat}", safe=" /:._-+@")


@dataclass(frozen=True, slots=True)
class Completion:
    """How one request ended: an answer, or an error saying why there is none."""

    candidate: str
    example_id: str
    repeat: int
    output: str | None
    finish_reason: str | None
    usage: Usage
    cost: float
    latency_ms: float | None
    model: str | None
    """The model id as the endpoint answered it."""
    error: str | None
    attempts: int
    from_cache: bool
    simulated_accuracy: float | None = None
    """The accuracy `advisor simulate` declared it answers this model at (`advisor.simulated`);
    None for an answer from a real endpoint."""

    @property
    def ok(self) -> bool:
        return self.error is None

    @classmethod
    def answered(
        cls,
        request: CallRequest,
        body: dict[str, Any],
        *,
        latency_ms: float | None,
        attempts: int,
        from_cache: bool,
        discount: float = 0.0,
    ) -> Completion:
        """The completion a chat response body gives; `discount` prices a batch answer."""
        choice = body["choices"][0]
        content = (choice.get("message") or {}).get("content")
        usage = Usage.from_response(body)
        # the same few strings on 100,000 answers: one copy each
        finish_reason, model = choice.get("finish_reason"), body.get("model")
        return cls(
            candidate=request.candidate,
            example_id=request.example_id,
            repeat=request.repeat,
            output=content if isinstance(content, str) else "",
            finish_reason=sys.intern(finish_reason) if isinstance(finish_reason, str) else None,
            usage=usage,
            cost=request.prices.cost(usage) * (1 - discount),
            latency_ms=latency_ms,
            model=sys.intern(model) if isinstance(model, str) else None,
            error=None,
            attempts=attempts,
            from_cache=from_cache,
            simulated_accuracy=accuracy_of(body),
        )

    @classmethod
    def failed(cls, request: CallRequest, error: str, attempts: int = 0) -> Completion:
        """A request that ended without an answer, and why."""
        return cls(
            candidate=request.candidate,
            example_id=request.example_id,
            repeat=request.repeat,
            output=None,
            finish_reason=None,
            usage=Usage(),
            cost=0.0,
            latency_ms=None,
            model=None,
            error=error,
            attempts=attempts,
            from_cache=False,
        )


@dataclass
class Progress:
    """Running totals for the progress bar."""

    total: int
    sent: int = 0
    """Requests handed to an endpoint (answered or not)."""
    done: int = 0
    errors: int = 0
    tokens: int = 0
    spent: float = 0.0
    cached: int = 0
    retries: int = 0
    rate_limited: int = 0
    by_candidate: dict[str, list[int]] = field(default_factory=dict)
    """Answered (or failed) and total requests per candidate, for the live line."""
