"""The runner's connections (advisor.http11 under advisor.pool's transport, through
advisor.client) against a raw server that answers in every way HTTP/1.1 allows, and in some ways
it does not; and the same transport under the SDK, through the httpx2 bridge."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable

import httpx2
import pytest

from advisor.client import build_client, build_transport, httpx2_bridge
from advisor.reply import WireError, target

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
    client = build_client(f"http://127.0.0.1:{port}/v1", "k", concurrency=4, timeout=timeout)
    found: list = []
    for body in requests:
        try:
            found.append(await client.post_json("/x", body, {"x-advisor-request": "t"}))
        except WireError as exc:
            found.append(exc)
    await client.close()
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
    assert [r.status for r in found] == [200] * 3 and connections == 1


def test_a_chunked_answer_is_read_whole_and_connection_close_is_honoured():
    async def chunked(reader, writer):
        await _head(reader)
        writer.write(
            b"HTTP/1.1 429 Too Many Requests\r\ntransfer-encoding: chunked\r\n"
            b"retry-after: 1\r\nconnection: close\r\n\r\n"
            b'5\r\n{"a":\r\n3\r\n 1}\r\n0\r\n\r\n'
        )

    found, connections = asyncio.run(_exchange(chunked, b"{}", b"{}"))
    assert [(r.status, r.content, r.headers["retry-after"]) for r in found] == [
        (429, b'{"a": 1}', "1")
    ] * 2
    assert connections == 2  # the server said close: a new connection for the second


def test_a_dropped_or_silent_server_is_a_wire_error_named_as_httpx2_names_it():
    async def drop_mid_body(reader, writer):
        await _head(reader)
        writer.write(b'HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n{"cut')
        await writer.drain()

    async def silent(reader, writer):
        await _head(reader)
        await asyncio.sleep(1)

    (dropped,), _ = asyncio.run(_exchange(drop_mid_body, b"{}"))
    assert isinstance(dropped, WireError) and dropped.kind == "RemoteProtocolError"
    (waited,), _ = asyncio.run(_exchange(silent, b"{}", timeout=0.2))
    assert isinstance(waited, WireError) and waited.kind == "ReadTimeout" and waited.timed_out


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed when the block ends: nothing listens there


def test_a_closed_port_is_a_connect_error():
    (refused,), _ = asyncio.run(_exchange_with(_closed_port(), b"{}"))
    assert isinstance(refused, WireError) and refused.cannot_connect


async def _exchange_with(port: int, *requests: bytes) -> tuple[list, int]:
    client = build_client(f"http://127.0.0.1:{port}/v1", "k", concurrency=1, timeout=5)
    found: list = []
    for body in requests:
        try:
            found.append(await client.post_json("/x", body, {}))
        except WireError as exc:
            found.append(exc)
    await client.close()
    return found, 0


def test_the_sdk_bridge_sends_over_the_same_transport_and_raises_httpx2_errors():
    async def answer_then_drop(reader, writer):
        request = await _head(reader)
        assert b"authorization: bearer k" in request.lower()
        writer.write(_ok(b'{"data": []}', b"content-type: application/json\r\n"))
        await writer.drain()
        await _head(reader)
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n{")
        writer.close()

    async def run() -> tuple[httpx2.Response, Exception]:
        server = await asyncio.start_server(answer_then_drop, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        bridge = httpx2_bridge(build_transport(1))
        async with httpx2.AsyncClient(transport=bridge, timeout=5) as http:
            url = f"http://127.0.0.1:{port}/v1/models"
            listed = await http.get(url, headers={"authorization": "Bearer k"})
            try:
                await http.get(url)
            except httpx2.TransportError as exc:
                dropped: Exception = exc
        server.close()
        await server.wait_closed()
        return listed, dropped

    listed, dropped = asyncio.run(run())
    assert listed.status_code == 200 and listed.json() == {"data": []}
    assert isinstance(dropped, httpx2.RemoteProtocolError)

    async def refused() -> None:
        async with httpx2.AsyncClient(transport=httpx2_bridge(build_transport(1))) as http:
            await http.get(f"http://127.0.0.1:{_closed_port()}/v1/models")

    with pytest.raises(httpx2.ConnectError):
        asyncio.run(refused())


@pytest.mark.parametrize(
    ("url", "netloc", "path"),
    [
        ("http://127.0.0.1:8080/v1/chat/completions", "127.0.0.1:8080", "/v1/chat/completions"),
        ("https://api.example.com/v1/models?after=x", "api.example.com", "/v1/models?after=x"),
        ("https://API.example.com:443/v1", "api.example.com", "/v1"),
        ("http://[::1]:8000/v1/x", "[::1]:8000", "/v1/x"),
        ("http://localhost", "localhost", "/"),
    ],
)
def test_a_target_names_its_host_as_the_host_header_does(url, netloc, path):
    found = target(url)
    assert (found.netloc, found.path) == (netloc, path)


def test_the_sdk_bridge_asks_for_no_compression_and_keeps_header_bytes():
    seen: list[bytes] = []

    async def answer(reader, writer):
        seen.append(await _head(reader))
        extra = 'content-disposition: attachment; filename="résumé.jsonl"\r\n'.encode()
        writer.write(_ok(b'{"ok": true}', b"content-type: application/json\r\n" + extra))
        await writer.drain()
        writer.close()

    async def run() -> httpx2.Response:
        server = await asyncio.start_server(answer, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        async with httpx2.AsyncClient(transport=httpx2_bridge(build_transport(1))) as http:
            response = await http.get(f"http://127.0.0.1:{port}/v1/files/f/content")
        server.close()
        await server.wait_closed()
        return response

    response = asyncio.run(run())
    assert b"accept-encoding" not in seen[0].lower()  # a recording keeps a body it can read
    assert response.json() == {"ok": True}
    assert "résumé" in response.headers["content-disposition"]  # httpx2 reads the UTF-8 bytes


def test_a_proxied_answer_decoded_no_longer_announces_its_compression():
    import gzip

    from advisor.pool import _through
    from advisor.reply import target

    body = b'{"choices": [1]}'

    def compressed(request: httpx2.Request) -> httpx2.Response:
        headers = {"content-encoding": "gzip", "content-type": "application/json"}
        return httpx2.Response(200, headers=headers, content=gzip.compress(body))

    via = httpx2.MockTransport(compressed)
    reply = asyncio.run(_through(via, "POST", target("http://proxied.example/v1/x"), [], b"{}", {}))
    assert reply.content == body
    assert "content-encoding" not in reply.headers and "content-length" not in reply.headers

    async def through_the_bridge() -> httpx2.Response:
        class Proxied:
            async def exchange(self, *request: object) -> object:
                return reply

            async def aclose(self) -> None:
                pass

        async with httpx2.AsyncClient(transport=httpx2_bridge(Proxied())) as http:
            return await http.post("http://proxied.example/v1/x", content=b"{}")

    assert asyncio.run(through_the_bridge()).json() == {"choices": [1]}
