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
    assert main(argv) == 1  # the zero-shot challenger is worse than the margin
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
