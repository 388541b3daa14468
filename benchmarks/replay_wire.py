"""The replay wire in process: the shipped example from opening the wire to the last answer.

    python -m benchmarks.replay_wire              # 5 repetitions of each, interleaved
    python -m benchmarks.replay_wire --repeats 9

What `advisor evaluate studies/support-tickets.toml --replay` spends between its plan and its
analysis, timed inside the process (each repetition a fresh process, the plan made before the
clock starts): `wire` is `open_wire` (loading the fixtures, checking every request against them)
and the runner answering the 1,800 requests and the models listings through the replay
transport; `floor` is the same runner and clients over a transport that answers every request
with one canned recorded response, no fixtures: what the runner and client cost by themselves.
Prints the median and range of wall and CPU seconds of each.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STUDY = ROOT / "studies" / "support-tickets.toml"


def _once(kind: str) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        return _timed(kind, Path(tmp) / "run")


def _timed(kind: str, out: Path) -> dict[str, float]:
    from advisor.evaluate import EvaluateOptions, Wire, open_wire, run_requests
    from advisor.fixtures import FixtureStore, recorded_as_of
    from advisor.folders import fixtures_folder
    from advisor.plan import plan_run
    from advisor.record import replayed
    from advisor.reply import Reply
    from advisor.runner import VirtualClock
    from advisor.study import load_study

    study = load_study(STUDY)
    folder = fixtures_folder(STUDY, study.name, None)
    options = EvaluateOptions(STUDY, "replay", out=out, as_of=recorded_as_of(folder))
    plan = plan_run(options, study)
    concurrency = study.run.concurrency
    if kind == "floor":
        answer = next(
            attempts[-1]
            for attempts in FixtureStore(folder).by_key.values()
            if attempts[-1].status == 200 and attempts[-1].tag != "models"
        )

        class Canned:
            async def exchange(self, *request: object) -> Reply:
                return replayed(answer)

            async def aclose(self) -> None:
                pass

        urls = {arm.base_url for arm in plan.arms}
        wire = Wire("replay", dict.fromkeys(urls, Canned()), clock=VirtualClock())
    started, cpu = time.perf_counter(), time.process_time()
    if kind == "wire":
        with open_wire(plan, "replay", folder, concurrency) as wire:
            asyncio.run(run_requests(plan, wire, concurrency, lambda p: None))
    else:
        asyncio.run(run_requests(plan, wire, concurrency, lambda p: None))
    return {"wall": time.perf_counter() - started, "cpu": time.process_time() - cpu}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.replay_wire", description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--once", choices=["wire", "floor"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.once:
        print(json.dumps(_once(args.once)))
        return 0
    runs: dict[str, list[dict[str, float]]] = {"wire": [], "floor": []}
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for _ in range(args.repeats):
        for kind in runs:
            command = [sys.executable, "-m", "benchmarks.replay_wire", "--once", kind]
            done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, check=True)
            runs[kind].append(json.loads(done.stdout))
    print(f"load average {os.getloadavg()[0]:.2f}; median [range] of {args.repeats}, seconds")
    for kind, found in runs.items():
        figures = []
        for measure in ("wall", "cpu"):
            values = [run[measure] for run in found]
            low, high = min(values), max(values)
            figures.append(f"{measure} {statistics.median(values):.3f} [{low:.3f}-{high:.3f}]")
        print(f"{kind:6s} " + "  ".join(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
