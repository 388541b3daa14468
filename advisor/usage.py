"""Token usage of one call and what it costs: the measured half of cost per call."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PER_MILLION = 1_000_000


@dataclass(frozen=True, slots=True)
class Usage:
    """Tokens one call used, as the endpoint reported them."""

    prompt_tokens: int = 0
    cached_tokens: int = 0
    """Part of `prompt_tokens` served from the provider's prompt cache."""
    completion_tokens: int = 0

    @property
    def uncached_tokens(self) -> int:
        return self.prompt_tokens - self.cached_tokens

    @classmethod
    def from_response(cls, body: dict[str, Any]) -> Usage:
        """Read `usage` leniently: it is optional, and older responses lack the details."""
        usage = body.get("usage") or {}
        details = usage.get("prompt_tokens_details") or {}
        return cls(
            prompt_tokens=int(usage.get("prompt_tokens") or 0),
            cached_tokens=int(details.get("cached_tokens") or 0),
            completion_tokens=int(usage.get("completion_tokens") or 0),
        )


def call_cost(
    uncached: float,
    cached: float,
    output: float,
    input_price: float,
    cached_price: float,
    output_price: float,
) -> float:
    """Uncached x input + cached x cached input + output x output price (prices per 1M tokens)."""
    return (uncached * input_price + cached * cached_price + output * output_price) / PER_MILLION
