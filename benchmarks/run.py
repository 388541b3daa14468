"""Run the advisor's benchmarks: `python -m benchmarks.run NAME... [--repeats N] [--update-readme]`.

    throughput  500 examples x 1 candidate, 200 ms latency, concurrency 16 and 64: the whole
                `advisor evaluate` command against the reference client, both as processes
                timed from launch to exit (with start-up and tail from the server's side), and
                the advisor's in-process figure beside them; interleaved, median of N
    overhead    the same with zero latency: the advisor's own cost per example
    faults      10% injected faults of every kind (429 with Retry-After, 500, 503, dropped
                connections, malformed JSON), concurrency 16: the whole command against the
                reference client (which retries each request alone), examples lost, wall time
    ratelimit   the simulator's token bucket at 600 requests a minute, 300 requests: achieved rate
                as a share of the limit, 429s received, examples lost
    replay      `advisor evaluate studies/support-tickets.toml --replay`, the whole command
    startup     `advisor --help` against `python -c "import openai"`
    scale       100,000 examples x 1 candidate, zero latency, concurrency 64, synchronous and
                --batch: wall time and peak RSS of the whole command (target: under 1 GB)
    all         every one of them, in that order

The simulator runs as its own process on 127.0.0.1; the advisor and the reference client each run
in a process of their own. Each benchmark prints a table and writes benchmarks/results/NAME.json;
`--update-readme` also writes the tables into benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks._setup import (
    ROOT,
    child_env,
    machine,
    make_workspace,
    run_json,
    save,
    simulator,
    spread,
    table,
    temp_folder,
    timed_command,
)
from benchmarks._whole import advisor_command, reference_command

README = Path(__file__).resolve().parent / "README.md"
START, END = "<!-- figures:start -->", "<!-- figures:end -->"
EXAMPLES = 500
LATENCY_MS = 200.0
CONCURRENCIES = (16, 64)


def _advisor(ws_study: Path, warm: Path, url: str, out: Path, concurrency: int | None) -> dict:
    argv = ["-m", "benchmarks._advisor", "run", "--study", str(ws_study), "--base-url", url]
    argv += ["--out", str(out), "--warmup", str(warm)]
    if concurrency:
        argv += ["--concurrency", str(concurrency)]
    return run_json(argv, cwd=ws_study.parent)


REFERENCE, COMMAND, IN_PROCESS = "reference client", "advisor evaluate", "advisor, in-process"


def _dump_requests(study: Path, url: str, to: Path) -> Path:
    """The bodies the advisor sends, for the reference client to send the same."""
    argv = ["-m", "benchmarks._advisor", "dump", "--study", str(study), "--base-url", url]
    run_json([*argv, "--to", str(to)], cwd=study.parent)
    return to


def _head_to_head(latency_ms: float, repeats: int) -> dict[str, Any]:
    """Reference client, advisor command, advisor in-process, again... at each concurrency.

    The two first are whole processes timed from launch to exit; the third is `run_study` timed
    inside an already-started, warmed process. One untimed run of each process first, so that
    both find the file cache warm (and the advisor its parsed eval set, as a rerun does).
    """
    runs: dict[int, dict[str, list[dict]]] = {}
    with temp_folder() as tmp:
        ws = make_workspace(tmp / "ws", EXAMPLES)
        warm = make_workspace(tmp / "warm", 8)
        advisor = _advisor_command()
        with simulator(ws.sim_config(latency_ms=latency_ms)) as sim:
            url = sim.url
            requests = _dump_requests(ws.study, url, tmp / "requests.json")
            reference_command(url, requests, 64, tmp)
            advisor_command(advisor, ws.study, url, tmp / "out-warm", 64)
            for concurrency in CONCURRENCIES:
                by_client = runs[concurrency] = {REFERENCE: [], COMMAND: [], IN_PROCESS: []}
                for i in range(repeats):
                    before = sim.cpu_s()
                    ref = reference_command(url, requests, concurrency, tmp)
                    by_client[REFERENCE].append({**ref, "simulator_cpu_s": sim.cpu_s() - before})
                    out = tmp / f"out-{concurrency}-{i}"
                    by_client[COMMAND].append(
                        advisor_command(advisor, ws.study, url, out, concurrency)
                    )
                    out = tmp / f"in-{concurrency}-{i}"
                    by_client[IN_PROCESS].append(
                        _advisor(ws.study, warm.study, url, out, concurrency)
                    )
    summary = []
    for concurrency, by_client in runs.items():
        ideal = EXAMPLES * latency_ms / 1000 / concurrency
        ref = by_client[REFERENCE]
        clients = {}
        for client, rs in by_client.items():
            row: dict[str, Any] = {
                "wall_s": spread([r["wall_s"] for r in rs]),
                "cpu_ms_per_request": spread([1000 * r["cpu_s"] / EXAMPLES for r in rs]),
                "requests_per_s": spread([EXAMPLES / r["wall_s"] for r in rs]),
                "wall_ratio": spread(
                    [r["wall_s"] / b["wall_s"] for r, b in zip(rs, ref, strict=True)]
                ),
                "errors": sum(r["errors"] for r in rs),
            }
            parts = ("first_request_s", "requests_s", "tail_s", "first_request_cpu_s", "tail_cpu_s")
            for part in parts:
                if all(r.get(part) is not None for r in rs):
                    row[part] = spread([r[part] for r in rs])
            if ideal:
                row["share_of_ideal"] = spread([ideal / r["wall_s"] for r in rs])
            clients[client] = row
        summary.append(
            {
                "concurrency": concurrency,
                "requests": EXAMPLES,
                "ideal_s": ideal,
                "clients": clients,
                "simulator_cpu_ms_per_request": spread(
                    [1000 * r["simulator_cpu_s"] / EXAMPLES for r in ref]
                ),
            }
        )
    return {"latency_ms": latency_ms, "repeats": repeats, "summary": summary, "runs": runs}


def _m(s: dict[str, float] | None, scale: float = 1.0) -> str:
    """median [min-max]"""
    if s is None:
        return "-"
    return f"{s['median'] * scale:.3g} [{s['min'] * scale:.3g}-{s['max'] * scale:.3g}]"


def _head_table(data: dict[str, Any]) -> str:
    with_ideal = data["latency_ms"] > 0
    headers = ["concurrency", "client", "wall s", "first request s", "after last answer s"]
    headers += ["CPU ms/req", "CPU to first request s", "CPU after last answer s"]
    headers += [*(["share of ideal"] if with_ideal else []), "wall / reference"]
    rows = []
    for s in data["summary"]:
        for client, c in s["clients"].items():
            row = [s["concurrency"], client, _m(c["wall_s"]), _m(c.get("first_request_s"))]
            row += [_m(c.get("tail_s")), _m(c["cpu_ms_per_request"])]
            row += [_m(c.get("first_request_cpu_s")), _m(c.get("tail_cpu_s"))]
            if with_ideal:
                row.append(_m(c["share_of_ideal"]))
            row.append("" if client == REFERENCE else _m(c["wall_ratio"]))
            rows.append(row)
    notes = [
        f"concurrency {s['concurrency']}: the simulator's CPU "
        f"{_m(s['simulator_cpu_ms_per_request'])} ms per request (reference runs); "
        "requests in error: "
        + ", ".join(f"{client} {c['errors']}" for client, c in s["clients"].items())
        for s in data["summary"]
    ]
    return table(headers, rows) + "\n\n" + "\n".join(f"- {n}" for n in notes)


def throughput(repeats: int) -> tuple[dict, str]:
    data = _head_to_head(LATENCY_MS, repeats)
    note = (
        f"{EXAMPLES} examples x 1 candidate, {LATENCY_MS:g} ms latency; median [min-max] of "
        f"{repeats}, interleaved (reference client, advisor evaluate, advisor in-process, "
        "again). The reference client and `advisor evaluate` are whole processes, timed from "
        "launch to exit, CPU from their rusage; first request and after last answer: from "
        "launch to the first request the server saw, and from the last answer it sent to the "
        "exit, in wall time and in the client's CPU (read from /proc by the server at those "
        "moments, in clock ticks of 10 ms: less moved by other work on the machine). In-process: "
        "`run_study` (plan, run, score, analysis, files) timed inside a "
        "started, warmed process, as benchmarks measured before. Ideal = requests x latency / "
        "concurrency."
    )
    at64 = next(row for row in data["summary"] if row["concurrency"] == 64)
    command, reference = at64["clients"][COMMAND], at64["clients"][REFERENCE]
    data["targets"] = targets = {
        "advisor evaluate at most 1.15x the reference client's wall (concurrency 64)": (
            command["wall_ratio"]["median"] <= 1.15
        ),
        "advisor evaluate at most 1.2 ms CPU per request (concurrency 64)": (
            command["cpu_ms_per_request"]["median"] <= 1.2
        ),
        "first request within 0.25 s of launch": command["first_request_s"]["median"] <= 0.25,
        "everything written within 0.1 s of the last answer": command["tail_s"]["median"] <= 0.1,
        "reference at least 90% of the ideal rate (concurrency 64)": (
            reference["share_of_ideal"]["median"] >= 0.9
        ),
    }
    return data, note + "\n\n" + _head_table(data) + _targets(targets)


def _targets(targets: dict[str, bool]) -> str:
    return "\n\nTargets (on the medians): " + "; ".join(
        f"{name}: {'met' if ok else 'MISSED'}" for name, ok in targets.items()
    )


def overhead(repeats: int) -> tuple[dict, str]:
    data = _head_to_head(0.0, repeats)
    note = (
        f"{EXAMPLES} examples x 1 candidate, zero latency: the advisor's own cost per example; "
        f"median [min-max] of {repeats}, interleaved."
    )
    return data, note + "\n\n" + _head_table(data)


def _fresh_sim_runs(
    repeats: int, concurrency: int, examples: int, **behaviour: Any
) -> tuple[list[dict], int]:
    """Each repeat against a new simulator process (faults and buckets start anew)."""
    results = []
    with temp_folder() as tmp:
        ws = make_workspace(tmp / "ws", examples)
        warm = make_workspace(tmp / "warm", 8)
        for i in range(repeats):
            config = ws.sim_config(**behaviour)
            with simulator(config) as sim:
                url = sim.url
                out = tmp / f"out-{i}"
                argv = ["-m", "benchmarks._advisor", "run", "--study", str(ws.study)]
                argv += ["--base-url", url, "--out", str(out), "--concurrency", str(concurrency)]
                results.append(run_json([*argv, "--warmup", str(warm.study)], cwd=ws.folder))
    return results, examples


FAULTS_CONCURRENCY = 16


def faults(repeats: int) -> tuple[dict, str]:
    """Reference client and advisor command, each against a new simulator (faults are counted
    per request body, so a second client at the same simulator would meet none)."""
    n, concurrency = EXAMPLES, FAULTS_CONCURRENCY
    runs: dict[str, list[dict]] = {REFERENCE: [], COMMAND: []}
    with temp_folder() as tmp:
        ws = make_workspace(tmp / "ws", n)
        config = ws.sim_config(latency_ms=LATENCY_MS, fault_rate=0.1)
        advisor = _advisor_command()
        with simulator(ws.sim_config(latency_ms=LATENCY_MS)) as sim:
            requests = _dump_requests(ws.study, sim.url, tmp / "requests.json")
        for i in range(repeats):
            with simulator(config) as sim:
                runs[REFERENCE].append(reference_command(sim.url, requests, concurrency, tmp))
            with simulator(config) as sim:
                out = tmp / f"out-{i}"
                runs[COMMAND].append(advisor_command(advisor, ws.study, sim.url, out, concurrency))
    ref = runs[REFERENCE]
    summary = {
        client: {
            "wall_s": spread([r["wall_s"] for r in rs]),
            "wall_ratio": spread([r["wall_s"] / b["wall_s"] for r, b in zip(rs, ref, strict=True)]),
            "lost": sum(r["errors"] for r in rs),
            "retries": spread([r["retries"] for r in rs]),
            "rate_limited": spread([r["rate_limited"] for r in rs if "rate_limited" in r] or [0]),
        }
        for client, rs in runs.items()
    }
    rows = [
        [
            client,
            f"{s['lost']} of {n * len(runs[client])}",
            _m(s["retries"]),
            _m(s["wall_s"]),
            "" if client == REFERENCE else _m(s["wall_ratio"]),
        ]
        for client, s in summary.items()
    ]
    text = (
        f"{n} examples x 1 candidate, concurrency {concurrency}, {LATENCY_MS:g} ms latency; 10% "
        "of attempts fail (429 with Retry-After 1 s, 500, 503, dropped connection, malformed "
        "JSON; at most 2 per request), each run against a new simulator; whole processes, "
        f"interleaved, median [min-max] of {repeats}. The reference client retries each failed "
        "request alone, after the server's Retry-After or a 0.5 s backoff; the advisor met "
        f"{_m(summary[COMMAND]['rate_limited'])} 429s a run.\n\n"
        + table(["client", "lost", "retries", "wall s", "wall / reference"], rows)
    )
    targets = {
        "advisor evaluate at most 1.3x the reference client's wall": (
            summary[COMMAND]["wall_ratio"]["median"] <= 1.3
        ),
        "nothing lost": summary[COMMAND]["lost"] == 0,
    }
    data = {"summary": summary, "runs": runs, "targets": targets, "concurrency": concurrency}
    return data, text + _targets(targets)


def ratelimit(repeats: int) -> tuple[dict, str]:
    rpm, n, concurrency = 600, 300, 16
    runs, _ = _fresh_sim_runs(repeats, concurrency, n, latency_ms=LATENCY_MS, rpm=rpm)
    limit = rpm / 60
    share = [n / r["run_s"] / limit for r in runs]
    summary = {
        "rpm": rpm,
        "requests": n,
        "concurrency": concurrency,
        "share_of_limit": spread(share),
        "rate_limited": spread([r["rate_limited"] for r in runs]),
        "lost": [r["errors"] for r in runs],
        "run_s": spread([r["run_s"] for r in runs]),
        "ideal_s": n / limit,
    }
    rows = [
        [
            n,
            concurrency,
            rpm,
            _m(summary["run_s"]),
            _m(summary["share_of_limit"], 100),
            _m(summary["rate_limited"]),
            f"{sum(summary['lost'])} of {n * len(runs)}",
        ]
    ]
    text = (
        f"The simulator's token bucket at {rpm} requests a minute (1 s burst), {LATENCY_MS:g} ms "
        f"latency; a new simulator for each of {repeats} runs; rate = requests / duration of the "
        "run's requests; median [min-max].\n\n"
        + table(["requests", "concurrency", "rpm", "run s", "% of limit", "429s", "lost"], rows)
    )
    targets = {
        "at least 96% of the limit": summary["share_of_limit"]["median"] >= 0.96,
        "nothing lost": sum(summary["lost"]) == 0,
    }
    return {"summary": summary, "runs": runs, "targets": targets}, text + _targets(targets)


def _advisor_command() -> list[str]:
    """The `advisor` script installed beside this Python (not a version manager's shim, which
    adds its own start-up), else `python -m advisor`."""
    script = Path(sys.executable).parent / "advisor"
    if script.is_file():
        return [str(script)]
    found = shutil.which("advisor")
    return [found] if found else [sys.executable, "-m", "advisor"]


def _example_size() -> str:
    """'5 candidates x 360 examples, 1,800': the shipped example, as the study and eval set say."""
    import tomllib

    study = tomllib.loads((ROOT / "studies/support-tickets.toml").read_text(encoding="utf-8"))
    lines = (ROOT / "evalsets/support-tickets.jsonl").read_text(encoding="utf-8").splitlines()
    candidates, examples = len(study["candidates"]), sum(1 for line in lines if line.strip())
    return f"{candidates} candidates x {examples} examples, {candidates * examples:,}"


def replay(repeats: int) -> tuple[dict, str]:
    runs = []
    with temp_folder() as tmp:
        for folder in ("studies", "evalsets", "fixtures"):
            shutil.copytree(ROOT / folder, tmp / folder)
        command = [*_advisor_command(), "evaluate", "studies/support-tickets.toml", "--replay"]
        for i in range(repeats):
            runs.append(timed_command([*command, "--out", str(tmp / f"out-{i}")], cwd=tmp))
    if any(r["exit"] != 0 for r in runs):
        raise RuntimeError(f"the replay failed: {runs}")
    summary = {
        "wall_s": spread([r["wall_s"] for r in runs]),
        "cpu_s": spread([r["cpu_s"] for r in runs]),
    }
    text = (
        "`advisor evaluate studies/support-tickets.toml --replay --out TMP` "
        f"({_example_size()} recorded requests), the whole command; median [min-max] of {repeats}."
        "\n\n"
        + table(
            ["command", "wall s", "CPU s"],
            [["advisor evaluate --replay", _m(summary["wall_s"]), _m(summary["cpu_s"])]],
        )
    )
    targets = {"under 1.5 s": summary["wall_s"]["median"] < 1.5}
    return {"summary": summary, "runs": runs, "targets": targets}, text + _targets(targets)


FIRST_REQUEST_LIBRARIES = "typer, typer._adapters, pydantic, jinja2, asyncio, h11"
"""What `advisor evaluate` cannot send its first request without: the CLI (typer parses options
with pydantic), the study's validation, its templates, the event loop and h11 (advisor.http11)."""
RUN_LIBRARIES = FIRST_REQUEST_LIBRARIES + ", numpy, rich.console"
"""And what its statistics and its summary need: the least CPU a whole run can take, before any
work."""


def startup(repeats: int) -> tuple[dict, str]:
    to_first_request = "import advisor.cli, advisor.evaluate, advisor.runner, advisor.pool"
    leave = "; import os; os._exit(0)"  # as advisor leaves: no interpreter teardown timed
    commands = {
        "advisor --help": [*_advisor_command(), "--help"],
        'python -c "import openai"': [sys.executable, "-c", "import openai"],
        "python -c pass": [sys.executable, "-c", "pass" + leave],
        "the first request's libraries": [
            sys.executable,
            "-c",
            f"import {FIRST_REQUEST_LIBRARIES}" + leave,
        ],
        "those and the advisor's modules": [sys.executable, "-c", to_first_request + leave],
        "the whole run's libraries": [sys.executable, "-c", f"import {RUN_LIBRARIES}" + leave],
    }
    runs: dict[str, list[dict]] = {name: [] for name in commands}
    for _ in range(repeats):
        for name, argv in commands.items():
            runs[name].append(timed_command(argv))
    summary = {name: spread([r["wall_s"] for r in rs]) for name, rs in runs.items()}
    cpu = {name: spread([r["cpu_s"] for r in rs]) for name, rs in runs.items()}
    text = (
        f"Whole commands, interleaved; median [min-max] of {repeats}. The last four rows are the "
        "floor under `advisor evaluate`'s first request: the interpreter, then the libraries that "
        f"request needs ({FIRST_REQUEST_LIBRARIES}), then those with the advisor's own modules "
        "on its way (the study, evaluation-set, scoring and price models, the planner, runner and "
        "transport); the last adds numpy and rich's console, which the statistics and the summary "
        "need: no run can take less CPU. "
        "Each leaves with os._exit, as advisor does.\n\n"
    ) + table(
        ["command", "wall s", "CPU s"],
        [[name, _m(s), _m(cpu[name])] for name, s in summary.items()],
    )
    help_s, openai_s = (summary[name]["median"] for name in list(commands)[:2])
    targets = {"advisor --help faster than importing openai": help_s < openai_s}
    return {"summary": summary, "runs": runs, "targets": targets}, text + _targets(targets)


SCALE_EXAMPLES = int(os.environ.get("ADVISOR_SCALE_EXAMPLES", "100000"))
SCALE_LIMIT_MB = 1024.0
BATCH_FAST = "\n[batch]\nvalidating_polls = 0\nin_progress_polls = 1\nfinalizing_polls = 0\n"


def _peak_command(argv: list[str], cwd: Path) -> dict[str, Any]:
    """Wall time, CPU and peak RSS (MB, from the child's own rusage) of one whole command."""
    log = cwd / "stderr.log"
    started = time.perf_counter()
    with log.open("wb") as err:
        proc = subprocess.Popen(
            argv,
            cwd=cwd,
            stdout=subprocess.DEVNULL,
            stderr=err,
            env=child_env(),
        )
        _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    code = proc.returncode = os.waitstatus_to_exitcode(status)
    if code != 0:
        tail = log.read_text(encoding="utf-8", errors="replace")[-3000:]
        raise RuntimeError(f"{' '.join(argv)} failed ({code}):\n{tail}")
    return {
        "wall_s": wall,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "peak_rss_mb": usage.ru_maxrss / 1024,  # Linux: KiB, so MB here are MiB
        "exit": code,
    }


def _mb(s: dict[str, float]) -> str:
    """median [min-max] in whole MB"""
    return f"{s['median']:,.0f} [{s['min']:,.0f}-{s['max']:,.0f}]"


def scale(repeats: int) -> tuple[dict, str]:
    """100,000 examples x 1 candidate, zero latency, concurrency 64: synchronous and --batch."""
    runs: dict[str, list[dict]] = {"sync": [], "batch": []}
    n = SCALE_EXAMPLES
    with temp_folder() as tmp:
        ws = make_workspace(tmp / "ws", n, concurrency=64)
        config = ws.sim_config(latency_ms=0.0)
        config.write_text(config.read_text(encoding="utf-8") + BATCH_FAST, encoding="utf-8")
        study = ws.study.read_text(encoding="utf-8")
        ws.study.write_text(study.replace("[run]\n", "[run]\nbatch_poll_interval = 0.05\n"))
        with simulator(config) as sim:
            sync = [*_advisor_command(), "evaluate", str(ws.study), "--base-url", sim.url]
            commands = {"sync": sync, "batch": [*sync, "--batch"]}  # the study sets concurrency 64
            for i in range(repeats):
                for name, argv in commands.items():
                    out = tmp / f"out-{name}-{i}"  # a new run folder: nothing from a cache
                    run = _peak_command([*argv, "--out", str(out)], cwd=ws.folder)
                    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
                    run["answered"] = sum(c["metrics"]["n"] for c in results["candidates"])
                    run["requests"] = results["run"].get("requests")
                    run["errors"] = results["run"].get("errors")
                    runs[name].append(run)
                    print(
                        f"  {name} {i}: {run['wall_s']:.1f} s, peak RSS "
                        f"{run['peak_rss_mb']:.0f} MB",
                        flush=True,
                    )
    summary = {
        name: {
            "wall_s": spread([r["wall_s"] for r in rs]),
            "cpu_s": spread([r["cpu_s"] for r in rs]),
            "peak_rss_mb": spread([r["peak_rss_mb"] for r in rs]),
            "answered": min(r["answered"] for r in rs),
        }
        for name, rs in runs.items()
    }
    labels = {"sync": "advisor evaluate", "batch": "advisor evaluate --batch"}
    text = (
        f"{n:,} examples x 1 candidate, zero latency, concurrency 64, the whole command in its own "
        "process (peak RSS from its rusage); batches advance a stage per poll, polled every "
        f"0.05 s (`batch_poll_interval`); median [min-max] of {repeats}.\n\n"
        + table(
            ["command", "wall s", "CPU s", "peak RSS MB", "answered"],
            [
                [
                    labels[name],
                    _m(s["wall_s"]),
                    _m(s["cpu_s"]),
                    _mb(s["peak_rss_mb"]),
                    f"{s['answered']:,} of {n:,}",
                ]
                for name, s in summary.items()
            ],
        )
    )
    targets = {
        f"peak memory under 1 GB ({name})": s["peak_rss_mb"]["median"] < SCALE_LIMIT_MB
        for name, s in summary.items()
    }
    targets["every example answered"] = all(s["answered"] == n for s in summary.values())
    return {"examples": n, "summary": summary, "runs": runs, "targets": targets}, (
        text + _targets(targets)
    )


BENCHMARKS: dict[str, Callable[[int], tuple[dict, str]]] = {
    "throughput": throughput,
    "overhead": overhead,
    "faults": faults,
    "ratelimit": ratelimit,
    "replay": replay,
    "startup": startup,
    "scale": scale,
}
DEFAULT_REPEATS = {
    "throughput": 5,
    "overhead": 5,
    "faults": 3,
    "ratelimit": 3,
    "replay": 5,
    "startup": 5,
    "scale": 1,
}


def _update_readme(sections: dict[str, str], about: dict[str, Any], command: str) -> None:
    text = README.read_text(encoding="utf-8")
    load = ", ".join(f"{x:.2f}" for x in about["load_before"])
    body = [
        START,
        f"Measured {about['date']} on {about['nproc']} CPUs ({about['cpu']}), Python "
        f"{about['python']}; load average before: {load}. Command:",
        "",
        f"    {command}",
        "",
    ]
    for name, section in sections.items():
        body += [f"### {name}", "", section, ""]
    body.append(END)
    if START in text and END in text:
        head, rest = text.split(START, 1)
        tail = rest.split(END, 1)[1]
        text = head + "\n".join(body) + tail
    else:
        text = text.rstrip("\n") + "\n\n" + "\n".join(body) + "\n"
    README.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__)
    parser.add_argument("names", nargs="+", choices=[*BENCHMARKS, "all"])
    parser.add_argument("--repeats", type=int, help="runs of each measurement (default: per test)")
    parser.add_argument(
        "--update-readme", action="store_true", help="write the tables into benchmarks/README.md"
    )
    args = parser.parse_args(argv)
    names = list(BENCHMARKS) if "all" in args.names else list(dict.fromkeys(args.names))
    about = machine()
    print(
        f"{about['date']}  {about['nproc']} CPUs ({about['cpu']})  Python {about['python']}  "
        f"load {', '.join(f'{x:.2f}' for x in about['load_before'])}",
        flush=True,
    )
    sections = {}
    for name in names:
        repeats = args.repeats or DEFAULT_REPEATS[name]
        print(f"\n## {name}", flush=True)
        data, text = BENCHMARKS[name](repeats)
        path = save(name, {"benchmark": name, "machine": about, **data})
        print(text)
        print(f"(wrote {path.relative_to(ROOT)})", flush=True)
        sections[name] = text
    if args.update_readme:
        command = "python -m benchmarks.run " + " ".join(shlex.quote(a) for a in sys.argv[1:])
        _update_readme(sections, {**about, "load_after": os.getloadavg()}, command)
        print(f"\n(updated {README.relative_to(ROOT)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
