"""The scale benchmark's worker: `advisor evaluate ... --batch` as a whole command, with fast polls.

    python -m benchmarks._scale ARGS...        # the same arguments as `advisor evaluate`
    python -m benchmarks._scale --tracemalloc FILE ARGS...   # and what holds the memory at the peak

The CLI has no poll-interval option and the Batch API path waits 30 s before its second poll; the
simulator moves its batches one stage per poll, so this runs the CLI's `evaluate` in-process with
`advisor.batch.BatchOptions` given a 0.05 s poll interval (as tests/test_batch_cli.py does).
Everything else is the command a user runs. The measuring parent reads this process's peak RSS
from its rusage.

With --tracemalloc, a thread watches the traced memory every 0.25 s and takes a snapshot each time
it passes its highest by 25%; FILE gets the biggest holders of the last (highest) snapshot, by line
and by traceback. Tracing makes the run several times slower: use it on a smaller eval set.
"""

from __future__ import annotations

import os
import sys
import threading
from functools import partial


def _watch(stop: threading.Event, best: dict) -> None:
    import tracemalloc

    while not stop.wait(0.25):
        current, _ = tracemalloc.get_traced_memory()
        if current > best.get("size", 0) * 1.25:
            best["snapshot"] = tracemalloc.take_snapshot()
            best["size"] = tracemalloc.get_traced_memory()[0]


def _report(path: str, best: dict) -> None:
    import tracemalloc

    _, peak = tracemalloc.get_traced_memory()
    snap = best.get("snapshot")
    lines = [f"traced peak {peak / 1e6:.0f} MB; snapshot at {best.get('size', 0) / 1e6:.0f} MB"]
    if snap is not None:
        snap = snap.filter_traces([tracemalloc.Filter(False, tracemalloc.__file__)])
        lines.append("\n## by line\n")
        for stat in snap.statistics("lineno")[:20]:
            frame = stat.traceback[0]
            lines.append(
                f"{stat.size / 1e6:8.1f} MB {stat.count:9d} blocks  {frame.filename}:{frame.lineno}"
            )
        lines.append("\n## by traceback (top 8)\n")
        for stat in snap.statistics("traceback")[:8]:
            lines.append(f"{stat.size / 1e6:8.1f} MB {stat.count:9d} blocks")
            lines += [f"      {line}" for line in stat.traceback.format(most_recent_first=True)]
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


def main(argv: list[str]) -> int:
    trace = None
    if argv[:1] == ["--tracemalloc"]:
        trace, argv = argv[1], argv[2:]
        import tracemalloc

        tracemalloc.start(int(os.environ.get("SCALE_TRACE_FRAMES", "4")))
    import advisor.batch
    from advisor.cli import main as cli_main

    advisor.batch.BatchOptions = partial(advisor.batch.BatchOptions, poll_interval=0.05)
    if trace is None:
        return cli_main(["evaluate", *argv])
    stop, best = threading.Event(), {}
    watcher = threading.Thread(target=_watch, args=(stop, best), daemon=True)
    watcher.start()
    try:
        return cli_main(["evaluate", *argv])
    finally:
        stop.set()
        watcher.join()
        _report(trace, best)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
