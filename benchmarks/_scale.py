"""What holds the memory of an `advisor evaluate` run at its peak, by tracemalloc.

    python -m benchmarks._scale FILE ARGS...     # ARGS: as for `advisor evaluate`

A thread watches the traced memory every 0.25 s and takes a snapshot each time it passes its
highest by 25%; FILE gets the biggest holders of the last (highest) snapshot, by line and by
traceback (SCALE_TRACE_FRAMES deep, default 4). Tracing makes the run several times slower: use
it on a smaller eval set than the scale benchmark's, or on a run folder whose cache already holds
the answers (the end of a run is then all that is left to trace).
"""

from __future__ import annotations

import os
import sys
import threading
import tracemalloc


def _watch(stop: threading.Event, best: dict) -> None:
    while not stop.wait(0.25):
        current, _ = tracemalloc.get_traced_memory()
        if current > best.get("size", 0) * 1.25:
            best["snapshot"] = tracemalloc.take_snapshot()
            best["size"] = tracemalloc.get_traced_memory()[0]


def _report(path: str, best: dict) -> None:
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
    trace, argv = argv[0], argv[1:]
    tracemalloc.start(int(os.environ.get("SCALE_TRACE_FRAMES", "4")))
    from advisor.cli import main as cli_main

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
