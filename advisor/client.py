"""The one place that builds HTTP clients: the runner's lean path, and the openai SDK for the rest.

openai 3.x sends through httpx2. Every client is built on an httpx2 transport: recording wraps it
(`advisor.record`) and replay replaces it (`advisor.replay`), so when the stack changes only this
module and those transports change.

Profiles of `advisor evaluate` at 64 requests in flight showed the SDK's request building (about
a quarter of the client's CPU per request) and httpcore2's connection pool (another quarter: it
scans every connection twice per request) dominating the whole run, and httpcore2's connections
most of the rest. So a chat completion takes the short way: the runner posts the JSON body
straight to the transport (`Client.post_json`), and the transport (`build_transport`) keeps its
own stack of idle keep-alive connections (`advisor.http11`: asyncio streams and h11). What stays
the same: httpx2 requests and responses, so the recording wrapper sees every exchange and the
replay transport answers every request. Everything else (`GET /models`, the SDK's typed methods)
goes through an `openai.AsyncOpenAI` built on first use over the same transport, with its retries
off (the runner owns them).

Company networks: a URL the environment sends through a proxy (HTTPS_PROXY, HTTP_PROXY,
ALL_PROXY, minus NO_PROXY, read as httpx reads them) goes through httpx2's own transport to that
proxy; TLS trusts SSL_CERT_FILE / SSL_CERT_DIR when set (httpx2's default context).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx2
    import openai

TAG_HEADER = "x-advisor-request"
"""Names candidate, example and repeat on every request: fixtures are keyed by it."""
REUSED_HEADER = "x-advisor-reused"
"""Set on a response a recording served from its fixtures instead of sending the request: the
runner counts it as re-used, not as sent or spent."""
KEEPALIVE_EXPIRY = 5.0
"""Seconds an idle connection is kept (httpx2's default)."""


def build_transport(concurrency: int) -> httpx2.AsyncBaseTransport:
    """The transport under the runner and the SDK: at most `concurrency` connections, kept alive."""
    return _transport_class()(concurrency)


@cache
def _transport_class() -> type:
    """`PooledTransport`, defined on first use so that importing this module loads no httpx2."""
    import httpx2

    from advisor.http11 import Connection

    class PooledTransport(httpx2.AsyncBaseTransport):
        """HTTP/1.1 over `advisor.http11` connections, most recently used first, bodies whole.

        httpcore2's pool found a connection for each request by scanning all of them (twice per
        request, each scan asking every socket whether it is readable): at 64 connections that was
        a quarter of the advisor's CPU; its connections cost as much again (see advisor.http11).
        Here a request takes the last idle connection of its origin, checks only that one, and
        gives it back once the body has been read. Chat completions are not streamed, so reading
        the body before returning costs nothing.
        """

        def __init__(self, limit: int) -> None:
            self._slots = asyncio.Semaphore(max(1, limit))
            self._idle: dict[tuple, list[Connection]] = {}
            self._ssl_context: Any = None
            self._limit = max(1, limit)
            self._proxies = _environment_proxies()
            self._via: dict[str, httpx2.AsyncHTTPTransport] = {}  # by proxy URL

        async def _take(self, url: httpx2.URL, timeout: float | None) -> Connection:
            """The last connection given back for `url`'s origin that is still open, or a new
            one."""
            idle = self._idle.get((url.raw_scheme, url.raw_host, url.port))
            now = asyncio.get_running_loop().time()
            while idle:
                connection = idle.pop()
                if connection.reusable(now, KEEPALIVE_EXPIRY):
                    return connection
                connection.close()
            tls = None
            if url.scheme == "https":
                if self._ssl_context is None:
                    self._ssl_context = httpx2.create_ssl_context()
                tls = self._ssl_context
            port = url.port or (443 if tls else 80)
            return await Connection.open(url.host, port, tls, timeout)

        def _proxied(self, url: httpx2.URL) -> httpx2.AsyncHTTPTransport | None:
            """httpx2's own transport through the proxy the environment names for `url`."""
            proxy = next((p for pattern, p in self._proxies if pattern.matches(url)), None)
            if proxy is None:
                return None
            via = self._via.get(proxy)
            if via is None:
                limits = httpx2.Limits(max_connections=self._limit)
                via = self._via[proxy] = httpx2.AsyncHTTPTransport(
                    proxy=proxy, limits=limits, trust_env=True
                )
            return via

        async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
            url = request.url
            if self._proxies and (via := self._proxied(url)) is not None:
                async with self._slots:
                    response = await via.handle_async_request(request)
                    await response.aread()
                    return response
            timeouts = request.extensions.get("timeout", {})
            body = await request.aread()
            async with self._slots:
                connection = await self._take(url, timeouts.get("connect"))
                reusable = False
                try:
                    head, content, reusable = await connection.exchange(
                        request.method.encode(), url.raw_path, request.headers.raw, body, timeouts
                    )
                finally:
                    if reusable:
                        origin = (url.raw_scheme, url.raw_host, url.port)
                        self._idle.setdefault(origin, []).append(connection)
                    else:
                        connection.close()
            return httpx2.Response(
                status_code=head.status_code,
                headers=head.headers,
                content=content,
                extensions={"http_version": b"HTTP/1.1", "reason_phrase": head.reason},
                request=request,
            )

        async def aclose(self) -> None:
            connections = [c for idle in self._idle.values() for c in idle]
            self._idle = {}
            for via in self._via.values():
                await _quietly(via.aclose())
            for connection in connections:
                await connection.aclose()

    return PooledTransport


def _environment_proxies() -> list[tuple[Any, str]]:
    """HTTPS_PROXY / HTTP_PROXY / ALL_PROXY / NO_PROXY as httpx reads them: (pattern, proxy)
    pairs, most specific first, a pattern NO_PROXY exempts mapping to no proxy at all."""
    from httpx2._utils import URLPattern, get_environment_proxies

    found = get_environment_proxies().items()
    mounts = sorted(((URLPattern(k), v) for k, v in found), key=lambda mount: mount[0])
    if all(proxy is None for _, proxy in mounts):
        return []
    return [(pattern, proxy) for pattern, proxy in mounts]


async def _quietly(closing: Any) -> None:
    # a connection that cannot even close cleanly is gone all the same
    with contextlib.suppress(Exception):
        await closing


class Client:
    """One endpoint: the runner's lean POST, and the openai SDK (built on first use) for the rest.

    Attributes it does not have are the SDK client's (`client.get(...)`, `client.models`), so it
    stands in for an `openai.AsyncOpenAI` wherever one was used.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float,
        transport: httpx2.AsyncBaseTransport,
    ) -> None:
        from advisor import __version__

        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.timeout = timeout
        self.transport = transport
        self._sdk: openai.AsyncOpenAI | None = None
        self._urls: dict[str, httpx2.URL] = {}
        self._timeouts = {"connect": timeout, "read": timeout, "write": timeout, "pool": timeout}
        headers = {
            "Accept": "application/json",
            "Content-Type": "application/json",
            "User-Agent": f"advisor/{__version__}",
            "Authorization": f"Bearer {api_key}",
        }
        # as the SDK does: a key scoped to an organization or project may need them
        for header, variable in (
            ("OpenAI-Organization", "OPENAI_ORG_ID"),
            ("OpenAI-Project", "OPENAI_PROJECT_ID"),
        ):
            if value := os.environ.get(variable):
                headers[header] = value
        self._headers = headers
        self._prepared: httpx2.Headers | None = None  # the same, normalised once, not per request

    async def post_json(self, path: str, body: bytes, headers: dict[str, str]) -> httpx2.Response:
        """POST a JSON body; the whole response, whatever its status.

        Raises httpx2.TimeoutException or httpx2.TransportError when no response came.
        """
        return await self.send("POST", path, body, headers)

    async def get_json(self, path: str, headers: dict[str, str]) -> httpx2.Response:
        """GET `path` (e.g. `/models`); the whole response, whatever its status."""
        return await self.send("GET", path, None, headers)

    async def send(
        self, method: str, path: str, body: bytes | None, headers: dict[str, str]
    ) -> httpx2.Response:
        """One request to `base_url + path` straight through the transport, bypassing the SDK."""
        import httpx2

        url = self._urls.get(path)
        if url is None:
            url = self._urls[path] = httpx2.URL(self.base_url + path)
        if self._prepared is None:
            self._prepared = httpx2.Headers(self._headers)
        merged = self._prepared.copy()
        for name, value in headers.items():
            merged[name] = value
        request = httpx2.Request(
            method,
            url,
            headers=merged,
            content=body,
            extensions={"timeout": self._timeouts},
        )
        response = await self.transport.handle_async_request(request)
        await response.aread()
        return response

    @property
    def sdk(self) -> openai.AsyncOpenAI:
        """The SDK client over the same transport, its retries off."""
        if self._sdk is None:
            import httpx2
            import openai

            http_client = httpx2.AsyncClient(
                transport=self.transport, timeout=httpx2.Timeout(self.timeout)
            )
            self._sdk = openai.AsyncOpenAI(
                base_url=self.base_url,
                api_key=self.api_key,
                max_retries=0,
                timeout=self.timeout,
                http_client=http_client,
            )
        return self._sdk

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):  # nothing private is the SDK's; no recursion before __init__
            raise AttributeError(name)
        return getattr(self.sdk, name)

    async def close(self) -> None:
        if self._sdk is not None:
            await self._sdk.close()  # closes its http client, and so the transport
        else:
            await self.transport.aclose()


def build_client(
    base_url: str,
    api_key: str,
    *,
    concurrency: int,
    timeout: float,
    transport: httpx2.AsyncBaseTransport | None = None,
) -> Client:
    """An endpoint's client, its pool sized to the run; the SDK's retries are off."""
    return Client(
        base_url, api_key, timeout=timeout, transport=transport or build_transport(concurrency)
    )
