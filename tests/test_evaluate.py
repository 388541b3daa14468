"""`advisor evaluate` against the local simulated server, through the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from advisor.cli import main
from advisor.pricing import call_prices
from advisor.simulator import answers_correctly, running
from advisor.tokens import count_chat, count_text
from tests.conftest import FEW_SHOT, FINE_TUNE, INCUMBENT, SHORT, sim_config, study_text


def _results(folder: Path) -> dict:
    return json.loads((folder / "reports" / "tickets" / "results.json").read_text())


def _rows(folder: Path) -> list[dict]:
    text = (folder / "reports" / "tickets" / "examples.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines()]


def _render(template: str, text: str) -> list[dict]:
    """The messages a template gives, written out by hand from the test's own templates."""
    parts = template.replace("{{ text }}", text).split("<|")[1:]
    return [{"role": p.split("|>\n")[0], "content": p.split("|>\n")[1].strip()} for p in parts]


def test_scores_usage_and_cost_are_what_the_server_gave(study_dir, simulator, capsys):
    assert main(["evaluate", "study.toml", "--base-url", simulator.base_url]) == 0
    results = _results(study_dir)
    rows = _rows(study_dir)
    assert results["status"] == "complete" and len(rows) == 60
    by_name = {c["name"]: c for c in results["candidates"]}
    for name, model, accuracy, template in [
        ("incumbent", INCUMBENT, 0.9, FEW_SHOT),
        ("ft", FINE_TUNE, 0.8, SHORT),
    ]:
        right = [answers_correctly(model, r["inputs"]["text"], accuracy) for r in rows]
        scores = [r["candidates"][name][0]["score"] for r in rows]
        assert scores == [1.0 if ok else 0.0 for ok in right]
        assert by_name[name]["metrics"]["value"] == pytest.approx(sum(right) / 60)
        for row in rows:
            call = row["candidates"][name][0]
            assert call["prompt_tokens"] == count_chat(
                _render(template, row["inputs"]["text"]), model
            )
            assert call["completion_tokens"] == count_text(call["output"], model)
        prices = call_prices("openai", model)
        mean = by_name[name]["usage"]
        expected = (
            (mean["prompt_tokens"] - mean["cached_tokens"]) * prices.input
            + mean["cached_tokens"] * prices.cached_input
            + mean["completion_tokens"] * prices.output
        ) / 1e6
        assert by_name[name]["cost_per_call"] == pytest.approx(expected)
    assert by_name["incumbent"]["cost_per_call"] > 10 * by_name["ft"]["cost_per_call"]
    assert "Wrote" in capsys.readouterr().out


def test_a_rerun_is_served_from_the_cache(study_dir, simulator):
    assert main(["evaluate", "study.toml", "--base-url", simulator.base_url]) == 0
    answered = simulator.stats.ok
    assert main(["evaluate", "study.toml", "--base-url", simulator.base_url]) == 0
    assert simulator.stats.ok == answered  # only GET /models again, which costs nothing
    assert _results(study_dir)["run"]["from_cache"] == 120


def test_faults_of_every_kind_lose_nothing(study_dir):
    faults = {"rate": 0.1, "retry_after_s": 0.05}
    with running(sim_config(study_dir, faults=faults)) as server:
        assert main(["evaluate", "study.toml", "--base-url", server.base_url]) == 0
        assert sum(server.stats.faults.values()) > 5
        assert set(server.stats.faults) == {"429", "500", "503", "drop", "malformed"}
    results = _results(study_dir)
    assert results["run"]["errors"] == 0
    assert all(c["metrics"]["n"] == 60 for c in results["candidates"])


def test_rate_limit_completes_with_nothing_lost(study_dir):
    with running(sim_config(study_dir, rpm=1200, burst_seconds=0.25)) as server:
        assert main(["evaluate", "study.toml", "--base-url", server.base_url]) == 0
        assert server.stats.rate_limited > 0
    results = _results(study_dir)
    assert results["run"]["errors"] == 0 and results["run"]["rate_limited"] > 0


def test_repeats_are_averaged_per_example(study_dir, simulator):
    (study_dir / "study.toml").write_text(study_text(run="[run]\nrepeats = 3\n"))
    assert main(["evaluate", "study.toml", "--base-url", simulator.base_url]) == 0
    rows = _rows(study_dir)
    assert all(len(r["candidates"]["ft"]) == 3 for r in rows)
    assert [c["repeat"] for c in rows[0]["candidates"]["ft"]] == [0, 1, 2]
    assert simulator.stats.ok == 360


def _invoice_study(folder: Path, run: str = "[run]\nconcurrency = 8\n"):
    """Invoice fields as JSON: answers of about 20 tokens, and a server that knows them."""
    rows = [
        {
            "id": f"j{i}",
            "text": f"invoice {i}",
            "fields": {"number": f"INV-{i}", "total": i * 10, "currency": "EUR"},
        }
        for i in range(20)
    ]
    (folder / "inv.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    study = study_text(
        evalset='[evalset]\npath = "inv.jsonl"\ninputs = ["text"]\nexpected = "fields"\n',
        scorer='[scorer]\ntype = "json"\n',
        run=run,
    ).replace("max_tokens = 5", "max_tokens = 100")
    (folder / "study.toml").write_text(study)
    answers = {"path": folder / "inv.jsonl", "key_field": "text", "answer_field": "fields"}
    return sim_config(folder, labels=[], answer_file=answers)


def test_json_fields_get_partial_credit(study_dir):
    with running(_invoice_study(study_dir)) as server:
        assert main(["evaluate", "study.toml", "--base-url", server.base_url]) == 0
    scores = {c["candidates"]["ft"][0]["score"] for c in _rows(study_dir)}
    assert scores <= {1.0, 2 / 3} and 2 / 3 in scores  # one corrupted field of three


def test_custom_scorer_function(study_dir, simulator):
    (study_dir / "myscore.py").write_text(
        "def first_letter(output, expected, example):\n    return output[:1] == expected[:1]\n"
    )
    study = study_text(scorer='[scorer]\ntype = "custom"\nfunction = "myscore:first_letter"\n')
    (study_dir / "study.toml").write_text(study)
    assert main(["evaluate", "study.toml", "--base-url", simulator.base_url]) == 0
    rows = _rows(study_dir)
    for row in rows:
        call = row["candidates"]["incumbent"][0]
        assert call["score"] == float(call["output"][:1] == row["expected"][:1])


def test_judge_scorer_calls_are_made_cached_and_priced(study_dir, simulator):
    judge = '[scorer]\ntype = "judge"\nmodel = "grader"\n'
    (study_dir / "study.toml").write_text(study_text(scorer=judge))
    code = main(
        ["evaluate", "study.toml", "--base-url", simulator.base_url, "--price", "grader=1.0,,2.0"]
    )
    assert code == 0, _results(study_dir)["run"]
    rows = _rows(study_dir)
    for row in rows:
        call = row["candidates"]["ft"][0]
        assert call["score"] == float(call["output"] == row["expected"])
    results = _results(study_dir)
    assert results["scorer"]["primary_metric"] == "judge_accuracy"
    assert results["run"]["requests"] == 240
    sent = simulator.stats.ok
    assert (
        main(
            [
                "evaluate",
                "study.toml",
                "--base-url",
                simulator.base_url,
                "--price",
                "grader=1.0,,2.0",
            ]
        )
        == 0
    )
    assert simulator.stats.ok == sent


def test_two_candidates_at_two_endpoints(study_dir):
    with running(sim_config(study_dir)) as one, running(sim_config(study_dir)) as two:
        text = (
            study_text()
            .replace(
                'template = "few.jinja"', f'template = "few.jinja"\nbase_url = "{one.base_url}"'
            )
            .replace(
                'template = "short.jinja"', f'template = "short.jinja"\nbase_url = "{two.base_url}"'
            )
        )
        (study_dir / "study.toml").write_text(text)
        assert main(["evaluate", "study.toml"]) == 0
        assert one.stats.ok == 60 and two.stats.ok == 60
    urls = {c["name"]: c["base_url"] for c in _results(study_dir)["candidates"]}
    assert urls == {"incumbent": one.base_url, "ft": two.base_url}


def test_spend_cap_refuses_before_sending(study_dir, simulator, capsys):
    code = main(
        ["evaluate", "study.toml", "--base-url", simulator.base_url, "--max-spend", "0.001"]
    )
    assert code == 2
    assert simulator.stats.requests == 0
    err = capsys.readouterr().err
    assert "over the spend cap of $0.0010" in err and err.count("\n") == 1
    assert not (study_dir / "reports" / "tickets" / "results.json").exists()


def test_spend_cap_stops_mid_run_and_marks_partial(study_dir):
    # The estimate assumes 1 output token a call where answers take about 20: the estimate
    # passes the cap, and the real spend reaches it part of the way through.
    config = _invoice_study(study_dir, run="[run]\nconcurrency = 2\noutput_estimate_tokens = 1\n")
    # Only the fine-tune, whose short prompt makes the output most of its cost.
    text = (study_dir / "study.toml").read_text().replace("max_tokens = 100", "seed = 1")
    text = text[: text.index("[[candidates]]")] + text[text.index('[[candidates]]\nname = "ft"') :]
    text = text.replace('name = "ft"', 'name = "ft"\nrole = "incumbent"')  # the only one
    (study_dir / "study.toml").write_text(text)
    from advisor.evaluate import EvaluateOptions, plan_run

    with running(config) as server:
        # any cap makes the plan count the prompts for its estimate
        options = EvaluateOptions(Path("study.toml"), base_url=server.base_url, max_spend=1e9)
        cap = plan_run(options).estimate * 1.5
        argv = ["evaluate", "study.toml", "--base-url", server.base_url, "--max-spend", f"{cap}"]
        assert main(argv) == 1
        assert server.stats.ok < 20
    results = _results(study_dir)
    assert results["status"] == "partial" and results["run"]["stopped_at_spend_cap"]
    # After the first answers the cap is checked at the dearest answer seen: the spend stays
    # under it, within a call or two of it.
    assert cap * 0.75 < results["run"]["spend"] <= cap
    errors = [
        c for r in _rows(study_dir) for cs in r["candidates"].values() for c in cs if c["error"]
    ]
    assert errors and all("spend cap" in c["error"] for c in errors)
