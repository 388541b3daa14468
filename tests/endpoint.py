"""A tiny OpenAI-shaped test server that counts every request and answers as a test scripts it.

The simulator answers like a working provider; this one answers like a provider that refuses
(a bad key, an unknown model, an unsupported parameter, no quota), to every request or to one.
"""

from __future__ import annotations

import asyncio
import json
import ssl
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import unquote

from aiohttp import web

Answer = tuple[int, dict]
"""Status and JSON body of a response."""


def ok(label: str = "billing") -> Answer:
    return 200, {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "model": "m",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": label},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 10, "completion_tokens": 1, "total_tokens": 11},
    }


def error(status: int, message: str, code: str | None = None, param: str | None = None) -> Answer:
    kind = "insufficient_quota" if code == "insufficient_quota" else "invalid_request_error"
    return status, {"error": {"message": message, "type": kind, "param": param, "code": code}}


@dataclass
class Endpoint:
    base_url: str
    requests: int = 0
    """Every request, to any path."""
    tags: list[str] = field(default_factory=list)
    """The advisor request tag (candidate/example/repeat) of each chat request, in order."""


@contextmanager
def serving(
    answer: Callable[[str], Answer],
    delay: float = 0.0,
    models: Answer = (200, {"object": "list", "data": []}),
    tls: ssl.SSLContext | None = None,
) -> Iterator[Endpoint]:
    """Serve on 127.0.0.1 (an ephemeral port); `answer(tag)` scripts each chat completion,
    sent after `delay` seconds; `models` is the answer to GET /v1/models; `tls` serves HTTPS."""
    endpoint = Endpoint("")

    async def chat(request: web.Request) -> web.Response:
        endpoint.requests += 1
        await request.read()
        tag = unquote(request.headers.get("x-advisor-request", ""))
        endpoint.tags.append(tag)
        status, body = answer(tag)
        await asyncio.sleep(delay)
        return web.json_response(body, status=status)

    async def listing(request: web.Request) -> web.Response:
        endpoint.requests += 1
        return web.json_response(models[1], status=models[0])

    async def other(request: web.Request) -> web.Response:
        endpoint.requests += 1
        return web.Response(status=404, text=json.dumps({"error": {"message": "no route"}}))

    app = web.Application()
    app.router.add_post("/v1/chat/completions", chat)
    app.router.add_get("/v1/models", listing)
    app.router.add_route("*", "/{tail:.*}", other)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    async def start() -> web.AppRunner:
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=tls)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        endpoint.base_url = f"{'https' if tls else 'http'}://127.0.0.1:{port}/v1"
        return runner

    runner = asyncio.run_coroutine_threadsafe(start(), loop).result()
    try:
        yield endpoint
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result()
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()
