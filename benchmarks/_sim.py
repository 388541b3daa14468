"""The simulator with a stopwatch, for timing whole commands from the server's side.

    python -m benchmarks._sim --config FILE      # prints the base URL once listening

It is `python -m advisor.simulator` plus one route, `GET /bench/marks`, which answers (and
resets) when the first chat request arrived and when the last chat answer left, in Unix time.
A benchmark compares them with the time it launched a client and the time the client exited: how
long start-up kept the first request waiting, and how long the client took after its last answer.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from aiohttp import web

from advisor.simulator import SimConfig, Simulator

MARKS_PATH = "/bench/marks"


@dataclass
class Marks:
    first_request: float | None = None
    """Unix time the first chat request arrived."""
    last_answer: float | None = None
    """Unix time the last chat answer (or error) was handed to the server to send."""
    chat_requests: int = 0

    def reset(self) -> None:
        self.first_request = self.last_answer = None
        self.chat_requests = 0


def _app(config: SimConfig) -> web.Application:
    marks = Marks()

    @web.middleware
    async def stopwatch(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        if not request.path.endswith("/chat/completions"):
            return await handler(request)
        if marks.first_request is None:
            marks.first_request = time.time()
        marks.chat_requests += 1
        try:
            return await handler(request)
        finally:
            marks.last_answer = time.time()

    async def read_marks(request: web.Request) -> web.StreamResponse:
        answer = web.json_response(asdict(marks))
        marks.reset()
        return answer

    app = Simulator(config).app()
    app.middlewares.insert(0, stopwatch)
    app.router.add_get(MARKS_PATH, read_marks)
    return app


async def _serve(config: SimConfig, port: int) -> None:
    runner = web.AppRunner(_app(config), access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    print(f"http://127.0.0.1:{runner.addresses[0][1]}/v1", flush=True)
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks._sim")
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    asyncio.run(_serve(SimConfig.from_toml(args.config), args.port))
    return 0


if __name__ == "__main__":
    sys.exit(main())
