"""A damaged fixture or cache line is named with its file and line; a torn last line is repaired."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import sim_config

from advisor.cli import main
from advisor.simulator import running


@pytest.fixture
def recorded(study_dir: Path) -> Path:
    with running(sim_config(study_dir)) as server:
        assert main(["evaluate", "study.toml", "--record", "--base-url", server.base_url]) == 0
        assert main(["evaluate", "study.toml", "--base-url", server.base_url, "--out", "live"]) == 0
    return study_dir


def _tree(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def test_a_damaged_fixture_line_is_named_and_fixtures_check_writes_nothing(recorded, capsys):
    path = recorded / "fixtures/tickets/ft.jsonl"
    lines = path.read_text(encoding="utf-8").split("\n")
    lines[3] = lines[3][:40]  # a line in the middle, cut: no guess can restore it
    path.write_text("\n".join(lines), encoding="utf-8")
    capsys.readouterr()
    (recorded / "reports").rename(recorded / "kept")
    before = _tree(recorded)
    assert main(["fixtures", "check", "study.toml"]) == 2
    err = capsys.readouterr().err
    assert f"{Path('fixtures/tickets/ft.jsonl')}:4: not valid JSON" in err
    assert err.count("\n") == 1
    assert main(["evaluate", "study.toml", "--replay"]) == 2
    assert ":4: not valid JSON" in capsys.readouterr().err
    assert _tree(recorded) == before  # no reports/ folder, nothing repaired


def test_fixtures_check_of_a_whole_recording_writes_nothing(recorded, capsys):
    (recorded / "reports").rename(recorded / "kept")
    before = _tree(recorded)
    assert main(["fixtures", "check", "study.toml"]) == 0
    assert _tree(recorded) == before


def test_a_torn_last_cache_line_is_dropped_with_a_warning_and_cut_off(study_dir, capsys):
    cache = study_dir / "reports/tickets/cache/responses.jsonl"
    with running(sim_config(study_dir)) as server:
        argv = ["evaluate", "study.toml", "--base-url", server.base_url]
        assert main(argv) == 0
        cache.write_bytes(cache.read_bytes()[:-30])  # a kill -9 in the middle of the last write
        capsys.readouterr()
        assert main(argv) == 0
        assert server.stats.ok == 121  # only the torn answer is asked again
    err = capsys.readouterr().err
    assert err.count("responses.jsonl:120: a response cache line cut short") == 1
    assert cache.read_bytes().count(b"\n") == 120  # every line whole again


def test_a_damaged_cache_line_is_named(recorded, capsys):
    cache = recorded / "live/cache/responses.jsonl"
    lines = cache.read_bytes().split(b"\n")
    lines[0] = b"{not json"
    cache.write_bytes(b"\n".join(lines))
    capsys.readouterr()
    assert (
        main(["evaluate", "study.toml", "--base-url", "http://127.0.0.1:9/v1", "--out", "live"])
        == 2
    )
    err = capsys.readouterr().err
    assert "responses.jsonl:1: not valid JSON" in err
