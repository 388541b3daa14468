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


def recording_transport(store: FixtureStore, redactor: Redactor, inner: Any) -> Any:
    """Wrap `inner` (an httpx2 transport): record every exchange, serve what is recorded."""
    import httpx2

    class RecordingTransport(httpx2.AsyncBaseTransport):
        def __init__(self) -> None:
            self.inner = inner

        async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
            body = request_body(await request.aread(), request.headers.get("content-type"))
            secrets = [request.headers.get("authorization", "").removeprefix("Bearer ").strip()]
            scrub = Redactor([p.pattern for p in redactor.patterns], secrets)
            path = scrub.path(request.url.raw_path.decode())
            tag = request.headers.get(TAG_HEADER, "")
            key = exchange_key(tag, request.method, path, scrub.value(body))
            # Recorded by an interrupted earlier recording: not sent again. A GET always goes out:
            # it is free, and a polled status moves on, each poll recorded as the next attempt.
            # The models listing is recorded once, not once per run.
            polled = request.method == "GET" and tag != MODELS_TAG
            done = store.complete(key) if not polled else None
            if done is not None:
                response = _recorded_response(done, httpx2)
                response.headers[REUSED_HEADER] = "1"
                return response
            attempt = len(store.by_key.get(key, []))
            base = {
                "key": key,
                "tag": tag,
                "attempt": attempt,
                "host": request.url.netloc.decode(),
                "method": request.method,
                "path": path,
                "body": scrub.value(body),
            }
            sent = time.perf_counter()
            try:
                response = await self.inner.handle_async_request(request)
                content = await response.aread()
            except httpx2.TransportError as exc:
                store.add(
                    Exchange(
                        **base,
                        status=None,
                        headers={},
                        response=None,
                        response_is_json=False,
                        error=type(exc).__name__,
                        latency_ms=_elapsed_ms(sent),
                    )
                )
                raise
            latency_ms = _elapsed_ms(sent)
            text = content.decode("utf-8", errors="replace")
            try:
                if declared_json(response.headers) is False:  # a file's content: kept as text
                    raise ValueError
                parsed, is_json = scrub.value(json.loads(text)), True
            except ValueError:
                parsed, is_json = scrub.text(text), False
            headers = {
                k.lower(): scrub.text(v)
                for k, v in response.headers.items()
                if keep_header(k.lower())
            }
            store.add(
                Exchange(
                    **base,
                    status=response.status_code,
                    headers=headers,
                    response=parsed,
                    response_is_json=is_json,
                    error=None,
                    latency_ms=latency_ms,
                )
            )
            return httpx2.Response(
                response.status_code, headers=response.headers, content=content, request=request
            )

        async def aclose(self) -> None:
            await self.inner.aclose()

    return RecordingTransport()


def _elapsed_ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000, 3)


def _recorded_response(exchange: Exchange, httpx2: Any) -> Any:
    headers = {k: v for k, v in exchange.headers.items() if k != "content-length"}
    return httpx2.Response(exchange.status, headers=headers, content=exchange.content())
