"""The simulator with a stopwatch, for timing whole commands from the server's side.

    python -m benchmarks._sim --config FILE      # prints the base URL once listening

It is `python -m advisor.simulator` plus one route, `GET /bench/marks[?pid=N]`, which answers
(and resets) when the first chat request arrived and when the last chat answer left, in Unix
time. A benchmark compares them with the time it launched a client and the time the client
exited: how long start-up kept the first request waiting, and how long the client took after its
last answer. Given the client's pid, the marks also hold the CPU seconds the client had used at
those two moments (from /proc), which other work on a shared machine moves much less than wall
time.
"""

from __future__ import annotations

import argparse
import asyncio
import os
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
    pid: int | None = None
    """The client whose CPU is read at the first request and the last answer."""
    first_request_cpu: float | None = None
    last_answer_cpu: float | None = None

    def reset(self, pid: int | None) -> None:
        self.first_request = self.last_answer = None
        self.first_request_cpu = self.last_answer_cpu = None
        self.chat_requests = 0
        self.pid = pid

    def cpu(self) -> float | None:
        """CPU seconds (user + system) the client has used so far."""
        if self.pid is None:
            return None
        try:
            fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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
            marks.first_request_cpu = marks.cpu()
        marks.chat_requests += 1
        try:
            return await handler(request)
        finally:
            marks.last_answer = time.time()
            marks.last_answer_cpu = marks.cpu()

    async def read_marks(request: web.Request) -> web.StreamResponse:
        answer = web.json_response(asdict(marks))
        pid = request.query.get("pid")
        marks.reset(int(pid) if pid and pid.isdigit() else None)
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
