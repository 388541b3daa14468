"""The runner: every request answered or explicitly failed, at the concurrency the endpoint allows.

It is the only part that talks HTTP. The SDK's own retries are off; the runner retries 408, 409,
429, 5xx, dropped connections, timeouts and 200s whose body is not JSON, with backoff that honours
`retry-after-ms` / `Retry-After`, under a deadline. A 429 pauses the whole run and halves the
requests in flight; successes win the concurrency back. Answers go to the response cache as they
arrive, so a rerun never pays twice; a spend cap stops the run before it is passed.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import random
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from advisor.cache import ResponseCache
from advisor.client import TAG_HEADER
from advisor.usage import Usage

if TYPE_CHECKING:
    import openai

RETRY_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504})
BACKOFF_BASE = 0.5
BACKOFF_MAX = 30.0
_DURATION = re.compile(
    r"(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m(?!s))?(?:(\d+(?:\.\d+)?)s)?"
    r"(?:(\d+(?:\.\d+)?)ms)?$"
)


@dataclass(frozen=True, slots=True)
class Prices:
    """USD per 1M tokens, for pricing each answer as it arrives."""

    input: float
    cached_input: float
    output: float

    def cost(self, usage: Usage) -> float:
        from advisor.usage import call_cost

        return call_cost(
            usage.uncached_tokens,
            usage.cached_tokens,
            usage.completion_tokens,
            self.input,
            self.cached_input,
            self.output,
        )


@dataclass(frozen=True, slots=True)
class CallRequest:
    """One chat completion to obtain: a candidate's answer to one example, one repeat."""

    candidate: str
    example_id: str
    repeat: int
    base_url: str
    body: dict[str, Any]
    """The JSON body: model, messages and sampling parameters."""
    key: str
    """Cache key (see `advisor.cache.request_key`)."""
    prices: Prices
    estimate: float
    """Upper estimate of its cost in USD, for the spend cap."""

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

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class Progress:
    """Running totals for the progress bar."""

    total: int
    done: int = 0
    errors: int = 0
    tokens: int = 0
    spent: float = 0.0
    cached: int = 0
    retries: int = 0
    rate_limited: int = 0


class Clock:
    """Real time; replay swaps in `VirtualClock` so a recorded Retry-After costs no wall time."""

    def now(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class VirtualClock(Clock):
    def __init__(self) -> None:
        self._now = 0.0

    def now(self) -> float:
        return self._now

    async def sleep(self, seconds: float) -> None:
        self._now += max(seconds, 0.0)
        await asyncio.sleep(0)


@dataclass
class _Flow:
    """Shared pacing: a pause every worker honours, and how many may be in flight."""

    clock: Clock
    limit: int
    ceiling: int
    resume_at: float = 0.0
    in_flight: int = 0
    wins: int = 0
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    def pause(self, seconds: float) -> None:
        self.resume_at = max(self.resume_at, self.clock.now() + seconds)

    async def acquire(self) -> None:
        while (wait := self.resume_at - self.clock.now()) > 0:
            await self.clock.sleep(wait)
        async with self.changed:
            await self.changed.wait_for(lambda: self.in_flight < self.limit)
            self.in_flight += 1

    async def release(self, rate_limited: bool) -> None:
        async with self.changed:
            self.in_flight -= 1
            if rate_limited:
                self.limit, self.wins = max(1, self.limit // 2), 0
            elif self.limit < self.ceiling:
                self.wins += 1
                if self.wins >= self.limit:  # additive increase: one more per window of wins
                    self.limit, self.wins = self.limit + 1, 0
            self.changed.notify_all()


def retry_after(headers: Any) -> float | None:
    """Seconds the server asks to wait: `retry-after-ms`, else `Retry-After` (seconds or date)."""
    if headers is None:
        return None
    if (ms := headers.get("retry-after-ms")) is not None:
        try:
            return float(ms) / 1000
        except ValueError:
            pass
    if (value := headers.get("retry-after")) is not None:
        try:
            return float(value)
        except ValueError:
            parsed = email.utils.parsedate_to_datetime(value) if value else None
            if parsed is not None:
                return max(0.0, parsed.timestamp() - time.time())
    return None


def parse_duration(text: str) -> float | None:
    """OpenAI's reset headers: '1s', '6m0s', '20ms', '1h2m3.5s'."""
    match = _DURATION.match(text.strip())
    if not match or not any(match.groups()):
        return None
    h, m, s, ms = (float(g) if g else 0.0 for g in match.groups())
    return h * 3600 + m * 60 + s + ms / 1000


def _exhausted_for(headers: Any) -> float | None:
    """When a response says no request or token is left, how long until the window resets."""
    for kind in ("requests", "tokens"):
        if headers.get(f"x-ratelimit-remaining-{kind}") == "0":
            reset = parse_duration(headers.get(f"x-ratelimit-reset-{kind}") or "")
            if reset:
                return reset
    return None


def _backoff(attempt: int) -> float:
    return min(BACKOFF_MAX, BACKOFF_BASE * 2 ** (attempt - 1)) * random.uniform(0.5, 1.0)


class Runner:
    """Sends requests through per-endpoint SDK clients and returns one completion per request."""

    def __init__(
        self,
        clients: dict[str, openai.AsyncOpenAI],
        *,
        concurrency: int,
        retry_deadline: float,
        cache: ResponseCache | None,
        max_spend: float | None = None,
        clock: Clock | None = None,
        on_progress: Callable[[Progress], None] | None = None,
    ) -> None:
        self.clients = clients
        self.concurrency = concurrency
        self.retry_deadline = retry_deadline
        self.cache = cache
        self.max_spend = max_spend
        self.clock = clock or Clock()
        self.on_progress = on_progress or (lambda progress: None)
        self.stopped_at_cap = False
        self._committed = 0.0  # spent plus what is in flight, for the cap
        self._dearest: dict[str, float] = {}  # the dearest answer seen per candidate

    async def run(self, requests: Sequence[CallRequest], progress: Progress) -> list[Completion]:
        """Answer every request; the result is in the order of `requests`."""
        results: list[Completion | None] = [None] * len(requests)
        todo: list[int] = []
        for i, request in enumerate(requests):
            entry = self.cache.get(request.key) if self.cache else None
            if entry is None:
                todo.append(i)
            else:
                results[i] = self._complete(request, entry["body"], entry["latency_ms"], 0, True)
                self._count(progress, results[i])
                progress.cached += 1
        self.on_progress(progress)
        flow = _Flow(self.clock, self.concurrency, self.concurrency)
        queue = iter(todo)

        async def worker() -> None:
            for i in queue:
                results[i] = await self._obtain(requests[i], flow, progress)
                self._count(progress, results[i])
                self.on_progress(progress)

        await asyncio.gather(*(worker() for _ in range(min(self.concurrency, len(todo)) or 1)))
        return [r for r in results if r is not None]

    def _count(self, progress: Progress, completion: Completion) -> None:
        progress.done += 1
        progress.errors += completion.error is not None
        progress.tokens += completion.usage.prompt_tokens + completion.usage.completion_tokens
        progress.spent += 0.0 if completion.from_cache else completion.cost

    def _expected_cost(self, request: CallRequest) -> float:
        """The estimate, or the dearest answer of that candidate so far if it was dearer."""
        return max(request.estimate, self._dearest.get(request.candidate, 0.0))

    def _over_cap(self, request: CallRequest) -> bool:
        if self.max_spend is None:
            return False
        return self._committed + self._expected_cost(request) > self.max_spend

    async def _obtain(self, request: CallRequest, flow: _Flow, progress: Progress) -> Completion:
        if self.stopped_at_cap or self._over_cap(request):
            self.stopped_at_cap = True
            return self._failure(request, "not sent: the spend cap would be passed", 0)
        reserved = self._expected_cost(request)
        self._committed += reserved
        client = self.clients[request.base_url]
        started = self.clock.now()
        attempt = 0
        while True:
            attempt += 1
            await flow.acquire()
            sent = time.perf_counter()
            error, body, headers, status, retryable = await self._send(client, request)
            latency_ms = (time.perf_counter() - sent) * 1000
            await flow.release(rate_limited=status == 429)
            if body is not None:
                completion = self._complete(request, body, latency_ms, attempt, False)
                self._committed += completion.cost - reserved
                if completion.cost > self._dearest.get(request.candidate, 0.0):
                    self._dearest[request.candidate] = completion.cost
                if self.cache is not None and completion.ok:
                    self.cache.put(request.key, body, latency_ms, request.tag)
                if headers is not None and (reset := _exhausted_for(headers)):
                    flow.pause(reset)
                return completion
            wait = retry_after(headers) or _backoff(attempt)
            if not retryable or self.clock.now() + wait - started > self.retry_deadline:
                self._committed -= reserved
                return self._failure(request, error, attempt)
            progress.retries += 1
            if status == 429:
                progress.rate_limited += 1
                flow.pause(wait)
            await self.clock.sleep(wait)

    async def _send(
        self, client: openai.AsyncOpenAI, request: CallRequest
    ) -> tuple[str, dict | None, Any, int | None, bool]:
        """One attempt: (error, body, headers, status, retryable)."""
        import httpx2
        import openai

        try:
            response = await client.post(
                "/chat/completions",
                cast_to=httpx2.Response,
                body=request.body,
                options={"headers": {TAG_HEADER: request.tag}},
            )
        except openai.APIStatusError as exc:
            status = exc.status_code
            return (
                f"HTTP {status}: {_short(exc.message)}",
                None,
                exc.response.headers,
                status,
                status in RETRY_STATUSES,
            )
        except openai.APITimeoutError:
            return "timed out", None, None, None, True
        except openai.APIConnectionError as exc:
            cause = exc.__cause__ or exc
            return (
                f"connection failed: {_short(str(cause)) or type(cause).__name__}",
                None,
                None,
                None,
                True,
            )
        try:
            body = json.loads(response.content)
        except ValueError:
            return "HTTP 200 with a body that is not valid JSON", None, response.headers, 200, True
        if not isinstance(body, dict) or not body.get("choices"):
            return "HTTP 200 without choices", None, response.headers, 200, True
        return "", body, response.headers, 200, False

    def _complete(
        self, request: CallRequest, body: dict, latency_ms: float, attempts: int, cached: bool
    ) -> Completion:
        choice = body["choices"][0]
        message = choice.get("message") or {}
        usage = Usage.from_response(body)
        content = message.get("content")
        return Completion(
            candidate=request.candidate,
            example_id=request.example_id,
            repeat=request.repeat,
            output=content if isinstance(content, str) else "",
            finish_reason=choice.get("finish_reason"),
            usage=usage,
            cost=request.prices.cost(usage),
            latency_ms=latency_ms,
            model=body.get("model"),
            error=None,
            attempts=attempts,
            from_cache=cached,
        )

    def _failure(self, request: CallRequest, error: str, attempts: int) -> Completion:
        return Completion(
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


def _short(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
