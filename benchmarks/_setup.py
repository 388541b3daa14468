"""What every benchmark needs: a generated study in a temp folder, and the simulator as a process.

The simulator runs as a separate process on 127.0.0.1 (`python -m advisor.simulator`), so its CPU
is not counted in the advisor's; the advisor and the reference client each run in a process of
their own too, so that the rusage of each is its own work alone.
"""

from __future__ import annotations

import json
import os
import platform
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def child_env() -> dict[str, str]:
    """The environment of every measured process: the advisor beside these benchmarks
    (PYTHONPATH), its bytecode cached as on a user's machine.

    A sandbox may set PYTHONDONTWRITEBYTECODE=1 (this one does): each start then compiled the
    advisor's own modules from source again, about a quarter of a second that an installed copy
    never pays (pip compiles a wheel's modules; an editable copy writes `__pycache__`, which git
    ignores, on its first run). The first run of a benchmark writes it; the standard library's
    and the installed packages' bytecode is already there.
    """
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


RESULTS = Path(__file__).resolve().parent / "results"
MODEL = "gpt-4o-mini-2024-07-18"
LABELS = ["billing", "bug", "account", "other"]
TEMPLATE = (
    "<|system|>\nYou route support tickets to one of: billing, bug, account, other. "
    "Answer with the queue name only.\n<|user|>\nTicket: {{ text }}\n"
)


@dataclass(frozen=True)
class Workspace:
    folder: Path
    study: Path
    examples: int

    def sim_config(
        self,
        *,
        latency_ms: float,
        rpm: int | None = None,
        fault_rate: float = 0.0,
        retry_after_s: float = 1.0,
    ) -> Path:
        """A simulator TOML beside the study; returns its path."""
        lines = [
            'key_pattern = "Ticket: (.*)"',
            f"labels = {json.dumps(LABELS)}",
        ]
        if rpm:
            lines.append(f"rpm = {rpm}")
        lines += [
            "[answer_file]",
            'path = "ev.jsonl"',
            'key_field = "text"',
            'answer_field = "label"',
            f'[models."{MODEL}"]',
            "accuracy = 0.9",
            f"latency_ms = {latency_ms}",
        ]
        if fault_rate:
            lines += ["[faults]", f"rate = {fault_rate}", f"retry_after_s = {retry_after_s}"]
        name = f"sim-{latency_ms:g}ms-{rpm or 0}rpm-{fault_rate:g}f.toml"
        path = self.folder / name
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path


def make_workspace(folder: Path, examples: int, concurrency: int = 16) -> Workspace:
    """An eval set of `examples` tickets, a one-line template and a one-candidate study."""
    rng = random.Random(8)
    topics = ["an invoice", "a crash", "a login", "a question", "a refund", "an export"]
    rows = [
        {
            "id": f"b{i:05d}",
            "text": f"ticket {i}: about {rng.choice(topics)} on plan {rng.randint(1, 9)}",
            "label": rng.choice(LABELS),
        }
        for i in range(examples)
    ]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "ev.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    (folder / "route.jinja").write_text(TEMPLATE, encoding="utf-8")
    study = folder / "study.toml"
    study.write_text(
        "\n".join(
            [
                'name = "bench"',
                "as_of = 2026-11-28",
                "[evalset]",
                'path = "ev.jsonl"',
                'inputs = ["text"]',
                'expected = "label"',
                "[scorer]",
                'type = "label"',
                f"labels = {json.dumps(LABELS)}",
                "[[candidates]]",
                'name = "incumbent"',
                'role = "incumbent"',
                f'model = "{MODEL}"',
                'template = "route.jinja"',
                "params = { temperature = 0, max_tokens = 5 }",
                "[traffic]",
                "calls_per_day = 10000",
                "[run]",
                f"concurrency = {concurrency}",
                "",
            ]
        ),
        encoding="utf-8",
    )
    return Workspace(folder, study, examples)


@contextmanager
def temp_folder(prefix: str = "advisor-bench-") -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix=prefix) as name:
        yield Path(name)


@dataclass(frozen=True)
class Sim:
    """A simulator process that is listening."""

    url: str
    pid: int

    def cpu_s(self) -> float:
        """CPU seconds the simulator has used so far (user + system, from /proc)."""
        try:
            fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return float("nan")
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def simulator(config: Path) -> Iterator[Sim]:
    """The simulator (`benchmarks._sim`: `python -m advisor.simulator` with a stopwatch) in its
    own process, on 127.0.0.1."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "benchmarks._sim", "--config", str(config), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        if not line.startswith("http"):
            raise RuntimeError(f"the simulator did not start: {line} {proc.stderr.read()}")
        yield Sim(line, proc.pid)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def run_json(argv: Sequence[str], cwd: Path | None = None) -> dict[str, Any]:
    """Run a measuring worker and return the JSON object it prints last."""
    env = child_env()
    done = subprocess.run(
        [sys.executable, *argv],
        capture_output=True,
        text=True,
        cwd=cwd or ROOT,
        env=env,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def timed_command(argv: Sequence[str], cwd: Path | None = None) -> dict[str, float]:
    """Wall and CPU time (user + system, from the child's rusage) of one whole command.

    The `advisor` script imports the package from PYTHONPATH=ROOT, like every other process
    here: the code beside these benchmarks, not whichever copy is installed."""
    env = child_env()
    started = time.perf_counter()
    proc = subprocess.Popen(
        argv, cwd=cwd or ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    return {"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime, "exit": proc.returncode}


def spread(values: Sequence[float]) -> dict[str, float]:
    """Median, min and max of repeated measurements."""
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
    }


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine() -> dict[str, Any]:
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "nproc": os.cpu_count(),
        "cpu": cpu_model(),
        "python": platform.python_version(),
        "load_before": list(os.getloadavg()),
    }


def save(name: str, data: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    data = {**data, "load_after": list(os.getloadavg())}
    path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    return path


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A small aligned text table (also valid Markdown)."""
    cells = [[str(h) for h in headers], *[[_fmt(v) for v in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(cells[0]), rule, *(line(r) for r in cells[1:])])


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 100 else f"{value:,.0f}"
    return str(value)
