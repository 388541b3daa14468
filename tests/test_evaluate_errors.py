"""Bad input: one clear line, exit code 2, nothing sent, nothing written."""

from __future__ import annotations

import json

import pytest

from advisor.cli import main
from tests.conftest import study_text


def _break_line(folder, number: int, text: str) -> None:
    lines = (folder / "ev.jsonl").read_text(encoding="utf-8").splitlines()
    lines[number - 1] = text
    (folder / "ev.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _row(i: int, **changes) -> str:
    row = {"id": f"e{i:04d}", "text": f"ticket {i}", "label": "bug", "lang": "en", **changes}
    return json.dumps({k: v for k, v in row.items() if v is not None})


CASES = {
    "bad JSONL line": (lambda d: _break_line(d, 7, '{"id": "x", "text": '), "ev.jsonl:7:"),
    "missing field": (
        lambda d: _break_line(d, 5, _row(4, label=None)),
        'ev.jsonl:5: missing field "label"',
    ),
    "duplicate id": (lambda d: _break_line(d, 9, _row(2)), 'ev.jsonl:9: duplicate id "e0002"'),
    "template syntax error": (
        lambda d: (d / "short.jinja").write_text("<|user|>\nTicket: {{ text \n"),
        "short.jinja:2: template syntax error",
    ),
    "undefined template variable": (
        lambda d: (d / "short.jinja").write_text("<|user|>\nTicket: {{ txt }}\n"),
        "short.jinja: example 'e0000': 'txt' is undefined",
    ),
    "unknown scorer": (
        lambda d: (d / "study.toml").write_text(study_text(scorer='[scorer]\ntype = "bleu"\n')),
        "study.toml: scorer:",
    ),
    "unknown study key": (
        lambda d: (d / "study.toml").write_text("favourite_colour = 3\n" + study_text()),
        "study.toml: favourite_colour: unknown key",
    ),
    "negative traffic": (
        lambda d: (d / "study.toml").write_text(
            study_text(traffic="[traffic]\ncalls_per_day = -3\n")
        ),
        "study.toml: traffic.calls_per_day: Input should be greater than or equal to 0",
    ),
    "unknown model without prices": (
        lambda d: (d / "study.toml").write_text(
            study_text().replace("gpt-4.1-mini-2025-04-14", "gpt-9")
        ),
        "openai model 'gpt-9' is not in the price catalog",
    ),
    "batch traffic without a batch discount": (
        lambda d: (d / "study.toml").write_text(
            study_text(traffic="[traffic]\ncalls_per_day = 10000\nbatch_share = 1\n").replace(
                'model = "gpt-4.1-mini-2025-04-14"',
                'model = "gpt-9"\nprices = { input = 1, cached_input = 0.5, output = 2 }',
            )
        ),
        "candidate 'incumbent': [traffic] batch_share prices production calls as batch traffic, "
        "but no batch discount is known for 'gpt-9' at openai",
    ),
    "output folder is a file": (
        lambda d: (d / "reports").write_text("not a folder"),
        "reports/tickets: cannot write the run folder here",
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_bad_input_is_one_line_exit_2_nothing_sent(study_dir, simulator, capsys, case):
    spoil, message = CASES[case]
    spoil(study_dir)
    assert main(["evaluate", "study.toml", "--base-url", simulator.base_url]) == 2
    err = capsys.readouterr().err
    assert message in err, err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert simulator.stats.requests == 0
    assert not list(study_dir.glob("reports/**/results.json"))


@pytest.mark.parametrize("key", ["sk-test\n", "sk-te st", "sk-tést", "sk-\ttest"])
def test_a_key_no_header_can_carry_is_refused_before_sending_and_never_shown(
    study_dir, simulator, capsys, monkeypatch, key
):
    # h11 refused such a header naming it whole: the key reached the results' error text
    monkeypatch.setenv("OPENAI_API_KEY", key)
    assert main(["evaluate", "study.toml", "--base-url", simulator.base_url]) == 2
    err = capsys.readouterr().err
    assert "environment variable OPENAI_API_KEY holds a space, a line break" in err, err
    assert err.count("\n") == 1 and key.strip() not in err
    assert simulator.stats.requests == 0
    assert not list(study_dir.glob("reports/**/results.json"))


def test_missing_api_key_for_a_remote_endpoint(study_dir, capsys):
    code = main(["evaluate", "study.toml", "--base-url", "https://api.example.invalid/v1"])
    assert code == 2
    err = capsys.readouterr().err
    assert "environment variable OPENAI_API_KEY is not set" in err and err.count("\n") == 1


def test_unreadable_study_file(study_dir, capsys):
    assert main(["evaluate", "nope.toml"]) == 2
    assert "nope.toml: no such study file" in capsys.readouterr().err
