"""What the advisor's own HTTP path carries: a `Target`, the `Reply` it gets, or a `WireError`.

The runner's chat completions and the models listing go straight to a transport
(`advisor.client`): over the network (`advisor.pool`), into the fixtures (`advisor.record`) or
out of them (`advisor.replay`). They used to travel as httpx2 requests and responses: in a
profile of the shipped example's replay, building those was about 45% of the runner's time per
request, and without them the whole replay took 0.27 s less CPU (2.09 to 1.82 s, 7 interleaved
runs); importing httpx2 cost 0.07 s before the first request. httpx2 is kept for what needs
it: the openai SDK (the Batch API, files), through `advisor.client.httpx2_bridge`, and proxies.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any, Protocol
from urllib.parse import urlsplit

CONNECT_ERRORS = frozenset({"ConnectError", "ConnectTimeout"})
RawHeaders = list[tuple[bytes, bytes]]
"""Headers as sent: (name, value) pairs, in order."""


class WireError(Exception):
    """No response came. `kind` is the name httpx2 gives the same failure (`ConnectError`,
    `ReadTimeout`, `RemoteProtocolError`...): fixtures record it, and the SDK's bridge raises
    the httpx2 error of that name."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind

    @property
    def cannot_connect(self) -> bool:
        return self.kind in CONNECT_ERRORS

    @property
    def timed_out(self) -> bool:
        return self.kind.endswith("Timeout")


@dataclass(frozen=True, slots=True)
class Target:
    """A request's URL, split once: clients send to the same few URLs many times."""

    url: str
    scheme: str
    host: str
    port: int
    path: str
    """The path and query as sent on the request line."""

    @property
    def origin(self) -> tuple[str, str, int]:
        return (self.scheme, self.host, self.port)

    @property
    def netloc(self) -> str:
        """As the Host header and the fixtures name it: the port only when not the scheme's."""
        host = f"[{self.host}]" if ":" in self.host else self.host  # an IPv6 address
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"


@cache
def target(url: str) -> Target:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    port = parts.port or (443 if scheme == "https" else 80)
    return Target(url, scheme, parts.hostname or "", port, path)


class Reply:
    """A whole response: status, headers (names lower-cased; repeated ones joined with ", ",
    as httpx reads them) and body."""

    __slots__ = ("content", "headers", "status")

    def __init__(self, status: int, headers: dict[str, str], content: bytes) -> None:
        self.status = status
        self.headers = headers
        self.content = content

    @classmethod
    def from_raw(cls, status: int, raw: RawHeaders, content: bytes) -> Reply:
        return cls(status, by_name(raw), content)


def by_name(raw: RawHeaders) -> dict[str, str]:
    """Headers by lower-cased name, repeated ones joined with ", "."""
    headers: dict[str, str] = {}
    for name, value in raw:
        key, text = name.decode("latin-1").lower(), value.decode("latin-1")
        headers[key] = f"{headers[key]}, {text}" if key in headers else text
    return headers


class Transport(Protocol):
    """Where a client's requests go: the network, a recording around it, or a replay."""

    async def exchange(
        self,
        method: str,
        target: Target,
        headers: RawHeaders,
        body: bytes,
        timeouts: dict[str, Any],
    ) -> Reply:
        """One request; its whole response. Raises WireError when none came."""
        ...

    async def aclose(self) -> None: ...
