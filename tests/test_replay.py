"""A replay is reproducible and honest: the same bytes on any day in any time zone, the README's
command leaves a clone clean, and the latencies it reports are the ones recorded."""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from advisor.cli import main
from advisor.fixtures import FixtureStore
from tests.conftest import FINE_TUNE, INCUMBENT, study_text

ROOT = Path(__file__).resolve().parents[1]
STUDY = ROOT / "studies/support-tickets.toml"
README_COMMAND = ["evaluate", "studies/support-tickets.toml", "--replay"]
REPRODUCED = ("results.json", "report.html", "summary.md", "examples.jsonl")
# The CLI under another clock: a day and some hours ahead of the real one, still ticking.
SHIFTED = """
import datetime, sys, time_machine
from advisor.cli import main
ahead = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=1, hours=7)
with time_machine.travel(ahead, tick=True):
    code = main(sys.argv[1:])
sys.exit(code)
"""


def _advisor(cwd: Path, tz: str, shifted: bool, *argv: str) -> None:
    env = {**os.environ, "TZ": tz, "PYTHONPATH": str(ROOT)}
    if shifted:
        command = [sys.executable, "-c", SHIFTED, *argv]
    else:
        command = [sys.executable, "-c", "from advisor.cli import run; run()", *argv]
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr


def _example(folder: Path) -> Path:
    for part in ("studies", "evalsets", "fixtures"):
        shutil.copytree(ROOT / part, folder / part)
    return folder


def test_a_replay_is_the_same_bytes_on_another_day_in_another_time_zone(tmp_path):
    first = _example(tmp_path / "first")
    second = _example(tmp_path / "second")
    _advisor(first, "UTC", False, *README_COMMAND)
    _advisor(second, "Pacific/Kiritimati", True, *README_COMMAND)  # UTC+14, a day later
    a, b = first / "reports/support-tickets", second / "reports/support-tickets"
    for name in REPRODUCED:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    # what does differ is kept apart, and says when and where
    facts = [json.loads((run / "run-facts.json").read_text()) for run in (a, b)]
    assert facts[0]["started"] != facts[1]["started"]
    assert {"advisor", "openai", "python"} <= facts[0]["versions"].keys()


def test_the_readme_command_leaves_a_clean_clone_clean(tmp_path):
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True, timeout=120)
    env = {**os.environ, "PYTHONPATH": str(clone)}
    command = [sys.executable, "-c", "from advisor.cli import run; run()", *README_COMMAND]
    done = subprocess.run(command, cwd=clone, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    status = subprocess.run(
        ["git", "status", "--porcelain"], cwd=clone, capture_output=True, text=True, check=True
    )
    assert status.stdout == ""
    assert (clone / "reports/support-tickets/run-facts.json").exists()  # written, and ignored


def _percentiles(values: list[float]) -> list[float]:
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return [cuts[49], cuts[94], cuts[98], statistics.fmean(values)]


def _recorded(folder: Path) -> dict[str, list[float]]:
    """The latency of each request's last recorded attempt, by candidate file."""
    found: dict[str, list[float]] = {}
    for attempts in FixtureStore(folder).by_key.values():
        last = attempts[-1]
        if last.tag != "models":
            found.setdefault(last.tag.split("/")[0], []).append(last.latency_ms)
    return found


def test_the_example_replays_the_latencies_it_recorded(tmp_path, monkeypatch):
    monkeypatch.chdir(_example(tmp_path))
    assert main([*README_COMMAND, "--out", "run"]) == 0
    results = json.loads((tmp_path / "run/results.json").read_text())
    recorded = _recorded(tmp_path / "fixtures/support-tickets")
    assert len(results["candidates"]) == len(tomllib.loads(STUDY.read_text())["candidates"])
    for c in results["candidates"]:
        mine = recorded[c["name"]]
        assert len(mine) == 360 and all(isinstance(v, float) for v in mine)
        shown = c["latency_ms"]
        expected = _percentiles(mine)
        assert [shown["p50"], shown["p95"], shown["p99"], shown["mean"]] == pytest.approx(expected)
    rows = [json.loads(x) for x in (tmp_path / "run/examples.jsonl").read_text().splitlines()]
    for c in results["candidates"]:
        calls = sorted(row["candidates"][c["name"]][0]["latency_ms"] for row in rows)
        assert calls == sorted(recorded[c["name"]])
    page = (tmp_path / "run/report.html").read_text()
    assert "as recorded with the fixtures, not the time this replay took" in page


@contextmanager
def _simulator_process(folder: Path, latency_ms: dict[str, float]) -> Iterator[str]:
    """`advisor simulate` in a process of its own, as a user runs it: in the test's own process
    it would share the GIL with the client and add its waits to every latency measured."""
    models = "".join(
        f'[models."{model}"]\naccuracy = 0.9\nlatency_ms = {ms}\n'
        for model, ms in latency_ms.items()
    )
    config = folder / "sim.toml"
    config.write_text(
        'key_pattern = "Ticket: (.*)"\nlabels = ["billing", "bug", "other"]\n'
        '[answer_file]\npath = "ev.jsonl"\nkey_field = "text"\nanswer_field = "label"\n' + models
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-c", "from advisor.cli import run; run()", "simulate", str(config)]
    server = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
    try:
        yield server.stdout.readline().strip()
    finally:
        server.terminate()
        server.wait(timeout=30)
        server.stdout.close()


def test_a_recording_measures_latency_and_its_replay_reports_it(study_dir):
    """The fine-tune's model takes 50 ms, the incumbent's 1 ms, their requests interleaved: the
    fine-tune's p50, live and replayed, is 50 ms within 10% once the round trip the quick model
    measures (the loopback and both processes waking, a few ms on a busy machine) is taken
    off; the replay says exactly what the fixtures say."""
    study = study_text(run="[run]\nconcurrency = 1\n").replace("few.jinja", "short.jinja")
    (study_dir / "study.toml").write_text(study)
    with _simulator_process(study_dir, {INCUMBENT: 1, FINE_TUNE: 50}) as base_url:
        url = ["--base-url", base_url]
        assert main(["evaluate", "study.toml", "--record", *url, "--out", "live"]) == 0
    live = {c["name"]: c["latency_ms"] for c in _candidates(study_dir / "live")}
    recorded = _recorded(study_dir / "fixtures/tickets")
    assert main(["evaluate", "study.toml", "--replay", *url, "--out", "replay"]) == 0
    replay = {c["name"]: c["latency_ms"] for c in _candidates(study_dir / "replay")}
    for name, shown in replay.items():
        assert [shown["p50"], shown["p95"], shown["p99"], shown["mean"]] == pytest.approx(
            _percentiles(recorded[name])
        )
    assert live["ft"]["p50"] >= 50
    for run in (live, replay):  # the round trip, less the quick model's own 1 ms
        round_trip = run["incumbent"]["p50"] - 1
        assert run["ft"]["p50"] - round_trip == pytest.approx(50, rel=0.1)


def _candidates(run: Path) -> list[dict]:
    return json.loads((run / "results.json").read_text())["candidates"]
