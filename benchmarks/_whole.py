"""Whole commands timed as users feel them: from launch to exit, with the server's stopwatch.

Each run is a process of its own. Beside its wall time and CPU (the child's rusage), the
simulator's marks (`benchmarks._sim`) split it in three: start-up (launch to the first request
the server saw), the requests (first request to last answer) and the tail (last answer to exit).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks._setup import child_env


def read_marks(base_url: str, pid: int | None = None) -> dict[str, Any]:
    """The simulator's marks since they were last read (reading resets them, and names the
    process whose CPU the next marks read)."""
    root = base_url.rsplit("/v1", 1)[0]
    query = f"?pid={pid}" if pid else ""
    with urllib.request.urlopen(f"{root}/bench/marks{query}", timeout=10) as answer:
        return json.loads(answer.read())


def whole_command(argv: Sequence[str], base_url: str, cwd: Path) -> dict[str, Any]:
    """Run `argv` to its end; wall and CPU seconds, its stdout, and where its time went."""
    log = cwd / "whole-stdout.log"
    env = child_env()
    with log.open("wb") as stdout:
        launched, started = time.time(), time.perf_counter()
        proc = subprocess.Popen(argv, cwd=cwd, stdout=stdout, stderr=subprocess.DEVNULL, env=env)
        read_marks(base_url, proc.pid)  # long before the child's first request: Python starts
        _, status, usage = os.wait4(proc.pid, 0)
        wall, exited = time.perf_counter() - started, time.time()
    proc.returncode = os.waitstatus_to_exitcode(status)
    marks = read_marks(base_url)
    first, last = marks["first_request"], marks["last_answer"]
    return {
        "wall_s": wall,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "exit": proc.returncode,
        "stdout": log.read_text(encoding="utf-8", errors="replace"),
        "chat_requests": marks["chat_requests"],
        "first_request_s": None if first is None else first - launched,
        "requests_s": None if first is None else last - first,
        "tail_s": None if last is None else exited - last,
        "first_request_cpu_s": marks["first_request_cpu"],
        "tail_cpu_s": (
            None
            if marks["last_answer_cpu"] is None
            else usage.ru_utime + usage.ru_stime - marks["last_answer_cpu"]
        ),
    }


def reference_command(base_url: str, requests: Path, concurrency: int, cwd: Path) -> dict:
    """The reference client, as a process, and what it printed."""
    argv = [sys.executable, "-m", "benchmarks.reference", "--base-url", base_url]
    run = whole_command(
        [*argv, "--requests", str(requests), "--concurrency", str(concurrency)], base_url, cwd
    )
    if run["exit"] != 0:
        raise RuntimeError(f"the reference client failed ({run['exit']}): {run['stdout'][-2000:]}")
    printed = json.loads(run["stdout"].strip().splitlines()[-1])
    return {**run, "stdout": "", "errors": printed["errors"], "retries": printed["retries"]}


def advisor_command(
    advisor: Sequence[str], study: Path, base_url: str, out: Path, concurrency: int
) -> dict:
    """`advisor evaluate STUDY` whole, into a new run folder (nothing from a cache)."""
    argv = [*advisor, "evaluate", str(study), "--base-url", base_url, "--out", str(out)]
    run = whole_command([*argv, "--concurrency", str(concurrency)], base_url, study.parent)
    results_file = out / "results.json"
    if not results_file.exists():
        raise RuntimeError(f"advisor evaluate failed ({run['exit']}): {run['stdout'][-2000:]}")
    info = json.loads(results_file.read_text(encoding="utf-8"))["run"]
    return {
        **run,
        "stdout": "",
        "errors": info["errors"],
        "retries": info["retries"],
        "rate_limited": info["rate_limited"],
    }
