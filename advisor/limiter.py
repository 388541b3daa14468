"""How fast the runner may send to each model: an adaptive window, and pacing under known limits.

Each (endpoint, model) gets its own `ModelLimits`, so that one model's limits never slow another:

- a **window** of requests in flight, adapted by AIMD: a 429 halves it (once per window: the
  429s of requests already in flight when it was last halved, a burst answered together, do not
  halve it again), and each answer that is not a 429 adds one place back, up to the run's
  concurrency. The increase is per answer rather than per window of answers, so that a stray 429
  (a shared quota, a short burst) costs a few requests' worth of concurrency, not a long run
  crawling at half speed; a server that keeps refusing keeps halving it;
- **pacing** under the limits the endpoint announces (OpenAI's `x-ratelimit-limit-requests` /
  `-tokens`): requests are spaced evenly at `PACE_SHARE` of them, so that a run at the limit is
  not a burst, a wall of 429s and a wait, over and over;
- a **pause** of every request to the model only when the rate-limit headers say its budget is
  spent (`x-ratelimit-remaining-requests` or `-tokens` at 0, with a reset time). A 429 without
  them slows the request that got it (it waits as the server asks) and the window, nothing else.
"""

from __future__ import annotations

import asyncio
import re
from collections import deque
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from advisor.runner import Clock

PACE_SHARE = 0.97
"""Requests are spaced to use this share of a rate limit the endpoint announces; the server's
bucket keeps the rest as slack for jitter."""
DECREASE = 0.5
"""A 429 multiplies the window by this."""
INCREASE = 1.0
"""Each answer that is not a 429 adds this many places to the window."""
_DURATION = re.compile(
    r"(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m(?!s))?(?:(\d+(?:\.\d+)?)s)?"
    r"(?:(\d+(?:\.\d+)?)ms)?$"
)


class Window:
    """How many requests to one model may be in flight (AIMD, see the module's docstring)."""

    def __init__(self, ceiling: int) -> None:
        self.ceiling = ceiling
        self.size = float(ceiling)
        self.in_flight = 0
        self.epoch = 0
        """Counts the halvings: a request remembers the epoch it was sent in."""
        self._waiting: deque[asyncio.Future[None]] = deque()

    @property
    def limit(self) -> int:
        return max(1, int(self.size))

    async def acquire(self) -> int:
        """Wait for a place; returns the epoch the request is sent in."""
        while self.in_flight >= self.limit:
            waiter = asyncio.get_running_loop().create_future()
            self._waiting.append(waiter)
            await waiter
        self.in_flight += 1
        return self.epoch

    def release(self, epoch: int, rate_limited: bool) -> None:
        self.in_flight -= 1
        if rate_limited:
            if epoch == self.epoch:
                self.size, self.epoch = max(1.0, self.size * DECREASE), self.epoch + 1
        else:
            self.size = min(float(self.ceiling), self.size + INCREASE)
        free = self.limit - self.in_flight
        while free > 0 and self._waiting:
            waiter = self._waiting.popleft()
            if not waiter.done():
                waiter.set_result(None)
                free -= 1


class Pacer:
    """When one model may be sent its next request, under the limits its endpoint announces.

    Tokens are counted as the limit counts them: the prompt plus `max_tokens` (or the answer when
    there is none).
    """

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.interval = 0.0
        self.next_at = 0.0
        self.resume_at = 0.0
        self._requests_limit: float | None = None
        self._tokens_limit: float | None = None
        self._tokens = 0.0  # mean tokens a request counts against the limit
        self._seen = 0

    async def wait(self) -> None:
        while True:
            now = self.clock.now()
            if self.resume_at > now:
                await self.clock.sleep(self.resume_at - now)
                continue
            slot = max(now, self.next_at)
            self.next_at = slot + self.interval
            if slot <= now:
                return
            await self.clock.sleep(slot - now)
            if self.resume_at <= self.clock.now():
                return

    def pause(self, seconds: float) -> None:
        """Hold every later request for `seconds`."""
        self.resume_at = max(self.resume_at, self.clock.now() + seconds)
        self.next_at = max(self.next_at, self.resume_at)

    def learn(self, headers: Any, tokens: int | None) -> None:
        """Read a response's limits; `tokens` is what the request counted against them."""
        self._requests_limit = _per_minute(headers, "requests") or self._requests_limit
        self._tokens_limit = _per_minute(headers, "tokens") or self._tokens_limit
        if tokens:
            self._seen += 1
            self._tokens += (tokens - self._tokens) / min(self._seen, 100)
        spacing = 0.0  # seconds between requests at exactly the limits
        if self._requests_limit:
            spacing = 60 / self._requests_limit
        if self._tokens_limit and self._tokens:
            spacing = max(spacing, 60 * self._tokens / self._tokens_limit)
        self.interval = spacing / PACE_SHARE


class ModelLimits:
    """The window and the pacer of one model at one endpoint, as the runner uses them."""

    def __init__(self, ceiling: int, clock: Clock) -> None:
        self.window = Window(ceiling)
        self.pacer = Pacer(clock)

    async def enter(self) -> int:
        """Wait until a request may be sent; returns its epoch, for `leave`."""
        epoch = await self.window.acquire()
        try:
            await self.pacer.wait()
        except BaseException:
            self.window.release(epoch, rate_limited=False)
            raise
        return epoch

    def leave(
        self,
        epoch: int,
        status: int | None,
        headers: Any,
        request_body: dict[str, Any],
        response_body: dict[str, Any] | None,
    ) -> None:
        """Account for an attempt's end: its place, the limits it announces, a spent budget."""
        self.window.release(epoch, rate_limited=status == 429)
        if headers is None:
            return
        self.pacer.learn(headers, counted_tokens(request_body, response_body))
        if reset := exhausted_for(headers):
            self.pacer.pause(reset)


class Limits:
    """Every model's `ModelLimits`, made on first use."""

    def __init__(self, ceiling: int, clock: Clock) -> None:
        self.ceiling = ceiling
        self.clock = clock
        self._models: dict[tuple[str, Any], ModelLimits] = {}

    def of(self, base_url: str, model: Any) -> ModelLimits:
        key = (base_url, model)
        limits = self._models.get(key)
        if limits is None:
            limits = self._models[key] = ModelLimits(self.ceiling, self.clock)
        return limits


def _per_minute(headers: Any, unit: str) -> float | None:
    """OpenAI's `x-ratelimit-limit-requests` or `-tokens`: the limit per minute."""
    try:
        limit = float(headers.get(f"x-ratelimit-limit-{unit}") or "nan")
    except ValueError:
        return None
    return limit if limit > 0 else None  # NaN compares false too


def parse_duration(text: str) -> float | None:
    """OpenAI's reset headers: '1s', '6m0s', '20ms', '1h2m3.5s'."""
    match = _DURATION.match(text.strip())
    if not match or not any(match.groups()):
        return None
    h, m, s, ms = (float(g) if g else 0.0 for g in match.groups())
    return h * 3600 + m * 60 + s + ms / 1000


def exhausted_for(headers: Any) -> float | None:
    """When a response says no request or token is left, how long until the window resets."""
    for kind in ("requests", "tokens"):
        if headers.get(f"x-ratelimit-remaining-{kind}") == "0":
            reset = parse_duration(headers.get(f"x-ratelimit-reset-{kind}") or "")
            if reset:
                return reset
    return None


def counted_tokens(request_body: dict, response_body: dict | None) -> int | None:
    """Tokens a request counts against a tokens-per-minute limit: its prompt and `max_tokens`
    (or, without it, the answer), as OpenAI counts them."""
    usage = (response_body or {}).get("usage")
    if not isinstance(usage, dict):
        return None
    prompt = usage.get("prompt_tokens") or 0
    most = request_body.get("max_completion_tokens") or request_body.get("max_tokens")
    answer = most if isinstance(most, int) else usage.get("completion_tokens") or 0
    return prompt + answer if isinstance(prompt, int) and isinstance(answer, int) else None
