"""`advisor label`: a candidate's answers become training data, priced, capped, recorded,
replayed offline and resumed without paying twice."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from pytest_socket import disable_socket, enable_socket

from advisor.cli import main
from advisor.simulator import running
from tests.conftest import LABELS, sim_config

CACHE = Path(".advisor-cache/label/tickets/incumbent/cache/responses.jsonl")


def _inputs(folder: Path, n: int = 60) -> Path:
    """The eval set's tickets without their labels: what a team has before labelling."""
    rows = [json.loads(line) for line in (folder / "ev.jsonl").read_text().splitlines()][:n]
    path = folder / "unlabelled.jsonl"
    path.write_text(
        "".join(json.dumps({"id": f"u{r['id']}", "text": r["text"]}) + "\n" for r in rows)
    )
    return path


def _argv(*extra: str) -> list[str]:
    return [
        "label",
        "unlabelled.jsonl",
        "--study",
        "study.toml",
        "--candidate",
        "incumbent",
        "--out",
        "train.jsonl",
        *extra,
    ]


def test_labels_are_recorded_then_replayed_offline(study_dir, simulator, capsys):
    _inputs(study_dir)
    assert main(_argv("--record", "--base-url", simulator.base_url)) == 0
    recorded = (study_dir / "train.jsonl").read_text()
    summary = json.loads((study_dir / "train.labelling.json").read_text())
    assert summary["labelled"] == summary["examples"] == 60 and summary["errors"] == []
    assert summary["cost_usd"] > 0 and summary["cost_usd"] <= summary["estimate_usd"]
    first = json.loads(recorded.splitlines()[0])["messages"]
    # the training prompt is the fine-tune's short template, the answer the teacher's
    assert first[0] == {"role": "system", "content": "Route the ticket."}
    assert first[-1]["role"] == "assistant" and first[-1]["content"] in LABELS
    assert "one_time_cost" in capsys.readouterr().out

    for path in ("train.jsonl", "train.labelling.json"):
        (study_dir / path).unlink()
    disable_socket(allow_unix_socket=True)  # the loopback too: nothing may reach a server
    try:
        assert main(_argv("--replay")) == 0
    finally:
        enable_socket()
    assert (study_dir / "train.jsonl").read_text() == recorded
    replayed = json.loads((study_dir / "train.labelling.json").read_text())
    assert replayed["cost_usd"] == summary["cost_usd"]


def test_a_replay_without_recordings_and_a_spend_cap_stop_before_sending(study_dir, capsys):
    _inputs(study_dir)
    assert main(_argv("--replay")) == 2
    assert main(_argv("--max-spend", "0.000001", "--base-url", "http://127.0.0.1:9/v1")) == 2
    assert "over the spend cap" in capsys.readouterr().err
    assert main([*_argv()[:-4], "--candidate", "nobody", "--out", "t.jsonl"]) == 2
    assert sorted(p.name for p in study_dir.iterdir()) == [
        "ev.jsonl",
        "few.jinja",
        "short.jinja",
        "study.toml",
        "unlabelled.jsonl",
    ]


def _saved(folder: Path) -> set[str]:
    path = folder / CACHE
    tags = set()
    for line in path.read_text().splitlines() if path.exists() else []:
        try:
            tags.add(json.loads(line)["tag"])
        except ValueError:
            continue  # the line the kill cut short
    return tags


def test_a_killed_labelling_resumes_without_resending(study_dir):
    _inputs(study_dir)
    config = sim_config(study_dir)
    slow = {k: v.model_copy(update={"latency_ms": 40}) for k, v in config.models.items()}
    config = config.model_copy(update={"models": slow})
    with running(config) as server:
        argv = [sys.executable, "-m", "advisor", *_argv("--base-url", server.base_url)]
        argv += ["--concurrency", "2"]
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while len(_saved(study_dir)) < 10 and proc.poll() is None:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        saved = _saved(study_dir)
        assert 10 <= len(saved) < 60
        assert not (study_dir / "train.jsonl").exists()
        sent_before = dict(server.stats.tags)
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
        assert [t for t in saved if server.stats.tags[t] != sent_before.get(t, 0)] == []
    assert len((study_dir / "train.jsonl").read_text().splitlines()) == 60
    assert f"({len(saved)} from the cache)" in done.stdout.replace(",", "")
