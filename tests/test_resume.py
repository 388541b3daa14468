"""A run killed at any point resumes, and never sends again a request whose answer reached disk."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time

import pytest

from advisor.simulator import running
from tests.conftest import sim_config, study_text

CACHE = "reports/tickets/cache/responses.jsonl"


def _saved_tags(folder) -> set[str]:
    path = folder / CACHE
    if not path.exists():
        return set()
    tags = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            tags.add(json.loads(line)["tag"])
        except ValueError:
            continue  # the line the kill cut short
    return tags


@pytest.mark.parametrize("seed", [1, 2])
def test_killed_run_resumes_without_resending_saved_answers(study_dir, seed):
    (study_dir / "study.toml").write_text(study_text(run="[run]\nconcurrency = 4\n"))
    slow = {"accuracy": 0.9, "latency_ms": 40}
    config = sim_config(study_dir).model_copy(
        update={
            "models": {
                k: v.model_copy(update=slow) for k, v in sim_config(study_dir).models.items()
            }
        }
    )
    kill_after = random.Random(seed).randint(5, 100)  # of 120 answers
    with running(config) as server:
        argv = [
            sys.executable,
            "-m",
            "advisor",
            "evaluate",
            "study.toml",
            "--base-url",
            server.base_url,
        ]
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while len(_saved_tags(study_dir)) < kill_after and proc.poll() is None:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        saved = _saved_tags(study_dir)
        assert kill_after <= len(saved) < 120
        sent_before = dict(server.stats.tags)
        assert not (study_dir / "reports/tickets/results.json").exists()

        done = subprocess.run(argv, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
        resent = [t for t in saved if server.stats.tags[t] != sent_before.get(t, 0)]
        assert resent == []
    results = json.loads((study_dir / "reports/tickets/results.json").read_text())
    assert results["status"] == "complete" and results["run"]["errors"] == 0
    assert results["run"]["from_cache"] >= len(saved)
