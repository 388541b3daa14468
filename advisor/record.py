"""Recording: a live run's exchanges written to its fixtures as they complete (`advisor.fixtures`).

The recording wraps the transport under every client of the run, so it sees each exchange as
it went over the wire (the runner's, the models listing, the SDK's files and batches, the
judge's), and writes it with its measured latency before handing the response on. Rerun after an
interruption, it serves what is already recorded instead of sending it again.
"""

from __future__ import annotations

import json
import time
from typing import Any

from advisor.client import REUSED_HEADER, TAG_HEADER
from advisor.fixtures import (
    MODELS_TAG,
    Exchange,
    FixtureStore,
    declared_json,
    exchange_key,
    keep_header,
    request_body,
)
from advisor.redact import Redactor
from advisor.reply import RawHeaders, Reply, Target, Transport, WireError, by_name


class RecordingTransport:
    """Wraps a transport: records every exchange, serves what is already recorded."""

    def __init__(self, store: FixtureStore, redactor: Redactor, inner: Transport) -> None:
        self.store = store
        self.redactor = redactor
        self.inner = inner

    async def exchange(
        self,
        method: str,
        target: Target,
        headers: RawHeaders,
        body: bytes,
        timeouts: dict[str, Any],
    ) -> Reply:
        named = by_name(headers)
        value = request_body(body, named.get("content-type"))
        secrets = [named.get("authorization", "").removeprefix("Bearer ").strip()]
        scrub = Redactor([p.pattern for p in self.redactor.patterns], secrets)
        path = scrub.path(target.path)
        tag = named.get(TAG_HEADER, "")
        key = exchange_key(tag, method, path, scrub.value(value))
        # Recorded by an interrupted earlier recording: not sent again. A GET always goes out:
        # it is free, and a polled status moves on, each poll recorded as the next attempt.
        # The models listing is recorded once, not once per run.
        polled = method == "GET" and tag != MODELS_TAG
        done = self.store.complete(key) if not polled else None
        if done is not None:
            return replayed(done, {REUSED_HEADER: "1"})
        attempt = len(self.store.by_key.get(key, []))
        base = {
            "key": key,
            "tag": tag,
            "attempt": attempt,
            "host": target.netloc,
            "method": method,
            "path": path,
            "body": scrub.value(value),
        }
        sent = time.perf_counter()
        try:
            reply = await self.inner.exchange(method, target, headers, body, timeouts)
        except WireError as exc:
            self.store.add(
                Exchange(
                    **base,
                    status=None,
                    headers={},
                    response=None,
                    response_is_json=False,
                    error=exc.kind,
                    latency_ms=_elapsed_ms(sent),
                )
            )
            raise
        latency_ms = _elapsed_ms(sent)
        text = reply.content.decode("utf-8", errors="replace")
        try:
            if declared_json(reply.headers) is False:  # a file's content: kept as text
                raise ValueError
            parsed, is_json = scrub.value(json.loads(text)), True
        except ValueError:
            parsed, is_json = scrub.text(text), False
        kept = {k: scrub.text(v) for k, v in reply.headers.items() if keep_header(k)}
        self.store.add(
            Exchange(
                **base,
                status=reply.status,
                headers=kept,
                response=parsed,
                response_is_json=is_json,
                error=None,
                latency_ms=latency_ms,
            )
        )
        return reply

    async def aclose(self) -> None:
        await self.inner.aclose()


def replayed(exchange: Exchange, extra: dict[str, str] | None = None) -> Reply:
    """A recorded exchange's response, as it came (`extra` headers added)."""
    headers = {k: v for k, v in exchange.headers.items() if k != "content-length"}
    return Reply(exchange.status or 0, {**headers, **(extra or {})}, exchange.content())


def _elapsed_ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000, 3)
