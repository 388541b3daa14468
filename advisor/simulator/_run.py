"""Running the simulator: in a background thread for tests, or as a process for benchmarks."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from advisor.errors import AdvisorError
from advisor.simulator._config import SimConfig
from advisor.simulator._server import Simulator, Stats

# Requests still sleeping out their latency at shutdown are cut off after this long.
_SHUTDOWN_TIMEOUT_S = 1.0


@dataclass(frozen=True)
class RunningSimulator:
    """A simulator that is listening."""

    base_url: str
    """What to give an OpenAI client as `base_url`, e.g. "http://127.0.0.1:PORT/v1"."""
    simulator: Simulator

    @property
    def stats(self) -> Stats:
        return self.simulator.stats


async def _start(simulator: Simulator, host: str, port: int) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(simulator.app(), access_log=None, shutdown_timeout=_SHUTDOWN_TIMEOUT_S)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
    except BaseException:
        await runner.cleanup()
        raise
    bound_port = runner.addresses[0][1]
    url_host = f"[{host}]" if ":" in host else host
    return runner, f"http://{url_host}:{bound_port}/v1"


@contextmanager
def running(
    config: SimConfig, host: str = "127.0.0.1", port: int = 0
) -> Iterator[RunningSimulator]:
    """Serve `config` from a thread with its own event loop until the block ends.

    A thread rather than the caller's loop, so that synchronous tests and clients that run their
    own loops (`asyncio.run`) can both use it. Port 0 picks a free port.
    """
    simulator = Simulator(config)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="advisor-simulator", daemon=True)
    thread.start()
    try:
        start = asyncio.run_coroutine_threadsafe(_start(simulator, host, port), loop)
        runner, base_url = start.result()
        try:
            yield RunningSimulator(base_url, simulator)
        finally:
            asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result()
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        loop.close()


async def _serve(
    simulator: Simulator, host: str, port: int, on_listening: Callable[[str], None]
) -> None:
    runner, base_url = await _start(simulator, host, port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        on_listening(base_url)
        await stop.wait()
    finally:
        await runner.cleanup()


def serve(
    config: SimConfig,
    host: str = "127.0.0.1",
    port: int = 0,
    on_listening: Callable[[str], None] = lambda base_url: None,
) -> None:
    """Serve `config` in this process until SIGINT or SIGTERM.

    Args:
        on_listening: called with the base URL once the port is bound, so that a caller can hand
            it on (the command line prints it for a parent process to read).
    """
    asyncio.run(_serve(Simulator(config), host, port, on_listening))


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m advisor.simulator --config FILE`: prints the base URL once listening."""
    parser = argparse.ArgumentParser(
        prog="python -m advisor.simulator",
        description="Serve simulated models through an OpenAI-compatible API.",
    )
    parser.add_argument("--config", type=Path, required=True, help="the simulator's TOML file")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback)")
    parser.add_argument("--port", type=int, default=0, help="port to bind (default: a free one)")
    args = parser.parse_args(argv)
    try:
        serve(
            SimConfig.from_toml(args.config),
            args.host,
            args.port,
            on_listening=lambda base_url: print(base_url, flush=True),
        )
    except AdvisorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except OSError as exc:
        print(f"error: cannot listen on {args.host}:{args.port}: {exc.strerror}", file=sys.stderr)
        return 2
    return 0
