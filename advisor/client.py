"""The one place that builds HTTP clients for the openai SDK.

openai 3.x sends through httpx2. Recording wraps the transport and replay mocks httpcore2 under it,
so when the stack changes (respx gaining native httpx2 support, another transport) only this module
changes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx2
    import openai

TAG_HEADER = "x-advisor-request"
"""Names candidate, example and repeat on every request: fixtures are keyed by it."""


def build_transport(concurrency: int) -> httpx2.AsyncBaseTransport:
    """The transport under the SDK, its pool sized to the run's concurrency."""
    import httpx2

    limits = httpx2.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    return httpx2.AsyncHTTPTransport(limits=limits)


def build_client(
    base_url: str,
    api_key: str,
    *,
    concurrency: int,
    timeout: float,
    transport: httpx2.AsyncBaseTransport | None = None,
) -> openai.AsyncOpenAI:
    """An SDK client whose retries are off (the runner owns them) and whose pool fits the run."""
    import httpx2
    import openai

    http_client = httpx2.AsyncClient(
        transport=transport or build_transport(concurrency), timeout=httpx2.Timeout(timeout)
    )
    return openai.AsyncOpenAI(
        base_url=base_url, api_key=api_key, max_retries=0, timeout=timeout, http_client=http_client
    )
