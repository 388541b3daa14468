"""Requests-per-minute and tokens-per-minute limits as token buckets, reported as OpenAI does."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Literal

from advisor.simulator._config import SimConfig

Unit = Literal["requests", "tokens"]
_LIMIT_NAMES: dict[Unit, str] = {
    "requests": "requests per min (RPM)",
    "tokens": "tokens per min (TPM)",
}
# Float refill arithmetic must not refuse a client that arrives exactly on time.
_SLACK = 1e-9


def format_duration(seconds: float) -> str:
    """A wait as OpenAI's `x-ratelimit-reset-*` headers write it: "12ms", "1.5s", "6m0s"."""
    ms = math.ceil(seconds * 1000 - _SLACK)
    if ms <= 0:
        return "0s"
    if ms < 1000:
        return f"{ms}ms"
    hours, ms = divmod(ms, 3_600_000)
    minutes, ms = divmod(ms, 60_000)
    text = f"{ms / 1000:.3f}".rstrip("0").rstrip(".") + "s"
    if hours or minutes:
        text = f"{minutes}m{text}"
    return f"{hours}h{text}" if hours else text


def retry_headers(wait_s: float) -> dict[str, str]:
    """`Retry-After` in whole seconds (rounded up) and OpenAI's precise `retry-after-ms`."""
    return {"retry-after": str(math.ceil(wait_s)), "retry-after-ms": str(math.ceil(wait_s * 1000))}


class TokenBucket:
    """One per-minute limit, refilled continuously at a sixtieth of the limit per second.

    The bucket holds `burst_seconds` worth of the limit (at least one unit): like OpenAI, which
    enforces a minute's limit over shorter periods, a burst of more than that is refused, while a
    client spreading its calls evenly at the limit is always admitted. A request bigger than the
    bucket goes through once the bucket is full and leaves it in debt, so the long-run rate never
    exceeds the limit, and a client that waits as `retry-after-ms` says reaches the full limit.
    """

    def __init__(self, unit: Unit, limit: int, burst_seconds: float, now: float) -> None:
        self.unit = unit
        self.limit = limit
        self._rate = limit / 60
        self._capacity = max(self._rate * burst_seconds, 1.0)
        self._level = self._capacity
        self._stamp = now

    def wait(self, cost: float, now: float) -> float:
        """Seconds until `cost` would be admitted: 0 if now."""
        self._level = min(self._capacity, self._level + (now - self._stamp) * self._rate)
        self._stamp = now
        missing = min(cost, self._capacity) - self._level
        return missing / self._rate if missing > _SLACK else 0.0

    def take(self, cost: float) -> None:
        self._level -= cost

    @property
    def used(self) -> float:
        """Spent and not yet refilled: what OpenAI's headers count against the minute's limit."""
        return self._capacity - self._level

    def headers(self) -> dict[str, str]:
        return {
            f"x-ratelimit-limit-{self.unit}": str(self.limit),
            f"x-ratelimit-remaining-{self.unit}": str(max(0, math.floor(self.limit - self.used))),
            f"x-ratelimit-reset-{self.unit}": format_duration(self.used / self._rate),
        }


class RateLimited(Exception):
    """A request refused by a bucket, with what OpenAI's 429 says about it."""

    def __init__(self, model: str, bucket: TokenBucket, requested: int, wait_s: float) -> None:
        super().__init__(
            f"Rate limit reached for {model} on {_LIMIT_NAMES[bucket.unit]}: Limit {bucket.limit}, "
            f"Used {math.ceil(bucket.used)}, Requested {requested}. "
            f"Please try again in {format_duration(wait_s)}."
        )
        self.unit = bucket.unit
        self.wait_s = wait_s


def _buckets(rpm: int | None, tpm: int | None, burst_s: float, now: float) -> list[TokenBucket]:
    limits: list[tuple[Unit, int | None]] = [("requests", rpm), ("tokens", tpm)]
    return [TokenBucket(unit, limit, burst_s, now) for unit, limit in limits if limit]


class RateLimiter:
    """The buckets of every model: its own limits and the global ones it shares."""

    def __init__(self, config: SimConfig, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        now = clock()
        shared = _buckets(config.rpm, config.tpm, config.burst_seconds, now)
        self._buckets = {
            model: shared + _buckets(sim.rpm, sim.tpm, config.burst_seconds, now)
            for model, sim in config.models.items()
        }

    def admit(self, model: str, tokens: int) -> dict[str, str]:
        """Spend a request and `tokens` from each bucket of `model` and return the rate-limit
        headers; or spend nothing and raise `RateLimited` naming the bucket with the longest wait.
        """
        buckets = self._buckets[model]
        now = self._clock()
        costs = [tokens if bucket.unit == "tokens" else 1 for bucket in buckets]
        waits = [bucket.wait(cost, now) for bucket, cost in zip(buckets, costs, strict=True)]
        if any(waits):
            worst = max(range(len(buckets)), key=waits.__getitem__)
            raise RateLimited(model, buckets[worst], costs[worst], waits[worst])
        for bucket, cost in zip(buckets, costs, strict=True):
            bucket.take(cost)
        return self.headers(model)

    def headers(self, model: str) -> dict[str, str]:
        """OpenAI's `x-ratelimit-*` headers from the tightest bucket of each unit, if any."""
        headers: dict[str, str] = {}
        for unit in ("requests", "tokens"):
            buckets = [bucket for bucket in self._buckets[model] if bucket.unit == unit]
            if buckets:
                tightest = min(buckets, key=lambda bucket: bucket.limit - bucket.used)
                headers.update(tightest.headers())
        return headers
