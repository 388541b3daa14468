"""The chance it pays at scale: 100,000 examples x 10,000 bootstrap draws, time and peak memory.

    python -m benchmarks.chance                 # 100,000 examples, 10,000 draws
    python -m benchmarks.chance --examples 1000

Runs `advisor.chance.chance` once in this process on a generated paired eval (pass/fail scores,
costs per call varying by example) against a fine-tune with a retrain every 6 months over 730
days, so the payback walks several segments; prints wall time, CPU time and the process's peak
resident memory (the whole process: Python, numpy and the data), against the 1 GB bound.
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np

from advisor.chance import PairedExamples, TrafficRanges, chance
from advisor.economics import Scenario, months_to_days


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.chance", description=__doc__)
    parser.add_argument("--examples", type=int, default=100_000)
    parser.add_argument("--draws", type=int, default=10_000)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    n = args.examples
    paired = PairedExamples(
        (rng.random(n) < 0.90).astype(float),
        (rng.random(n) < 0.91).astype(float),
        0.002 + 0.0005 * rng.standard_normal(n).clip(-3, 3),
        0.0005 + 0.0001 * rng.standard_normal(n).clip(-3, 3),
    )
    s = Scenario(
        10_000,
        0.002,
        0.0005,
        training_cost=2_000,
        update_every_days=months_to_days(6),
        hosting_per_hour=0.05,
        monthly_growth=0.02,
    )
    ranges = TrafficRanges(calls_per_day=(5_000, 20_000), monthly_growth=(0.0, 0.05))
    wall, cpu = time.perf_counter(), time.process_time()
    p = chance(s, paired, margin=0.02, seed=1, ranges=ranges, n_draws=args.draws)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{n:,} examples x {args.draws:,} draws: {wall:.1f} s wall, {cpu:.1f} s CPU")
    print(f"peak RSS of the whole process {peak_mb:,.0f} MB (bound: 1,024 MB)")
    print(f"P(payback within the horizon) {p.payback_within_horizon:.3f}, median {p.payback_p50}")
    return 0 if peak_mb < 1024 else 1


if __name__ == "__main__":
    raise SystemExit(main())
