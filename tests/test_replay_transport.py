"""A replay answers every request at its own transport (`advisor.replay`), through the command
line: no client opens a socket (the candidates', the judge's at another endpoint, the models
listings), recorded attempts are served in order on a virtual clock, a recorded dropped
connection comes back as one, and a request met with no recording is named with its example."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path

from pytest_socket import disable_socket, enable_socket

from advisor.cli import main
from advisor.fixtures import Exchange, FixtureStore, canonical
from advisor.simulator import running
from tests.conftest import sim_config, study_text

GRADER = ["--price", "grader=1.0,,2.0"]


def _offline(*argv: str) -> int:
    """The command with every socket but the event loop's own (Unix) ones refused."""
    disable_socket(allow_unix_socket=True)
    try:
        return main(list(argv))
    finally:
        enable_socket()


def _rows(run: Path) -> dict[str, dict]:
    lines = (run / "examples.jsonl").read_text(encoding="utf-8").splitlines()
    return {row["id"]: row for row in map(json.loads, lines)}


def _answers(run: Path) -> dict[tuple[str, str], tuple]:
    return {
        (example, name): (call["output"], call["score"], call["error"], call["latency_ms"])
        for example, row in _rows(run).items()
        for name, calls in row["candidates"].items()
        for call in calls
    }


def _judged_study(study_dir: Path, candidates_url: str, judge_url: str) -> None:
    scorer = f'[scorer]\ntype = "judge"\nmodel = "grader"\nbase_url = "{judge_url}"\n'
    text = study_text(scorer=scorer).replace(
        "template = ", f'base_url = "{candidates_url}"\ntemplate = '
    )
    (study_dir / "study.toml").write_text(text)


def test_a_replay_with_a_judge_at_another_endpoint_opens_no_socket(study_dir):
    with running(sim_config(study_dir)) as models, running(sim_config(study_dir)) as judge:
        _judged_study(study_dir, models.base_url, judge.base_url)
        assert main(["evaluate", "study.toml", "--record", *GRADER, "--out", "recorded"]) == 0
        assert models.stats.ok == 120 and judge.stats.ok == 120
    tags = {
        e.tag.split("/")[0]
        for a in FixtureStore(study_dir / "fixtures/tickets").by_key.values()
        for e in a
    }
    assert {"incumbent", "ft", "judge.incumbent", "judge.ft", "models"} <= tags

    assert _offline("evaluate", "study.toml", "--replay", *GRADER, "--out", "replayed") == 0
    recorded, replayed = _answers(study_dir / "recorded"), _answers(study_dir / "replayed")
    assert len(replayed) == 120
    for call, (output, score, error, _) in replayed.items():
        assert (output, score, error) == recorded[call][:3]


def _with_attempts(folder: Path, first: dict[str, dict]) -> dict[str, Exchange]:
    """Put a recorded failure before the 200 of some examples' incumbent requests: `first` maps
    an example id to what its first attempt got. Returns the 200s, by example id."""
    path = folder / "incumbent.jsonl"
    exchanges = [Exchange.from_json(json.loads(line)) for line in path.read_text().splitlines()]
    answers, lines = {}, []
    for exchange in exchanges:
        example = exchange.tag.split("/")[1]
        if example in first:
            answers[example] = exchange
            failed = replace(exchange, attempt=0, latency_ms=1.0, **first[example])
            lines.append(canonical(failed.to_json()))
            exchange = replace(exchange, attempt=1)
        lines.append(canonical(exchange.to_json()))
    path.write_text("\n".join(lines) + "\n")
    return answers


RATE_LIMITED = {
    "status": 429,
    "headers": {"content-type": "application/json", "retry-after": "30"},
    "response": {"error": {"message": "Rate limit reached", "code": "rate_limit_exceeded"}},
    "response_is_json": True,
}
DROPPED = {
    "status": None,
    "headers": {},
    "response": None,
    "response_is_json": False,
    "error": "RemoteProtocolError",
}


def test_attempts_replay_in_order_on_a_virtual_clock_and_a_drop_as_a_drop(study_dir):
    with running(sim_config(study_dir)) as server:
        assert main(["evaluate", "study.toml", "--record", "--base-url", server.base_url]) == 0
    answers = _with_attempts(
        study_dir / "fixtures/tickets", {"e0001": RATE_LIMITED, "e0002": DROPPED}
    )

    started = time.perf_counter()
    assert _offline("evaluate", "study.toml", "--replay", "--out", "replayed") == 0
    assert time.perf_counter() - started < 20  # the 429 asked for 30 s: waited, virtually
    run = json.loads((study_dir / "replayed/results.json").read_text())["run"]
    assert (run["retries"], run["rate_limited"], run["errors"]) == (2, 1, 0)
    rows = _rows(study_dir / "replayed")
    for example, answer in answers.items():
        [call] = rows[example]["candidates"]["incumbent"]
        assert call["output"] == answer.response["choices"][0]["message"]["content"]
        assert call["latency_ms"] == answer.latency_ms  # the 200's, as recorded

    # Given up after the first attempt, each example shows what that attempt was.
    text = (study_dir / "study.toml").read_text()
    (study_dir / "study.toml").write_text(text + "retry_deadline = 0.1\n")
    assert _offline("evaluate", "study.toml", "--replay", "--out", "given-up") == 1
    rows = _rows(study_dir / "given-up")
    assert rows["e0001"]["candidates"]["incumbent"][0]["error"].startswith("HTTP 429: Rate limit")
    dropped = rows["e0002"]["candidates"]["incumbent"][0]["error"]
    assert dropped == "connection failed: recorded RemoteProtocolError"


def test_a_request_met_with_no_recording_during_the_run_names_its_example(study_dir, capsys):
    with running(sim_config(study_dir)) as models, running(sim_config(study_dir)) as judge:
        _judged_study(study_dir, models.base_url, judge.base_url)
        assert main(["evaluate", "study.toml", "--record", *GRADER]) == 0
    path = study_dir / "fixtures/tickets/judge.ft.jsonl"
    lines = path.read_text().splitlines()
    gone = json.loads(lines[5])["tag"]
    path.write_text("\n".join(lines[:5] + lines[6:]) + "\n")
    capsys.readouterr()

    # The judge's requests depend on the answers: they are met, not checked, before the run.
    assert _offline("evaluate", "study.toml", "--replay", *GRADER, "--out", "replayed") == 2
    err = capsys.readouterr().err
    assert f"replay met requests with no recording: {gone}: attempt 1 was never recorded" in err
    assert gone.split("/")[1] in err and err.count("\n") == 1
    assert not (study_dir / "replayed").exists()
