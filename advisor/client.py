"""The one place that builds HTTP clients: the runner's lean path, and the openai SDK for the rest.

Profiles of `advisor evaluate` at 64 requests in flight showed the SDK's request building (about
a quarter of the client's CPU per request) and httpcore2's connection pool (another quarter)
dominating the whole run, then httpx2's requests and responses themselves. So a chat completion
(and the models listing) takes the short way: `Client.send` hands the method, the split URL
(`advisor.reply.Target`), the encoded headers and the body straight to a transport's
`exchange`, and gets a `Reply`. The transports: the network (`advisor.pool`), the recording
wrapped around it (`advisor.record`) and the replay (`advisor.replay`); the recording sees every
exchange and the replay answers every request, whoever sent it. The SDK (the Batch API, files)
is an `openai.AsyncOpenAI` built on first use over the same transport, through
`httpx2_bridge`, with its retries off (the runner owns them).
"""

from __future__ import annotations

import os
from functools import cache
from typing import TYPE_CHECKING, Any

from advisor.reply import RawHeaders, Reply, Target, Transport, WireError, target

if TYPE_CHECKING:
    import httpx2
    import openai

    from advisor.pool import PooledTransport

TAG_HEADER = "x-advisor-request"
"""Names candidate, example and repeat on every request: fixtures are keyed by it."""
REUSED_HEADER = "x-advisor-reused"
"""Set on a response a recording served from its fixtures instead of sending the request: the
runner counts it as re-used, not as sent or spent."""


def build_transport(concurrency: int) -> PooledTransport:
    """The transport under the runner and the SDK: at most `concurrency` connections, kept alive."""
    from advisor.pool import PooledTransport

    return PooledTransport(concurrency)


def httpx2_bridge(transport: Transport) -> httpx2.AsyncBaseTransport:
    """`transport` as an httpx2 transport, for the SDK: WireErrors become the httpx2 errors of
    their names."""
    return _bridge_class()(transport)


@cache
def _bridge_class() -> type:
    """Defined on first use, so that importing this module loads no httpx2."""
    import httpx2

    class Httpx2Bridge(httpx2.AsyncBaseTransport):
        def __init__(self, transport: Transport) -> None:
            self.transport = transport

        async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
            body = await request.aread()
            timeouts = request.extensions.get("timeout", {})
            # No compression asked for, as on the runner's path: a recording keeps the body it
            # can read (and redact), and nothing below decodes it.
            headers = [(k, v) for k, v in request.headers.raw if k.lower() != b"accept-encoding"]
            try:
                reply = await self.transport.exchange(
                    request.method, target(str(request.url)), headers, body, timeouts
                )
            except WireError as exc:
                error = getattr(httpx2, exc.kind, None)
                if not (isinstance(error, type) and issubclass(error, httpx2.TransportError)):
                    error = httpx2.RemoteProtocolError
                raise error(str(exc), request=request) from exc
            # as they came: latin-1 gives back the bytes it read, whatever their encoding
            raw = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in reply.headers.items()]
            return httpx2.Response(
                reply.status,
                headers=raw,
                content=reply.content,
                extensions={"http_version": b"HTTP/1.1"},
                request=request,
            )

        async def aclose(self) -> None:
            await self.transport.aclose()

    return Httpx2Bridge


class Client:
    """One endpoint: the runner's lean POST, and the openai SDK (built on first use) for the rest.

    Attributes it does not have are the SDK client's (`client.get(...)`, `client.models`), so it
    stands in for an `openai.AsyncOpenAI` wherever one was used.
    """

    def __init__(
        self, base_url: str, api_key: str, *, timeout: float, transport: Transport
    ) -> None:
        from advisor import __version__

        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.timeout = timeout
        self.transport = transport
        self._sdk: openai.AsyncOpenAI | None = None
        self._timeouts = {"connect": timeout, "read": timeout, "write": timeout, "pool": timeout}
        headers = {
            "accept": "application/json",
            "content-type": "application/json",
            "user-agent": f"advisor/{__version__}",
            "authorization": f"Bearer {api_key}",
        }
        # as the SDK does: a key scoped to an organization or project may need them
        for header, variable in (
            ("openai-organization", "OPENAI_ORG_ID"),
            ("openai-project", "OPENAI_PROJECT_ID"),
        ):
            if value := os.environ.get(variable):
                headers[header] = value
        self._headers = headers
        self._heads: dict[str, tuple[Target, RawHeaders]] = {}
        """By path: its target, and the headers every request to it carries, encoded once."""

    async def post_json(self, path: str, body: bytes, headers: dict[str, str]) -> Reply:
        """POST a JSON body; the whole response, whatever its status.

        Raises WireError when no response came.
        """
        return await self.send("POST", path, body, headers)

    async def get_json(self, path: str, headers: dict[str, str]) -> Reply:
        """GET `path` (e.g. `/models`); the whole response, whatever its status."""
        return await self.send("GET", path, b"", headers)

    async def send(self, method: str, path: str, body: bytes, headers: dict[str, str]) -> Reply:
        """One request to `base_url + path` straight through the transport, bypassing the SDK.

        `headers` (names in lower case) are added to the client's, replacing any of the same name.
        """
        head = self._heads.get(path)
        if head is None:
            to = target(self.base_url + path)
            fixed = {"host": to.netloc, **self._headers}
            head = self._heads[path] = (to, [(k.encode(), v.encode()) for k, v in fixed.items()])
        to, fixed = head
        if any(name in self._headers for name in headers):
            fixed = [pair for pair in fixed if pair[0].decode() not in headers]
        pairs = [*fixed, *((k.encode(), v.encode()) for k, v in headers.items())]
        if body or method == "POST":
            pairs.append((b"content-length", str(len(body)).encode()))
        return await self.transport.exchange(method, to, pairs, body, self._timeouts)

    @property
    def sdk(self) -> openai.AsyncOpenAI:
        """The SDK client over the same transport, its retries off."""
        if self._sdk is None:
            import httpx2
            import openai

            http_client = httpx2.AsyncClient(
                transport=httpx2_bridge(self.transport), timeout=httpx2.Timeout(self.timeout)
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
    transport: Transport | None = None,
) -> Client:
    """An endpoint's client, its pool sized to the run; the SDK's retries are off."""
    return Client(
        base_url, api_key, timeout=timeout, transport=transport or build_transport(concurrency)
    )
