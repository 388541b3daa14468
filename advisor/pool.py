"""The network transport: kept-alive HTTP/1.1 connections (`advisor.http11`), most recently used
first, at most one per request in flight.

httpcore2's pool found a connection for each request by scanning all of them (twice per request,
each scan asking every socket whether it is readable): at 64 connections that was a quarter of
the advisor's CPU; its connections cost as much again (see advisor.http11). Here a request takes
the last idle connection of its origin, checks only that one, and gives it back once the body
has been read. Chat completions are not streamed, so reading the body before returning costs
nothing.

Company networks: a URL the environment sends through a proxy (HTTPS_PROXY, HTTP_PROXY,
ALL_PROXY, minus NO_PROXY, read as httpx reads them) goes through httpx2's own transport to that
proxy; TLS trusts SSL_CERT_FILE / SSL_CERT_DIR when set (httpx2's default context). httpx2 is
imported only for those: a plain-HTTP run without a proxy never loads it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from typing import Any

from advisor.http11 import Connection
from advisor.reply import RawHeaders, Reply, Target, WireError

KEEPALIVE_EXPIRY = 5.0
"""Seconds an idle connection is kept (httpx2's default)."""


class PooledTransport:
    """Requests to any origin over pooled `advisor.http11` connections."""

    def __init__(self, limit: int) -> None:
        self._slots = asyncio.Semaphore(max(1, limit))
        self._idle: dict[tuple[str, str, int], list[Connection]] = {}
        self._ssl_context: Any = None
        self._limit = max(1, limit)
        self._proxies = _environment_proxies()
        self._via: dict[str, Any] = {}  # httpx2 transports, by proxy URL

    async def exchange(
        self,
        method: str,
        target: Target,
        headers: RawHeaders,
        body: bytes,
        timeouts: dict[str, Any],
    ) -> Reply:
        """Send one request; its whole response. Raises WireError when none came."""
        if self._proxies and (via := self._proxied(target)) is not None:
            async with self._slots:
                return await _through(via, method, target, headers, body, timeouts)
        async with self._slots:
            connection = await self._take(target, timeouts.get("connect"))
            reusable = False
            try:
                reply, reusable = await connection.exchange(
                    method.encode(), target.path.encode(), headers, body, timeouts
                )
            finally:
                if reusable:
                    self._idle.setdefault(target.origin, []).append(connection)
                else:
                    connection.close()
        return reply

    async def _take(self, target: Target, timeout: float | None) -> Connection:
        """The last connection given back for the target's origin that is still open, or a new
        one."""
        idle = self._idle.get(target.origin)
        now = asyncio.get_running_loop().time()
        while idle:
            connection = idle.pop()
            if connection.reusable(now, KEEPALIVE_EXPIRY):
                return connection
            connection.close()
        tls = None
        if target.scheme == "https":
            if self._ssl_context is None:
                import httpx2

                self._ssl_context = httpx2.create_ssl_context()
            tls = self._ssl_context
        return await Connection.open(target.host, target.port, tls, timeout)

    def _proxied(self, target: Target) -> Any:
        """httpx2's own transport through the proxy the environment names for the target."""
        import httpx2

        url = httpx2.URL(target.url)
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

    async def aclose(self) -> None:
        connections = [c for idle in self._idle.values() for c in idle]
        self._idle = {}
        for via in self._via.values():
            with contextlib.suppress(Exception):  # a proxy that cannot close cleanly is gone too
                await via.aclose()
        for connection in connections:
            await connection.aclose()


async def _through(
    via: Any, method: str, target: Target, headers: RawHeaders, body: bytes, timeouts: dict
) -> Reply:
    """One exchange through an httpx2 transport, as a Reply or a WireError."""
    import httpx2

    request = httpx2.Request(
        method, target.url, headers=headers, content=body, extensions={"timeout": timeouts}
    )
    try:
        response = await via.handle_async_request(request)
        content = await response.aread()
    except httpx2.TransportError as exc:
        raise WireError(type(exc).__name__, str(exc)) from exc
    # aread() has decoded any compression: the headers must no longer announce it
    decoded = {b"content-encoding", b"content-length"}
    raw = [(k, v) for k, v in response.headers.raw if k.lower() not in decoded]
    return Reply.from_raw(response.status_code, raw, content)


_PROXY_VARIABLES = frozenset({"http_proxy", "https_proxy", "all_proxy"})


def _environment_proxies() -> list[tuple[Any, str]]:
    """HTTPS_PROXY / HTTP_PROXY / ALL_PROXY / NO_PROXY as httpx reads them: (pattern, proxy)
    pairs, most specific first, a pattern NO_PROXY exempts mapping to no proxy at all.

    On Linux the proxies are the environment's alone, so without those variables httpx2 is not
    even loaded; elsewhere httpx also asks the system (`urllib.request.getproxies`).
    """
    if sys.platform == "linux" and not any(k.lower() in _PROXY_VARIABLES for k in os.environ):
        return []
    from httpx2._utils import URLPattern, get_environment_proxies

    found = get_environment_proxies().items()
    mounts = sorted(((URLPattern(k), v) for k, v in found), key=lambda mount: mount[0])
    if all(proxy is None for _, proxy in mounts):
        return []
    return [(pattern, proxy) for pattern, proxy in mounts]
