"""--record says what it re-used and what it sent; --re-record sends everything again."""

from __future__ import annotations

from pathlib import Path

from conftest import sim_config

from advisor.cli import main
from advisor.simulator import running


def _lines(folder: Path) -> dict[str, int]:
    return {p.name: p.read_bytes().count(b"\n") for p in sorted(folder.glob("*.jsonl"))}


def test_record_counts_re_used_and_sent_and_re_record_sends_everything(study_dir, capsys):
    folder = study_dir / "fixtures/tickets"
    with running(sim_config(study_dir)) as server:
        argv = ["evaluate", "study.toml", "--record", "--base-url", server.base_url]
        assert main(argv) == 0
        first = _lines(folder)
        assert "(0 re-used from the fixtures, 120 sent" in capsys.readouterr().out
        assert main(argv) == 0
        out = capsys.readouterr().out
        assert server.stats.ok == 120  # nothing sent again
        assert "(120 re-used from the fixtures, 0 sent" in out and "spent $0.00 " in out
        assert _lines(folder) == first  # the models listing is not recorded once per run

        assert main([*argv[:2], "--re-record", *argv[3:]]) == 0
        assert server.stats.ok == 240  # every request sent again
        assert "(0 re-used from the fixtures, 120 sent" in capsys.readouterr().out
    assert _lines(folder) == first
    assert not (study_dir / "fixtures/tickets.recording").exists()
    assert main(["fixtures", "check", "study.toml"]) == 0


def test_an_interrupted_re_recording_leaves_the_old_fixtures(study_dir, capsys):
    folder = study_dir / "fixtures/tickets"
    with running(sim_config(study_dir)) as server:
        assert main(["evaluate", "study.toml", "--record", "--base-url", server.base_url]) == 0
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    # an endpoint that refuses every connection: the re-recording stops before it completes
    code = main(["evaluate", "study.toml", "--re-record", "--base-url", "http://127.0.0.1:9/v1"])
    assert code == 2
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    assert not (study_dir / "fixtures/tickets.recording").exists()
