"""`advisor evaluate --batch`: the same results as a synchronous run at the batch price; recorded
and replayed offline like any run."""

from __future__ import annotations

import json

import pytest
from pytest_socket import disable_socket, enable_socket

from advisor.cli import main
from advisor.simulator import running
from tests.conftest import sim_config


@pytest.fixture(autouse=True)
def fast_polls(study_dir):
    """The simulator moves a stage per poll: no need to wait 30 s between polls."""
    study = study_dir / "study.toml"
    study.write_text(
        study.read_text().replace("[run]\n", "[run]\nbatch_poll_interval = 0.01\n"),
        encoding="utf-8",
    )


def _results(folder, out="reports/tickets") -> dict:
    return json.loads((folder / out / "results.json").read_text())


def test_batch_evaluate_scores_like_the_synchronous_run_at_half_the_spend(study_dir):
    with running(sim_config(study_dir)) as server:
        url = server.base_url
        assert main(["evaluate", "study.toml", "--base-url", url, "--out", "sync"]) == 0
        assert main(["evaluate", "study.toml", "--base-url", url, "--batch"]) == 0
        assert server.stats.batches_created == 2
        sync, batch = _results(study_dir, "sync"), _results(study_dir)
        for a, b in zip(sync["candidates"], batch["candidates"], strict=True):
            assert a["metrics"]["value"] == b["metrics"]["value"]
            assert b["spend"] < 0.6 * a["spend"]
        assert sync["analysis"]["verdict"] == batch["analysis"]["verdict"]
        # a rerun pays nothing: every answer is in the cache
        assert main(["evaluate", "study.toml", "--base-url", url, "--batch"]) == 0
        assert server.stats.batches_created == 2
        assert _results(study_dir)["run"]["from_cache"] == 120


def test_batch_record_then_replay_offline(study_dir, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-" + "x" * 40)
    with running(sim_config(study_dir, require_api_key=True)) as server:
        url = server.base_url
        assert main(["evaluate", "study.toml", "--base-url", url, "--batch", "--record"]) == 0
    recorded = _results(study_dir)
    monkeypatch.delenv("OPENAI_API_KEY")
    disable_socket(allow_unix_socket=True)
    try:
        assert main(["evaluate", "study.toml", "--base-url", url, "--batch", "--replay"]) == 0
    finally:
        enable_socket()
    replayed = _results(study_dir)
    for a, b in zip(recorded["candidates"], replayed["candidates"], strict=True):
        assert a["metrics"] == b["metrics"] and a["cost_per_call"] == b["cost_per_call"]
    assert replayed["analysis"]["verdict"] == recorded["analysis"]["verdict"]


def test_fixtures_check_batch_names_the_input_file_a_changed_example_misses(
    study_dir, monkeypatch, capsys
):
    with running(sim_config(study_dir)) as server:
        assert (
            main(["evaluate", "study.toml", "--base-url", server.base_url, "--batch", "--record"])
            == 0
        )
    capsys.readouterr()
    assert main(["fixtures", "check", "study.toml", "--batch"]) == 0
    assert "120 requests, 120 recorded, 0 missing, unused not checked" in capsys.readouterr().out
    # a synchronous check of a batch recording finds none of its chat requests
    assert main(["fixtures", "check", "study.toml"]) == 1
    capsys.readouterr()

    evalset = study_dir / "ev.jsonl"
    lines = evalset.read_text(encoding="utf-8").splitlines(keepends=True)
    evalset.write_text("".join([lines[0].replace("ticket 0", "ticket zero"), *lines[1:]]))
    assert main(["fixtures", "check", "study.toml", "--batch"]) == 1
    out = capsys.readouterr().out
    assert out.count("missing: no recorded batch for candidate") == 2  # one file per model
    assert "120 requests, 0 recorded, 120 missing" in out
