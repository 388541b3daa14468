"""Errors no retry can fix stop the run early, in the provider's words, with what to change."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest
from conftest import study_text, write_evalset
from endpoint import error, ok, serving

from advisor.cli import main
from advisor.refusals import refusal

REFUSALS = [
    (error(401, "Incorrect API key provided: sk-...abcd.", "invalid_api_key"), "OPENAI_API_KEY"),
    (error(404, "The model `gpt-nope` does not exist.", "model_not_found"), "model"),
    (
        error(
            400,
            "Unsupported parameter: 'max_tokens' is not supported with this model. "
            "Use 'max_completion_tokens' instead.",
            "unsupported_parameter",
            "max_tokens",
        ),
        "params",
    ),
    (error(429, "You exceeded your current quota.", "insufficient_quota"), "quota"),
]


def _left(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


@pytest.mark.parametrize(("answer", "hint"), REFUSALS, ids=["401", "404", "400", "429-quota"])
def test_a_refusal_of_every_request_costs_one_request_per_candidate(
    study_dir, capsys, answer, hint
):
    before = _left(study_dir)
    with serving(lambda tag: answer) as endpoint:
        started = time.perf_counter()
        code = main(["evaluate", "study.toml", "--base-url", endpoint.base_url])
        elapsed = time.perf_counter() - started
    err = capsys.readouterr().err
    assert code == 2 and elapsed < 10
    chats = [t.split("/")[0] for t in endpoint.tags]
    assert sorted(chats) == ["ft", "incumbent"]  # one probe each, nothing more
    message = answer[1]["error"]["message"]
    assert message in err and "'incumbent'" in err and "'ft'" in err and hint in err
    assert err.count("\n") == 1 and "Traceback" not in err and "nothing billed" in err
    assert _left(study_dir) == before


def test_one_over_long_input_among_100_is_that_examples_error(study_dir, capsys):
    write_evalset(study_dir / "ev.jsonl", 100)
    incumbent_only = study_text().split('[[candidates]]\nname = "ft"')[0] + "\n[traffic]\n"
    incumbent_only += "calls_per_day = 10000\n[run]\nconcurrency = 8\n"
    (study_dir / "study.toml").write_text(incumbent_only, encoding="utf-8")
    too_long = error(
        400,
        "This model's maximum context length is 128000 tokens.",
        "context_length_exceeded",
        "messages",
    )
    with serving(lambda tag: too_long if tag.endswith("/e0042/0") else ok()) as endpoint:
        code = main(["evaluate", "study.toml", "--base-url", endpoint.base_url, "--out", "run"])
    captured = capsys.readouterr()
    assert code == 1
    assert len(endpoint.tags) == 100
    assert "99 answers" in captured.out and "1 example(s) in error" in captured.out
    rows = (study_dir / "run" / "examples.jsonl").read_text(encoding="utf-8")
    assert "maximum context length is 128000 tokens" in rows


def test_a_400_after_answers_is_that_examples_error_even_without_a_code(study_dir, capsys):
    bad = error(400, "Invalid 'messages[1].content': string too long.")
    with serving(lambda tag: bad if tag == "ft/e0007/0" else ok()) as endpoint:
        code = main(["evaluate", "study.toml", "--base-url", endpoint.base_url, "--out", "run"])
    assert code == 1 and len(endpoint.tags) == 120
    assert "stopped:" not in capsys.readouterr().err


def test_a_refusal_after_answers_stops_that_candidate_and_marks_the_run_partial(study_dir, capsys):
    revoked = error(401, "Your key was revoked.", "invalid_api_key")
    seen = {"ft": 0}

    def answer(tag: str):
        if tag.startswith("ft/"):
            seen["ft"] += 1
            return revoked if seen["ft"] > 10 else ok()
        return ok()

    with serving(answer) as endpoint:
        code = main(
            ["evaluate", "study.toml", "--base-url", endpoint.base_url, "--concurrency", "1"]
        )
    captured = capsys.readouterr()
    assert code == 1 and "status partial" in captured.out
    assert "stopped: candidate 'ft'" in captured.err and "Your key was revoked." in captured.err
    assert sum(t.startswith("ft/") for t in endpoint.tags) == 11


def _free_port() -> int:
    with socket.socket() as s:  # bound, then closed: nobody listens there
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("failure", ["refused", "tls"])
def test_an_unreachable_endpoint_is_reported_quickly_with_its_url(study_dir, capsys, failure):
    with serving(lambda tag: ok()) as endpoint:
        if failure == "refused":
            url = f"http://127.0.0.1:{_free_port()}/v1"
        else:  # https to a plain HTTP server: the TLS handshake fails
            url = endpoint.base_url.replace("http://", "https://")
        started = time.perf_counter()
        code = main(["evaluate", "study.toml", "--base-url", url])
        elapsed = time.perf_counter() - started
    err = capsys.readouterr().err
    assert code == 2 and elapsed < 30
    assert url in err and "cannot reach the endpoint" in err and err.count("\n") == 1
    assert not (study_dir / "reports").exists()


@pytest.mark.parametrize(
    ("status", "body", "stops"),
    [
        (429, b'{"error": {"message": "Rate limit reached", "code": "rate_limit_exceeded"}}', None),
        (500, b'{"error": {"message": "oops"}}', None),
        (403, b"forbidden", True),
        (422, b'{"error": {"message": "bad", "param": "messages"}}', False),
        (400, b'{"error": {"message": "long", "code": "context_length_exceeded"}}', False),
        (400, b'{"error": "bad temperature"}', True),
    ],
)
def test_which_errors_no_retry_can_fix(status, body, stops):
    found = refusal(status, body)
    if stops is None:
        assert found is None
    else:
        assert found is not None and found.stops(answered=False) is stops
