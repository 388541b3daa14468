"""The shipped example replays offline end to end, with the exact scores it was recorded with."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from pytest_socket import disable_socket, enable_socket

from advisor.cli import main

ROOT = Path(__file__).resolve().parents[1]
STUDY = ROOT / "studies/support-tickets.toml"
SCHEMA = ROOT.parent / "shared/reference/openai/chat-completion-response.schema.json"
# Right answers out of 360, as recorded from the simulated server.
EXPECTED = {
    "gpt-4.1-mini few-shot": 331,
    "gpt-4o-mini fine-tuned": 344,
    "Llama 3.1 8B fine-tuned": 341,
    "gpt-4o-mini zero-shot": 295,
}
CREDENTIAL = re.compile(
    rb'sk-[A-Za-z0-9_-]{20,}|"[Aa]uthorization"\s*:|Bearer [A-Za-z0-9._-]{16,}'
    rb"|[Oo]pen[Aa][Ii]-[Oo]rganization"
)


@pytest.fixture
def offline():
    disable_socket(allow_unix_socket=True)
    yield
    enable_socket()


def test_the_example_replays_with_its_exact_scores(advisor_replay, offline):
    results = advisor_replay(STUDY, fixtures=ROOT / "fixtures/support-tickets")
    assert results.status == "complete" and results.run.errors == 0
    assert results.run.mode == "replay"
    for candidate in results.candidates:
        assert candidate.metrics.n == 360
        assert round(candidate.metrics.value * 360) == EXPECTED[candidate.name]
    assert results.analysis.verdict == "fine_tune"
    assert results.analysis.recommended == "Llama 3.1 8B fine-tuned"
    assert "simulated" in results.note


def test_the_readme_command_and_the_ci_gate(tmp_path, monkeypatch, capsys, offline):
    monkeypatch.chdir(tmp_path)
    for folder in ("studies", "evalsets", "fixtures"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    assert main(["evaluate", "studies/support-tickets.toml", "--replay"]) == 0
    out = capsys.readouterr().out
    assert "local simulated OpenAI-compatible server" in out
    assert "Verdict: fine_tune" in out
    run = tmp_path / "reports/support-tickets"
    assert {"results.json", "examples.jsonl", "summary.md"} <= {p.name for p in run.iterdir()}
    assert "**Verdict: `fine_tune`**" in (run / "summary.md").read_text()
    argv = ["evaluate", "studies/support-tickets.toml", "--replay", "--fail-on", "regression"]
    assert main(argv) == 0  # against the run it replaces: nothing got worse
    capsys.readouterr()
    assert main([*argv, "--out", "fresh"]) == 1  # no baseline: a vetoed challenger fails
    assert "fail: quality regression: gpt-4o-mini zero-shot" in capsys.readouterr().err
    argv = [
        "evaluate",
        "studies/support-tickets.toml",
        "--replay",
        "--expect-verdict",
        "keep_prompting",
    ]
    assert main(argv) == 1
    assert "verdict fine_tune, expected keep_prompting" in capsys.readouterr().err


def _scores(run: Path) -> dict[str, int]:
    results = json.loads((run / "results.json").read_text(encoding="utf-8"))
    return {c["name"]: round(c["metrics"]["value"] * 360) for c in results["candidates"]}


def test_the_example_through_the_batch_api_scores_as_the_synchronous_run(tmp_path, monkeypatch):
    """--batch against the simulator, recorded, then replayed offline: the recorded scores."""
    from advisor.simulator import SimConfig, running

    monkeypatch.chdir(tmp_path)
    for folder in ("studies", "evalsets"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    study = tmp_path / "studies/support-tickets.toml"
    study.write_text(study.read_text().replace("[run]\n", "[run]\nbatch_poll_interval = 0.01\n"))
    argv = ["evaluate", str(study), "--batch", "--fixtures", "fx"]
    with running(SimConfig.from_toml(tmp_path / "studies/support-tickets.sim.toml")) as server:
        url = ["--base-url", server.base_url]
        assert main([*argv, *url, "--record", "--out", "recorded"]) == 0
        assert server.stats.batches_created == 4  # one per model
    assert _scores(tmp_path / "recorded") == EXPECTED
    disable_socket(allow_unix_socket=True)
    try:
        assert main([*argv, *url, "--replay", "--out", "replayed"]) == 0
    finally:
        enable_socket()
    assert _scores(tmp_path / "replayed") == EXPECTED


@pytest.mark.skipif(not SCHEMA.exists(), reason="the reference schema is not beside the project")
def test_recorded_bodies_follow_the_openai_schema():
    import jsonschema

    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text()))
    checked = 0
    for path in (ROOT / "fixtures").rglob("*.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            exchange = json.loads(line)
            response = exchange["response"]
            chat = exchange["request"]["path"].endswith("/chat/completions")
            if chat and response.get("status") == 200 and "body" in response:
                validator.validate(response["body"])
                checked += 1
    assert checked >= 1440


def test_no_committed_file_holds_a_credential():
    files = [
        p
        for folder in ("fixtures", "reports", "studies")
        for p in (ROOT / folder).rglob("*")
        if p.is_file()
    ]
    assert files
    for path in files:
        assert not CREDENTIAL.search(path.read_bytes()), path
