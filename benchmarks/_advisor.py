"""The advisor side of a benchmark: `advisor evaluate`'s whole work, measured in its own process.

    python -m benchmarks._advisor run --study S --base-url U --out O [--concurrency N]
        [--warmup STUDY] [--profile FILE]
    python -m benchmarks._advisor dump --study S --base-url U --to FILE

`run` measures `run_study` (plan, run, score, analysis, files written: all `advisor evaluate` does
after start-up) with `time.perf_counter` and this process's rusage. Imports are warmed first by a
run of a small study, so that start-up (measured by the start-up benchmark) is not counted here.
`dump` writes the requests the advisor would send, for the reference client to send the same.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _options(study: Path, base_url: str, out: Path, concurrency: int | None):
    from advisor.evaluate import EvaluateOptions

    return EvaluateOptions(study, base_url=base_url, out=out, concurrency=concurrency)


def run(args: argparse.Namespace) -> dict:
    from advisor.evaluate import run_study

    if args.warmup:
        run_study(_options(args.warmup, args.base_url, args.out.with_name("warmup"), None))
    options = _options(args.study, args.base_url, args.out, args.concurrency)
    profiler = None
    if args.profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005, async_mode="disabled")
        profiler.start()
    cpu, wall = _cpu(), time.perf_counter()
    outcome = run_study(options)
    wall, cpu = time.perf_counter() - wall, _cpu() - cpu
    if profiler is not None:
        profiler.stop()
        args.profile.write_text(profiler.output_text(unicode=True, show_all=True))
    run_info = outcome.results.run
    answered = sum(c.metrics.n for c in outcome.results.candidates)
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "run_s": outcome.facts.duration_s,
        "requests": run_info.requests,
        "errors": run_info.errors,
        "answered": answered,
        "retries": run_info.retries,
        "rate_limited": run_info.rate_limited,
        "status": outcome.results.status,
    }


def dump(args: argparse.Namespace) -> dict:
    from advisor.evaluate import plan_run

    plan = plan_run(_options(args.study, args.base_url, args.to.with_name("dump-out"), None))
    requests = [{"tag": r.tag, "body": r.body} for r in plan.requests]
    args.to.write_text(json.dumps(requests), encoding="utf-8")
    return {"requests": len(requests)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks._advisor")
    parser.add_argument("what", choices=["run", "dump"])
    parser.add_argument("--study", type=Path, required=True)
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--to", type=Path)
    parser.add_argument("--concurrency", type=int)
    parser.add_argument("--warmup", type=Path)
    parser.add_argument("--profile", type=Path)
    args = parser.parse_args(argv)
    result = run(args) if args.what == "run" else dump(args)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
