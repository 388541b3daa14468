"""Run the advisor's benchmarks: `python -m benchmarks.run NAME... [--repeats N] [--update-readme]`.

    throughput  500 examples x 1 candidate, 200 ms latency, concurrency 16 and 64: advisor against
                the raw reference client, interleaved, median of N
    overhead    the same with zero latency: the advisor's own cost per example
    faults      10% injected faults of every kind (429 with Retry-After, 500, 503, dropped
                connections, malformed JSON): examples lost, wall time
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


def _reference(url: str, requests: Path, concurrency: int) -> dict:
    argv = ["-m", "benchmarks.reference", "--base-url", url, "--requests", str(requests)]
    return run_json([*argv, "--concurrency", str(concurrency)])


def _head_to_head(latency_ms: float, repeats: int) -> dict[str, Any]:
    """Reference, advisor, reference, advisor... at each concurrency, against one simulator."""
    runs: dict[int, dict[str, list[dict]]] = {}
    with temp_folder() as tmp:
        ws = make_workspace(tmp / "ws", EXAMPLES)
        warm = make_workspace(tmp / "warm", 8)
        with simulator(ws.sim_config(latency_ms=latency_ms)) as sim:
            url = sim.url
            requests = tmp / "requests.json"
            argv = ["-m", "benchmarks._advisor", "dump", "--study", str(ws.study)]
            run_json([*argv, "--base-url", url, "--to", str(requests)], cwd=ws.folder)
            for concurrency in CONCURRENCIES:
                pairs = runs[concurrency] = {"reference": [], "advisor": []}
                for i in range(repeats):
                    before = sim.cpu_s()
                    ref = _reference(url, requests, concurrency)
                    pairs["reference"].append({**ref, "simulator_cpu_s": sim.cpu_s() - before})
                    out = tmp / f"out-{concurrency}-{i}"
                    before = sim.cpu_s()  # the advisor's warm-up run is counted too
                    adv = _advisor(ws.study, warm.study, url, out, concurrency)
                    pairs["advisor"].append({**adv, "simulator_cpu_s": sim.cpu_s() - before})
    summary = []
    for concurrency, pairs in runs.items():
        ref, adv = pairs["reference"], pairs["advisor"]
        ideal = EXAMPLES * latency_ms / 1000 / concurrency
        row: dict[str, Any] = {
            "concurrency": concurrency,
            "requests": EXAMPLES,
            "ideal_s": ideal,
            "reference_wall_s": spread([r["wall_s"] for r in ref]),
            "reference_cpu_ms_per_request": spread([1000 * r["cpu_s"] / EXAMPLES for r in ref]),
            "advisor_wall_s": spread([r["wall_s"] for r in adv]),
            "advisor_run_s": spread([r["run_s"] for r in adv]),
            "advisor_cpu_ms_per_request": spread([1000 * r["cpu_s"] / EXAMPLES for r in adv]),
            "advisor_requests_per_s": spread([EXAMPLES / r["wall_s"] for r in adv]),
            "reference_requests_per_s": spread([EXAMPLES / r["wall_s"] for r in ref]),
            "wall_ratio": spread(
                [a["wall_s"] / r["wall_s"] for a, r in zip(adv, ref, strict=True)]
            ),
            "simulator_cpu_ms_per_request": spread(
                [1000 * r["simulator_cpu_s"] / EXAMPLES for r in ref]
            ),
            "errors": sum(r["errors"] for r in adv) + sum(r["errors"] for r in ref),
        }
        if ideal:
            row["reference_share_of_ideal"] = spread([ideal / r["wall_s"] for r in ref])
            row["advisor_share_of_ideal"] = spread([ideal / r["wall_s"] for r in adv])
        summary.append(row)
    return {"latency_ms": latency_ms, "repeats": repeats, "summary": summary, "runs": runs}


def _m(s: dict[str, float], scale: float = 1.0) -> str:
    """median [min-max]"""
    return f"{s['median'] * scale:.3g} [{s['min'] * scale:.3g}-{s['max'] * scale:.3g}]"


def _head_table(data: dict[str, Any]) -> str:
    headers = ["concurrency", "client", "wall s", "req/s", "CPU ms/req"]
    with_ideal = data["latency_ms"] > 0
    if with_ideal:
        headers += ["share of ideal"]
    headers += ["advisor/ref wall"]
    rows = []
    for s in data["summary"]:
        ref = [s["concurrency"], "reference", _m(s["reference_wall_s"])]
        ref += [_m(s["reference_requests_per_s"]), _m(s["reference_cpu_ms_per_request"])]
        adv = [s["concurrency"], "advisor", _m(s["advisor_wall_s"])]
        adv += [_m(s["advisor_requests_per_s"]), _m(s["advisor_cpu_ms_per_request"])]
        if with_ideal:
            ref.append(_m(s["reference_share_of_ideal"]))
            adv.append(_m(s["advisor_share_of_ideal"]))
        rows += [[*ref, ""], [*adv, _m(s["wall_ratio"])]]
    notes = [
        f"concurrency {s['concurrency']}: the simulator's CPU "
        f"{_m(s['simulator_cpu_ms_per_request'])} ms per request (reference runs); "
        f"requests in error: {s['errors']}"
        for s in data["summary"]
    ]
    return table(headers, rows) + "\n\n" + "\n".join(f"- {n}" for n in notes)


def throughput(repeats: int) -> tuple[dict, str]:
    data = _head_to_head(LATENCY_MS, repeats)
    note = (
        f"{EXAMPLES} examples x 1 candidate, {LATENCY_MS:g} ms latency; median [min-max] of "
        f"{repeats}, interleaved. Advisor: the whole `advisor evaluate` work after start-up "
        "(plan, run, score, analysis, files), CPU from its rusage. Ideal = requests x latency / "
        "concurrency."
    )
    at64 = next(row for row in data["summary"] if row["concurrency"] == 64)
    data["targets"] = targets = {
        "wall at most 1.7x the reference's (concurrency 64)": at64["wall_ratio"]["median"] <= 1.7,
        "CPU at most 4.5 ms per request (concurrency 64)": (
            at64["advisor_cpu_ms_per_request"]["median"] <= 4.5
        ),
        "reference at least 90% of the ideal rate (concurrency 64)": (
            at64["reference_share_of_ideal"]["median"] >= 0.9
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


def faults(repeats: int) -> tuple[dict, str]:
    concurrency = 64
    runs, n = _fresh_sim_runs(repeats, concurrency, EXAMPLES, latency_ms=LATENCY_MS, fault_rate=0.1)
    summary = {
        "requests": n,
        "concurrency": concurrency,
        "fault_rate": 0.1,
        "lost": [r["errors"] for r in runs],
        "answered": [r["answered"] for r in runs],
        "retries": spread([r["retries"] for r in runs]),
        "rate_limited": spread([r["rate_limited"] for r in runs]),
        "wall_s": spread([r["wall_s"] for r in runs]),
    }
    rows = [
        [
            n,
            concurrency,
            f"{sum(summary['lost'])} of {n * len(runs)}",
            _m(summary["retries"]),
            _m(summary["rate_limited"]),
            _m(summary["wall_s"]),
        ]
    ]
    text = (
        f"{n} examples, {LATENCY_MS:g} ms latency, 10% of attempts fail (429 with Retry-After 1 s, "
        f"500, 503, dropped connection, malformed JSON; at most 2 per request), a new simulator "
        f"for each of {repeats} runs; median [min-max].\n\n"
        + table(["requests", "concurrency", "lost", "retries", "429s", "wall s"], rows)
    )
    targets = {"nothing lost": sum(summary["lost"]) == 0}
    return {"summary": summary, "runs": runs, "targets": targets}, text + _targets(targets)


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
        "at least 90% of the limit": summary["share_of_limit"]["median"] >= 0.9,
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
        "`advisor evaluate studies/support-tickets.toml --replay --out TMP` (4 candidates x 360 "
        f"examples, 1,440 recorded requests), the whole command; median [min-max] of {repeats}."
        "\n\n"
        + table(
            ["command", "wall s", "CPU s"],
            [["advisor evaluate --replay", _m(summary["wall_s"]), _m(summary["cpu_s"])]],
        )
    )
    targets = {"under 5 s": summary["wall_s"]["median"] < 5.0}
    return {"summary": summary, "runs": runs, "targets": targets}, text + _targets(targets)


def startup(repeats: int) -> tuple[dict, str]:
    commands = {
        "advisor --help": [*_advisor_command(), "--help"],
        'python -c "import openai"': [sys.executable, "-c", "import openai"],
    }
    runs: dict[str, list[dict]] = {name: [] for name in commands}
    for _ in range(repeats):
        for name, argv in commands.items():
            runs[name].append(timed_command(argv))
    summary = {name: spread([r["wall_s"] for r in rs]) for name, rs in runs.items()}
    text = f"Whole commands, interleaved; median [min-max] of {repeats}.\n\n" + table(
        ["command", "wall s"], [[name, _m(s)] for name, s in summary.items()]
    )
    help_s, openai_s = (s["median"] for s in summary.values())
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
            env={**os.environ, "PYTHONPATH": str(ROOT)},
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
