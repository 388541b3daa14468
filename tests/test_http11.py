"""The runner's connections (advisor.http11 under advisor.client's transport) against a raw server
that answers in every way HTTP/1.1 allows, and in some ways it does not."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable

import httpx2
import pytest

from advisor.client import build_transport

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def _head(reader: asyncio.StreamReader) -> bytes:
    """A request's head and its Content-Length body, read whole."""
    head = await reader.readuntil(b"\r\n\r\n")
    length = next(
        (
            int(line.split(b":")[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length")
        ),
        0,
    )
    return head + await reader.readexactly(length)


async def _exchange(handler: Handler, *requests: bytes, timeout: float = 5.0) -> tuple[list, int]:
    """Send each body as a POST through one transport; the responses (or errors) and how many
    connections the server saw."""
    connections = 0

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        try:
            await handler(reader, writer)
        finally:
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    transport = build_transport(4)
    found: list = []
    timeouts = {"connect": timeout, "read": timeout, "write": timeout, "pool": timeout}
    for body in requests:
        request = httpx2.Request(
            "POST", f"http://127.0.0.1:{port}/v1/x", content=body, extensions={"timeout": timeouts}
        )
        try:
            found.append(await transport.handle_async_request(request))
        except httpx2.TransportError as exc:
            found.append(exc)
    await transport.aclose()
    server.close()
    await server.wait_closed()
    return found, connections


def _ok(body: bytes, extra: bytes = b"") -> bytes:
    return b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n%s\r\n%s" % (len(body), extra, body)


def test_keep_alive_carries_every_request_over_one_connection():
    async def echo(reader, writer):
        while True:
            try:
                request = await _head(reader)
            except asyncio.IncompleteReadError:
                return
            writer.write(_ok(request.rsplit(b"\r\n\r\n", 1)[1]))

    found, connections = asyncio.run(_exchange(echo, b'{"a":1}', b'{"b":2}', b'{"c":3}'))
    assert [r.content for r in found] == [b'{"a":1}', b'{"b":2}', b'{"c":3}']
    assert [r.status_code for r in found] == [200] * 3 and connections == 1


def test_a_chunked_answer_is_read_whole_and_connection_close_is_honoured():
    async def chunked(reader, writer):
        await _head(reader)
        writer.write(
            b"HTTP/1.1 429 Too Many Requests\r\ntransfer-encoding: chunked\r\n"
            b"retry-after: 1\r\nconnection: close\r\n\r\n"
            b'5\r\n{"a":\r\n3\r\n 1}\r\n0\r\n\r\n'
        )

    found, connections = asyncio.run(_exchange(chunked, b"{}", b"{}"))
    assert [(r.status_code, r.content, r.headers["retry-after"]) for r in found] == [
        (429, b'{"a": 1}', "1")
    ] * 2
    assert connections == 2  # the server said close: a new connection for the second


def test_a_dropped_or_silent_server_is_an_httpx2_error():
    async def drop_mid_body(reader, writer):
        await _head(reader)
        writer.write(b'HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n{"cut')
        await writer.drain()

    async def silent(reader, writer):
        await _head(reader)
        await asyncio.sleep(1)

    (dropped,), _ = asyncio.run(_exchange(drop_mid_body, b"{}"))
    assert isinstance(dropped, httpx2.RemoteProtocolError)
    (waited,), _ = asyncio.run(_exchange(silent, b"{}", timeout=0.2))
    assert isinstance(waited, httpx2.ReadTimeout)


def test_a_closed_port_is_a_connect_error():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed when the block ends: nothing listens there

    async def send() -> None:
        transport = build_transport(1)
        request = httpx2.Request("POST", f"http://127.0.0.1:{port}/v1/x", content=b"{}")
        try:
            await transport.handle_async_request(request)
        finally:
            await transport.aclose()

    with pytest.raises(httpx2.ConnectError):
        asyncio.run(send())
