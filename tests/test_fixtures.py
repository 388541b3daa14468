"""Record and replay: what is recorded is what went over the wire, minus every credential, and a
replay gives the recorded run's results with no socket opened."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import pytest
from pytest_socket import disable_socket, enable_socket

from advisor.cli import main
from advisor.simulator import running
from tests.conftest import sim_config, study_text

SCHEMA = Path(__file__).parents[2] / "shared/reference/openai/chat-completion-response.schema.json"
VOLATILE_RUN = {"mode", "spend", "from_cache"}


def _record(study_dir: Path, monkeypatch, **sim) -> tuple[str, dict, str]:
    """Record with a key made now; returns the key, the results and the endpoint recorded."""
    key = "sk-" + secrets.token_urlsafe(32)
    monkeypatch.setenv("OPENAI_API_KEY", key)
    with running(sim_config(study_dir, require_api_key=True, **sim)) as server:
        code = main(["evaluate", "study.toml", "--record", "--base-url", server.base_url])
        assert code == 0
        results = json.loads((study_dir / "reports/tickets/results.json").read_text())
        # and a live run, so that the response cache is written with the same key in hand
        live = ["evaluate", "study.toml", "--base-url", server.base_url, "--out", "live"]
        assert main(live) == 0
    monkeypatch.delenv("OPENAI_API_KEY")
    return key, results, server.base_url


def _comparable(results: dict) -> dict:
    results = json.loads(json.dumps(results))
    for name in VOLATILE_RUN:
        results["run"].pop(name)
    for candidate in results["candidates"]:
        candidate.pop("latency_ms"), candidate.pop("spend")
    for example in results["examples"]:
        for calls in example["calls"].values():
            for call in calls:
                call.pop("latency_ms")
    return results


def _exchanges(study_dir: Path) -> list[dict]:
    return [
        json.loads(line)
        for path in sorted((study_dir / "fixtures/tickets").glob("*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
    ]


@pytest.fixture
def recorded(study_dir, monkeypatch):
    return _record(study_dir, monkeypatch, faults={"rate": 0.15, "retry_after_s": 0.05})


def test_the_api_key_is_in_no_written_file(study_dir, recorded):
    key = recorded[0]
    written = [p for p in study_dir.rglob("*") if p.is_file()]
    assert any("fixtures" in p.parts for p in written)
    assert any(p.name == "responses.jsonl" for p in written)
    for path in written:
        data = path.read_bytes()
        assert key.encode() not in data, path
        assert b"Bearer" not in data and b"authorization" not in data.lower(), path


def test_attempts_are_kept_in_order(study_dir, recorded):
    exchanges = _exchanges(study_dir)
    by_key: dict[str, list[dict]] = {}
    for e in exchanges:
        by_key.setdefault(e["key"], []).append(e)
    retried = [es for es in by_key.values() if len(es) > 1]
    assert retried
    for attempts in retried:
        assert [e["attempt"] for e in attempts] == list(range(len(attempts)))
        assert attempts[-1]["response"]["status"] == 200
    kinds = {("error" if "error" in e["response"] else e["response"]["status"]) for e in exchanges}
    assert {200, 429, 500, 503, "error"} <= kinds


@pytest.mark.skipif(not SCHEMA.exists(), reason="the reference schema is not beside the project")
def test_every_recorded_200_conforms_to_the_openai_schema(study_dir, recorded):
    import jsonschema

    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text()))
    bodies = [
        e["response"]["body"]
        for e in _exchanges(study_dir)
        if e["request"]["path"].endswith("/chat/completions")
        and e["response"].get("status") == 200
        and "body" in e["response"]
    ]
    assert len(bodies) == 120
    for body in bodies:
        validator.validate(body)


def test_replay_is_offline_and_gives_the_recorded_results(study_dir, recorded):
    _, recorded_results, base_url = recorded
    disable_socket(allow_unix_socket=True)  # loopback blocked too; no server is running
    try:
        assert main(["evaluate", "study.toml", "--replay", "--base-url", base_url]) == 0
    finally:
        enable_socket()
    replayed = json.loads((study_dir / "reports/tickets/results.json").read_text())
    assert replayed["run"]["mode"] == "replay" and replayed["run"]["spend"] == 0
    assert _comparable(replayed) == _comparable(recorded_results)


def test_a_changed_input_names_its_example(study_dir, recorded, capsys):
    lines = (study_dir / "ev.jsonl").read_text(encoding="utf-8").splitlines()
    row = json.loads(lines[3])
    row["text"] += " (edited)"
    lines[3] = json.dumps(row, ensure_ascii=False)
    (study_dir / "ev.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    capsys.readouterr()

    assert main(["evaluate", "study.toml", "--replay", "--base-url", recorded[2]]) == 2
    err = capsys.readouterr().err
    assert f"no recording for example '{row['id']}', candidate 'incumbent'" in err
    assert f"the closest recorded request (incumbent/{row['id']}/0) differs in messages[" in err
    assert err.count("\n") == 1

    assert main(["fixtures", "check", "study.toml"]) == 1
    out = capsys.readouterr().out
    assert f"missing: no recording for example '{row['id']}', candidate 'incumbent'" in out
    assert f"missing: no recording for example '{row['id']}', candidate 'ft'" in out
    assert "118 recorded, 2 missing, 2 unused" in out
    assert f"unused: incumbent/{row['id']}/0" in out


def test_fixtures_check_passes_when_all_is_recorded(study_dir, recorded, capsys):
    assert main(["fixtures", "check", "study.toml"]) == 0
    assert "120 recorded, 0 missing, 0 unused" in capsys.readouterr().out


def test_an_interrupted_recording_resumes_without_sending_again(study_dir, monkeypatch):
    _record(study_dir, monkeypatch)
    folder = study_dir / "fixtures/tickets"
    lines = (folder / "ft.jsonl").read_text().splitlines()
    (folder / "ft.jsonl").write_text("\n".join(lines[:20]) + "\n" + lines[20][:50])
    (study_dir / "reports").rename(study_dir / "old-reports")  # no response cache either
    monkeypatch.setenv("OPENAI_API_KEY", "sk-" + secrets.token_urlsafe(16))
    with running(sim_config(study_dir)) as server:
        assert main(["evaluate", "study.toml", "--record", "--base-url", server.base_url]) == 0
        assert server.stats.ok == 40  # only the ft answers that were not recorded
    assert main(["fixtures", "check", "study.toml"]) == 0


def test_redaction_patterns_apply_to_what_is_stored_and_to_the_key(study_dir, monkeypatch):
    text = study_text(run='[run]\nconcurrency = 4\n[fixtures]\nredact = ["ticket \\\\d+"]\n')
    (study_dir / "study.toml").write_text(text)
    base_url = _record(study_dir, monkeypatch)[2]
    stored = "".join(p.read_text() for p in (study_dir / "fixtures/tickets").glob("*.jsonl"))
    assert "ticket 1" not in stored and "[REDACTED]" in stored
    assert main(["evaluate", "study.toml", "--replay", "--base-url", base_url]) == 0


def test_a_placeholder_key_is_not_searched_for_in_what_is_stored(study_dir, monkeypatch):
    """A local server's key such as `x` is no secret: redacting it broke `max_tokens`."""
    monkeypatch.setenv("OPENAI_API_KEY", "x")
    with running(sim_config(study_dir, require_api_key=True)) as server:
        assert main(["evaluate", "study.toml", "--record", "--base-url", server.base_url]) == 0
    monkeypatch.delenv("OPENAI_API_KEY")
    posts = [e["request"] for e in _exchanges(study_dir) if e["request"]["method"] == "POST"]
    assert posts and all(p["body"]["max_tokens"] == 5 for p in posts)
    disable_socket(allow_unix_socket=True)
    try:
        replay = ["evaluate", "study.toml", "--replay", "--base-url", server.base_url]
        assert main([*replay, "--out", "again"]) == 0
    finally:
        enable_socket()
