"""Robustness, in short versions of the benchmarks (benchmarks/): faults lose nothing, a killed run
resumes without paying twice, an unwritable output fails before anything is sent, and a rate limit
slows the whole run down without losing an answer.

The kill at a fixed share of saved answers is tests/test_resume.py; here the kill comes at a
random moment of a run that meets faults at a higher concurrency.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from advisor.cli import main
from advisor.simulator import answers_correctly, running
from tests.conftest import FINE_TUNE, INCUMBENT, sim_config, study_text
from tests.test_resume import _saved_tags

KINDS = {"429", "500", "503", "drop", "malformed"}


def _results(folder: Path, out: str = "reports/tickets") -> dict:
    return json.loads((folder / out / "results.json").read_text())


def _rows(folder: Path) -> list[dict]:
    text = (folder / "reports/tickets/examples.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines()]


def _with_latency(folder: Path, latency_ms: float, **extra):
    config = sim_config(folder, **extra)
    models = {k: v.model_copy(update={"latency_ms": latency_ms}) for k, v in config.models.items()}
    return config.model_copy(update={"models": models})


def test_a_third_of_attempts_failing_in_every_way_loses_nothing(study_dir):
    (study_dir / "study.toml").write_text(study_text(run="[run]\nconcurrency = 16\n"))
    faults = {"rate": 0.3, "retry_after_s": 0.05}
    with running(_with_latency(study_dir, 5, faults=faults)) as server:
        assert main(["evaluate", "study.toml", "--base-url", server.base_url]) == 0
        assert set(server.stats.faults) == KINDS
        assert sum(server.stats.faults.values()) >= 40
        # every request answered well exactly once: no answer lost, none paid for twice
        assert server.stats.ok == 120
    results = _results(study_dir)
    assert results["status"] == "complete" and results["run"]["errors"] == 0
    assert results["run"]["retries"] >= 40
    # retried answers reached the example they belong to, even with 16 in flight
    models = {"incumbent": (INCUMBENT, 0.9), "ft": (FINE_TUNE, 0.8)}
    for row in _rows(study_dir):
        for name, (model, accuracy) in models.items():
            call = row["candidates"][name][0]
            assert call["error"] is None
            right = answers_correctly(model, row["inputs"]["text"], accuracy)
            assert call["score"] == float(right)


@pytest.mark.parametrize("seed", [3])
def test_a_run_killed_at_a_random_moment_under_faults_resumes_paying_nothing_twice(study_dir, seed):
    (study_dir / "study.toml").write_text(study_text(run="[run]\nconcurrency = 16\n"))
    faults = {"rate": 0.1, "retry_after_s": 0.05}
    with running(_with_latency(study_dir, 30, faults=faults)) as server:
        argv = [sys.executable, "-m", "advisor", "evaluate", "study.toml"]
        argv += ["--base-url", server.base_url]
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # wait for the first answer to reach disk, then kill at a random moment after it
        deadline = time.monotonic() + 60
        while not _saved_tags(study_dir) and proc.poll() is None:
            assert time.monotonic() < deadline
            time.sleep(0.005)
        time.sleep(random.Random(seed).uniform(0.0, 0.3))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        saved = _saved_tags(study_dir)
        assert 0 < len(saved) < 120, "the kill came too late to test anything"
        sent_before = dict(server.stats.tags)

        done = subprocess.run(argv, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
        resent = [t for t in saved if server.stats.tags[t] != sent_before.get(t, 0)]
        assert resent == []
    results = _results(study_dir)
    assert results["status"] == "complete" and results["run"]["errors"] == 0
    assert results["run"]["from_cache"] == len(saved)


UNWRITABLE = {
    "--out inside a file": (["--out", "afile/run"], "afile/run: cannot write the run folder here"),
    "--out is a file": (["--out", "afile"], "afile: cannot write the run folder here"),
    "cache folder is a file": (
        ["--out", "run"],
        "cache: cannot write the response cache here",
    ),
}


@pytest.mark.parametrize("case", UNWRITABLE)
def test_an_output_that_cannot_be_written_fails_before_anything_is_sent(
    study_dir, simulator, capsys, case
):
    # CI runs as root, so a read-only folder proves nothing: a file stands where a folder must be
    (study_dir / "afile").write_text("not a folder")
    (study_dir / "run").mkdir()
    (study_dir / "run" / "cache").write_text("not a folder")
    args, message = UNWRITABLE[case]
    assert main(["evaluate", "study.toml", "--base-url", simulator.base_url, *args]) == 2
    err = capsys.readouterr().err
    assert message in err, err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert simulator.stats.requests == 0
    assert not list(study_dir.rglob("results.json"))


def test_a_rate_limit_slows_the_whole_run_and_loses_nothing(study_dir):
    rpm, burst_s = 3000, 0.1  # 50 requests a second, 5 at once
    (study_dir / "study.toml").write_text(study_text(run="[run]\nconcurrency = 16\n"))
    with running(_with_latency(study_dir, 5, rpm=rpm, burst_seconds=burst_s)) as server:
        started = time.monotonic()
        assert main(["evaluate", "study.toml", "--base-url", server.base_url]) == 0
        wall = time.monotonic() - started
        assert server.stats.ok == 120
    results = _results(study_dir)
    assert results["run"]["errors"] == 0
    # The limit admits 5 at once and then 50 a second: no run can be faster than that, and this
    # one, pacing itself after the first 429s, stays close to it rather than stalling.
    floor = (120 - 5) / (rpm / 60)
    facts = json.loads((study_dir / "reports/tickets/run-facts.json").read_text())
    assert facts["duration_s"] >= floor * 0.95
    assert wall < floor * 1.6 + 2.0


def test_a_429_without_a_spent_budget_slows_only_its_own_request(study_dir):
    # 120 requests, a fifth of first attempts refused with "Retry-After: 1" and no rate-limit
    # headers. Paused model-wide, one pause after another, the run would take many seconds;
    # waiting alone, each refused request costs the run about its own second.
    (study_dir / "study.toml").write_text(study_text(run="[run]\nconcurrency = 16\n"))
    faults = {"rate": 0.2, "kinds": ["429"], "retry_after_s": 1.0, "max_per_request": 1}
    with running(_with_latency(study_dir, 5, faults=faults)) as server:
        started = time.monotonic()
        assert main(["evaluate", "study.toml", "--base-url", server.base_url]) == 0
        wall = time.monotonic() - started
        assert server.stats.faults["429"] >= 10 and server.stats.ok == 120
    results = _results(study_dir)
    assert results["run"]["errors"] == 0 and results["run"]["rate_limited"] >= 10
    assert wall < 6.0


def test_a_burst_of_429s_halves_the_window_once_and_answers_win_it_back():
    from advisor.limiter import Window

    async def go() -> list[int]:
        window = Window(16)
        epochs = [await window.acquire() for _ in range(16)]
        for epoch in epochs[:10]:  # ten answered 429 together: one congestion event
            window.release(epoch, rate_limited=True)
        sizes = [window.limit]
        for epoch in epochs[10:13]:  # each answer adds one place
            window.release(epoch, rate_limited=False)
        sizes.append(window.limit)
        later = await window.acquire()
        window.release(later, rate_limited=True)  # a new event halves again
        sizes.append(window.limit)
        for epoch in epochs[13:]:  # sent before that halving: their 429s do not halve it
            window.release(epoch, rate_limited=True)
        sizes.append(window.limit)
        return sizes

    assert asyncio.run(go()) == [8, 11, 5, 5]


def test_only_a_spent_budget_pauses_the_whole_model():
    from advisor.limiter import ModelLimits
    from advisor.runner import VirtualClock

    async def go() -> list[float]:
        clock = VirtualClock()
        limits = ModelLimits(4, clock)
        body = {"model": "m", "messages": []}
        epoch = await limits.enter()
        limits.leave(epoch, 429, {"retry-after": "1"}, body, None)  # this request waits, alone
        epoch = await limits.enter()
        waits = [clock.now()]
        spent = {"x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "2s"}
        limits.leave(epoch, 429, {"retry-after": "2", **spent}, body, None)
        await limits.enter()  # every request to the model waits for the reset
        return [*waits, clock.now()]

    assert asyncio.run(go()) == [0.0, pytest.approx(2.0)]


def test_pacing_spaces_requests_just_under_the_announced_limit():
    from advisor.limiter import PACE_SHARE, Pacer
    from advisor.runner import VirtualClock

    async def go() -> tuple[float, float]:
        clock = VirtualClock()
        pacer = Pacer(clock)
        pacer.learn({"x-ratelimit-limit-requests": "600"}, None)  # 10 a second
        for _ in range(11):
            await pacer.wait()
        paced = clock.now()
        pacer.pause(2.0)  # a spent budget, reset in 2 s, holds every later request
        await pacer.wait()
        return paced, clock.now() - paced

    paced, paused = asyncio.run(go())
    assert paced == pytest.approx(10 * 0.1 / PACE_SHARE)
    assert paused == pytest.approx(2.0)
