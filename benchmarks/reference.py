"""The yardstick: a lean raw-HTTP client sending the advisor's requests at the same concurrency.

Plain asyncio streams, HTTP/1.1 keep-alive, one connection per worker, JSON encoded and decoded
with the standard library: about the least a Python client can do per request. A failed attempt
(429, 5xx, a dropped connection, a body that is not JSON) is retried by its worker alone, after the
server's `retry-after-ms` / `Retry-After` or the advisor's backoff (0.5 s doubling, jittered):
what a careful hand-written loop does, and what the advisor's retries are measured against. The
benchmarks run it in its own process, interleaved with the advisor, and compare the two.

    python -m benchmarks.reference --base-url http://127.0.0.1:PORT/v1 --requests FILE \
        --concurrency 64

FILE is a JSON list of {"tag": ..., "body": {...}} (the bodies the advisor would send). Prints one
JSON object: wall seconds, CPU seconds of this process, answers, errors (requests without an answer
after MAX_ATTEMPTS) and retries.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

TAG_HEADER = "x-advisor-request"
MAX_ATTEMPTS = 8
RETRY_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504})


class Connection:
    """One keep-alive HTTP/1.1 connection."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(
        self, path: str, body: bytes, headers: dict[str, str]
    ) -> tuple[int, bytes, float | None]:
        """(status, body, seconds the server asks to wait before a retry)"""
        if self.writer is None or self.writer.is_closing():
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            "Content-Type: application/json\r\nAccept: application/json\r\n"
            + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
            + f"Content-Length: {len(body)}\r\n\r\n"
        )
        self.writer.write(head.encode("latin-1") + body)
        status_line = await self.reader.readline()
        if not status_line:
            await self.close()
            raise ConnectionError("the server closed the connection")
        status = int(status_line.split(b" ", 2)[1])
        length, chunked, close, wait = None, False, False, None
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding" and "chunked" in value.lower():
                chunked = True
            elif name == "connection" and value.lower() == "close":
                close = True
            elif name == "retry-after-ms":
                wait = float(value) / 1000
            elif name == "retry-after" and wait is None:
                wait = float(value)
        if chunked:
            parts = []
            while size := int((await self.reader.readline()).split(b";")[0], 16):
                parts.append(await self.reader.readexactly(size))
                await self.reader.readline()
            await self.reader.readline()
            content = b"".join(parts)
        elif length is not None:
            content = await self.reader.readexactly(length)
        else:
            content = await self.reader.read()
            close = True
        if close:
            await self.close()
        return status, content, wait

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
            self.writer = None


async def send_all(base_url: str, requests: list[dict], concurrency: int) -> dict:
    url = urlsplit(base_url)
    path = url.path.rstrip("/") + "/chat/completions"
    host, port = url.hostname or "127.0.0.1", url.port or 80
    queue: Iterator[dict] = iter(requests)
    counts = {"ok": 0, "errors": 0, "retries": 0}

    async def attempt(connection: Connection, request: dict) -> tuple[bool, bool, float | None]:
        """(answered, worth retrying, the server's wait)"""
        body = json.dumps(request["body"]).encode()
        headers = {TAG_HEADER: request["tag"], "Authorization": "Bearer x"}
        try:
            status, content, wait = await connection.post(path, body, headers)
        except (OSError, ValueError, asyncio.IncompleteReadError):
            await connection.close()
            return False, True, None
        if status != 200:
            return False, status in RETRY_STATUSES, wait
        try:
            answer = json.loads(content)
        except ValueError:
            return False, True, None
        return bool(answer.get("choices")), True, None

    async def worker() -> None:
        connection = Connection(host, port)
        try:
            for request in queue:
                for tries in range(1, MAX_ATTEMPTS + 1):
                    ok, retryable, wait = await attempt(connection, request)
                    if ok or not retryable or tries == MAX_ATTEMPTS:
                        break
                    counts["retries"] += 1
                    backoff = min(30.0, 0.5 * 2 ** (tries - 1)) * random.uniform(0.5, 1.0)
                    await asyncio.sleep(wait if wait is not None else backoff)
                counts["ok" if ok else "errors"] += 1
        finally:
            await connection.close()

    await asyncio.gather(*(worker() for _ in range(min(concurrency, len(requests)))))
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.reference")
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--requests", type=Path, required=True)
    parser.add_argument("--concurrency", type=int, required=True)
    args = parser.parse_args(argv)
    requests = json.loads(args.requests.read_text(encoding="utf-8"))
    cpu, wall = time.process_time(), time.perf_counter()
    counts = asyncio.run(send_all(args.base_url, requests, args.concurrency))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(json.dumps({"wall_s": wall, "cpu_s": cpu, "requests": len(requests), **counts}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
