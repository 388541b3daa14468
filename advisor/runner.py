"""The runner: every request answered or explicitly failed, at the pace the endpoint allows.

It is the only part that talks HTTP, through `advisor.client` (chat completions go straight to the
transport, without the SDK's per-request work). It retries 408, 409, 429, 5xx, dropped
connections, timeouts and 200s whose body is not JSON, with backoff that honours `retry-after-ms`
/ `Retry-After`, under a deadline. Rate limits are `advisor.limiter`'s: per model, an adaptive
window of requests in flight (a 429 halves it, answers win it back), pacing under the limits the
endpoint announces, and a pause of the whole model only when its headers say the budget is spent;
a 429 otherwise slows only the request that got it. Answers go to the response cache as they
arrive, so a rerun never pays twice; a spend cap stops the run before it is passed.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Callable, Sequence
from datetime import UTC
from pathlib import Path
from typing import TYPE_CHECKING, Any

from advisor.cache import ResponseCache
from advisor.calls import CallRequest, Completion, Progress
from advisor.client import REUSED_HEADER, TAG_HEADER
from advisor.errors import InputError, RunError
from advisor.limiter import Limits
from advisor.refusals import UNREACHABLE_DEADLINE, Halt, Refusal, refusal
from advisor.reply import WireError

if TYPE_CHECKING:
    from advisor.client import Client

RETRY_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504})
BACKOFF_BASE = 0.5
BACKOFF_MAX = 30.0
PROGRESS_EVERY = 0.1
"""Seconds between progress callbacks (the first and last are always made)."""
CANNOT_CONNECT = "cannot connect: "
"""How a refused connection, an unknown host or a failed TLS handshake begins its error."""


class Clock:
    """Real time; replay swaps in `VirtualClock` so a recorded Retry-After costs no wall time."""

    def now(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class VirtualClock(Clock):
    """Time that passes only when someone sleeps; concurrent sleeps overlap as they would."""

    def __init__(self) -> None:
        self._now = 0.0

    def now(self) -> float:
        return self._now

    async def sleep(self, seconds: float) -> None:
        until = self._now + max(seconds, 0.0)
        await asyncio.sleep(0)
        self._now = max(self._now, until)


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
            pass
        import email.utils  # an HTTP date: rare, and the module is not free to load

        try:
            parsed = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if parsed.tzinfo is None:  # "-0000": UTC, as RFC 5322 reads it
            parsed = parsed.replace(tzinfo=UTC)
        return max(0.0, parsed.timestamp() - time.time())
    return None


def _check_writable(path: Path) -> None:
    """Fail before anything is sent when the response cache cannot be written: an answer paid
    for and not kept would be paid for again by the next run."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8"):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise InputError(
            f"{path.parent}: cannot write the response cache here ({reason})"
        ) from None


def _backoff(attempt: int) -> float:
    return min(BACKOFF_MAX, BACKOFF_BASE * 2 ** (attempt - 1)) * random.uniform(0.5, 1.0)


class Runner:
    """Sends requests through per-endpoint clients and returns one completion per request."""

    def __init__(
        self,
        clients: dict[str, Client],
        *,
        concurrency: int,
        retry_deadline: float,
        cache: ResponseCache | None,
        max_spend: float | None = None,
        clock: Clock | None = None,
        on_progress: Callable[[Progress], None] | None = None,
        on_answer: Callable[[Completion], None] | None = None,
    ) -> None:
        self.clients = clients
        self.concurrency = concurrency
        self.retry_deadline = retry_deadline
        self.cache = cache
        self.max_spend = max_spend
        self.clock = clock or Clock()
        self.on_progress = on_progress or (lambda progress: None)
        self.on_answer = on_answer or (lambda completion: None)
        """Called with each completion as it is counted (scoring as answers arrive)."""
        if cache is not None:
            _check_writable(cache.path)
        self.stopped_at_cap = False
        self.halted: dict[str, Halt] = {}
        """Candidates no longer sent anything, by name: refused, or their endpoint unreachable."""
        self._reached: set[str] = set()  # endpoints that have answered anything
        self._answered: set[str] = set()  # candidates that have given an answer
        self._committed = 0.0  # spent plus what is in flight, for the cap
        self._dearest: dict[str, float] = {}  # the dearest answer seen per candidate
        self._limits = Limits(concurrency, self.clock)
        self._reported = -PROGRESS_EVERY  # when on_progress was last called

    async def run(self, requests: Sequence[CallRequest], progress: Progress) -> list[Completion]:
        """Answer every request; the result is in the order of `requests`."""
        results: list[Completion | None] = [None] * len(requests)
        todo: list[int] = []
        for request in requests:
            progress.by_candidate.setdefault(request.candidate, [0, 0])[1] += 1
        for i, request in enumerate(requests):
            entry = self.cache.get(request.key) if self.cache else None
            if entry is None:
                todo.append(i)
            else:
                results[i] = Completion.answered(
                    request,
                    entry["body"],
                    latency_ms=entry["latency_ms"],
                    attempts=0,
                    from_cache=True,
                )
                self._count(progress, results[i])
                progress.cached += 1
        self.on_progress(progress)
        todo = await self._probe(requests, todo, results, progress)
        queue = iter(todo)

        async def worker() -> None:
            for i in queue:
                results[i] = await self._obtain(requests[i], progress)
                self._count(progress, results[i])
                self._report(progress)

        await asyncio.gather(*(worker() for _ in range(min(self.concurrency, len(todo)) or 1)))
        self.on_progress(progress)
        return [r for r in results if r is not None]

    async def _probe(
        self,
        requests: Sequence[CallRequest],
        todo: list[int],
        results: list[Completion | None],
        progress: Progress,
    ) -> list[int]:
        """Send each candidate's first request alone (candidates side by side) before the rest.

        A key, model or parameter the endpoint refuses then costs one request, not the eval. A
        refusal about one example's input only (attempts == 1, not halted) sends the next one
        alone. Returns what is left to send.
        """
        firsts: dict[str, list[int]] = {}
        for i in todo:
            firsts.setdefault(requests[i].candidate, []).append(i)

        async def probe(indices: list[int]) -> set[int]:
            for i in indices:
                results[i] = done = await self._obtain(requests[i], progress)
                self._count(progress, done)
                self._report(progress)
                if done.ok or done.attempts != 1 or done.candidate in self.halted:
                    return {i}
                sent.add(i)
            return set()

        sent: set[int] = set()
        probes = asyncio.gather(*(probe(ix) for ix in firsts.values()))
        try:
            await asyncio.sleep(0)  # each probe is on its way: waiting for the answers is idle
            self.on_progress(progress)
        except BaseException:
            probes.cancel()
            raise
        for found in await probes:
            sent |= found
        return [i for i in todo if i not in sent]

    def _halt(self, request: CallRequest, reason: str, found: Refusal | None) -> None:
        if request.candidate not in self.halted:
            halt = Halt(request.candidate, request.base_url, reason, found)
            self.halted[request.candidate] = halt

    def _report(self, progress: Progress) -> None:
        """The progress callback, at most every PROGRESS_EVERY seconds (a bar needs no more)."""
        now = time.monotonic()
        if now - self._reported >= PROGRESS_EVERY:
            self._reported = now
            self.on_progress(progress)

    def _count(self, progress: Progress, completion: Completion) -> None:
        self.on_answer(completion)
        progress.done += 1
        progress.by_candidate[completion.candidate][0] += 1
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

    async def _obtain(self, request: CallRequest, progress: Progress) -> Completion:
        if (halt := self.halted.get(request.candidate)) is not None:
            return Completion.failed(request, f"not sent: {halt.reason}")
        if self.stopped_at_cap or self._over_cap(request):
            self.stopped_at_cap = True
            return Completion.failed(request, "not sent: the spend cap would be passed")
        reserved = self._expected_cost(request)
        self._committed += reserved
        progress.sent += 1
        client = self.clients[request.base_url]
        limits = self._limits.of(request.base_url, request.body.get("model"))
        started = self.clock.now()
        attempt = 0
        while True:
            attempt += 1
            epoch = await limits.enter()
            status = headers = body = None
            try:
                sent = time.perf_counter()
                error, body, headers, status, retryable, found = await self._send(client, request)
                latency_ms = (time.perf_counter() - sent) * 1000
            finally:
                limits.leave(epoch, status, headers, request.body, body)
            if body is not None:
                self._answered.add(request.candidate)
                reused = headers is not None and headers.get(REUSED_HEADER) == "1"
                completion = Completion.answered(
                    request, body, latency_ms=latency_ms, attempts=attempt, from_cache=reused
                )
                progress.cached += reused  # served by the fixtures a recording resumes from
                self._committed += completion.cost - reserved
                if completion.cost > self._dearest.get(request.candidate, 0.0):
                    self._dearest[request.candidate] = completion.cost
                if self.cache is not None and completion.ok:
                    try:
                        self.cache.put(request.key, body, latency_ms, request.tag)
                    except OSError as exc:
                        reason = exc.strerror or type(exc).__name__
                        raise RunError(
                            f"{self.cache.path}: cannot write the response cache ({reason}); "
                            "the answers saved so far are kept"
                        ) from None
                return completion
            if status is not None:
                self._reached.add(request.base_url)
            wait = retry_after(headers) or _backoff(attempt)
            deadline = self.retry_deadline
            unreachable = error.startswith(CANNOT_CONNECT) and request.base_url not in self._reached
            if unreachable:
                deadline = min(deadline, UNREACHABLE_DEADLINE)
            if not retryable or self.clock.now() + wait - started > deadline:
                self._committed -= reserved
                if found is not None and found.stops(request.candidate in self._answered):
                    self._halt(request, found.describe(), found)
                elif unreachable:
                    self._halt(request, f"cannot reach the endpoint: {error}", None)
                return Completion.failed(request, error, attempt)
            progress.retries += 1
            progress.rate_limited += status == 429
            await self.clock.sleep(wait)  # this request alone: the limiter slows the others

    async def _send(
        self, client: Client, request: CallRequest
    ) -> tuple[str, dict | None, Any, int | None, bool, Refusal | None]:
        """One attempt: (error, body, headers, status, retryable, refusal)."""
        payload = json.dumps(request.body, ensure_ascii=False, separators=(",", ":")).encode()
        try:
            response = await client.post_json(
                "/chat/completions", payload, {TAG_HEADER: request.tag}
            )
        except WireError as exc:
            reason = _short(str(exc)) or exc.kind
            if exc.cannot_connect:
                return f"{CANNOT_CONNECT}{reason}", None, None, None, True, None
            if exc.timed_out:
                return "timed out", None, None, None, True, None
            return f"connection failed: {reason}", None, None, None, True, None
        status, headers = response.status, response.headers
        if not 200 <= status < 300:
            error = f"HTTP {status}: {_short(_error_message(response.content))}"
            found = refusal(status, response.content)
            retryable = found is None and status in RETRY_STATUSES
            return error, None, headers, status, retryable, found
        try:
            body = json.loads(response.content)
        except ValueError:
            return "HTTP 200 with a body that is not valid JSON", None, headers, status, True, None
        if not isinstance(body, dict) or not body.get("choices"):
            return "HTTP 200 without choices", None, headers, status, True, None
        return "", body, headers, status, False, None


def _error_message(content: bytes) -> str:
    """OpenAI's `{"error": {"message": ...}}`, else the body as text."""
    try:
        body = json.loads(content)
    except ValueError:
        body = None
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            return error["message"]
        if isinstance(error, str):
            return error
    return content.decode("utf-8", errors="replace") or "(no body)"


def _short(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
